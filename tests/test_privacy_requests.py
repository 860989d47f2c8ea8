"""`oct8ne-adapter privacy export|erase` (sql/privacy.py) on the three databases, via the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from backends import seed_demo
from sqlalchemy import select, update

from oct8ne_adapter.cli import cli
from oct8ne_adapter.events.model import (
    CartUpdated,
    EventLine,
    OrderPlaced,
    OrderStatusChanged,
    VisitorIds,
)
from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import (
    Customer,
    EventDelivery,
    OutboxEvent,
    RecordedCart,
    RecordedOrder,
)
from oct8ne_adapter_demo.customers import sign_in_demo_customer

AT = datetime(2026, 5, 1, 9, 30)
LINE = (EventLine("1001", "Lamp", 2, Decimal("12.50")),)
JANE = VisitorIds(oct8ne_session="OS-JANE")


def order(order_id: str, **fields) -> OrderPlaced:
    return OrderPlaced(order_id, "USD", LINE, Decimal(25), Decimal(25), "paid", AT, **fields)


@pytest.fixture
def demo_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A demo database of this test's own: the shared server ones hold other tests' sessions
    and events, which an export of everything about Jane would rightly list."""
    if backend == "sqlite":
        return f"sqlite:///{request.getfixturevalue('database_file')}"
    url: str = request.getfixturevalue("empty_database_url")
    seed_demo(url)
    return url


@pytest.fixture
def shop(demo_url: str) -> Iterator[Database]:
    """The demo database with Jane signed in and events about Jane, a guest and John."""
    engine = create_database_engine(demo_url)
    database = Database(engine)
    sign_in_demo_customer(database, "jane.doe@example.com")
    recorder = EventRecorder(database, ["octocom", "optico"])
    cart = CartUpdated("C-JANE", "USD", LINE, Decimal(25), Decimal(25), AT, visitor=JANE)
    recorder.record(cart)  # anonymous, before she signed in
    recorder.record(
        CartUpdated(
            "C-JANE",
            "USD",
            LINE,
            Decimal(25),
            Decimal(25),
            AT.replace(minute=40),
            visitor=JANE,
            customer_id="1",
            logged_in=True,
        )
    )
    recorder.record(
        order(
            "O-JANE",
            cart_id="C-JANE",
            customer_id="1",
            customer_email="Jane.Doe@Example.com",
            visitor=JANE,
        )
    )
    recorder.record(OrderStatusChanged("O-JANE", "shipped", AT.replace(hour=12)))
    # A guest order with her e-mail only: found through the payload.
    recorder.record(order("O-GUEST", customer_email="jane.doe@example.com"))
    recorder.record(order("O-JOHN", customer_id="2", customer_email="john.smith@example.com"))
    with database.transaction() as session:
        jane_cart = select(OutboxEvent.seq).where(OutboxEvent.subject == "C-JANE")
        session.execute(
            update(EventDelivery)
            .where(EventDelivery.event_seq.in_(jane_cart), EventDelivery.sink == "octocom")
            .values(state="delivered")
        )
        placed = select(OutboxEvent.seq).where(OutboxEvent.subject == "O-JANE")
        session.execute(
            update(EventDelivery)
            .where(EventDelivery.event_seq.in_(placed), EventDelivery.sink == "optico")
            .values(state="dead", requests_done=1)
        )
    yield database
    engine.dispose()


