"""Which worker delivers what: row claims with a lease, and one worker per SQLite database.

PostgreSQL and MariaDB: any number of workers on any number of machines. A worker claims due
deliveries with `SELECT ... FOR UPDATE SKIP LOCKED`, stamps them with a claim token and a lease
(`claimed_until`) and commits; the others skip the locked rows, then see the claim. A worker
that dies leaves claims that expire with their lease. Every later write checks the claim token
(compare-and-set), so a worker whose lease ran out cannot overwrite another worker's progress.

SQLite has no row locks: one worker per database file, enforced with an exclusive OS lock on
`<database>.relay-lock` (released by the kernel when the process dies, even by kill -9). The
worker holding it owns every claim, so it frees the claims of a dead predecessor at once.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, exists, or_, select, update

from oct8ne_adapter.errors import RelayBusy
from oct8ne_adapter.events.recorder import PENDING
from oct8ne_adapter.sql.tables import event_deliveries as _deliveries, event_outbox as _outbox


@dataclass(frozen=True)
class Claim:
    """A delivery this worker owns until `claimed_until`, with its event."""

    pk: int
    event_seq: int
    #: The event's random id (event_outbox.event_id): what its Idempotency-Keys are built from.
    event_id: str
    sink: str
    attempts: int
    requests_done: int
    created_at: datetime
    kind: str
    subject: str
    payload: str


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine; None for other backends and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


class SingleWorkerLock:
    """An exclusive, non-blocking OS lock next to a SQLite database file."""

    def __init__(self, database_file: Path) -> None:
        self.path = database_file.with_name(database_file.name + ".relay-lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise RelayBusy naming the worker that holds it."""
        if self._handle is not None:
            return
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()[:100] or "another process"
            handle.close()
            raise RelayBusy(
                f"another relay worker ({holder}) is running on {self.path.with_suffix('')}: "
                "SQLite allows one; use PostgreSQL or MariaDB for several"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock back."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def skip_locked(engine: Engine) -> bool:
    """Whether the backend has row locks that other workers skip (not SQLite)."""
    return engine.dialect.name in {"postgresql", "mysql", "mariadb"}


def claim_due(
    connection: Connection,
    *,
    sinks: list[str],
    limit: int,
    now: datetime,
    lease: timedelta,
    token: str,
    row_locks: bool,
) -> list[Claim]:
    """Claim up to `limit` due deliveries for these sinks; the caller's transaction commits.

    A delivery waits while an older one with the same sink and ordering key is pending, so one
    cart's snapshots (and one order's events) reach each vendor in the order they were recorded.
    """
    deliveries = _deliveries
    earlier = _deliveries.alias("earlier")
    blocked = (
        exists()
        .where(
            earlier.c.sink == deliveries.c.sink,
            earlier.c.ordering_key == deliveries.c.ordering_key,
            earlier.c.event_seq < deliveries.c.event_seq,
            earlier.c.state == PENDING,
        )
        .correlate(deliveries)
    )
    query = (
        select(deliveries.c.pk)
        .where(
            deliveries.c.state == PENDING,
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            deliveries.c.sink.in_(sinks),
            ~blocked,
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.pk)
        .limit(limit)
    )
    if row_locks:
        query = query.with_for_update(skip_locked=True)
    pks = list(connection.scalars(query))
    if not pks:
        return []
    connection.execute(
        update(deliveries)
        .where(deliveries.c.pk.in_(pks))
        .values(
            claimed_by=token,
            claimed_until=now + lease,
            # Counted when claimed: a delivery that crashes the worker still runs out of tries.
            attempts=deliveries.c.attempts + 1,
        )
    )
    rows = connection.execute(
        select(
            deliveries.c.pk,
            deliveries.c.event_seq,
            _outbox.c.event_id,
            deliveries.c.sink,
            deliveries.c.attempts,
            deliveries.c.requests_done,
            deliveries.c.created_at,
            _outbox.c.kind,
            _outbox.c.subject,
            _outbox.c.payload,
        )
        .join(_outbox, _outbox.c.seq == deliveries.c.event_seq)
        .where(deliveries.c.pk.in_(pks))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.pk)
    ).all()
    return [Claim(**row._asdict()) for row in rows]
