"""Customers and what a visitor keeps between requests: sessions, carts and wishlists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import EXTERNAL_ID, Base, ShopKeyed, exact, owner_key

__all__ = ["Customer", "ShopSession", "Cart", "CartLine", "WishlistItem"]


class Customer(ShopKeyed, Base):
    __tablename__ = "customers"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")


class ShopSession(Base):
    """A shop visitor's session; only a SHA-256 of the cookie value is stored."""

    __tablename__ = "shop_sessions"

    token_hash: Mapped[str] = mapped_column(exact(64), primary_key=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.pk", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class Cart(Base):
    """A cart owned by a customer, or by a guest session key until the guest signs in."""

    __tablename__ = "carts"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_pk: Mapped[int | None] = mapped_column(
        ForeignKey("customers.pk", ondelete="CASCADE"), index=True
    )
    session_key: Mapped[str | None] = mapped_column(exact(128), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class NamedItem:
    """The columns of an item a visitor keeps: the id the shop named, its product and variant."""

    item_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), primary_key=True)
    product_pk: Mapped[int] = mapped_column(ForeignKey("products.pk", ondelete="CASCADE"))
    variant_pk: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.pk", ondelete="CASCADE")
    )


class CartLine(NamedItem, Base):
    """A product or one of its variants in a cart, under the id the shop named (`item_id`)."""

    __tablename__ = "cart_lines"

    cart_pk: Mapped[int] = owner_key("carts")
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class WishlistItem(NamedItem, Base):
    """A product or one of its variants in a wishlist, under the id the shop named."""

    __tablename__ = "wishlist_items"

    customer_pk: Mapped[int] = owner_key("customers")
    added_at: Mapped[datetime] = mapped_column(DateTime)
