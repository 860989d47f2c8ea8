"""The relay against a real HTTP receiver on 127.0.0.1, with a small sink of the test's own.

The vendors' sinks have their own end-to-end tests (test_events_end_to_end*.py); here the sink
is deliberately simple so that what is checked is the relay: order, resumption, retries and
backoff, Retry-After, dead letters, rate limits and claiming by several workers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from oct8ne_adapter.errors import RelayBusy
from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventContext,
    EventLine,
    OrderPlaced,
    OrderStatusChanged,
    VisitorIds,
)
from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.events.relay import Relay, RelayOptions
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Verdict
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import EventDelivery

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class Answer:
    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0


class Receiver:
    """A real HTTP server that stores what it is sent and answers from a script."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.script: list[Answer] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    answer = receiver.script.pop(0) if receiver.script else Answer()
                    if 200 <= answer.status < 300:
                        receiver.received.append(
                            {
                                "path": self.path,
                                "key": self.headers.get("Idempotency-Key"),
                                "body": json.loads(body),
                            }
                        )
                if answer.delay:
                    threading.Event().wait(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [entry["body"] for entry in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class EchoSink:
    """Posts each event as JSON to the receiver; `requests` requests per order."""

    def __init__(self, url: str, name: str = "echo", rpm: int | None = None, requests: int = 1):
        self.name = name
        self.requests_per_minute = rpm
        self.url = url
        self.requests = requests

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        if isinstance(event, CartUpdated) and event.currency == "XXX":
            raise InvalidPayload("XXX is no currency a vendor takes")
        subject = event.cart_id if isinstance(event, CartUpdated) else event.order_id
        count = self.requests if isinstance(event, OrderPlaced) else 1
        previous = context.previous_cart
        return [
            OutboundRequest(
                "POST",
                f"{self.url}/{self.name}/{type(event).__name__}",
                {"Content-Type": "application/json"},
                json.dumps(
                    {
                        "subject": subject,
                        "part": part,
                        "items": [line.quantity for line in getattr(event, "lines", ())],
                        "previous": None
                        if previous is None
                        else [line.quantity for line in previous.lines],
                        "order_known": context.order is not None,
                    }
                ).encode(),
            )
            for part in range(count)
        ]

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        if 200 <= status < 300:
            return Verdict(Outcome.DELIVERED)
        if status == 429 or status >= 500:
            return Verdict(Outcome.RETRY, f"HTTP {status}")
        return Verdict(Outcome.REJECTED, body.decode(errors="replace"))


class Clock:
    """A settable UTC clock (naive, as the database stores times)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(tzinfo=None)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def cart(cart_id: str, *quantities: int, currency: str = "USD", minute: int = 0) -> CartUpdated:
    lines = tuple(
        EventLine(f"P{index}", f"Product {index}", quantity, Decimal("10.00"))
        for index, quantity in enumerate(quantities)
    )
    total = sum((line.total for line in lines), Decimal(0))
    return CartUpdated(
        cart_id=cart_id,
        currency=currency,
        lines=lines,
        subtotal=total,
        total=total,
        occurred_at=T0 + timedelta(minutes=minute),
        visitor=VisitorIds(oct8ne_session="sess-1"),
    )


def order(order_id: str, cart_id: str | None = None) -> OrderPlaced:
    line = EventLine("P0", "Product 0", 2, Decimal("10.00"))
    return OrderPlaced(
        order_id=order_id,
        currency="USD",
        lines=(line,),
        subtotal=Decimal("20.00"),
        total=Decimal("25.00"),
        status="paid",
        occurred_at=T0,
        cart_id=cart_id,
    )


def deliveries(database: Database) -> list[EventDelivery]:
    with database.session() as session:
        return list(session.scalars(select(EventDelivery).order_by(EventDelivery.pk)))


def fast(**overrides: Any) -> RelayOptions:
    values: dict[str, Any] = {"timeout": 5.0, "backoff_base": 1.0, "poll_interval": 0.01}
    values.update(overrides)
    return RelayOptions(**values)


def test_events_reach_the_receiver_once_in_recording_order(sqlite_database, receiver):
    recorder = EventRecorder(sqlite_database, ["echo"])
    assert recorder.record(cart("c1", 1))
    assert recorder.record(cart("c1", 2, minute=1))
    assert recorder.record(order("o1", "c1"))
    assert not recorder.record(order("o1", "c1")), "the same order twice is one order"
    assert recorder.record(OrderStatusChanged("o1", "shipped", T0 + timedelta(hours=1)))
    with Relay(sqlite_database, [EchoSink(receiver.url)], options=fast()) as relay:
        processed = 0
        while batch := relay.run_once():
            processed += batch
    assert processed == 4
    bodies = receiver.bodies()
    carts = [body for body in bodies if body["subject"] == "c1"]
    # The second snapshot went after the first, and saw it as its previous cart.
    assert carts == [
        {"subject": "c1", "part": 0, "items": [1], "previous": None, "order_known": False},
        {"subject": "c1", "part": 0, "items": [2], "previous": [1], "order_known": False},
    ]
    orders = [body for body in bodies if body["subject"] == "o1"]
    assert [body["order_known"] for body in orders] == [False, True]
    assert {row.state for row in deliveries(sqlite_database)} == {"delivered"}
    keys = [entry["key"] for entry in receiver.received]
    assert len(set(keys)) == 4 and all(key.startswith("oct8ne-") for key in keys)


def test_a_retried_snapshot_holds_back_the_later_snapshots_of_its_cart(sqlite_database, receiver):
    recorder = EventRecorder(sqlite_database, ["echo"])
    recorder.record(cart("c1", 1))
    recorder.record(cart("c1", 3, minute=1))
    recorder.record(cart("c2", 5))
    receiver.script = [Answer(503)]
    clock = Clock()
    with Relay(sqlite_database, [EchoSink(receiver.url)], clock=clock, options=fast()) as relay:
        relay.run_once()
        # c1's first snapshot failed; c2 went, c1's second waits for the first.
        assert [body["items"] for body in receiver.bodies()] == [[5]]
        clock.advance(60)
        relay.run_once()
        relay.run_once()
    assert [body["items"] for body in receiver.bodies()] == [[5], [1], [3]]


def test_backoff_grows_with_jitter_and_honours_retry_after(sqlite_database, receiver):
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    clock = Clock()
    options = fast(backoff_base=2.0, backoff_max=1000.0)
    with Relay(sqlite_database, [EchoSink(receiver.url)], clock=clock, options=options) as relay:
        waits = []
        for _ in range(4):
            receiver.script = [Answer(500)]
            relay.run_once()
            row = deliveries(sqlite_database)[0]
            waits.append((row.next_attempt_at - clock.now).total_seconds())
            clock.now = row.next_attempt_at
        # Equal jitter: between half and all of base * 2^(attempt-1).
        for attempt, wait in enumerate(waits, start=1):
            full = 2.0 * 2 ** (attempt - 1)
            assert full / 2 - 1 <= wait <= full, (attempt, waits)
        receiver.script = [Answer(429, {"Retry-After": "120"})]
        relay.run_once()
        row = deliveries(sqlite_database)[0]
        assert (row.next_attempt_at - clock.now).total_seconds() >= 119
        assert row.last_error == "HTTP 429" and row.state == "pending"


HOSTILE_RETRY_AFTER = ["99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"]


@pytest.mark.parametrize("retry_after", HOSTILE_RETRY_AFTER)
def test_a_huge_retry_after_waits_backoff_max(sqlite_database, receiver, retry_after):
    """Issue 14: Retry-After 10^20 s overflowed the relay; the year 9999 parked the delivery."""
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    clock = Clock()
    receiver.script = [Answer(429, {"Retry-After": retry_after})]
    options = fast(backoff_max=600.0)
    with Relay(sqlite_database, [EchoSink(receiver.url)], clock=clock, options=options) as relay:
        assert relay.run_once() == 1
    (row,) = deliveries(sqlite_database)
    assert (row.state, row.last_error) == ("pending", "HTTP 429")
    assert (row.next_attempt_at - clock.now).total_seconds() == pytest.approx(600, abs=1)


@pytest.mark.parametrize("retry_after", HOSTILE_RETRY_AFTER)
def test_a_retry_is_never_scheduled_past_max_age(sqlite_database, receiver, retry_after):
    """Even with a backoff_max longer than max_age: tried at its deadline, then dead."""
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    clock = Clock()
    throttled = Answer(429, {"Retry-After": retry_after})
    options = fast(backoff_max=30 * 86400.0, max_age=timedelta(hours=1))
    with Relay(sqlite_database, [EchoSink(receiver.url)], clock=clock, options=options) as relay:
        (row,) = deliveries(sqlite_database)
        clock.now = row.created_at
        receiver.script = [throttled]
        assert relay.run_once() == 1
        (row,) = deliveries(sqlite_database)
        assert row.next_attempt_at == row.created_at + timedelta(hours=1)
        clock.now = row.next_attempt_at
        receiver.script = [throttled]
        assert relay.run_once() == 1
    (row,) = deliveries(sqlite_database)
    assert (row.state, row.attempts) == ("dead", 2)
    assert row.last_error == "gave up, too old: HTTP 429"


class WaitingSink(EchoSink):
    """Every answer is a retry, with the wait the test gives (as a buggy sink could report)."""

    def __init__(self, url: str, wait: float) -> None:
        super().__init__(url)
        self.wait = wait

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        return Verdict(Outcome.RETRY, "later", self.wait)


@pytest.mark.parametrize(
    ("wait", "waited"),
    # None: the first backoff, 5 to 10 s with jitter.
    [(1e20, 600), (float("inf"), 600), (300.0, 300), (float("nan"), None), (-5.0, None)],
)
def test_a_sink_s_retry_after_is_kept_within_the_backoff(sqlite_database, receiver, wait, waited):
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    clock = Clock()
    sink = WaitingSink(receiver.url, wait)
    options = fast(backoff_base=10.0, backoff_max=600.0)
    with Relay(sqlite_database, [sink], clock=clock, options=options) as relay:
        assert relay.run_once() == 1
    (row,) = deliveries(sqlite_database)
    assert (row.state, row.last_error) == ("pending", "later")
    seconds = (row.next_attempt_at - clock.now).total_seconds()
    if waited is None:
        assert 5 <= seconds <= 10
    else:
        assert seconds == pytest.approx(waited)


class FailingSink(EchoSink):
    """EchoSink that fails, in the way the test names, on every delivery of order o1."""

    def __init__(self, url: str, failure: str) -> None:
        super().__init__(url)
        self.failure = failure

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        requests = super().requests_for(event, context)
        if not (isinstance(event, OrderPlaced) and event.order_id == "o1"):
            return requests
        if self.failure == "requests_for":
            raise RuntimeError("boom")
        if self.failure == "unsendable":
            # requests refuses it with a ValueError, not a RequestException.
            return [replace(request, method="PO\nST") for request in requests]
        return requests

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        if self.failure == "verdict" and json.loads(request.body or b"{}")["subject"] == "o1":
            raise RuntimeError("boom")
        return super().verdict(request, status, headers, body)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ("requests_for", "sink echo failed to build its requests: RuntimeError: boom"),
        ("verdict", "sink echo failed to read the answer: RuntimeError: boom"),
        ("unsendable", "relay error: ValueError: Method cannot contain non-token characters"),
    ],
    ids=["requests_for", "verdict", "unsendable"],
)
def test_a_failing_sink_costs_its_delivery_not_the_worker(
    events_database, receiver, failure, reason
):
    recorder = EventRecorder(events_database, ["echo"])
    recorder.record(order("o1"))
    recorder.record(order("o2"))
    clock = Clock()
    sink = FailingSink(receiver.url, failure)
    options = fast(max_attempts=3)
    with Relay(events_database, [sink], clock=clock, options=options) as relay:
        assert relay.run_once() == 2
        first, second = deliveries(events_database)
        assert second.state == "delivered"
        assert "o2" in [body["subject"] for body in receiver.bodies()]
        assert (first.state, first.attempts) == ("pending", 1)
        assert first.last_error.startswith(reason)
        assert first.next_attempt_at > clock.now - timedelta(seconds=1)
        for _ in range(2):
            clock.advance(3600)
            assert relay.run_once() == 1
    first = deliveries(events_database)[0]
    assert first.state == "dead"
    assert first.last_error.startswith(f"gave up after 3 attempts: {reason}")


@pytest.mark.parametrize(
    ("event", "answer", "reason"),
    [
        (
            order("o1"),
            Answer(400, body=b"lineItems is required"),
            "rejected: lineItems is required",
        ),
        (cart("c1", 1, currency="XXX"), Answer(), "invalid: XXX is no currency a vendor takes"),
    ],
)
def test_refused_payloads_are_dead_lettered_with_the_reason(
    sqlite_database, receiver, event, answer, reason
):
    EventRecorder(sqlite_database, ["echo"]).record(event)
    receiver.script = [answer]
    with Relay(sqlite_database, [EchoSink(receiver.url)], options=fast()) as relay:
        assert relay.run_once() == 1
        assert relay.run_once() == 0
    (row,) = deliveries(sqlite_database)
    assert (row.state, row.last_error) == ("dead", reason)
    assert row.finished_at is not None


def test_a_delivery_goes_dead_after_max_attempts_and_max_age(sqlite_database, receiver):
    recorder = EventRecorder(sqlite_database, ["echo"])
    recorder.record(order("o1"))
    clock = Clock()
    options = fast(max_attempts=3, max_age=timedelta(days=1))
    with Relay(sqlite_database, [EchoSink(receiver.url)], clock=clock, options=options) as relay:
        for _ in range(3):
            receiver.script = [Answer(502)]
            clock.advance(3600)
            relay.run_once()
        (row,) = deliveries(sqlite_database)
        assert row.state == "dead" and row.attempts == 3
        assert row.last_error == "gave up after 3 attempts: HTTP 502"
        recorder.record(order("o2"))
        clock.advance(2 * 86400)
        receiver.script = [Answer(502)]
        relay.run_once()
    assert deliveries(sqlite_database)[1].last_error == "gave up, too old: HTTP 502"


def test_unreachable_and_stalled_receivers_are_retried(sqlite_database, receiver):
    recorder = EventRecorder(sqlite_database, ["dead-end", "echo"])
    recorder.record(order("o1"))
    receiver.script = [Answer(delay=1.0)]
    sinks = [EchoSink("http://127.0.0.1:9", name="dead-end"), EchoSink(receiver.url)]
    with Relay(sqlite_database, sinks, options=fast(timeout=0.3)) as relay:
        relay.run_once()
    by_sink = {row.sink: row for row in deliveries(sqlite_database)}
    assert by_sink["dead-end"].last_error == "cannot connect: ConnectionError"
    assert by_sink["echo"].last_error == "no answer within 0.3s"
    assert {row.state for row in by_sink.values()} == {"pending"}


def test_a_crash_between_requests_resumes_at_the_first_undelivered(sqlite_database, receiver):
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    receiver.script = [Answer(), Answer(), Answer(503)]
    clock = Clock()
    sink = EchoSink(receiver.url, requests=4)
    with Relay(sqlite_database, [sink], clock=clock, options=fast()) as relay:
        relay.run_once()
        assert deliveries(sqlite_database)[0].requests_done == 2
        clock.advance(60)
        relay.run_once()
    assert [body["part"] for body in receiver.bodies()] == [0, 1, 2, 3]
    assert deliveries(sqlite_database)[0].state == "delivered"


def test_the_rate_limit_defers_without_spending_attempts(sqlite_database, receiver):
    recorder = EventRecorder(sqlite_database, ["echo"])
    for number in range(5):
        recorder.record(order(f"o{number}"))
    with Relay(sqlite_database, [EchoSink(receiver.url, rpm=3)], options=fast()) as relay:
        assert relay.run_once() == 5
    assert len(receiver.received) == 3
    waiting = [row for row in deliveries(sqlite_database) if row.state == "pending"]
    assert len(waiting) == 2
    assert all(row.attempts == 0 for row in waiting)
    assert all(row.next_attempt_at > datetime.now(UTC).replace(tzinfo=None) for row in waiting)


def test_one_worker_per_sqlite_database(sqlite_database, receiver):
    with Relay(sqlite_database, [EchoSink(receiver.url)], options=fast()) as first:
        first.run_once()
        second = Relay(sqlite_database, [EchoSink(receiver.url)], options=fast())
        with pytest.raises(RelayBusy, match="another relay worker"):
            second.run_once()
        second.close()
    with Relay(sqlite_database, [EchoSink(receiver.url)], options=fast()) as third:
        third.run_once()


def test_several_workers_share_the_outbox_without_duplicates(events_database, receiver, backend):
    if backend == "sqlite":
        pytest.skip("SQLite runs one worker (test_one_worker_per_sqlite_database)")
    recorder = EventRecorder(events_database, ["echo"])
    for number in range(60):
        recorder.record(order(f"o{number}"))
    receiver.script = [Answer(delay=0.005) for _ in range(60)]
    stop = threading.Event()
    relays = [
        Relay(
            events_database,
            [EchoSink(receiver.url)],
            options=fast(concurrency=n + 1),
            worker_id=f"w{n}",
        )
        for n in range(3)
    ]
    threads = [threading.Thread(target=relay.run_forever, args=(stop, 5)) for relay in relays]
    for thread in threads:
        thread.start()
    deadline = datetime.now() + timedelta(seconds=20)
    while len(receiver.received) < 60 and datetime.now() < deadline:
        threading.Event().wait(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    for relay in relays:
        relay.close()
    subjects = [body["subject"] for body in receiver.bodies()]
    assert sorted(subjects) == sorted(f"o{number}" for number in range(60))
    assert {row.state for row in deliveries(events_database)} == {"delivered"}
