"""The relay: delivers recorded commerce events to each vendor sink, at least once.

`Relay(database, sinks).run_once()` claims due deliveries (see `events.claiming`), asks each
delivery's sink for its requests, sends them in order and stores after every accepted request
how many are done, so that after a crash the next worker resumes at the first request not yet
delivered. `run_forever(stop)` repeats that until `stop` is set; `oct8ne-adapter relay-worker`
runs it.

What an answer means is the sink's verdict: DELIVERED moves on, RETRY schedules another attempt
with exponential backoff and jitter (honouring the vendor's `Retry-After` up to `backoff_max`,
and never past the delivery's `max_age`), REJECTED (and a payload the sink refuses to build,
InvalidPayload) dead-letters the delivery with the reason. A delivery also goes dead after
`max_attempts` attempts or `max_age`. Connection errors and timeouts are retried, and so is
anything else that fails while delivering one event (a sink raising, a hostile answer): it is
that delivery's last error, never the end of the worker. Each sink's `requests_per_minute` is
enforced per sink across this worker's requests, and across workers when `rate_limit_storage`
is shared (Redis).

The remaining duplicate window: a request the vendor stored, whose answer the worker did not
get to record (killed while waiting for it, or between the answer and the commit), is sent again
by the next worker. Every request carries `Idempotency-Key: oct8ne-<event>-<sink>-<n>`, the same
on every resend; a vendor that stores by its own id (Optico's cart/order `id`, Alhena's checkout
`orderId`) stores it once, the others (Octocom, PA, Alhena cart events, oct8ne's update ping)
can see that one request twice.
"""

from __future__ import annotations

import logging
import math
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import requests
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Connection, Engine, Table, event, select, update

from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable
from oct8ne_adapter.events import codec
from oct8ne_adapter.events.claiming import (
    Claim,
    SingleWorkerLock,
    claim_due,
    skip_locked,
    sqlite_path,
)
from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventContext,
    OrderPlaced,
    OrderStatusChanged,
)
from oct8ne_adapter.events.recorder import DEAD, DELIVERED, PENDING, mark_stale_claims_free, utcnow
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Sink, Verdict
from oct8ne_adapter.events.sinks.common import retry_after_seconds
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.database import Database, create_database_engine, unavailable_on_failure
from oct8ne_adapter.sql.models import EventDelivery, OutboxEvent

log = logging.getLogger(__name__)

_deliveries: Table = EventDelivery.__table__  # type: ignore[assignment]
_outbox: Table = OutboxEvent.__table__  # type: ignore[assignment]

#: Longest reason stored with a delivery (vendor answers can be long).
MAX_REASON = 1_000
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RelayOptions:
    """How the relay retries, leases and paces; the defaults are the configuration's."""

    timeout: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 12
    max_age: timedelta = timedelta(hours=72)
    backoff_base: float = 2.0
    backoff_max: float = 3600.0
    poll_interval: float = 1.0
    rate_limit_storage: str = "memory://"
    #: Deliveries of a batch sent at the same time. Above 1, a worker killed mid-batch can
    #: leave up to this many requests stored by a vendor but not marked (resent on restart).
    concurrency: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayOptions:
        """The relay options of the configuration (`relay_*` keys)."""
        return cls(
            timeout=float(settings.relay_timeout),
            lease=timedelta(seconds=settings.relay_lease_seconds),
            max_attempts=settings.relay_max_attempts,
            max_age=timedelta(hours=settings.relay_max_age_hours),
            backoff_base=float(settings.relay_backoff_seconds),
            backoff_max=float(settings.relay_backoff_max_seconds),
            poll_interval=settings.relay_poll_ms / 1000,
            rate_limit_storage=settings.relay_ratelimit_storage or settings.ratelimit_storage,
            concurrency=settings.relay_concurrency,
        )


def _reason(text: str) -> str:
    """One line of printable text: a vendor's answer may hold anything (PostgreSQL refuses NUL)."""
    printable = "".join(char if char.isprintable() else " " for char in text[: 4 * MAX_REASON])
    return " ".join(printable.split())[:MAX_REASON]


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _marks_engine(engine: Engine) -> Engine:
    """SQLite: an engine of the relay's own whose commits skip the fsync (`synchronous=NORMAL`).

    Its own, so that the shop's recordings on the main engine stay fully durable; in WAL mode
    NORMAL loses no committed transaction when a process dies, only possibly at a power cut.
    """
    if sqlite_path(engine) is None:
        return engine
    marks = create_database_engine(engine.url.render_as_string(hide_password=False))

    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    event.listen(marks, "connect", _no_fsync)
    return marks


