"""Commerce events end to end: recorded by the adapter, relayed, received by each fake vendor.

Events go in through the recorder (and, once, the shop's HTTP endpoint), out through the real
Relay over a real database, to the fake vendors of tests/fakes/ over real HTTP. Time is
the relay's clock, which the tests move forward instead of sleeping through back-offs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_config
from fakes.vendors import OPTICO_KEY, VISITOR, WHEN, Vendors, cart, line, order, running_vendors
from sqlalchemy import select
from test_events_crash import worker_command

from oct8ne_adapter import create_app
from oct8ne_adapter.events import codec
from oct8ne_adapter.events.model import CommerceEvent, OrderStatusChanged, PromotionCode
from oct8ne_adapter.events.recorder import DEAD, DELIVERED, PENDING, EventRecorder, utcnow
from oct8ne_adapter.events.relay import Relay, RelayOptions
from oct8ne_adapter.events.sinks import build_sinks
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import EventDelivery
from oct8ne_adapter.sql.schema import create_schema

EVENTS_SECRET = "events-secret-0123456789-abcdefghijkl"


class Clock:
    """The relay's clock: real time (naive UTC, as stored) plus what the test moved it on."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    @property
    def now(self) -> datetime:
        return self()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def vendors() -> Iterator[Vendors]:
    with running_vendors() as fakes:
        yield fakes


class Pipeline:
    """A recorder and a relay over one database, for some of the fake vendors."""

    def __init__(
        self, database: Database, vendors: Vendors, names: tuple[str, ...], **options: Any
    ) -> None:
        self.database = database
        self.sinks = build_sinks(vendors.sink_options(*names))
        self.recorder = EventRecorder(database, [sink.name for sink in self.sinks])
        self.clock = Clock()
        relay_options = RelayOptions(**{"timeout": 2.0, **options})
        self.relay = Relay(database, self.sinks, clock=self.clock, options=relay_options)

    def record(self, *events: CommerceEvent) -> list[bool]:
        return [self.recorder.record(event) for event in events]

    def run(self, rounds: int = 20) -> int:
        """Relay until nothing is due now; returns the deliveries processed."""
        total = 0
        for _ in range(rounds):
            processed = self.relay.run_once()
            if processed == 0:
                return total
            total += processed
        raise AssertionError("the relay kept finding work")

    def deliveries(self, sink: str | None = None) -> list[EventDelivery]:
        with self.database.session() as session:
            query = select(EventDelivery).order_by(EventDelivery.event_seq, EventDelivery.sink)
            if sink is not None:
                query = query.where(EventDelivery.sink == sink)
            return list(session.scalars(query))

    def states(self, sink: str | None = None) -> list[str]:
        return [delivery.state for delivery in self.deliveries(sink)]

    def close(self) -> None:
        self.relay.close()


@pytest.fixture
def pipeline_for(vendors: Vendors, sqlite_database: Database):
    """`pipeline_for("octocom", max_attempts=3)`: a pipeline to those vendors, on SQLite."""
    pipelines: list[Pipeline] = []

    def make(*names: str, **options: Any) -> Pipeline:
        pipeline = Pipeline(sqlite_database, vendors, names, **options)
        pipelines.append(pipeline)
        return pipeline

    yield make
    for pipeline in pipelines:
        pipeline.close()


# --- every vendor, every backend -------------------------------------------------------------