@pytest.fixture
def config(demo_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "{demo_url}"\n', encoding="utf-8")
    return path


def invoke(runner, config: Path, *args: str):
    return runner.invoke(cli, ["--config", str(config), "privacy", *args])


@pytest.mark.writes_database
def test_export_then_erase_a_customer(shop: Database, config: Path, runner):
    exported = invoke(runner, config, "export", "--email", "JANE.doe@example.com")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["customer"]["email"] == "jane.doe@example.com"
    assert data["customer_ids"] == ["1"]
    assert len(data["sessions"]) == 1
    assert [item["item_id"] for item in data["wishlist"]] == ["1002", "1005", "1006"]
    assert [len(cart["lines"]) for cart in data["carts"]] == [3]
    assert {o["reference"] for o in data["orders"]} >= {"JDX1001A"}
    assert all(o["lines"] for o in data["orders"])
    assert [c["cart_id"] for c in data["recorded_carts"]] == ["C-JANE"]
    assert [o["order_id"] for o in data["recorded_orders"]] == ["O-GUEST", "O-JANE"]
    kinds = sorted((e["kind"], e["subject"]) for e in data["events"])
    assert kinds == [
        ("cart_updated", "C-JANE"),
        ("cart_updated", "C-JANE"),
        ("order_placed", "O-GUEST"),
        ("order_placed", "O-JANE"),
        ("order_status_changed", "O-JANE"),
    ]
    assert all(len(e["deliveries"]) == 2 for e in data["events"])
    assert "john" not in exported.output.lower() and "O-JOHN" not in exported.output

    erased = invoke(runner, config, "erase", "--email", "jane.doe@example.com")
    assert erased.exit_code == 0, erased.output
    assert "event_outbox: 5" in erased.output
    assert "recorded_orders (anonymised): 2" in erased.output
    assert "customers: 1" in erased.output
    # Octocom got her cart, Optico part of her order; the rest was still pending.
    assert "pending deliveries dropped (never sent): octocom, optico" in erased.output
    assert "these vendors, which received events about this customer: octocom, optico" in (
        erased.output
    )

    with shop.session() as session:
        assert session.scalar(select(Customer).where(Customer.external_id == "1")) is None
        payloads = list(session.scalars(select(OutboxEvent.payload)))
        assert len(payloads) == 1 and "john.smith@example.com" in payloads[0]
        assert session.scalar(select(RecordedCart.cart_id)) is None
        orders = {o.order_id: o for o in session.scalars(select(RecordedOrder))}
        assert orders["O-JANE"].customer_id is None and orders["O-JANE"].oct8ne_session is None
        assert orders["O-JOHN"].customer_id == "2"
    # The anonymised order stays a duplicate: replaying it sends nothing to the vendors.
    assert EventRecorder(shop, ["octocom"]).record(order("O-JANE", customer_id="1")) is False

    again = json.loads(invoke(runner, config, "export", "--email", "jane.doe@example.com").output)
    assert again["customer"] is None and not any(
        again[key] for key in ("sessions", "wishlist", "carts", "orders", "events")
    )
    nothing = invoke(runner, config, "erase", "--email", "jane.doe@example.com")
    assert "nothing stored about this e-mail address" in nothing.output
    assert "no vendor received events about this customer" in nothing.output


@pytest.mark.parametrize("email", ["", "jane", "@example.com", "jane doe@example.com"])
def test_a_bad_address_is_a_one_line_error(config: Path, runner, email: str):
    result = invoke(runner, config, "erase", "--email", email)
    assert result.exit_code == 2 and "is not an e-mail address" in result.output
    assert "Traceback" not in result.output


def test_an_address_with_like_wildcards_finds_only_its_own_events(
    events_database: Database, tmp_path, runner
):
    """`_` and `%` are LIKE wildcards: a_b%c@ finds itself in any case, never axbyc@."""
    recorder = EventRecorder(events_database, ["octocom"])
    for number, email in enumerate(["a_b%c@example.com", "axbyc@example.com", "A_B%C@EXAMPLE.COM"]):
        recorder.record(order(f"O-{number}", customer_email=email))
    url = events_database.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    exported = json.loads(invoke(runner, config, "export", "--email", "a_b%c@example.com").output)
    assert [o["order_id"] for o in exported["recorded_orders"]] == ["O-0", "O-2"]
    erased = invoke(runner, config, "erase", "--email", "a_b%c@example.com")
    assert "event_outbox: 2" in erased.output
    assert "pending deliveries dropped (never sent): octocom" in erased.output
    with events_database.session() as session:
        assert list(session.scalars(select(OutboxEvent.subject))) == ["O-1"]
