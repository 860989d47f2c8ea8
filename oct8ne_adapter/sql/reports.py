"""SqlReports: recorded carts and the getSalesReport rows, read from the commerce-event tables.

getSalesReport lists the carts and orders tagged with an `oct8ne-session` (visitors oct8ne
saw) that changed in a period: one row per cart, carrying its order once it was placed (the
amounts are then the order's), and one row per order placed without a recorded cart.
`lastAction` is "C" when the row was created in the period and "U" when it was created before
and updated in it, so that a caller polling period after period can tell new rows from changes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.localized import from_minor_units
from oct8ne_adapter.sql.models import RecordedCart, RecordedOrder
from oct8ne_adapter.sql.sessions import hash_token

#: At most this many rows per call: a report of a busy shop's quarter stays bounded.
MAX_ROWS = 10_000

Recorded = TypeVar("Recorded", RecordedCart, RecordedOrder)


class SqlReports:
    """The ReportRepository over the adapter's SQL database; one session per call."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def recorded_cart(self, visitor: domain.Visitor) -> domain.RecordedCart | None:
        """The newest recorded cart, not yet ordered, that this visitor owns."""
        with self.database.session() as session:
            return recorded_cart(session, visitor)

    def sales_report(self, start: datetime, end: datetime) -> list[domain.SalesReportRow]:
        """Rows for carts and orders of oct8ne visitors changed in [start, end) (naive UTC)."""
        with self.database.session() as session:
            return sales_report(session, start, end)


def _order_row(
    order: RecordedOrder, cart: RecordedCart | None, start: datetime
) -> domain.SalesReportRow:
    created = min(order.placed_at, cart.created_at) if cart else order.placed_at
    updated = max(order.updated_at, cart.updated_at) if cart else order.updated_at
    session_id = order.oct8ne_session or (cart.oct8ne_session if cart else None) or ""
    return domain.SalesReportRow(
        quote_id=cart.cart_id if cart else order.cart_id,
        order_id=order.order_id,
        session_id=session_id,
        customer_id=order.customer_id or (cart.customer_id if cart else None),
        price=from_minor_units(order.subtotal_minor, order.currency),
        final_price=from_minor_units(order.total_minor, order.currency),
        currency=order.currency,
        products_count=order.products_count,
        items_count=order.items_count,
        created_at=created,
        updated_at=updated,
        created_in_period=created >= start,
    )


def _cart_row(cart: RecordedCart, start: datetime) -> domain.SalesReportRow:
    return domain.SalesReportRow(
        quote_id=cart.cart_id,
        order_id=None,
        session_id=cart.oct8ne_session or "",
        customer_id=cart.customer_id,
        price=from_minor_units(cart.subtotal_minor, cart.currency),
        final_price=from_minor_units(cart.total_minor, cart.currency),
        currency=cart.currency,
        products_count=cart.products_count,
        items_count=cart.items_count,
        created_at=cart.created_at,
        updated_at=cart.updated_at,
        created_in_period=cart.created_at >= start,
    )


def _completed(
    session: Session,
    model: type[Recorded],
    key: str,
    found: Sequence[Recorded],
    wanted: Collection[str],
) -> dict[str, Recorded]:
    """`found` by `key`, with the `wanted` keys it lacks loaded too (changed outside the period)."""
    by_key = {getattr(item, key): item for item in found}
    missing = set(wanted) - by_key.keys()
    if missing:
        column = getattr(model, key)
        loaded = session.scalars(select(model).where(column.in_(missing)))
        by_key.update((getattr(item, key), item) for item in loaded)
    return by_key


def sales_report(
    session: Session, start: datetime, end: datetime, limit: int = MAX_ROWS
) -> list[domain.SalesReportRow]:
    """Rows for carts and orders of oct8ne visitors changed in [start, end) (naive UTC)."""
    carts = session.scalars(
        select(RecordedCart)
        .where(
            RecordedCart.updated_at >= start,
            RecordedCart.updated_at < end,
            RecordedCart.oct8ne_session.is_not(None),
        )
        .order_by(RecordedCart.updated_at, RecordedCart.cart_id)
        .limit(limit)
    ).all()
    orders = session.scalars(
        select(RecordedOrder)
        .where(RecordedOrder.updated_at >= start, RecordedOrder.updated_at < end)
        .order_by(RecordedOrder.updated_at, RecordedOrder.order_id)
        .limit(limit)
    ).all()
    # A cart's order and an order's cart, changed in the period or not, make one row.
    order_ids = {cart.order_id for cart in carts if cart.order_id}
    cart_ids = {order.cart_id for order in orders if order.cart_id}
    orders_by_id = _completed(session, RecordedOrder, "order_id", orders, order_ids)
    carts_by_id = _completed(session, RecordedCart, "cart_id", carts, cart_ids)
    rows: dict[tuple[str, str], domain.SalesReportRow] = {}
    for cart in carts:
        order = orders_by_id.get(cart.order_id) if cart.order_id else None
        row = _order_row(order, cart, start) if order else _cart_row(cart, start)
        if row.session_id:
            rows[("cart", cart.cart_id)] = row
    for order in orders:
        its_cart = carts_by_id.get(order.cart_id) if order.cart_id else None
        if its_cart is not None and ("cart", its_cart.cart_id) in rows:
            continue
        row = _order_row(order, its_cart, start)
        if row.session_id:
            key = ("cart", its_cart.cart_id) if its_cart else ("order", order.order_id)
            rows[key] = row
    ordered = sorted(
        rows.values(), key=lambda row: (row.updated_at, row.quote_id or "", row.order_id or "")
    )
    return ordered[:limit]


def recorded_cart(session: Session, visitor: domain.Visitor) -> domain.RecordedCart | None:
    """The newest recorded cart, not yet ordered, that this visitor owns.

    A customer's cart goes to a session signed in as that customer; an anonymous cart to the
    shop session that recorded it (its key's hash). The oct8ne session plays no part.
    """
    owners = []
    if visitor.customer_id:
        owners.append(RecordedCart.customer_id == visitor.customer_id)
    if visitor.cart_key:
        owners.append(
            and_(
                RecordedCart.customer_id.is_(None),
                RecordedCart.shop_session_hash == hash_token(visitor.cart_key),
            )
        )
    if not owners:
        return None
    cart = session.scalars(
        select(RecordedCart)
        .where(or_(*owners), RecordedCart.order_id.is_(None))
        .order_by(RecordedCart.updated_at.desc(), RecordedCart.cart_id)
        .limit(1)
    ).first()
    if cart is None:
        return None
    return domain.RecordedCart(
        cart_id=cart.cart_id,
        currency=cart.currency,
        subtotal=from_minor_units(cart.subtotal_minor, cart.currency),
        total=from_minor_units(cart.total_minor, cart.currency),
        lines=tuple(
            domain.RecordedCartLine(
                product_id=str(line["id"]),
                name=str(line["name"]),
                quantity=int(line["quantity"]),
                unit_price=Decimal(str(line["unit_price"])),
            )
            for line in json.loads(cart.lines)
        ),
    )
