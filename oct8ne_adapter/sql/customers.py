"""Customers, carts and wishlists in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.catalog import get_products
from oct8ne_adapter.sql.models import Customer, Product, WishlistItem
from oct8ne_adapter.sql.tables import (
    cart_lines as _cart_lines,
    carts as _carts,
    customers as _customers,
    wishlist_items as _wishlist,
)
from oct8ne_adapter.sql.variants import variant_keys

# customerData runs all of these on every call: statements built once (see catalog.py).
_CUSTOMER = select(
    _customers.c.external_id,
    _customers.c.first_name,
    _customers.c.last_name,
    _customers.c.email,
).where(_customers.c.external_id == bindparam("customer_id"))
_NEWEST_FIRST = (_carts.c.updated_at.desc(), _carts.c.pk.desc())
_CUSTOMER_CART = (
    select(_carts.c.pk, _carts.c.currency)
    .join(_customers, _customers.c.pk == _carts.c.customer_pk)
    .where(_customers.c.external_id == bindparam("customer_id"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)
_GUEST_CART = (
    select(_carts.c.pk, _carts.c.currency)
    .where(_carts.c.session_key == bindparam("cart_key"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)
# Lines name the shop's id, a product's or a variant's: read back through get_products.
_CART_LINES = (
    select(_cart_lines.c.item_id, _cart_lines.c.quantity)
    .where(_cart_lines.c.cart_pk == bindparam("cart_pk"), _cart_lines.c.quantity > 0)
    .order_by(_cart_lines.c.position, _cart_lines.c.item_id)
)
_WISHLIST = (
    select(_wishlist.c.item_id)
    .join(_customers, _customers.c.pk == _wishlist.c.customer_pk)
    .where(_customers.c.external_id == bindparam("customer_id"))
    .order_by(_wishlist.c.added_at, _wishlist.c.item_id)
)


def get_customer(session: Session, customer_id: str) -> domain.Customer | None:
    """The customer with this shop id."""
    row = session.execute(_CUSTOMER, {"customer_id": customer_id}).one_or_none()
    if row is None:
        return None
    return domain.Customer(
        id=row.external_id, first_name=row.first_name, last_name=row.last_name, email=row.email
    )


def _customer_pk(session: Session, customer_id: str) -> int | None:
    return session.scalars(
        select(Customer.pk).where(Customer.external_id == customer_id)
    ).one_or_none()


def get_cart(session: Session, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
    """The signed-in customer's latest cart, else the guest cart of the session key."""
    cart = None
    if visitor.customer_id is not None:
        cart = session.execute(_CUSTOMER_CART, {"customer_id": visitor.customer_id}).first()
    if cart is None and visitor.cart_key:
        cart = session.execute(_GUEST_CART, {"cart_key": visitor.cart_key}).first()
    if cart is None:
        return domain.Cart()
    lines = session.execute(_CART_LINES, {"cart_pk": cart.pk}).all()
    products = {
        product.id: product
        for product in get_products(session, [item_id for item_id, _ in lines], languages)
    }
    # Our carts table keeps no cart-level discount: the lines at the catalog prices are the
    # subtotal and the total.
    return domain.charged_cart(
        [(products[item_id], quantity) for item_id, quantity in lines if item_id in products],
        cart.currency,
    )


def get_wishlist(
    session: Session, customer_id: str, languages: Sequence[str]
) -> list[domain.Product]:
    """The customer's wishlist, oldest first."""
    return get_products(
        session, session.scalars(_WISHLIST, {"customer_id": customer_id}).all(), languages
    )


def item_keys(session: Session, item_ids: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """(product pk, variant pk or None) of the ids naming an active product or a variant of one."""
    found: dict[str, tuple[int, int | None]] = {
        external: (pk, None)
        for external, pk in session.execute(
            select(Product.external_id, Product.pk).where(
                Product.external_id.in_(item_ids), Product.active.is_(True)
            )
        )
    }
    rest = [item_id for item_id in item_ids if item_id not in found]
    for item_id, keys in variant_keys(session, rest).items():
        found[item_id] = (keys.product_pk, keys.variant_pk)
    return found


def add_to_wishlist(session: Session, customer_id: str, product_ids: Sequence[str]) -> int:
    """Add known, active products (or variants) not yet in the wishlist; returns how many."""
    customer_pk = _customer_pk(session, customer_id)
    if customer_pk is None or not product_ids:
        return 0
    known = item_keys(session, list(dict.fromkeys(product_ids)))
    present = set(
        session.scalars(
            select(WishlistItem.item_id).where(WishlistItem.customer_pk == customer_pk)
        ).all()
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    added = 0
    for item_id, (product_pk, variant_pk) in known.items():
        if item_id in present:
            continue
        try:
            # A concurrent request may add the same item: the primary key refuses the copy.
            with session.begin_nested():
                session.add(
                    WishlistItem(
                        customer_pk=customer_pk,
                        item_id=item_id,
                        product_pk=product_pk,
                        variant_pk=variant_pk,
                        added_at=now,
                    )
                )
            added += 1
        except IntegrityError:
            continue
        present.add(item_id)
    return added
