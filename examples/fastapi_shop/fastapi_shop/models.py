"""The shop's own tables (SQLAlchemy): catalog, customers, carts, wishlists and orders.

Money is kept in minor units (cents) as integers: exact on every database, SQLite included.
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


class Base(DeclarativeBase):
    """The shop's tables, apart from the adapter's."""


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    brand: Mapped[str] = mapped_column(String(80))
    color: Mapped[str] = mapped_column(String(20))
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category] = relationship()
    texts: Mapped[list[ProductText]] = relationship(cascade="all, delete-orphan")
    prices: Mapped[list[ProductPrice]] = relationship(cascade="all, delete-orphan")


class ProductText(Base):
    __tablename__ = "product_texts"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(default="")


class ProductPrice(Base):
    __tablename__ = "product_prices"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount_cents: Mapped[int]
    previous_cents: Mapped[int | None]


class RelatedProduct(Base):
    """`related_id` is related to `product_id`; `position` orders them, best first."""

    __tablename__ = "related_products"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    position: Mapped[int]


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))


class Cart(Base):
    """A customer's cart, or a guest's, keyed by a random key kept in the visitor's session."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), unique=True)
    guest_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    discount_cents: Mapped[int] = mapped_column(default=0)

    lines: Mapped[list[CartLine]] = relationship(
        cascade="all, delete-orphan", order_by="CartLine.id"
    )


class CartLine(Base):
    __tablename__ = "cart_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]

    product: Mapped[Product] = relationship()


class WishlistItem(Base):
    __tablename__ = "wishlist_items"
    __table_args__ = (UniqueConstraint("customer_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))

    product: Mapped[Product] = relationship()


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    #: Naive UTC.
    placed_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None]
    carrier: Mapped[str] = mapped_column(default="")
    tracking_number: Mapped[str] = mapped_column(default="")
    customer_comment: Mapped[str] = mapped_column(default="")

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]

    product: Mapped[Product | None] = relationship()


def amount(cents: int) -> Decimal:
    """Minor units as a Decimal amount: 12900 -> Decimal('129.00')."""
    return Decimal(cents).scaleb(-2)


def instance_dir() -> Path:
    """Where this run keeps its SQLite files (run.sh makes it; the default is ./instance)."""
    default = Path(__file__).resolve().parent.parent / "instance"
    return Path(os.environ.get("SHOP_INSTANCE_DIR") or default)


def shop_sessions() -> sessionmaker[Any]:
    """Sessions over the shop's own SQLite file."""
    engine = create_engine(f"sqlite:///{instance_dir() / 'shop.sqlite3'}")
    return sessionmaker(engine, expire_on_commit=False)