def test_a_shop_s_events_reach_every_vendor_once(vendors, events_database):
    pipeline = Pipeline(events_database, vendors, ())
    try:
        first = cart(line("A", 3), occurred_at=WHEN)
        second = cart(line("A", 1), line("B", 2, "5.00"), occurred_at=WHEN + timedelta(minutes=1))
        placed = order(
            occurred_at=WHEN + timedelta(minutes=2),
            promotion_codes=(PromotionCode("PB10XXXXXXXXX", Decimal(10)),),
        )
        shipped = OrderStatusChanged("ORD-7890", "Shipped", WHEN + timedelta(days=1))
        assert pipeline.record(first, second, placed, shipped) == [True] * 4
        # The same order recorded again (a shop retrying its own call) is one order.
        assert pipeline.record(placed, replace(placed, status="Paid")) == [False, False]

        assert pipeline.run() > 0
        assert set(pipeline.states()) == {DELIVERED}
        assert vendors.problems == []

        # oct8ne: a refresh of the chatting visitor's widget per cart change and the order.
        assert vendors.oct8ne.updates == [("3847", "cart")] * 3
        # Octocom: one purchase, as its example.
        ((session, purchase),) = vendors.octocom.purchases
        assert session == VISITOR.octocom_session
        assert purchase["totalPrice"] == Decimal("99.99")
        # Alhena: the cart's history in an order it accepts, and the checkout once.
        assert [
            (e["type"], e["product_id"], e["quantity"]) for e in vendors.alhena.cart_events
        ] == [
            ("ITEM_ADDED", "A", 1),
            ("QUANTITY_INCREASED", "A", 3),
            ("QUANTITY_DECREASED", "A", 1),
            ("ITEM_ADDED", "B", 1),
            ("QUANTITY_INCREASED", "B", 2),
        ]
        assert vendors.alhena.quantities(VISITOR.alhena_fingerprint or "") == {"A": 1, "B": 2}
        assert [checkout["orderId"] for checkout in vendors.alhena.checkouts] == ["ORD-7890"]
        # Optico: the latest cart, and the order with its latest status.
        assert vendors.optico.carts["cart-1"]["products"][1]["quantity"] == "2"
        assert vendors.optico.orders["ORD-7890"]["status"] == "Shipped"
        # PA: the purchase once, then its Price Beat code marked as used.
        assert [p["events"][0]["orderNumber"] for p in vendors.pa.purchases] == ["ORD-7890"]
        assert vendors.pa.marked == ["PB10XXXXXXXXX"]
        assert pipeline.run() == 0
    finally:
        pipeline.close()


