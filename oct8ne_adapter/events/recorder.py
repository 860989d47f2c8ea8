"""Recording commerce events: the adapter's own records and the outbox, in one transaction.

Three ways in, one format (`events.model`):

- Python, in a Flask shop where `Oct8neAdapter` is registered::

      from oct8ne_adapter import record_event
      record_event(CartUpdated(...))        # True, or False for a duplicate

  or `Oct8neAdapter.record_event(event)` / `adapter_state(app).events.record(event)` (from
  `oct8ne_adapter.web.state`; outside a request too). During a visitor's request the visitor
  ids the event lacks are read from the `oct8ne-visitor-ids` cookie and oct8ne's
  `oct8ne-session`/`oct8ne-visitor` cookies
  (see `events.visitor_ids`); pass `visitor_cookie=` with the raw cookie value from elsewhere.
- HTTP, for shop backends: `POST /oct8ne/events/<kind>` (see `events.http_api`).
- Inside your own SQLAlchemy transaction: `record(session, event, sinks)`.

Each event becomes one `event_outbox` row and one `event_deliveries` row per configured sink
(`OCT8NE_EVENT_SINKS`), written with `recorded_carts`/`recorded_orders` (which getCart and
getSalesReport read) in the same transaction: either all of it is stored or nothing. The relay
worker (`oct8ne-adapter relay-worker`) delivers the rows.

Duplicates are recorded once: the same order id placed twice, the same cart snapshot (same
cart, time and contents) twice, or a status change to the status the order already has. Two
concurrent recordings of the same event can race past the check; the unique key then fails the
second transaction with IntegrityError, which `EventRecorder.record` turns into False.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from babel.numbers import get_currency_precision
from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oct8ne_adapter.events import codec
from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventLine,
    OrderPlaced,
    OrderStatusChanged,
)
from oct8ne_adapter.events.visitor_ids import parse_cookie, with_visitor_ids
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import RecordedCart, RecordedOrder
from oct8ne_adapter.sql.sessions import hash_token
from oct8ne_adapter.sql.tables import event_deliveries as _deliveries, event_outbox as _outbox

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
STATES = (PENDING, DELIVERED, DEAD)


def utc_naive(moment: datetime) -> datetime:
    """A time as the database stores it: UTC without tzinfo (naive values are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def utcnow() -> datetime:
    """Now, as the database stores times."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount in the currency's minor units, rounded half up (12.345 EUR -> 1235)."""
    return int(amount.scaleb(get_currency_precision(currency)).quantize(1, ROUND_HALF_UP))


def subject_of(event: CommerceEvent) -> str:
    """The cart or order the event is about."""
    return event.cart_id if isinstance(event, CartUpdated) else event.order_id


def ordering_key(event: CommerceEvent) -> str:
    """Deliveries with the same key reach a sink in recording order: one cart, or one order."""
    prefix = "cart" if isinstance(event, CartUpdated) else "order"
    return f"{prefix}:{subject_of(event)}"


def dedupe_key(event: CommerceEvent, payload: str) -> str:
    """What makes two recordings the same event."""
    if isinstance(event, OrderPlaced):
        identity = f"order_placed\0{event.order_id}"
    elif isinstance(event, OrderStatusChanged):
        identity = f"order_status_changed\0{event.order_id}\0{event.status}\0{payload}"
    else:
        identity = f"cart_updated\0{payload}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def new_event_id() -> str:
    """A new event's id: 128 random bits in hex, unique across databases and hosts."""
    return secrets.token_hex(16)


def _lines_json(lines: Sequence[EventLine]) -> str:
    return json.dumps(
        [
            {
                "id": line.product_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": format(line.unit_price, "f"),
            }
            for line in lines
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _record_cart(session: Session, event: CartUpdated) -> None:
    moment = utc_naive(event.occurred_at)
    values = {
        "currency": event.currency,
        "customer_id": event.customer_id,
        "subtotal_minor": to_minor_units(event.subtotal, event.currency),
        "total_minor": to_minor_units(event.total, event.currency),
        "products_count": len(event.lines),
        "items_count": sum(line.quantity for line in event.lines),
        "lines": _lines_json(event.lines),
        "updated_at": moment,
    }
    if event.shop_session:
        # Hashed like shop session tokens: a copy of the table gives no usable key.
        values["shop_session_hash"] = hash_token(event.shop_session)
    row = session.get(RecordedCart, event.cart_id)
    if row is None:
        session.add(
            RecordedCart(
                cart_id=event.cart_id,
                oct8ne_session=event.visitor.oct8ne_session,
                created_at=moment,
                order_id=None,
                **values,
            )
        )
        return
    if event.visitor.oct8ne_session:
        row.oct8ne_session = event.visitor.oct8ne_session
    # A snapshot older than the one stored (recorded late) does not replace it.
    if moment >= row.updated_at:
        for name, value in values.items():
            setattr(row, name, value)
    row.created_at = min(row.created_at, moment)


def _record_order(session: Session, event: OrderPlaced) -> None:
    moment = utc_naive(event.occurred_at)
    session.add(
        RecordedOrder(
            order_id=event.order_id,
            cart_id=event.cart_id,
            oct8ne_session=event.visitor.oct8ne_session,
            customer_id=event.customer_id,
            currency=event.currency,
            subtotal_minor=to_minor_units(event.subtotal, event.currency),
            total_minor=to_minor_units(event.total, event.currency),
            products_count=len(event.lines),
            items_count=sum(line.quantity for line in event.lines),
            status=event.status,
            placed_at=moment,
            updated_at=moment,
        )
    )
    if event.cart_id:
        cart = session.get(RecordedCart, event.cart_id)
        if cart is not None:
            cart.order_id = event.order_id
            cart.updated_at = max(cart.updated_at, moment)
            if cart.oct8ne_session is None:
                cart.oct8ne_session = event.visitor.oct8ne_session


def _status_unchanged(session: Session, event: OrderStatusChanged) -> bool:
    order = session.get(RecordedOrder, event.order_id)
    if order is None:
        return False
    if order.status == event.status:
        return True
    moment = utc_naive(event.occurred_at)
    if moment >= order.updated_at:
        order.status = event.status
        order.updated_at = moment
    return False


def _recorded_before(session: Session, event: CommerceEvent, key: str) -> bool:
    if session.scalar(select(_outbox.c.seq).where(_outbox.c.dedupe_key == key)) is not None:
        return True
    # recorded_orders outlives purged outbox rows: an order is never placed twice.
    return isinstance(event, OrderPlaced) and session.get(RecordedOrder, event.order_id) is not None


def record(
    session: Session,
    event: CommerceEvent,
    sinks: Sequence[str],
    *,
    now: datetime | None = None,
) -> bool:
    """Write the event and one delivery per sink in `session`'s transaction; False if a duplicate.

    The caller commits (or rolls back) the transaction, with its own changes if it has any.
    """
    kind = codec.kind_of(event)
    payload = codec.dumps(event)
    key = dedupe_key(event, payload)
    if _recorded_before(session, event, key):
        return False
    if isinstance(event, OrderStatusChanged) and _status_unchanged(session, event):
        return False
    recorded_at = utcnow() if now is None else utc_naive(now)
    inserted = session.execute(
        insert(_outbox).values(
            event_id=new_event_id(),
            kind=kind,
            subject=subject_of(event),
            dedupe_key=key,
            payload=payload,
            recorded_at=recorded_at,
        )
    )
    primary_key = cast("CursorResult[Any]", inserted).inserted_primary_key
    assert primary_key is not None
    seq = primary_key[0]
    names = list(dict.fromkeys(sinks))
    if names:
        session.execute(
            insert(_deliveries),
            [
                {
                    "event_seq": seq,
                    "sink": name,
                    "ordering_key": ordering_key(event),
                    "state": PENDING,
                    "attempts": 0,
                    "requests_done": 0,
                    "next_attempt_at": recorded_at,
                    "claimed_by": None,
                    "claimed_until": None,
                    "last_error": "",
                    "created_at": recorded_at,
                    "finished_at": None,
                }
                for name in names
            ],
        )
    if isinstance(event, CartUpdated):
        _record_cart(session, event)
    elif isinstance(event, OrderPlaced):
        _record_order(session, event)
    session.flush()
    return True


class EventRecorder:
    """Records events in the adapter's database for the configured sinks: `state.events`."""

    def __init__(self, database: Database, sinks: Sequence[str]) -> None:
        self.database = database
        self.sinks = tuple(sinks)

    def record(self, event: CommerceEvent, *, visitor_cookie: str | None = None) -> bool:
        """Record one event in its own transaction; False if it was recorded before.

        Missing visitor ids are filled from `visitor_cookie` (an `oct8ne-visitor-ids` value).
        """
        if visitor_cookie:
            event = with_visitor_ids(event, parse_cookie(visitor_cookie))
        try:
            with self.database.transaction() as session:
                return record(session, event, self.sinks)
        except IntegrityError:
            # A concurrent recording of the same event won the unique key: a duplicate.
            with self.database.session() as session:
                if not _recorded_before(session, event, dedupe_key(event, codec.dumps(event))):
                    raise
            return False


def mark_stale_claims_free(session: Session) -> int:
    """Release every claim (for a worker that knows it is the only one); returns how many."""
    result = session.execute(
        update(_deliveries)
        .where(_deliveries.c.state == PENDING, _deliveries.c.claimed_until.is_not(None))
        .values(claimed_until=None, claimed_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
