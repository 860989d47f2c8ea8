"""The shop's order book: orders, their lines and comments, and the labels of their states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import EXTERNAL_ID, Base, exact, language_key, owner_key

__all__ = ["OrderStateLabel", "Order", "OrderLine", "OrderComment"]


class OrderStateLabel(Base):
    __tablename__ = "order_state_labels"

    state: Mapped[str] = mapped_column(exact(64), primary_key=True)
    language: Mapped[str] = language_key()
    label: Mapped[str] = mapped_column(String(200))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_placed", "customer_pk", "placed_at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.pk", ondelete="CASCADE"))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(64))
    delivery_date: Mapped[datetime | None] = mapped_column(DateTime)
    carrier: Mapped[str] = mapped_column(String(200), default="")
    tracking_number: Mapped[str] = mapped_column(String(200), default="")
    tracking_url: Mapped[str] = mapped_column(String(2000), default="")


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_pk: Mapped[int] = owner_key("orders")
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_external_id: Mapped[str | None] = mapped_column(exact(EXTERNAL_ID))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)


class OrderComment(Base):
    __tablename__ = "order_comments"

    order_pk: Mapped[int] = owner_key("orders")
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    from_customer: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
