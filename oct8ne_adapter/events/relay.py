"""The relay: delivers recorded commerce events to each vendor sink, at least once.

`Relay(database, sinks).run_once()` claims due deliveries (see `events.claiming`), asks each
delivery's sink for its requests, sends them in order and stores after every accepted request
how many are done, so that after a crash the next worker resumes at the first request not yet
delivered. `run_forever(stop)` repeats that until `stop` is set; `oct8ne-adapter relay-worker`
runs it. Between batches it also purges expired rows (events.retention) and, with
`switch_prices`, switches timed sale prices at their boundaries (sql.price_windows).

What an answer means is the sink's verdict: DELIVERED moves on, RETRY schedules another attempt
with exponential backoff and jitter (honouring the vendor's `Retry-After` up to `backoff_max`,
and never past the delivery's `max_age`), REJECTED (and a payload the sink refuses to build,
InvalidPayload) dead-letters the delivery with the reason. A delivery also goes dead after
`max_attempts` attempts or `max_age`. Connection errors and timeouts are retried (a request has
`relay_timeout` for its whole answer, headers and body, read up to `max_answer_bytes`: see
events.transport), and so is anything else that fails while delivering one event (a sink
raising, a hostile answer): it is that delivery's last error, never the end of the worker.
Each sink's `requests_per_minute` is enforced per sink across this worker's requests, and across
workers when `rate_limit_storage` is shared (Redis).

The rules (options, backoff, pacing) are events.policy's; the rows that record claims and
outcomes are events.ledger's; this module is the worker: its life cycle, its loop, and the
delivery of one event.

The remaining duplicate window: a request the vendor stored, whose answer the worker did not
get to record (killed while waiting for it, or between the answer and the commit), is sent again
by the next worker. Every request carries `Idempotency-Key: oct8ne-<event id>-<sink>-<n>`, built
from the event's random id (chosen when it was recorded, stored in the outbox): the same on every
resend from every host, and never the same for another event, even one with the same sequence
number in another database (staging and production, a restored backup). A vendor that stores
by its own id (Optico's cart/order `id`, Alhena's checkout `orderId`) stores it once, the others
(Octocom, PA, Alhena cart events, oct8ne's update ping) can see that one request twice. With
`relay_mark_batch` above 1 the delivered marks are written together (events.ledger), and the
window also holds the deliveries answered since the last written marks.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import TracebackType

import requests
from sqlalchemy import select

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.events import codec, transport
from oct8ne_adapter.events.claiming import Claim, SingleWorkerLock, sqlite_path
from oct8ne_adapter.events.ledger import DeliveryLedger
from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventContext,
    OrderPlaced,
    OrderStatusChanged,
)
from oct8ne_adapter.events.policy import RelayOptions, Throttle, error_text, reason_text
from oct8ne_adapter.events.recorder import DEAD, mark_stale_claims_free, utcnow
from oct8ne_adapter.events.retention import PURGE_INTERVAL, PurgeCounts, purge_expired
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Sink, Verdict
from oct8ne_adapter.events.sinks.common import retry_after_seconds
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.price_windows import PriceSwitch
from oct8ne_adapter.sql.tables import event_outbox as _outbox

__all__ = ["IDEMPOTENCY_HEADER", "Relay", "RelayOptions", "idempotency_key"]

log = logging.getLogger(__name__)


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(claim: Claim, index: int) -> str:
    """The key of the delivery's `index`-th request: from the event's random id, not its seq."""
    return f"oct8ne-{claim.event_id}-{claim.sink}-{index}"


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
        retention_days: int | None = None,
        switch_prices: bool = False,
    ) -> None:
        self.database = database
        self.sinks = {sink.name: sink for sink in sinks}
        if len(self.sinks) != len(sinks):
            raise ValueError("two sinks have the same name")
        self.options = options or RelayOptions()
        self.options.check_lease()
        self.clock = clock
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}")[:40]
        # Its own session unless given one: only a watched session's requests can be cut at
        # their deadline while the vendor is still sending the headers (events.transport).
        self._http = session or transport.watched_session()
        self._owns_http = session is None
        self._throttle = Throttle(sinks, self.options.rate_limit_storage)
        self._ledger = DeliveryLedger(
            database.engine, self.options, clock=clock, rng=rng or random.Random()
        )
        database_file = sqlite_path(database.engine)
        self._lock = SingleWorkerLock(database_file) if database_file else None
        self._started = False
        self._claims = 0
        #: None: this worker does not purge (events.retention); else the next purge is due then.
        self.retention_days = retention_days
        self._next_purge: datetime | None = None
        #: Timed sale prices switched from this worker's clock too (sql.price_windows), so a
        #: boundary passes in a shop whose frame API gets no call then.
        self._prices = PriceSwitch(database, clock=self._utc_now) if switch_prices else None

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
        self._ledger.close()
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

    # -- the loop

    def run_once(self, limit: int = 100) -> int:
        """Claim and process up to `limit` due deliveries; returns how many were processed."""
        self._start()
        if not self.sinks:
            return 0
        self._claims += 1
        token = f"{self.worker_id}/{secrets.token_hex(4)}/{self._claims}"
        claimed_at = time.monotonic()
        claims = self._ledger.claim(sorted(self.sinks), limit, token)
        lease_end = claimed_at + self.options.lease.total_seconds()
        throttled: dict[str, float] = {}
        late: list[Claim] = []

        def process(claim: Claim) -> None:
            # Start nothing whose answer could arrive after the claim ran out.
            if time.monotonic() + self.options.timeout + 1 > lease_end:
                late.append(claim)
            else:
                self._process(claim, token, throttled)

        try:
            if self.options.concurrency > 1 and len(claims) > 1:
                # A batch never holds two deliveries of one cart or order for one sink
                # (claim_due), so running them side by side keeps each vendor's order.
                with ThreadPoolExecutor(self.options.concurrency) as pool:
                    list(pool.map(process, claims))
            else:
                for claim in claims:
                    process(claim)
        finally:
            self._ledger.flush()
        if late:
            self._ledger.release(late, token)
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
            self.purge_if_due()
            self.switch_prices_if_due()
            if processed == 0:
                stop.wait(self.options.poll_interval)

    def purge_if_due(self) -> PurgeCounts | None:
        """Purge expired rows (events.retention) if `PURGE_INTERVAL` has passed since the last."""
        now = self.clock()
        if self.retention_days is None or (self._next_purge and now < self._next_purge):
            return None
        try:
            counts = purge_expired(self.database, self.retention_days, now=now)
        except DataSourceUnavailable as error:
            log.warning("relay: purge failed, %s; trying again later", error.message)
            return None
        finally:
            self._next_purge = now + PURGE_INTERVAL
        if counts != PurgeCounts():
            log.info("relay: purged %s older than %d days", counts, self.retention_days)
        return counts

    def switch_prices_if_due(self) -> bool:
        """Apply the timed sale prices if a window opened or closed (a clock reading if none
        did); whether the switch ran."""
        return self._prices is not None and self._prices.poll()

    def _utc_now(self) -> datetime:
        """The worker's clock (naive UTC, as the outbox stores times) as an aware moment."""
        now = self.clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now

    # -- one delivery

    def _process(self, claim: Claim, token: str, throttled: dict[str, float]) -> None:
        """Deliver one claim; whatever fails is its retry (or dead letter), not the worker's end."""
        try:
            self._deliver(claim, token, throttled)
        except DataSourceUnavailable:
            raise  # the database, not this delivery: run_forever waits and tries again
        except Exception as error:
            log.exception("relay: %s event %d failed", claim.sink, claim.event_seq)
            verdict = Verdict(Outcome.RETRY, f"relay error: {error_text(error)}")
            try:
                # requests_done stays as stored: every accepted request was recorded at once.
                self._ledger.retry(claim, token, None, verdict)
            except DataSourceUnavailable:
                raise
            except Exception:
                # Not even the retry could be stored: the claim runs out and the delivery is
                # claimed again (its attempts still count), while this batch goes on.
                log.exception("relay: could not record the failure of delivery %d", claim.pk)

    def _deliver(self, claim: Claim, token: str, throttled: dict[str, float]) -> None:
        ledger = self._ledger
        sink = self.sinks[claim.sink]
        wait = throttled.get(claim.sink, 0.0) - time.monotonic()
        if wait > 0:
            ledger.defer(claim, token, wait)
            return
        try:
            event = codec.loads(claim.kind, claim.payload)
            context = self._context(claim, event)
        except codec.EventFormatError as error:
            ledger.finish(
                claim, token, DEAD, claim.requests_done, reason_text(f"unreadable: {error}")
            )
            return
        try:
            outbound = sink.requests_for(event, context)
        except InvalidPayload as error:
            ledger.finish(claim, token, DEAD, claim.requests_done, reason_text(f"invalid: {error}"))
            return
        except Exception as error:
            # A sink bug: the delivery waits (until its attempts run out) for a fixed sink.
            log.exception("relay: sink %s could not build its requests", sink.name)
            reason = f"sink {sink.name} failed to build its requests: {error_text(error)}"
            ledger.retry(claim, token, claim.requests_done, Verdict(Outcome.RETRY, reason))
            return
        done = claim.requests_done
        for index in range(done, len(outbound)):
            wait = self._throttle.acquire(sink.name)
            if wait > 0:
                throttled[sink.name] = time.monotonic() + wait
                ledger.defer(claim, token, wait, done)
                return
            verdict = self._send(sink, claim, index, outbound[index])
            if verdict.outcome is Outcome.REJECTED:
                ledger.finish(claim, token, DEAD, done, reason_text(f"rejected: {verdict.reason}"))
                return
            if verdict.outcome is Outcome.RETRY:
                ledger.retry(claim, token, done, verdict)
                return
            done = index + 1
            if done < len(outbound) and not ledger.progress(claim, token, done):
                return
        ledger.delivered(claim, token, max(done, len(outbound)))

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
            headers[IDEMPOTENCY_HEADER] = idempotency_key(claim, index)
        # A sink may ask for less time than relay_timeout, never more: the claim's lease is
        # sized for relay_timeout (RelayOptions.check_lease), and so is this total deadline.
        deadline = min(request.timeout_seconds or self.options.timeout, self.options.timeout)
        try:
            answer = transport.send(
                self._http,
                request.method,
                request.url,
                headers=headers,
                body=request.body,
                deadline=deadline,
                max_body=self.options.max_answer_bytes,
            )
        except (transport.AnswerTooSlow, requests.Timeout):
            return Verdict(Outcome.RETRY, f"no answer within {deadline:g}s")
        except transport.AnswerTooLarge as error:
            # Whatever it says, a vendor's answer this long is a fault: try again later.
            return Verdict(Outcome.RETRY, f"answer too large: {error}")
        except requests.RequestException as error:
            return Verdict(Outcome.RETRY, f"cannot connect: {type(error).__name__}")
        try:
            verdict = sink.verdict(request, answer.status, answer.headers, answer.body)
        except Exception as error:
            # A sink bug must not stop the relay: the delivery waits for a fixed sink.
            log.exception("relay: sink %s could not judge an answer", sink.name)
            return Verdict(
                Outcome.RETRY, f"sink {sink.name} failed to read the answer: {error_text(error)}"
            )
        if verdict.outcome is Outcome.RETRY and verdict.retry_after_seconds is None:
            after = retry_after_seconds(answer.headers, self.clock())
            if after is not None:
                return Verdict(verdict.outcome, verdict.reason, after)
        return verdict
