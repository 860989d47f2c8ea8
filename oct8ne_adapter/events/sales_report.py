"""What oct8ne reads back from recorded events: getSalesReport rows and the visitor's recorded cart.

getSalesReport lists the carts and orders tagged with an `oct8ne-session` (visitors oct8ne
saw) that changed in a period: one row per cart, carrying its order once it was placed (the
amounts are then the order's), and one row per order placed without a recorded cart.
`lastAction` is "C" when the row was created in the period and "U" when it was created before
and updated in it, so that a caller polling period after period can tell new rows from changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.catalog import from_minor_units
from oct8ne_adapter.sql.models import RecordedCart, RecordedOrder

#: At most this many rows per call: a report of a busy shop's quarter stays bounded.
MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class SalesRow:
    """One getSalesReport row."""

    quote_id: str | None
    order_id: str | None
    session_id: str
    customer_id: str | None
    price: Decimal
    final_price: Decimal
    currency: str
    products_count: int
    items_count: int
    created_at: datetime
    updated_at: datetime
    created_in_period: bool


@dataclass(frozen=True, slots=True)
class RecordedCartLine:
    """A product in a recorded cart, as the shop described it."""

    product_id: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class RecordedCartView:
    """The latest recorded snapshot of a visitor's cart."""

    cart_id: str
    currency: str
    subtotal: Decimal
    total: Decimal
    lines: tuple[RecordedCartLine, ...]


def _order_row(order: RecordedOrder, cart: RecordedCart | None, start: datetime) -> SalesRow:
    created = min(order.placed_at, cart.created_at) if cart else order.placed_at
    updated = max(order.updated_at, cart.updated_at) if cart else order.updated_at
    session_id = order.oct8ne_session or (cart.oct8ne_session if cart else None) or ""
    return SalesRow(
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


def _cart_row(cart: RecordedCart, start: datetime) -> SalesRow:
    return SalesRow(
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


def sales_report(
    session: Session, start: datetime, end: datetime, limit: int = MAX_ROWS
) -> list[SalesRow]:
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
    orders_by_id = {order.order_id: order for order in orders}
    missing_orders = order_ids - orders_by_id.keys()
    if missing_orders:
        orders_by_id.update(
            (order.order_id, order)
            for order in session.scalars(
                select(RecordedOrder).where(RecordedOrder.order_id.in_(missing_orders))
            )
        )
    carts_by_id = {cart.cart_id: cart for cart in carts}
    missing_carts = cart_ids - carts_by_id.keys()
    if missing_carts:
        carts_by_id.update(
            (cart.cart_id, cart)
            for cart in session.scalars(
                select(RecordedCart).where(RecordedCart.cart_id.in_(missing_carts))
            )
        )
    rows: dict[tuple[str, str], SalesRow] = {}
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


def recorded_cart(
    session: Session, *, customer_id: str | None, oct8ne_session: str | None
) -> RecordedCartView | None:
    """The newest recorded cart, not yet ordered, of this customer or oct8ne session."""
    owners = []
    if customer_id:
        owners.append(RecordedCart.customer_id == customer_id)
    if oct8ne_session:
        owners.append(RecordedCart.oct8ne_session == oct8ne_session)
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
    return RecordedCartView(
        cart_id=cart.cart_id,
        currency=cart.currency,
        subtotal=from_minor_units(cart.subtotal_minor, cart.currency),
        total=from_minor_units(cart.total_minor, cart.currency),
        lines=tuple(
            RecordedCartLine(
                product_id=str(line["id"]),
                name=str(line["name"]),
                quantity=int(line["quantity"]),
                unit_price=Decimal(str(line["unit_price"])),
            )
            for line in json.loads(cart.lines)
        ),
    )
