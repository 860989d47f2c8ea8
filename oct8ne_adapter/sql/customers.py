"""Customers, carts and wishlists in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import domain
from .catalog import load_product_map, load_products_by_pk
from .models import Cart, CartLine, Customer, Product, WishlistItem


def get_customer(session: Session, customer_id: str) -> domain.Customer | None:
    """The customer with this shop id."""
    row = session.scalars(select(Customer).where(Customer.external_id == customer_id)).one_or_none()
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
    cart: Cart | None = None
    if visitor.customer_id is not None:
        customer_pk = _customer_pk(session, visitor.customer_id)
        if customer_pk is not None:
            cart = session.scalars(
                select(Cart)
                .where(Cart.customer_pk == customer_pk)
                .order_by(Cart.updated_at.desc(), Cart.pk.desc())
                .limit(1)
            ).first()
    if cart is None and visitor.cart_key:
        cart = session.scalars(
            select(Cart)
            .where(Cart.session_key == visitor.cart_key)
            .order_by(Cart.updated_at.desc(), Cart.pk.desc())
            .limit(1)
        ).first()
    if cart is None:
        return domain.Cart()
    lines = session.execute(
        select(CartLine.product_pk, CartLine.quantity)
        .where(CartLine.cart_pk == cart.pk, CartLine.quantity > 0)
        .order_by(CartLine.position, CartLine.product_pk)
    ).all()
    products = load_product_map(session, [pk for pk, _ in lines], languages)
    return domain.Cart(
        lines=tuple(
            domain.CartLine(product=products[pk], quantity=quantity)
            for pk, quantity in lines
            if pk in products
        ),
        currency=cart.currency,
    )


def get_wishlist(
    session: Session, customer_id: str, languages: Sequence[str]
) -> list[domain.Product]:
    """The customer's wishlist, oldest first."""
    pks = session.scalars(
        select(WishlistItem.product_pk)
        .join(Customer, Customer.pk == WishlistItem.customer_pk)
        .where(Customer.external_id == customer_id)
        .order_by(WishlistItem.added_at, WishlistItem.product_pk)
    ).all()
    return load_products_by_pk(session, pks, languages)


def add_to_wishlist(session: Session, customer_id: str, product_ids: Sequence[str]) -> int:
    """Add known, active products not yet in the wishlist; returns how many were added."""
    customer_pk = _customer_pk(session, customer_id)
    if customer_pk is None or not product_ids:
        return 0
    known = session.execute(
        select(Product.external_id, Product.pk).where(
            Product.external_id.in_(product_ids), Product.active.is_(True)
        )
    ).all()
    present = set(
        session.scalars(
            select(WishlistItem.product_pk).where(WishlistItem.customer_pk == customer_pk)
        ).all()
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    added = 0
    for _, product_pk in known:
        if product_pk in present:
            continue
        try:
            # A concurrent request may add the same product: the primary key refuses the copy.
            with session.begin_nested():
                session.add(
                    WishlistItem(customer_pk=customer_pk, product_pk=product_pk, added_at=now)
                )
            added += 1
        except IntegrityError:
            continue
        present.add(product_pk)
    return added