def test_events_recorded_over_http_are_delivered(vendors, tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    app = create_app(
        adapter_config(
            url,
            OCT8NE_EVENT_SINKS=vendors.sink_options("octocom", "optico"),
            OCT8NE_EVENTS_SECRET=EVENTS_SECRET,
        )
    )
    database = app.extensions["oct8ne"].database
    create_schema(database.engine)
    client = app.test_client()
    response = client.post(
        "/oct8ne/events/order-placed",
        data=codec.dumps(order()),
        headers={"Authorization": f"Bearer {EVENTS_SECRET}", "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    with Relay(database, build_sinks(vendors.sink_options("octocom", "optico"))) as relay:
        assert relay.run_once() == 2
    assert len(vendors.octocom.purchases) == 1
    assert vendors.optico.orders["ORD-7890"]["visit_id"] == VISITOR.optico_visit
    assert vendors.problems == []
    database.engine.dispose()


# --- documented answers ------------------------------------------------------------------------

SHIPPED = OrderStatusChanged("ORD-7890", "Shipped", WHEN + timedelta(days=1))


@pytest.mark.parametrize(
    ("vendor", "error", "state", "reason"),
    [
        ("octocom", "invalid_body", DEAD, "rejected: Octocom answered HTTP 400"),
        ("octocom", "session_not_found", DEAD, "Browser session not found"),
        ("alhena", "MISSING_REQUIRED_FIELDS", DEAD, "rejected: Alhena: MISSING_REQUIRED_FIELDS"),
        ("alhena", "COMPANY_NOT_FOUND", DEAD, "rejected: Alhena: COMPANY_NOT_FOUND"),
        ("alhena", "ACTIVE_TICKET_NOT_FOUND", DEAD, "never used Alhena's chat"),
        ("alhena", "ORDER_ALREADY_EXISTS", DELIVERED, ""),
        ("optico", "invalid_key", DEAD, "rejected: Optico: Invalid API key"),
        ("optico", "missing_parameter", DEAD, "rejected: Optico: Missing required parameter"),
        ("optico", "invalid_products", DEAD, "rejected: Optico: Invalid products format"),
        ("optico", "unknown_visit", DEAD, "rejected: Optico: Unknown visit_id"),
        ("pa", "validation", DEAD, "'Product Ref Id' must not be empty."),
    ],
)
def test_documented_refusals_are_final(pipeline_for, vendors, vendor, error, state, reason):
    pipeline = pipeline_for(vendor)
    pipeline.record(order())
    getattr(vendors, vendor).fail_next(error)
    assert pipeline.run() == 1
    (delivery,) = pipeline.deliveries()
    assert (delivery.state, delivery.attempts) == (state, 1)
    assert reason in delivery.last_error
    pipeline.clock.advance(86_400)
    assert pipeline.run() == 0  # nothing is tried again
    assert vendors.problems == []


@pytest.mark.parametrize(
    ("vendor", "error"),
    [
        ("oct8ne", "server_error"),
        ("octocom", "rate_limited"),
        ("octocom", "server_error"),
        ("alhena", "server_error"),
        ("optico", "server_error"),
        ("pa", "unauthorized"),
        ("pa", "server_error"),
    ],
)
def test_transient_failures_are_retried_until_delivered(pipeline_for, vendors, vendor, error):
    pipeline = pipeline_for(vendor)
    pipeline.record(order())
    fake = getattr(vendors, vendor)
    fake.fail_next(error, times=2)
    for attempt in (1, 2):
        assert pipeline.run() == 1
        (delivery,) = pipeline.deliveries()
        assert (delivery.state, delivery.attempts) == (PENDING, attempt)
        assert pipeline.run() == 0  # backing off
        pipeline.clock.advance(3600)
    assert pipeline.run() == 1
    assert pipeline.states() == [DELIVERED]
    assert vendors.problems == []


def test_retry_after_is_honoured(pipeline_for, vendors):
    pipeline = pipeline_for("octocom")
    pipeline.record(order())
    vendors.octocom.throttle_next(retry_after=600)
    before = pipeline.clock.now
    assert pipeline.run() == 1
    (delivery,) = pipeline.deliveries()
    assert delivery.next_attempt_at >= before + timedelta(seconds=600)
    pipeline.clock.advance(595)
    assert pipeline.run() == 0
    pipeline.clock.advance(10)
    assert pipeline.run() == 1
    assert pipeline.states() == [DELIVERED]
    assert len(vendors.octocom.purchases) == 1


def test_a_stalled_vendor_is_retried_after_the_timeout(pipeline_for, vendors):
    pipeline = pipeline_for("pa", timeout=0.3)
    pipeline.record(order())
    vendors.pa.stall_next(2.0)
    assert pipeline.run() == 1
    (delivery,) = pipeline.deliveries()
    assert delivery.state == PENDING and "no answer within 0.3s" in delivery.last_error
    pipeline.clock.advance(3600)
    assert pipeline.run() == 1
    assert pipeline.states() == [DELIVERED]
    assert len(vendors.pa.purchases) == 1


def test_payloads_a_vendor_would_refuse_are_dead_lettered_unsent(pipeline_for, vendors):
    pipeline = pipeline_for("octocom", "alhena", "optico", "pa")
    pipeline.record(order(visitor=replace(VISITOR, octocom_session=None, pa_customer="x")))
    assert pipeline.run() == 4
    reasons = {d.sink: (d.state, d.last_error) for d in pipeline.deliveries()}
    assert reasons == {
        "alhena": (DELIVERED, ""),
        "octocom": (DEAD, "invalid: Octocom browser session id is missing"),
        "optico": (DELIVERED, ""),
        "pa": (DEAD, "invalid: PA customerId 'x' is not a UUID"),
    }
    assert vendors.octocom.received == [] and vendors.pa.received == []


def test_gives_up_after_max_attempts(pipeline_for, vendors):
    pipeline = pipeline_for("octocom", max_attempts=3)
    pipeline.record(order())
    vendors.octocom.fail_next("server_error", times=5)
    for _ in range(3):
        pipeline.run()
        pipeline.clock.advance(3600)
    (delivery,) = pipeline.deliveries()
    assert delivery.state == DEAD
    assert delivery.last_error.startswith("gave up after 3 attempts: Octocom answered HTTP 500")
    assert vendors.octocom.purchases == []


def test_pa_resumes_at_the_coupon_not_the_purchase(pipeline_for, vendors):
    """The relay resumes at the first request not yet delivered: the purchase goes once."""
    pipeline = pipeline_for("pa")
    codes = (PromotionCode("PB1", Decimal(1)), PromotionCode("PB2", Decimal(2)))
    pipeline.record(order(promotion_codes=codes))
    vendors.pa.answer_next(503, path="/b2b/coupon/mark_as_used")
    assert pipeline.run() == 1
    (delivery,) = pipeline.deliveries()
    assert (delivery.state, delivery.requests_done) == (PENDING, 1)
    assert (len(vendors.pa.purchases), vendors.pa.marked) == (1, [])
    pipeline.clock.advance(3600)
    assert pipeline.run() == 1
    assert pipeline.states() == [DELIVERED]
    assert len(vendors.pa.purchases) == 1
    assert vendors.pa.marked == ["PB1", "PB2"]
    assert [request.path for request in vendors.pa.received] == [
        "/3.0/events/purchases",
        "/b2b/coupon/mark_as_used",
        "/b2b/coupon/mark_as_used",
        "/b2b/coupon/mark_as_used",
    ]
    assert vendors.problems == []


def test_alhena_hears_a_cart_history_it_accepts(pipeline_for, vendors):
    pipeline = pipeline_for("alhena")
    quantities = [3, 2, 5, 1, 4]
    snapshots = [
        cart(line("A", quantity), occurred_at=WHEN + timedelta(minutes=minute))
        for minute, quantity in enumerate(quantities)
    ]
    pipeline.record(*snapshots, cart(occurred_at=WHEN + timedelta(minutes=9)))
    pipeline.run()
    assert set(pipeline.states()) == {DELIVERED}
    kinds = [(event["type"], event["quantity"]) for event in vendors.alhena.cart_events]
    assert kinds == [
        ("ITEM_ADDED", 1),
        ("QUANTITY_INCREASED", 3),
        ("QUANTITY_DECREASED", 2),
        ("QUANTITY_INCREASED", 5),
        ("QUANTITY_DECREASED", 1),
        ("QUANTITY_INCREASED", 4),
        ("ITEM_REMOVED", 0),
    ]
    assert vendors.alhena.quantities(VISITOR.alhena_fingerprint or "") == {}
    assert vendors.problems == []


def test_a_visitor_who_chats_later_is_heard_from_then_on(pipeline_for, vendors):
    """ACTIVE_TICKET_NOT_FOUND is final; the cart's later changes are refused, not blocked."""
    pipeline = pipeline_for("alhena")
    fingerprint = "770e8400-e29b-41d4-a716-446655442222"
    visitor = replace(VISITOR, alhena_fingerprint=fingerprint)
    pipeline.record(cart(line("A", 1), visitor=visitor))
    pipeline.run()
    vendors.alhena.add_active_visitor(fingerprint)
    pipeline.record(
        cart(line("A", 2), visitor=visitor, occurred_at=WHEN + timedelta(minutes=1)),
        cart(line("B", 1), visitor=visitor, occurred_at=WHEN + timedelta(minutes=2)),
    )
    pipeline.run()
    states = [(d.state, d.last_error.split(" (")[0]) for d in pipeline.deliveries()]
    assert states == [
        (DEAD, "rejected: Alhena: ACTIVE_TICKET_NOT_FOUND"),
        (DEAD, "rejected: Alhena: PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND"),
        (DEAD, "rejected: Alhena: PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND"),
    ]


# --- hostile answers (issue 14) ---------------------------------------------------------------

#: The most a retry waits in these tests (relay_backoff_max_seconds).
BACKOFF_MAX = 600
MAINTENANCE_PAGE = b"<html><body>Down for maintenance</body></html>"


def no_envelope(fake: Any, retry_after: str | None, body: bytes = MAINTENANCE_PAGE) -> None:
    """Optico's next answer: 200 without its status envelope (a proxy's page), and Retry-After."""
    headers = [("Content-Type", "text/html")]
    if retry_after is not None:
        headers.append(("Retry-After", retry_after))
    fake.answer_next(200, body, headers)


@pytest.mark.parametrize(
    ("retry_after", "body", "honoured"),
    [
        ("99999999999999999999", MAINTENANCE_PAGE, True),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAINTENANCE_PAGE, True),
        # Unreadable (an OverflowError in the date parser): the backoff applies.
        ("Fri, 31 Dec 99999999999999999999999 23:59:59 GMT", MAINTENANCE_PAGE, False),
        # NUL (which PostgreSQL refuses in text) and bytes that are not UTF-8, quoted in the
        # delivery's last error.
        (None, b"\x00\xff\xfe\x00 oops", False),
    ],
    ids=["huge-seconds", "year-9999", "unreadable-date", "binary-body"],
)
def test_a_hostile_retry_after_holds_one_delivery_within_the_cap(
    vendors, events_database, retry_after, body, honoured
):
    pipeline = Pipeline(
        events_database, vendors, ("optico",), backoff_max=float(BACKOFF_MAX), max_attempts=3
    )
    try:
        pipeline.record(
            order(order_id="ORD-1", cart_id="cart-1"), order(order_id="ORD-2", cart_id="cart-2")
        )
        no_envelope(vendors.optico, retry_after, body)
        before = pipeline.clock.now
        assert pipeline.run() == 2
        after = pipeline.clock.now
        # The next order went; the first waits, at most backoff_max.
        assert list(vendors.optico.orders) == ["ORD-2"]
        held, sent = pipeline.deliveries()
        assert sent.state == DELIVERED
        assert (held.state, held.attempts) == (PENDING, 1)
        assert held.last_error.startswith("Optico answered without its status envelope")
        assert "\x00" not in held.last_error
        assert held.next_attempt_at <= after + timedelta(seconds=BACKOFF_MAX)
        if honoured:
            # Database times may drop the fraction of a second.
            assert held.next_attempt_at >= before + timedelta(seconds=BACKOFF_MAX - 1)
        # Optico keeps answering so: the attempts run out and the delivery is dead-lettered.
        for _ in range(2):
            pipeline.clock.advance(BACKOFF_MAX)
            no_envelope(vendors.optico, retry_after, body)
            assert pipeline.run() == 1
        held, sent = pipeline.deliveries()
        assert (held.state, held.attempts) == (DEAD, 3)
        assert held.last_error.startswith(
            "gave up after 3 attempts: Optico answered without its status envelope"
        )
        assert list(vendors.optico.orders) == ["ORD-2"]
        assert vendors.problems == []
    finally:
        pipeline.close()


def relay_worker_once(config: Path) -> str:
    """Run `oct8ne-adapter relay-worker --once` in its own process; its output, once it exited 0."""
    run = subprocess.run(
        [*worker_command(config), "--once"], capture_output=True, text=True, timeout=120
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Traceback" not in output
    return run.stdout


@pytest.mark.parametrize("retry_after", ["99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_relay_worker_once_outlives_a_hostile_retry_after(
    vendors, events_database, empty_database_url, tmp_path, retry_after
):
    """The real console script: it used to exit 1 (OverflowError) before the next order went."""
    database = events_database
    recorder = EventRecorder(database, ["optico"])
    recorder.record(order(order_id="ORD-1", cart_id="cart-1"))
    recorder.record(order(order_id="ORD-2", cart_id="cart-2"))
    config = tmp_path / "relay.toml"
    config.write_text(
        f'database_url = "{empty_database_url}"\n'
        f"relay_backoff_max_seconds = {BACKOFF_MAX}\n"
        f'[event_sinks.optico]\nkey = "{OPTICO_KEY}"\n'
        f'base_url = "{vendors.optico.base_url}"\n',
        encoding="utf-8",
    )
    no_envelope(vendors.optico, retry_after)
    before = utcnow()
    assert "processed 2 deliveries" in relay_worker_once(config)
    after = utcnow()
    assert list(vendors.optico.orders) == ["ORD-2"]
    with database.session() as session:
        held = session.scalars(select(EventDelivery).order_by(EventDelivery.event_seq)).first()
    assert held is not None and (held.state, held.attempts) == (PENDING, 1)
    assert held.last_error.startswith("Optico answered without its status envelope")
    assert before + timedelta(seconds=BACKOFF_MAX - 1) <= held.next_attempt_at
    assert held.next_attempt_at <= after + timedelta(seconds=BACKOFF_MAX)
    # Started again at once (the failing worker re-sent ORD-1 on every start): nothing is due.
    assert "processed 0 deliveries" in relay_worker_once(config)
    assert len(vendors.optico.received) == 2
    assert vendors.problems == []
