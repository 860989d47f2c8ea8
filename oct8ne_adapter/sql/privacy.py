"""Data-subject requests: everything the adapter's own tables hold about one e-mail address.

`find_subject(session, email)` finds the customer's rows: the `customers` row with that e-mail
(and through it sessions, carts, wishlist and the order book), the customer ids that row and the
recorded events name (an order placed with `customer_email`, carrying the shop's customer id),
the recorded carts and orders of those ids, and every outbox event about those carts and orders
(an anonymous snapshot of a cart the customer later owned included). `export_subject` turns that
into JSON-ready data; `erase_subject` deletes or anonymises it (docs/privacy.md says which, and
why) and returns the vendors that already received events about the customer.

Payloads are JSON written by events.codec (compact, keys in a fixed order): candidate rows are
found with LIKE on the exact JSON text of the e-mail or id, then confirmed on the parsed payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.tables import (
    cart_lines as _cart_lines,
    carts as _carts,
    customers as _customers,
    event_deliveries as _deliveries,
    event_outbox as _outbox,
    order_comments as _order_comments,
    order_lines as _order_lines,
    orders as _orders,
    recorded_carts as _recorded_carts,
    recorded_orders as _recorded_orders,
    shop_sessions as _sessions,
    wishlist_items as _wishlist,
)

__all__ = ["Erasure", "Subject", "erase_subject", "export_subject", "find_subject"]


_CART_KINDS = ("cart_updated",)
_ORDER_KINDS = ("order_placed", "order_status_changed")


@dataclass
class Subject:
    """The keys of one customer's rows, found from their e-mail address."""

    email: str
    customer_pk: int | None = None
    customer_ids: set[str] = field(default_factory=set)
    cart_ids: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)
    event_seqs: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What `erase_subject` did: rows deleted or anonymised per table, vendors to tell."""

    counts: dict[str, int]
    #: Vendors that received (at least part of) an event about the customer before erasure.
    vendors_informed: tuple[str, ...]
    #: Vendors whose pending deliveries about the customer were dropped, never sent.
    vendors_dropped: tuple[str, ...]


#: The LIKE escape character: not a backslash, which MariaDB and PostgreSQL quote differently.
_ESCAPE = "/"


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _json_text(key: str, value: str) -> str:
    """How events.codec writes `"key": value` (compact separators, no ASCII escaping)."""
    return f"{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)}"


def _payloads_matching(session: Session, condition: ColumnElement[bool]) -> list[Any]:
    columns = (_outbox.c.seq, _outbox.c.kind, _outbox.c.subject, _outbox.c.payload)
    return list(session.execute(select(*columns).where(condition)).all())


def _note_event(subject: Subject, kind: str, name: str, payload: dict[str, Any]) -> None:
    """Add the cart or order an event is about (and the cart an order came from)."""
    (subject.cart_ids if kind in _CART_KINDS else subject.order_ids).add(name)
    if payload.get("cart_id") and kind == "order_placed":
        subject.cart_ids.add(str(payload["cart_id"]))


def find_subject(session: Session, email: str) -> Subject:
    """The keys of every row about the customer with `email` (compared without case)."""
    subject = Subject(email=email)
    folded = email.casefold()
    customer = session.execute(
        select(_customers.c.pk, _customers.c.external_id).where(
            func.lower(_customers.c.email) == email.lower()
        )
    ).first()
    if customer is not None:
        subject.customer_pk = customer.pk
        subject.customer_ids.add(customer.external_id)
    # Orders placed with the e-mail: they name the shop's customer id, if it has one.
    pattern = _like(_json_text("customer_email", email).lower())
    for row in _payloads_matching(
        session, func.lower(_outbox.c.payload).like(pattern, escape=_ESCAPE)
    ):
        payload = json.loads(row.payload)
        if str(payload.get("customer_email") or "").casefold() == folded:
            _note_event(subject, row.kind, row.subject, payload)
            if payload.get("customer_id"):
                subject.customer_ids.add(str(payload["customer_id"]))
    if subject.customer_ids:
        ids = sorted(subject.customer_ids)
        patterns = [
            _outbox.c.payload.like(_like(_json_text("customer_id", i)), escape=_ESCAPE) for i in ids
        ]
        for row in _payloads_matching(session, or_(*patterns)):
            payload = json.loads(row.payload)
            if payload.get("customer_id") in subject.customer_ids:
                _note_event(subject, row.kind, row.subject, payload)
        # A recorded cart names its order once placed, and an order its cart: collect both ways.
        for table, own, linked, own_ids, linked_ids in (
            (_recorded_carts, "cart_id", "order_id", subject.cart_ids, subject.order_ids),
            (_recorded_orders, "order_id", "cart_id", subject.order_ids, subject.cart_ids),
        ):
            for own_id, linked_id in session.execute(
                select(table.c[own], table.c[linked]).where(table.c.customer_id.in_(ids))
            ):
                own_ids.add(own_id)
                if linked_id:
                    linked_ids.add(linked_id)
    subject.event_seqs = list(session.scalars(select(_outbox.c.seq).where(_events_of(subject))))
    return subject


def _events_of(subject: Subject) -> ColumnElement[bool]:
    return or_(
        (_outbox.c.kind.in_(_CART_KINDS)) & _outbox.c.subject.in_(sorted(subject.cart_ids)),
        (_outbox.c.kind.in_(_ORDER_KINDS)) & _outbox.c.subject.in_(sorted(subject.order_ids)),
    )


def _plain(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def _rows(session: Session, table: Table, condition: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Every column of the matching rows, JSON-ready, in primary-key order."""
    statement = select(table).where(condition).order_by(*table.primary_key.columns)
    return [
        {name: _plain(value) for name, value in row._mapping.items()}
        for row in session.execute(statement)
    ]


