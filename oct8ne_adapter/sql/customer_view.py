"""customerData's reads for a shop-session cookie: one prebuilt statement.

A union of the session and its customer, the wishlist's ids, and the cart with its lines (the
customer's newest cart, else the guest cart of the session), all found by the token's hash. The
products of both lists are then read in one call, from the product cache when they are in it
(no SQL). Nothing is kept between calls: every answer reads the rows as they are now, so a cart
or wishlist written by any process, or a session signed out, shows at the next call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)

from oct8ne_adapter import domain
from oct8ne_adapter.sql.sessions import cookie_hash, expired
from oct8ne_adapter.sql.tables import (
    cart_lines as _cart_lines,
    carts as _carts,
    customers as _customers,
    shop_sessions as _sessions,
    wishlist_items as _wishlist,
)

_TOKEN: BindParameter[str] = bindparam("token_hash")
_SESSION, _WISHED, _IN_CART = 0, 1, 2


#: The union's columns, each with the column whose type it has; a branch fills its own and
#: leaves the others NULL: of that type where it is no text (PostgreSQL types an untyped NULL
#: as text), untyped where it is (MariaDB refuses a cast text's collation in a union).
_COLUMNS = {
    "expires_at": _sessions.c.expires_at,
    "customer_pk": _customers.c.pk,
    "external_id": _customers.c.external_id,
    "first_name": _customers.c.first_name,
    "last_name": _customers.c.last_name,
    "email": _customers.c.email,
    "item": _cart_lines.c.item_id,
    "quantity": _cart_lines.c.quantity,
    "currency": _carts.c.currency,
    "added_at": _wishlist.c.added_at,
    "line_position": _cart_lines.c.position,
}


def _null(typed: ColumnElement[Any]) -> ColumnElement[Any]:
    return null() if isinstance(typed.type, String) else cast(null(), typed.type)


def _row(kind: int, **columns: Any) -> list[Any]:
    """One branch's columns, in the union's order and under its names."""
    return [
        literal_column(str(kind)).label("kind"),
        *(columns.get(name, _null(typed)).label(name) for name, typed in _COLUMNS.items()),
    ]


_SESSION_ROW = (
    select(
        *_row(
            _SESSION,
            expires_at=_sessions.c.expires_at,
            customer_pk=_customers.c.pk,
            external_id=_customers.c.external_id,
            first_name=_customers.c.first_name,
            last_name=_customers.c.last_name,
            email=_customers.c.email,
        )
    )
    .select_from(_sessions.outerjoin(_customers, _customers.c.pk == _sessions.c.customer_pk))
    .where(_sessions.c.token_hash == _TOKEN)
)
_WISHED_ROWS = (
    select(*_row(_WISHED, item=_wishlist.c.item_id, added_at=_wishlist.c.added_at))
    .select_from(_wishlist.join(_sessions, _sessions.c.customer_pk == _wishlist.c.customer_pk))
    .where(_sessions.c.token_hash == _TOKEN)
)
_NEWEST_FIRST = (_carts.c.updated_at.desc(), _carts.c.pk.desc())
_CUSTOMER_CART = (
    select(_carts.c.pk)
    .select_from(_carts.join(_sessions, _sessions.c.customer_pk == _carts.c.customer_pk))
    .where(_sessions.c.token_hash == _TOKEN)
    .order_by(*_NEWEST_FIRST)
    .limit(1)
    .scalar_subquery()
)
_GUEST_CART = (
    select(_carts.c.pk)
    .where(_carts.c.session_key == _TOKEN)
    .order_by(*_NEWEST_FIRST)
    .limit(1)
    .scalar_subquery()
)
# The customer's cart wins over the guest cart (as `customers.get_cart`); a cart without lines
# is one row with no item.
_CART_ROWS = (
    select(
        *_row(
            _IN_CART,
            item=_cart_lines.c.item_id,
            quantity=_cart_lines.c.quantity,
            currency=_carts.c.currency,
            line_position=_cart_lines.c.position,
        )
    )
    .select_from(
        _carts.outerjoin(
            _cart_lines,
            (_cart_lines.c.cart_pk == _carts.c.pk) & (_cart_lines.c.quantity > 0),
        )
    )
    .where(_carts.c.pk == func.coalesce(_CUSTOMER_CART, _GUEST_CART))
)
# One statement, one round trip: each statement costs more in the driver and SQLAlchemy than
# the database takes to answer it. Rows of an expired session are read and dropped.
_VISITOR = union_all(_SESSION_ROW, _WISHED_ROWS, _CART_ROWS).order_by(
    *(literal_column(name) for name in ("kind", "added_at", "line_position", "item"))
)

#: Products for shop ids in one call (`SqlRepository.get_products`: the cache first).
ProductReader = Callable[[Sequence[str], Sequence[str]], list[domain.Product]]


@dataclass(frozen=True, slots=True)
class VisitorRows:
    """What the database says of a shop session: its customer, wishlist ids and cart lines."""

    customer: domain.Customer | None = None
    wished: tuple[str, ...] = ()
    #: The cart's currency; None when the visitor has no cart.
    currency: str | None = None
    lines: tuple[tuple[str, int], ...] = ()


def visitor_rows(connection: Connection, token: str | None) -> VisitorRows:
    """The rows of the shop session with this cookie token (none for an unknown or expired one)."""
    token_hash = cookie_hash(token)
    if token_hash is None:
        return VisitorRows()
    rows = connection.execute(_VISITOR, {"token_hash": token_hash}).all()
    if not rows or rows[0].kind != _SESSION or expired(rows[0].expires_at):
        return VisitorRows()
    head = rows[0]
    customer = None
    if head.customer_pk is not None:
        customer = domain.Customer(
            id=head.external_id,
            first_name=head.first_name,
            last_name=head.last_name,
            email=head.email,
        )
    cart = [row for row in rows if row.kind == _IN_CART]
    return VisitorRows(
        customer,
        tuple(row.item for row in rows if row.kind == _WISHED),
        cart[0].currency if cart else None,
        tuple((row.item, row.quantity) for row in cart if row.item is not None),
    )


def customer_view(
    rows: VisitorRows, languages: Sequence[str], read: ProductReader
) -> domain.CustomerView:
    """The customer, wishlist and cart of these rows, with their products (one read)."""
    wanted = [*rows.wished, *(item for item, _ in rows.lines)]
    products = {product.id: product for product in read(wanted, languages)} if wanted else {}
    cart = (
        domain.Cart()
        if rows.currency is None
        else domain.charged_cart(
            [(products[item], quantity) for item, quantity in rows.lines if item in products],
            rows.currency,
        )
    )
    wishlist = tuple(products[item] for item in rows.wished if item in products)
    return domain.CustomerView(rows.customer, wishlist, cart)
