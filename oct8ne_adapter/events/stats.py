"""What the outbox and the delivery ledger hold right now, for the metrics endpoint.

Read from the database rather than counted in the relay worker: the worker is another process
(often on another host) that nobody scrapes, and every adapter process reading the same tables
reports the same figures. Two small aggregate queries; the delivered rows stay in the ledger
until `relay purge` deletes them, so the delivery figures are gauges that drop at a purge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select

from oct8ne_adapter.events.recorder import PENDING
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.tables import event_deliveries as _deliveries, event_outbox as _outbox


@dataclass(frozen=True)
class RelayFigures:
    """Deliveries per (vendor, state), and the events still waiting for a delivery."""

    #: (sink, state) -> deliveries in the ledger; states are pending, delivered and dead.
    deliveries: Mapping[tuple[str, str], int]
    #: Events with at least one pending delivery.
    pending_events: int
    #: When the oldest of those was recorded (naive UTC, as stored); None when there is none.
    oldest_pending_at: datetime | None


def relay_figures(database: Database) -> RelayFigures:
    """The ledger's deliveries by vendor and state, and the outbox's pending depth and age."""
    pending = exists().where(
        _deliveries.c.event_seq == _outbox.c.seq, _deliveries.c.state == PENDING
    )
    with database.session() as session:
        rows = session.execute(
            select(_deliveries.c.sink, _deliveries.c.state, func.count()).group_by(
                _deliveries.c.sink, _deliveries.c.state
            )
        ).all()
        count, oldest = session.execute(
            select(func.count(), func.min(_outbox.c.recorded_at)).where(pending)
        ).one()
    return RelayFigures(
        deliveries={(str(sink), str(state)): int(number) for sink, state, number in rows},
        pending_events=int(count or 0),
        oldest_pending_at=oldest,
    )
