"""Retention (events.retention): expired carts, orders and finished events go; pending stay."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, update

from oct8ne_adapter.events.model import CartUpdated, EventLine, OrderPlaced
from oct8ne_adapter.events.recorder import record
from oct8ne_adapter.events.relay import Relay
from oct8ne_adapter.events.retention import PURGE_INTERVAL, PurgeCounts, purge_expired
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import EventDelivery, OutboxEvent, RecordedCart, RecordedOrder

NOW = datetime(2026, 6, 1, 12, 0)
OLD = NOW - timedelta(days=91)
RECENT = NOW - timedelta(days=89)
LINE = (EventLine("P-1", "Lamp", 1, Decimal("10.00")),)


def cart(cart_id: str, at: datetime) -> CartUpdated:
    return CartUpdated(cart_id, "EUR", LINE, Decimal(10), Decimal(10), at, customer_id="c1")


def order(order_id: str, at: datetime) -> OrderPlaced:
    return OrderPlaced(order_id, "EUR", LINE, Decimal(10), Decimal(10), "paid", at)


def seed(database: Database, count: int = 3) -> None:
    """`count` old carts and orders with finished events, one old pending, and recent ones."""
    with database.transaction() as session:
        for number in range(count):
            record(session, cart(f"OLD-C{number}", OLD), ["octocom"], now=OLD)
            record(session, order(f"OLD-O{number}", OLD), ["octocom"], now=OLD)
        # The newest event of a cart, old too: `relay purge` keeps it, retention does not.
        record(session, cart("OLD-C0", OLD + timedelta(hours=1)), ["octocom"], now=OLD)
        record(session, cart("PENDING", OLD), ["octocom"], now=OLD)
        record(session, cart("NEW-C", RECENT), ["octocom"], now=RECENT)
        record(session, order("NEW-O", RECENT), ["octocom"], now=RECENT)
        session.execute(update(EventDelivery).values(state="delivered", finished_at=OLD))
        pending = select(OutboxEvent.seq).where(OutboxEvent.subject == "PENDING")
        session.execute(
            update(EventDelivery)
            .where(EventDelivery.event_seq.in_(pending))
            .values(state="pending", finished_at=None)
        )
        # A dead delivery is finished too: only an operator would try it again.
        dead = select(OutboxEvent.seq).where(OutboxEvent.subject == "OLD-O1")
        session.execute(
            update(EventDelivery).where(EventDelivery.event_seq.in_(dead)).values(state="dead")
        )


def subjects(database: Database) -> list[str]:
    with database.session() as session:
        return sorted(set(session.scalars(select(OutboxEvent.subject))))


def count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_purge_deletes_expired_rows_and_never_a_pending_event(events_database: Database):
    seed(events_database)
    counts = purge_expired(events_database, 90, now=NOW, batch_size=2)
    # 3 old carts (+1 newer snapshot of OLD-C0) and 3 old orders; batches of 2 go on to the end.
    # The pending event's recorded cart is old too: the outbox row alone is what the relay sends.
    assert counts == PurgeCounts(events=7, carts=4, orders=3)
    assert subjects(events_database) == ["NEW-C", "NEW-O", "PENDING"]
    with events_database.session() as session:
        assert list(session.scalars(select(RecordedCart.cart_id))) == ["NEW-C"]
        assert list(session.scalars(select(RecordedOrder.order_id))) == ["NEW-O"]
        # No delivery is left without its event.
        assert session.scalar(select(func.count()).select_from(EventDelivery)) == 3
    assert purge_expired(events_database, 90, now=NOW) == PurgeCounts()


def test_a_pending_event_goes_once_delivered(events_database: Database):
    seed(events_database, count=1)
    purge_expired(events_database, 90, now=NOW)
    with events_database.transaction() as session:
        session.execute(update(EventDelivery).values(state="delivered"))
    assert purge_expired(events_database, 90, now=NOW).events == 1
    assert subjects(events_database) == ["NEW-C", "NEW-O"]


def test_a_shorter_retention_takes_the_recent_rows_too(events_database: Database):
    seed(events_database, count=1)
    counts = purge_expired(events_database, 30, now=NOW)
    assert counts == PurgeCounts(events=5, carts=3, orders=2)
    assert subjects(events_database) == ["PENDING"]


def test_the_relay_worker_purges_hourly_by_its_clock(sqlite_database: Database, caplog):
    seed(sqlite_database, count=1)
    clock = [NOW]
    relay = Relay(sqlite_database, [], clock=lambda: clock[0], retention_days=90)
    with relay, caplog.at_level(logging.INFO, "oct8ne_adapter"):
        assert relay.purge_if_due() == PurgeCounts(events=3, carts=2, orders=1)
        record_old(sqlite_database)
        clock[0] = NOW + PURGE_INTERVAL - timedelta(seconds=1)
        assert relay.purge_if_due() is None
        clock[0] = NOW + PURGE_INTERVAL
        assert relay.purge_if_due() == PurgeCounts(events=1, carts=1, orders=0)
    assert "purged 3 events, 2 recorded carts, 1 recorded orders" in caplog.text
    assert Relay(sqlite_database, []).purge_if_due() is None  # no retention: no purge


def record_old(database: Database) -> None:
    with database.transaction() as session:
        record(session, cart("LATE", OLD), [], now=OLD)


def test_purge_command_and_relay_worker_once(events_database: Database, tmp_path: Path, runner):
    from oct8ne_adapter.cli import cli

    seed(events_database, count=2)
    url = events_database.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    # The command's clock is the real one: every seeded row (March 2026) is older than 150 days.
    config.write_text(f'database_url = "{url}"\nretention_days = 150\n', encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(config), "purge", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "purged 7 events, 4 recorded carts, 3 recorded orders older than 150 days" in (
        result.output
    )
    assert subjects(events_database) == ["PENDING"]
    config.write_text(f'database_url = "{url}"\nretention_days = 0\n', encoding="utf-8")
    bad = runner.invoke(cli, ["--config", str(config), "purge"])
    assert bad.exit_code == 1 and "OCT8NE_RETENTION_DAYS must be at least 1" in bad.output


def test_run_forever_purges_between_claims(sqlite_database: Database):
    seed(sqlite_database, count=1)
    stop = threading.Event()
    with Relay(sqlite_database, [], clock=lambda: NOW, retention_days=90) as relay:
        worker = threading.Thread(target=relay.run_forever, args=(stop,))
        worker.start()
        try:
            for _ in range(100):
                if subjects(sqlite_database) == ["NEW-C", "NEW-O", "PENDING"]:
                    break
                stop.wait(0.05)
        finally:
            stop.set()
            worker.join(10)
    assert subjects(sqlite_database) == ["NEW-C", "NEW-O", "PENDING"]


def test_two_workers_purging_at_once_share_the_work(events_database: Database):
    seed(events_database)
    results: list[PurgeCounts] = []
    errors: list[BaseException] = []

    def purge() -> None:
        try:
            results.append(purge_expired(events_database, 90, now=NOW, batch_size=1))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=purge) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    assert sum(counts.events for counts in results) == 7
    assert subjects(events_database) == ["NEW-C", "NEW-O", "PENDING"]
