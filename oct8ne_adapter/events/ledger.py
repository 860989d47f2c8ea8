"""The relay's bookkeeping: claims, progress and outcomes of deliveries, in their own rows.

Every write checks the claim token (compare-and-set, see events.claiming), so a worker whose
lease ran out cannot overwrite another worker's progress; a write that finds the claim gone
says so and changes nothing.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, event, update

from oct8ne_adapter.events.claiming import Claim, claim_due, skip_locked, sqlite_path
from oct8ne_adapter.events.policy import RelayOptions, reason_text, retry_delay
from oct8ne_adapter.events.recorder import DEAD, DELIVERED, PENDING
from oct8ne_adapter.events.sinks.base import Verdict
from oct8ne_adapter.sql.database import create_database_engine, unavailable_on_failure
from oct8ne_adapter.sql.tables import event_deliveries as _deliveries

log = logging.getLogger(__name__)


#: Per backend, what makes a connection's commits skip the wait for the disk.
_NO_FSYNC = {"sqlite": "PRAGMA synchronous = NORMAL", "postgresql": "SET synchronous_commit = off"}


def _marks_engine(engine: Engine) -> Engine:
    """An engine of the relay's own whose commits do not wait for the disk (SQLite, PostgreSQL).

    Its own, so that the shop's recordings on the main engine stay fully durable. SQLite in WAL
    mode with NORMAL, and PostgreSQL with synchronous_commit off, lose no committed transaction
    when a process dies, only possibly the last ones at a power cut or an OS crash. Set once per
    connection rather than per transaction: one round trip less per mark.
    """
    statement = _NO_FSYNC.get(engine.dialect.name)
    if statement is None or (engine.dialect.name == "sqlite" and sqlite_path(engine) is None):
        return engine
    marks = create_database_engine(engine.url.render_as_string(hide_password=False))

    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()  # the SET runs in psycopg's implicit transaction

    event.listen(marks, "connect", _no_fsync)
    return marks


class DeliveryLedger:
    """Claims due deliveries and records what became of each, for one relay worker."""

    def __init__(
        self,
        engine: Engine,
        options: RelayOptions,
        *,
        clock: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self.options = options
        self.clock = clock
        self._rng = rng
        self._database_engine = engine
        self._engine = _marks_engine(engine)
        self._row_locks = skip_locked(engine)
        self._delivered: list[tuple[Claim, str, int]] = []
        self._delivered_lock = threading.Lock()

    def close(self) -> None:
        """Close the connections of the relay's own engine, if it has one."""
        if self._engine is not self._database_engine:
            self._engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction for the relay's own rows (claims and marks), committed without fsync.

        A mark lost to a power cut (never to a crash of the worker: the database has it) means
        a delivery is sent again, which at-least-once allows; waiting for the disk on every
        delivery would cap the relay at the disk's flush rate (about 250/s here).
        """
        with unavailable_on_failure(), self._engine.begin() as connection:
            yield connection

    def claim(self, sinks: list[str], limit: int, token: str) -> list[Claim]:
        """Claim up to `limit` due deliveries to `sinks` for this worker, under `token`."""
        with unavailable_on_failure(), self.transaction() as connection:
            return claim_due(
                connection,
                sinks=sinks,
                limit=limit,
                now=self.clock(),
                lease=self.options.lease,
                token=token,
                row_locks=self._row_locks,
            )

    def _write(self, claim: Claim, token: str, **values: object) -> bool:
        with unavailable_on_failure(), self.transaction() as connection:
            result = connection.execute(
                update(_deliveries)
                .where(_deliveries.c.pk == claim.pk, _deliveries.c.claimed_by == token)
                .values(**values)
            )
        if result.rowcount == 0:
            log.warning("relay: delivery %d was claimed by another worker meanwhile", claim.pk)
            return False
        return True

    def progress(self, claim: Claim, token: str, done: int) -> bool:
        """Store that `done` requests were accepted and extend the lease; False if not ours."""
        return self._write(
            claim,
            token,
            requests_done=done,
            claimed_until=self.clock() + self.options.lease,
        )

    def finish(self, claim: Claim, token: str, state: str, done: int, reason: str) -> None:
        """End a delivery: DELIVERED, or DEAD with its reason."""
        if state == DEAD:
            log.warning("relay: %s event %d dead-lettered: %s", claim.sink, claim.event_seq, reason)
        self._write(
            claim,
            token,
            state=state,
            requests_done=done,
            last_error=reason,
            finished_at=self.clock(),
            claimed_by=None,
            claimed_until=None,
        )

    def delivered(self, claim: Claim, token: str, done: int) -> None:
        """Mark a delivery DELIVERED with the next `mark_batch` ones, in one commit.

        A commit per delivered event was the relay's ceiling on PostgreSQL; what this costs is a
        larger duplicate window: a worker killed before the flush leaves up to `mark_batch`
        delivered events unmarked, sent again (same Idempotency-Key) by the next worker.
        """
        with self._delivered_lock:
            self._delivered.append((claim, token, done))
            if len(self._delivered) < self.options.mark_batch:
                return
            marks, self._delivered = self._delivered, []
        self._mark_delivered(marks)

    def flush(self) -> None:
        """Write the delivered marks not written yet (the end of a batch, or of the worker)."""
        with self._delivered_lock:
            marks, self._delivered = self._delivered, []
        self._mark_delivered(marks)

    def _mark_delivered(self, marks: Sequence[tuple[Claim, str, int]]) -> None:
        # One UPDATE per (token, requests done): nearly always one statement for the lot.
        groups: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
        for claim, token, done in marks:
            groups[token, done].append(claim.pk)
        if not groups:
            return
        now = self.clock()
        with unavailable_on_failure(), self.transaction() as connection:
            for (token, done), pks in groups.items():
                result = connection.execute(
                    update(_deliveries)
                    .where(_deliveries.c.pk.in_(pks), _deliveries.c.claimed_by == token)
                    .values(
                        state=DELIVERED,
                        requests_done=done,
                        last_error="",
                        finished_at=now,
                        claimed_by=None,
                        claimed_until=None,
                    )
                )
                if result.rowcount != len(pks):
                    log.warning(
                        "relay: %d of %d delivered deliveries were claimed by another worker "
                        "meanwhile",
                        len(pks) - result.rowcount,
                        len(pks),
                    )

    def retry(self, claim: Claim, token: str, done: int | None, verdict: Verdict) -> None:
        """Schedule another attempt, or dead-letter a delivery out of attempts or time.

        `done` None leaves `requests_done` as stored.
        """
        now = self.clock()
        reason = reason_text(verdict.reason or "transient failure")
        kept = claim.requests_done if done is None else done
        if claim.attempts >= self.options.max_attempts:
            self.finish(
                claim,
                token,
                DEAD,
                kept,
                reason_text(f"gave up after {claim.attempts} attempts: {reason}"),
            )
            return
        age = now - claim.created_at
        if age >= self.options.max_age:
            self.finish(claim, token, DEAD, kept, reason_text(f"gave up, too old: {reason}"))
            return
        delay = retry_delay(
            self.options, claim.attempts, age, verdict.retry_after_seconds, self._rng
        )
        values: dict[str, object] = {} if done is None else {"requests_done": done}
        self._write(
            claim,
            token,
            **values,
            last_error=reason,
            next_attempt_at=now + timedelta(seconds=delay),
            claimed_by=None,
            claimed_until=None,
        )

    def defer(self, claim: Claim, token: str, seconds: float, done: int | None = None) -> None:
        """Put a delivery back unattempted (its sink is at its rate limit)."""
        self._write(
            claim,
            token,
            requests_done=claim.requests_done if done is None else done,
            attempts=_deliveries.c.attempts - 1,
            next_attempt_at=self.clock() + timedelta(seconds=seconds),
            claimed_by=None,
            claimed_until=None,
        )

    def release(self, claims: Sequence[Claim], token: str) -> None:
        """Put back unattempted the claims this worker had no time left to start."""
        with unavailable_on_failure(), self.transaction() as connection:
            connection.execute(
                update(_deliveries)
                .where(
                    _deliveries.c.pk.in_([claim.pk for claim in claims]),
                    _deliveries.c.claimed_by == token,
                    _deliveries.c.state == PENDING,
                )
                .values(attempts=_deliveries.c.attempts - 1, claimed_by=None, claimed_until=None)
            )
