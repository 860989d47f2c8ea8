"""Retention: recorded carts, orders and finished events older than `retention_days` go.

`purge_expired(database, retention_days, now=...)` deletes, in batches of `batch_size` rows
with a commit after each batch (so neither table is locked for long, and a purge interrupted
half-way has still deleted whole batches):

- outbox events recorded before the cutoff whose deliveries are all finished (delivered, or
  dead: a dead delivery is only tried again by an operator, `relay retry`), with their
  deliveries. An event with a pending delivery is never deleted, however old: the vendor has
  not received it yet. The newest event of each cart and order goes too once it is that old:
  the next snapshot of such a cart is then sent as a new cart.
- `recorded_carts` and `recorded_orders` not updated since the cutoff (getCart then answers an
  empty cart, and getSalesReport no longer lists them).

The relay worker runs it every `PURGE_INTERVAL`; `oct8ne-adapter purge` runs it once, for a shop
that runs no worker. The clock is a parameter so that tests need not wait 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, exists, select
from sqlalchemy.orm import Session

from oct8ne_adapter.events.claiming import skip_locked
from oct8ne_adapter.events.recorder import PENDING, utc_naive
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.tables import (
    event_deliveries as _deliveries,
    event_outbox as _outbox,
    recorded_carts as _carts,
    recorded_orders as _orders,
)

__all__ = ["BATCH_SIZE", "PURGE_INTERVAL", "PurgeCounts", "cutoff_of", "purge_expired"]


#: Rows deleted per transaction: small enough that a purge never holds locks for long.
BATCH_SIZE = 500
#: How often the relay worker purges.
PURGE_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """How many rows of each kind one purge deleted."""

    events: int = 0
    carts: int = 0
    orders: int = 0

    def __str__(self) -> str:
        return f"{self.events} events, {self.carts} recorded carts, {self.orders} recorded orders"


def cutoff_of(retention_days: int, now: datetime) -> datetime:
    """The moment before which rows are expired."""
    return utc_naive(now) - timedelta(days=retention_days)


def _expired_events(session: Session, cutoff: datetime, limit: int) -> list[int]:
    pending = exists().where(
        _deliveries.c.event_seq == _outbox.c.seq, _deliveries.c.state == PENDING
    )
    query = (
        select(_outbox.c.seq)
        .where(_outbox.c.recorded_at < cutoff, ~pending)
        .order_by(_outbox.c.seq)
        .limit(limit)
    )
    if skip_locked(session.get_bind().engine):
        # Two relay workers purging at once take different batches instead of waiting.
        query = query.with_for_update(skip_locked=True, of=_outbox)
    return list(session.scalars(query))


def _deleted(session: Session, table: Table, condition: ColumnElement[bool]) -> int:
    # What this transaction deleted: on SQLite a concurrent purge may have taken rows first.
    return int(session.execute(delete(table).where(condition)).rowcount)  # type: ignore[attr-defined]


def _delete_events(session: Session, seqs: list[int]) -> int:
    # Deliveries first: SQLite and MariaDB enforce the foreign key without relying on CASCADE.
    session.execute(delete(_deliveries).where(_deliveries.c.event_seq.in_(seqs)))
    return _deleted(session, _outbox, _outbox.c.seq.in_(seqs))


def _purge_table(database: Database, table: Table, key: str, cutoff: datetime, size: int) -> int:
    column = table.c[key]
    deleted = 0
    while True:
        with database.transaction() as session:
            keys = list(
                session.scalars(
                    select(column).where(table.c.updated_at < cutoff).order_by(column).limit(size)
                )
            )
            if not keys:
                return deleted
            deleted += _deleted(session, table, column.in_(keys))


def purge_expired(
    database: Database, retention_days: int, *, now: datetime, batch_size: int = BATCH_SIZE
) -> PurgeCounts:
    """Delete what is older than `retention_days` at `now`, `batch_size` rows per commit."""
    cutoff = cutoff_of(retention_days, now)
    events = 0
    while True:
        with database.transaction() as session:
            seqs = _expired_events(session, cutoff, batch_size)
            if not seqs:
                break
            events += _delete_events(session, seqs)
    return PurgeCounts(
        events=events,
        carts=_purge_table(database, _carts, "cart_id", cutoff, batch_size),
        orders=_purge_table(database, _orders, "order_id", cutoff, batch_size),
    )
