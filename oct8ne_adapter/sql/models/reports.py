"""Carts and orders recorded through commerce events, read by getCart and getSalesReport."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import EVENT_ID, Base, exact

__all__ = ["RecordedCart", "RecordedOrder"]


class RecordedCart(Base):
    """The latest snapshot of a cart recorded through commerce events (getCart, getSalesReport)."""

    __tablename__ = "recorded_carts"

    cart_id: Mapped[str] = mapped_column(exact(EVENT_ID), primary_key=True)
    oct8ne_session: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    customer_id: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    #: SHA-256 of the shop's session or cart key: the one shop session an anonymous cart is
    #: answered to (oct8ne_session only links rows for the sales report, never an identity).
    shop_session_hash: Mapped[str | None] = mapped_column(exact(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    products_count: Mapped[int] = mapped_column(Integer)
    items_count: Mapped[int] = mapped_column(Integer)
    #: The lines as JSON: [{"id", "name", "quantity", "unit_price"}].
    lines: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RecordedOrder(Base):
    """An order recorded through commerce events, with its latest status (getSalesReport)."""

    __tablename__ = "recorded_orders"

    order_id: Mapped[str] = mapped_column(exact(EVENT_ID), primary_key=True)
    cart_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    oct8ne_session: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    customer_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    products_count: Mapped[int] = mapped_column(Integer)
    items_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)