def _in(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    return column.in_(sorted(values))  # type: ignore[no-any-return]


def export_subject(session: Session, subject: Subject) -> dict[str, Any]:
    """Everything the adapter's tables hold about the subject, as JSON-ready data."""
    pk = subject.customer_pk

    def owned(column: Any) -> ColumnElement[bool]:
        return column == pk if pk is not None else false()

    carts = _rows(session, _carts, owned(_carts.c.customer_pk))
    for cart in carts:
        cart["lines"] = _rows(session, _cart_lines, _cart_lines.c.cart_pk == cart["pk"])
    orders = _rows(session, _orders, owned(_orders.c.customer_pk))
    for order in orders:
        order["lines"] = _rows(session, _order_lines, _order_lines.c.order_pk == order["pk"])
        order["comments"] = _rows(
            session, _order_comments, _order_comments.c.order_pk == order["pk"]
        )
    events = _rows(session, _outbox, _in(_outbox.c.seq, subject.event_seqs))
    for event in events:
        event["payload"] = json.loads(event["payload"])
        del event["dedupe_key"]  # a hash of the payload: nothing about the customer
        event["deliveries"] = _rows(session, _deliveries, _deliveries.c.event_seq == event["seq"])
    customer = _rows(session, _customers, owned(_customers.c.pk))
    recorded_carts = _rows(
        session, _recorded_carts, _in(_recorded_carts.c.cart_id, subject.cart_ids)
    )
    for recorded in recorded_carts:
        recorded["lines"] = json.loads(recorded["lines"])
    return {
        "email": subject.email,
        "customer": customer[0] if customer else None,
        "customer_ids": sorted(subject.customer_ids),
        "sessions": _rows(session, _sessions, owned(_sessions.c.customer_pk)),
        "wishlist": _rows(session, _wishlist, owned(_wishlist.c.customer_pk)),
        "carts": carts,
        "orders": orders,
        "recorded_carts": recorded_carts,
        "recorded_orders": _rows(
            session, _recorded_orders, _in(_recorded_orders.c.order_id, subject.order_ids)
        ),
        "events": events,
    }


def _vendors(session: Session, subject: Subject) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = session.execute(
        select(_deliveries.c.sink, _deliveries.c.state, _deliveries.c.requests_done).where(
            _in(_deliveries.c.event_seq, subject.event_seqs)
        )
    ).all()
    # A dead or pending delivery with requests accepted sent part of the event already.
    informed = {sink for sink, state, done in rows if state == "delivered" or done > 0}
    dropped = {sink for sink, state, _done in rows if state == "pending"}
    return tuple(sorted(informed)), tuple(sorted(dropped))


def _delete(session: Session, table: Table, condition: ColumnElement[bool]) -> int:
    return int(session.execute(delete(table).where(condition)).rowcount)  # type: ignore[attr-defined]


def erase_subject(session: Session, subject: Subject) -> Erasure:
    """Delete the subject's rows, anonymise their recorded orders; in the caller's transaction."""
    informed, dropped = _vendors(session, subject)
    counts: dict[str, int] = {}
    seqs = _in(_outbox.c.seq, subject.event_seqs)
    # Pending deliveries go with their events: a vendor must receive nothing after erasure.
    counts["event_deliveries"] = _delete(
        session, _deliveries, _in(_deliveries.c.event_seq, subject.event_seqs)
    )
    counts["event_outbox"] = _delete(session, _outbox, seqs)
    counts["recorded_carts"] = _delete(
        session, _recorded_carts, _in(_recorded_carts.c.cart_id, subject.cart_ids)
    )
    # Kept without anything that names the visitor: the order id stays a duplicate, so a shop
    # replaying its orders cannot send this customer's order to the vendors again.
    counts["recorded_orders (anonymised)"] = int(
        session.execute(
            update(_recorded_orders)
            .where(_in(_recorded_orders.c.order_id, subject.order_ids))
            .values(customer_id=None, oct8ne_session=None, cart_id=None)
        ).rowcount  # type: ignore[attr-defined]
    )
    pk = subject.customer_pk
    if pk is not None:
        # Children first: SQLite enforces no ON DELETE CASCADE unless asked to.
        order_pks = select(_orders.c.pk).where(_orders.c.customer_pk == pk)
        cart_pks = select(_carts.c.pk).where(_carts.c.customer_pk == pk)
        counts["order_comments"] = _delete(
            session, _order_comments, _order_comments.c.order_pk.in_(order_pks)
        )
        counts["order_lines"] = _delete(
            session, _order_lines, _order_lines.c.order_pk.in_(order_pks)
        )
        counts["orders"] = _delete(session, _orders, _orders.c.customer_pk == pk)
        counts["cart_lines"] = _delete(session, _cart_lines, _cart_lines.c.cart_pk.in_(cart_pks))
        counts["carts"] = _delete(session, _carts, _carts.c.customer_pk == pk)
        counts["wishlist_items"] = _delete(session, _wishlist, _wishlist.c.customer_pk == pk)
        counts["shop_sessions"] = _delete(session, _sessions, _sessions.c.customer_pk == pk)
        counts["customers"] = _delete(session, _customers, _customers.c.pk == pk)
    return Erasure(counts, informed, dropped)
