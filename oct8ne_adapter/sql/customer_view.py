"""customerData's reads for a shop-session cookie in one session: three prebuilt statements.

The session and its customer (one joined lookup), the wishlist's ids, and the cart with its
lines (the customer's newest cart, else the guest cart of the session, chosen in the same
statement); the products of both lists come from the product cache in one call. Nothing is kept
between calls: every answer reads the rows as they are now, so a cart or wishlist written by
any process, or a session signed out, shows at the next call.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.catalog import get_products
from oct8ne_adapter.sql.models import Cart, CartLine, WishlistItem
from oct8ne_adapter.sql.sessions import session_customer

_carts: Table = Cart.__table__  # type: ignore[assignment]
_cart_lines: Table = CartLine.__table__  # type: ignore[assignment]
_wishlist: Table = WishlistItem.__table__  # type: ignore[assignment]
_WISHLIST = (
    select(_wishlist.c.item_id)
    .where(_wishlist.c.customer_pk == bindparam("customer_pk"))
    .order_by(_wishlist.c.added_at, _wishlist.c.item_id)
)
_NEWEST_FIRST = (_carts.c.updated_at.desc(), _carts.c.pk.desc())
_CUSTOMER_CART = (
    select(_carts.c.pk)
    .where(_carts.c.customer_pk == bindparam("customer_pk"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
    .scalar_subquery()
)
_GUEST_CART = (
    select(_carts.c.pk)
    .where(_carts.c.session_key == bindparam("cart_key"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
    .scalar_subquery()
)
# The customer's cart wins over the guest cart (as `customers.get_cart`); a cart without lines
# is one row with no item.
_CART = (
    select(_carts.c.currency, _cart_lines.c.item_id, _cart_lines.c.quantity)
    .select_from(
        _carts.outerjoin(
            _cart_lines,
            (_cart_lines.c.cart_pk == _carts.c.pk) & (_cart_lines.c.quantity > 0),
        )
    )
    .where(_carts.c.pk == func.coalesce(_CUSTOMER_CART, _GUEST_CART))
    .order_by(_cart_lines.c.position, _cart_lines.c.item_id)
)


def customer_view(
    session: Session, token: str | None, languages: Sequence[str]
) -> domain.CustomerView:
    """The customer, wishlist and cart of the shop session with this cookie token."""
    found = session_customer(session, token)
    if found is None:
        return domain.CustomerView()
    token_hash, row = found
    customer = None
    wished: Sequence[str] = ()
    if row.customer_pk is not None:
        customer = domain.Customer(
            id=row.external_id, first_name=row.first_name, last_name=row.last_name, email=row.email
        )
        wished = session.scalars(_WISHLIST, {"customer_pk": row.customer_pk}).all()
    cart_rows = session.execute(
        _CART, {"customer_pk": row.customer_pk, "cart_key": token_hash}
    ).all()
    lines = [(item, quantity) for _, item, quantity in cart_rows if item is not None]
    products = {
        product.id: product
        for product in get_products(session, [*wished, *(item for item, _ in lines)], languages)
    }
    cart = (
        domain.charged_cart(
            [(products[item], quantity) for item, quantity in lines if item in products],
            cart_rows[0].currency,
        )
        if cart_rows
        else domain.Cart()
    )
    wishlist = tuple(products[item] for item in wished if item in products)
    return domain.CustomerView(customer, wishlist, cart)
