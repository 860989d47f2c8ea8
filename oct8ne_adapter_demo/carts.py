"""The demo's cart writes: a product (or variant) added to the visitor's cart.

The cart is the one the adapter reads back (`sql.customers.get_cart`): the signed-in customer's
newest cart, else the guest cart keyed by the SHA-256 of the shop session (`carts.session_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.sql.customers import item_keys
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import Cart, CartLine, Customer
from oct8ne_adapter.sql.sessions import create_session

#: Most of one item a cart line holds: a quantity past it is capped, not refused.
MAX_LINE_QUANTITY = 99


@dataclass(frozen=True, slots=True)
class Added:
    """What an add did: the line's new quantity and the cart's number of items."""

    quantity: int
    cart_items: int


def start_guest_session(database: Database) -> str:
    """A new shop session for a visitor who is not signed in; returns its cookie token."""
    with database.transaction() as session:
        return create_session(session, None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _visitor_cart(session: Session, visitor: Visitor, currency: str) -> Cart | None:
    """The cart get_cart would read for this visitor, made if there is none; None: no owner."""
    newest = (Cart.updated_at.desc(), Cart.pk.desc())
    customer_pk = None
    if visitor.customer_id is not None:
        customer_pk = session.scalar(
            select(Customer.pk).where(Customer.external_id == visitor.customer_id)
        )
        if customer_pk is None:
            return None
        cart = session.scalars(
            select(Cart).where(Cart.customer_pk == customer_pk).order_by(*newest).limit(1)
        ).first()
    elif visitor.cart_key:
        cart = session.scalars(
            select(Cart).where(Cart.session_key == visitor.cart_key).order_by(*newest).limit(1)
        ).first()
    else:
        return None
    if cart is None:
        cart = Cart(
            customer_pk=customer_pk,
            session_key=None if customer_pk else visitor.cart_key,
            currency=currency,
            updated_at=_now(),
        )
        session.add(cart)
        session.flush()
    return cart


def add_to_cart(
    database: Database, visitor: Visitor, item_id: str, quantity: int, currency: str
) -> Added | None:
    """Add `quantity` of an active product or variant; None if the id or the visitor is unknown."""
    with database.transaction() as session:
        keys = item_keys(session, [item_id]).get(item_id)
        cart = _visitor_cart(session, visitor, currency) if keys else None
        if keys is None or cart is None:
            return None
        product_pk, variant_pk = keys
        line = session.get(CartLine, {"cart_pk": cart.pk, "item_id": item_id})
        if line is None:
            position = session.scalar(
                select(func.coalesce(func.max(CartLine.position), -1)).where(
                    CartLine.cart_pk == cart.pk
                )
            )
            line = CartLine(
                cart_pk=cart.pk,
                item_id=item_id,
                product_pk=product_pk,
                variant_pk=variant_pk,
                quantity=0,
                position=int(position or 0) + 1,
            )
            try:
                # A concurrent add of the same item may insert it first: add to that line.
                with session.begin_nested():
                    session.add(line)
            except IntegrityError:
                line = session.get(CartLine, {"cart_pk": cart.pk, "item_id": item_id})
                if line is None:
                    return None
        line.quantity = min(line.quantity + quantity, MAX_LINE_QUANTITY)
        cart.updated_at = _now()
        session.flush()
        items = session.scalar(
            select(func.coalesce(func.sum(CartLine.quantity), 0)).where(
                CartLine.cart_pk == cart.pk, CartLine.quantity > 0
            )
        )
        return Added(quantity=line.quantity, cart_items=int(items or 0))
