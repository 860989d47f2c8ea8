"""kill -9 of the real `oct8ne-adapter relay-worker` in the middle of a batch, then a restart.

The fake vendor is Octocom's purchases API (no idempotency on Octocom's side): it stores every
request it receives, and it answers slowly. The worker claims the whole batch, delivers some
orders, and is killed while a request is in flight: the vendor has stored that purchase, the
worker never saw the answer. After a restart:

- every order reaches the vendor (none lost), the orders answered before the kill are never
  sent again, and the orders claimed but not started go exactly once;
- the one request that was in flight is sent again, with the same `Idempotency-Key`. A vendor
  that stores by key (the second receiver mode) stores every order exactly once; a vendor
  without idempotency (Octocom, PA, Alhena cart events) stores that one purchase twice. That
  window, between the vendor storing a request and the worker recording the answer, is the
  at-least-once guarantee's remaining cost, and it is at most one request per killed worker;
- with `relay_mark_batch = 3` the delivered marks are written three at a time, so the orders
  answered since the last written marks are sent again too (same keys), and no others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slow_octocom import SlowOctocom
from sqlalchemy import select

from oct8ne_adapter.events.model import EventLine, OrderPlaced, VisitorIds
from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import EventDelivery

ORDERS = 12
#: The request the vendor is holding when the worker is killed (1-based).
KILL_AT = 5


def worker_command(config: Path) -> list[str]:
    """The installed console script, next to this interpreter."""
    script = Path(sys.executable).with_name("oct8ne-adapter")
    if script.exists():
        return [str(script), "--config", str(config), "relay-worker"]
    return [
        sys.executable,
        "-c",
        "from oct8ne_adapter.cli import main; main()",
        "--config",
        str(config),
        "relay-worker",
    ]


@pytest.fixture(params=[False, True], ids=["vendor-without-idempotency", "idempotent-vendor"])
def vendor(request: pytest.FixtureRequest) -> Iterator[SlowOctocom]:
    server = SlowOctocom(idempotent=request.param, hold_at=KILL_AT)
    yield server
    server.close()


@pytest.mark.parametrize("mark_batch", [1, 3], ids=["marked-each", "marked-by-3"])
def test_kill_9_mid_batch_loses_nothing(
    events_database: Database,
    empty_database_url: str,
    backend: str,
    vendor: SlowOctocom,
    mark_batch: int,
    tmp_path: Path,
):
    if backend == "mariadb":
        pytest.skip("claiming on MariaDB is covered by the several-workers test")
    if backend == "postgresql" and vendor.idempotent:
        pytest.skip("the vendor's idempotency does not depend on the database: SQLite shows it")
    if mark_batch > 1 and (backend != "sqlite" or vendor.idempotent):
        pytest.skip("batched marks widen the window the same way everywhere: SQLite shows it")
    database = events_database
    recorder = EventRecorder(database, ["octocom"])
    for number in range(ORDERS):
        assert recorder.record(
            OrderPlaced(
                order_id=f"O-{number}",
                currency="EUR",
                lines=(EventLine(f"O-{number}", "Lamp", 1, Decimal("20.00")),),
                subtotal=Decimal("20.00"),
                total=Decimal("24.20"),
                status="paid",
                occurred_at=datetime(2026, 11, 26, 12, number, tzinfo=UTC),
                visitor=VisitorIds(octocom_session=str(uuid.uuid4())),
            )
        )
    config = tmp_path / "relay.toml"
    config.write_text(
        f'database_url = "{empty_database_url}"\n'
        # A short lease: on PostgreSQL the restarted worker waits for the dead one's claims.
        "relay_timeout = 1\nrelay_lease_seconds = 4\nrelay_poll_ms = 50\n"
        f"relay_mark_batch = {mark_batch}\n"
        f'[event_sinks.octocom]\nbase_url = "{vendor.url}"\n',
        encoding="utf-8",
    )
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first_log = tmp_path / "first.log"
    with first_log.open("wb") as log:
        first = subprocess.Popen(worker_command(config), env=environment, stdout=log, stderr=log)
    try:
        assert vendor.in_flight.wait(30), first_log.read_text()
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    vendor.release.set()
    with vendor.lock:
        before_restart = list(vendor.requests)
    assert len(before_restart) == KILL_AT
    with database.session() as session:
        claimed = session.scalars(
            select(EventDelivery).where(EventDelivery.claimed_by.is_not(None))
        ).all()
    # Killed mid-batch: only the written marks freed their claims.
    marked = (KILL_AT - 1) // mark_batch * mark_batch
    assert len(claimed) == ORDERS - marked

    second_log = tmp_path / "second.log"
    with second_log.open("wb") as log:
        second = subprocess.Popen(worker_command(config), env=environment, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with vendor.lock:
                if len(vendor.requests) >= ORDERS + KILL_AT - marked:
                    break
            time.sleep(0.05)
        time.sleep(0.3)  # a duplicate beyond the expected one would arrive now
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    finally:
        if second.poll() is None:
            second.kill()
    output = second_log.read_text()
    assert second.returncode == 0, output
    assert "stopped" in output

    sent = Counter(order_id for order_id, _ in vendor.requests)
    stored = Counter(vendor.stored)
    # None lost; only the requests not marked at the kill (the one in flight, and those answered
    # since the last written marks) were sent twice, each with its own key both times.
    unmarked = dict(before_restart[marked:])
    assert set(sent) == {f"O-{number}" for number in range(ORDERS)}
    assert {order for order, count in sent.items() if count > 1} == set(unmarked)
    for order, key in unmarked.items():
        assert [sent_key for sent_order, sent_key in vendor.requests if sent_order == order] == [
            key,
            key,
        ]
    assert all(sent[order] == 1 for order, _ in before_restart[:marked])
    if vendor.idempotent:
        assert all(count == 1 for count in stored.values())
    else:
        assert all(count == (2 if order in unmarked else 1) for order, count in stored.items())
    with database.session() as session:
        rows = session.scalars(select(EventDelivery)).all()
    assert {row.state for row in rows} == {"delivered"}