class _Throttle:
    """Each sink's requests-per-minute limit, in a `limits` storage (memory or Redis)."""

    def __init__(self, sinks: Iterable[Sink], storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._items = {
            sink.name: RateLimitItemPerMinute(sink.requests_per_minute)
            for sink in sinks
            if sink.requests_per_minute
        }

    def acquire(self, sink: str) -> float:
        """0 if a request may go now (and counts it), else the seconds until one may."""
        item = self._items.get(sink)
        if item is None or self._limiter.hit(item, "oct8ne-relay", sink):
            return 0.0
        reset_at = self._limiter.get_window_stats(item, "oct8ne-relay", sink).reset_time
        return max(0.05, reset_at - time.time())


class Relay:
    """Delivers the outbox to `sinks`; one per worker process (or thread)."""

    def __init__(
        self,
        database: Database,
        sinks: Sequence[Sink],
        *,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = utcnow,
        options: RelayOptions | None = None,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.sinks = {sink.name: sink for sink in sinks}
        if len(self.sinks) != len(sinks):
            raise ValueError("two sinks have the same name")
        self.options = options or RelayOptions()
        if self.options.lease.total_seconds() < 2 * (self.options.timeout + 1):
            # A worker starts no request whose answer could come after its claim ran out.
            raise ConfigError(
                "relay_lease_seconds must be at least twice relay_timeout + 1 "
                f"({self.options.lease.total_seconds():g} s for a {self.options.timeout:g} s "
                "timeout)"
            )
        self.clock = clock
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}")[:40]
        self._http = session or requests.Session()
        self._owns_http = session is None
        self._rng = rng or random.Random()
        self._throttle = _Throttle(sinks, self.options.rate_limit_storage)
        self._row_locks = skip_locked(database.engine)
        self._marks_engine = _marks_engine(database.engine)
        database_file = sqlite_path(database.engine)
        self._lock = SingleWorkerLock(database_file) if database_file else None
        self._started = False
        self._claims = 0

    # -- life cycle

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the SQLite worker lock and the HTTP connections."""
        if self._lock is not None:
            self._lock.release()
        self._started = False
        if self._marks_engine is not self.database.engine:
            self._marks_engine.dispose()
        if self._owns_http:
            self._http.close()

    def _start(self) -> None:
        if self._started:
            return
        if self._lock is not None:
            self._lock.acquire()
            # The only worker on this database: claims left by a dead one are free at once.
            with self.database.transaction() as session:
                freed = mark_stale_claims_free(session)
            if freed:
                log.info("relay: freed %d deliveries claimed by a worker that stopped", freed)
        self._started = True

    @contextmanager
    def _bookkeeping(self) -> Iterator[Connection]:
        """A transaction for the relay's own rows (claims and marks), committed without fsync.

        A mark lost to a power cut (never to a crash of the worker: the database has it) means
        a delivery is sent again, which at-least-once allows; waiting for the disk on every
        delivery would cap the relay at the disk's flush rate (about 250/s here).
        """
        with unavailable_on_failure(), self._marks_engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield connection

    # -- the loop

    def run_once(self, limit: int = 100) -> int:
        """Claim and process up to `limit` due deliveries; returns how many were processed."""
        self._start()
        if not self.sinks:
            return 0
        self._claims += 1
        token = f"{self.worker_id}/{secrets.token_hex(4)}/{self._claims}"
        claimed_at = time.monotonic()
        with unavailable_on_failure(), self._bookkeeping() as connection:
            claims = claim_due(
                connection,
                sinks=sorted(self.sinks),
                limit=limit,
                now=self.clock(),
                lease=self.options.lease,
                token=token,
                row_locks=self._row_locks,
            )
        lease_end = claimed_at + self.options.lease.total_seconds()
        throttled: dict[str, float] = {}
        late: list[Claim] = []

        def process(claim: Claim) -> None:
            # Start nothing whose answer could arrive after the claim ran out.
            if time.monotonic() + self.options.timeout + 1 > lease_end:
                late.append(claim)
            else:
                self._process(claim, token, throttled)

        if self.options.concurrency > 1 and len(claims) > 1:
            # A batch never holds two deliveries of one cart or order for one sink (claim_due),
            # so running them side by side keeps each vendor's order.
            with ThreadPoolExecutor(self.options.concurrency) as pool:
                list(pool.map(process, claims))
        else:
            for claim in claims:
                process(claim)
        if late:
            self._release(late, token)
        return len(claims)

    def run_forever(self, stop: threading.Event, limit: int = 100) -> None:
        """Deliver until `stop` is set; waits `poll_interval` when nothing is due."""
        self._start()
        while not stop.is_set():
            try:
                processed = self.run_once(limit)
            except DataSourceUnavailable as error:
                log.warning("relay: %s; trying again shortly", error.message)
                processed = 0
            if processed == 0:
                stop.wait(self.options.poll_interval)

    # -- one delivery

    def _process(self, claim: Claim, token: str, throttled: dict[str, float]) -> None:
        """Deliver one claim; whatever fails is its retry (or dead letter), not the worker's end."""
        try:
            self._deliver(claim, token, throttled)
        except DataSourceUnavailable:
            raise  # the database, not this delivery: run_forever waits and tries again
        except Exception as error:
            log.exception("relay: %s event %d failed", claim.sink, claim.event_seq)
            verdict = Verdict(Outcome.RETRY, f"relay error: {_error_text(error)}")
            try:
                # requests_done stays as stored: every accepted request was recorded at once.
                self._retry(claim, token, None, verdict)
            except DataSourceUnavailable:
                raise
            except Exception:
                # Not even the retry could be stored: the claim runs out and the delivery is
                # claimed again (its attempts still count), while this batch goes on.
                log.exception("relay: could not record the failure of delivery %d", claim.pk)

    def _deliver(self, claim: Claim, token: str, throttled: dict[str, float]) -> None:
        sink = self.sinks[claim.sink]
        wait = throttled.get(claim.sink, 0.0) - time.monotonic()
        if wait > 0:
            self._defer(claim, token, wait)
            return
        try:
            event = codec.loads(claim.kind, claim.payload)
            context = self._context(claim, event)
        except codec.EventFormatError as error:
            self._finish(claim, token, DEAD, claim.requests_done, _reason(f"unreadable: {error}"))
            return
        try:
            outbound = sink.requests_for(event, context)
        except InvalidPayload as error:
            self._finish(claim, token, DEAD, claim.requests_done, _reason(f"invalid: {error}"))
            return
        except Exception as error:
            # A sink bug: the delivery waits (until its attempts run out) for a fixed sink.
            log.exception("relay: sink %s could not build its requests", sink.name)
            reason = f"sink {sink.name} failed to build its requests: {_error_text(error)}"
            self._retry(claim, token, claim.requests_done, Verdict(Outcome.RETRY, reason))
            return
        done = claim.requests_done
        for index in range(done, len(outbound)):
            wait = self._throttle.acquire(sink.name)
            if wait > 0:
                throttled[sink.name] = time.monotonic() + wait
                self._defer(claim, token, wait, done)
                return
            verdict = self._send(sink, claim, index, outbound[index])
            if verdict.outcome is Outcome.REJECTED:
                self._finish(claim, token, DEAD, done, _reason(f"rejected: {verdict.reason}"))
                return
            if verdict.outcome is Outcome.RETRY:
                self._retry(claim, token, done, verdict)
                return
            done = index + 1
            if done < len(outbound) and not self._progress(claim, token, done):
                return
        self._finish(claim, token, DELIVERED, max(done, len(outbound)), "")

    def _context(self, claim: Claim, event: CommerceEvent) -> EventContext:
        with self.database.session() as session:
            if isinstance(event, CartUpdated):
                payload = session.scalar(
                    select(_outbox.c.payload)
                    .where(
                        _outbox.c.kind == "cart_updated",
                        _outbox.c.subject == claim.subject,
                        _outbox.c.seq < claim.event_seq,
                    )
                    .order_by(_outbox.c.seq.desc())
                    .limit(1)
                )
                previous = codec.loads("cart_updated", payload) if payload else None
                assert previous is None or isinstance(previous, CartUpdated)
                return EventContext(previous_cart=previous)
            if isinstance(event, OrderStatusChanged):
                payload = session.scalar(
                    select(_outbox.c.payload)
                    .where(_outbox.c.kind == "order_placed", _outbox.c.subject == claim.subject)
                    .order_by(_outbox.c.seq)
                    .limit(1)
                )
                order = codec.loads("order_placed", payload) if payload else None
                assert order is None or isinstance(order, OrderPlaced)
                return EventContext(order=order)
        return EventContext()

    def _send(self, sink: Sink, claim: Claim, index: int, request: OutboundRequest) -> Verdict:
        headers = dict(request.headers)
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = f"oct8ne-{claim.event_seq}-{claim.sink}-{index}"
        try:
            response = self._http.request(
                request.method,
                request.url,
                headers=headers,
                data=request.body,
                timeout=request.timeout_seconds or self.options.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            seconds = request.timeout_seconds or self.options.timeout
            return Verdict(Outcome.RETRY, f"no answer within {seconds:g}s")
        except requests.RequestException as error:
            return Verdict(Outcome.RETRY, f"cannot connect: {type(error).__name__}")
        try:
            verdict = sink.verdict(
                request, response.status_code, response.headers, response.content
            )
        except Exception as error:
            # A sink bug must not stop the relay: the delivery waits for a fixed sink.
            log.exception("relay: sink %s could not judge an answer", sink.name)
            return Verdict(
                Outcome.RETRY, f"sink {sink.name} failed to read the answer: {_error_text(error)}"
            )
        if verdict.outcome is Outcome.RETRY and verdict.retry_after_seconds is None:
            after = retry_after_seconds(response.headers, self.clock())
            if after is not None:
                return Verdict(verdict.outcome, verdict.reason, after)
        return verdict

    # -- writes; each checks that the claim is still ours

    def _write(self, claim: Claim, token: str, **values: object) -> bool:
        with unavailable_on_failure(), self._bookkeeping() as connection:
            result = connection.execute(
                update(_deliveries)
                .where(_deliveries.c.pk == claim.pk, _deliveries.c.claimed_by == token)
                .values(**values)
            )
        if result.rowcount == 0:
            log.warning("relay: delivery %d was claimed by another worker meanwhile", claim.pk)
            return False
        return True

    def _progress(self, claim: Claim, token: str, done: int) -> bool:
        return self._write(
            claim,
            token,
            requests_done=done,
            claimed_until=self.clock() + self.options.lease,
        )

    def _finish(self, claim: Claim, token: str, state: str, done: int, reason: str) -> None:
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

    def _retry(self, claim: Claim, token: str, done: int | None, verdict: Verdict) -> None:
        """Schedule another attempt, or dead-letter a delivery out of attempts or time.

        `done` None leaves `requests_done` as stored.
        """
        now = self.clock()
        reason = _reason(verdict.reason or "transient failure")
        kept = claim.requests_done if done is None else done
        if claim.attempts >= self.options.max_attempts:
            self._finish(
                claim,
                token,
                DEAD,
                kept,
                _reason(f"gave up after {claim.attempts} attempts: {reason}"),
            )
            return
        if now - claim.created_at >= self.options.max_age:
            self._finish(claim, token, DEAD, kept, _reason(f"gave up, too old: {reason}"))
            return
        values: dict[str, object] = {} if done is None else {"requests_done": done}
        self._write(
            claim,
            token,
            **values,
            last_error=reason,
            next_attempt_at=now + timedelta(seconds=self._delay(claim, now, verdict)),
            claimed_by=None,
            claimed_until=None,
        )

    def _delay(self, claim: Claim, now: datetime, verdict: Verdict) -> float:
        """Seconds until the next attempt: backoff with jitter, or the vendor's Retry-After.

        Never more than `backoff_max`, whatever the vendor asks (a Retry-After of 10^20 seconds
        or of the year 9999 would otherwise overflow, or park the delivery for ever), and never
        past the delivery's `max_age`: the attempts and the age still run out, and dead-letter it.
        """
        options = self.options
        # The exponent is bounded so that a large max_attempts cannot overflow a float.
        exponent = min(claim.attempts - 1, 64)
        backoff = min(options.backoff_max, options.backoff_base * 2.0**exponent)
        # Equal jitter: never less than half the backoff, so a failing vendor is not hammered.
        delay = backoff / 2 + self._rng.uniform(0, backoff / 2)
        asked = verdict.retry_after_seconds
        if asked is not None and not math.isnan(asked):
            delay = max(delay, min(asked, options.backoff_max))
        age = (now - claim.created_at).total_seconds()
        return max(0.0, min(delay, options.max_age.total_seconds() - age))

    def _defer(self, claim: Claim, token: str, seconds: float, done: int | None = None) -> None:
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

    def _release(self, claims: Sequence[Claim], token: str) -> None:
        with unavailable_on_failure(), self._bookkeeping() as connection:
            connection.execute(
                update(_deliveries)
                .where(
                    _deliveries.c.pk.in_([claim.pk for claim in claims]),
                    _deliveries.c.claimed_by == token,
                    _deliveries.c.state == PENDING,
                )
                .values(attempts=_deliveries.c.attempts - 1, claimed_by=None, claimed_until=None)
            )
