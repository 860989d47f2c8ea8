"""Relay throughput: events/s from the outbox into a local fake vendor, against raw HTTP posts.

    python bench/relay_bench.py [--events 3000] [--postgresql-url URL] [--skip-postgresql]

For each backend (SQLite file; PostgreSQL in a throwaway database on the local server) it
records N orders for one sink, then times `Relay.run_once(100)` until the outbox is empty
(claim, build the request, POST, mark delivered: one commit per delivery plus one per batch).
The baseline, measured in the same run against the same fake vendor, is N raw POSTs of the same
bodies with one `requests.Session` and no database. It prints one JSON object per backend.

The fake vendor is a ThreadingHTTPServer on 127.0.0.1, in a process of its own, answering 201
at once (HTTP/1.1, keep-alive); the sink is a minimal JSON sink of this file (the vendors' own
sinks add their payload building, which the sink tests measure, and Octocom a 100/min limit).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from oct8ne_adapter.events import codec
from oct8ne_adapter.events.model import CommerceEvent, EventContext, EventLine, OrderPlaced
from oct8ne_adapter.events.recorder import record
from oct8ne_adapter.events.relay import Relay, RelayOptions
from oct8ne_adapter.events.sinks.base import OutboundRequest, Outcome, Verdict
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.schema import create_schema

DEFAULT_POSTGRESQL = os.environ.get(
    "OCT8NE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class FakeVendor:
    """201 at once for every POST, in a process of its own (not competing for the relay's GIL)."""

    def __init__(self) -> None:
        self._count = multiprocessing.Value("q", 0)
        ready = multiprocessing.Queue()
        self._process = multiprocessing.Process(
            target=_serve_vendor, args=(self._count, ready), daemon=True
        )
        self._process.start()
        port = ready.get(timeout=30)
        self.url = f"http://127.0.0.1:{port}/purchases"

    @property
    def count(self) -> int:
        """POSTs answered so far."""
        return int(self._count.value)

    def close(self) -> None:
        self._process.terminate()
        self._process.join(10)


def _serve_vendor(count: Any, ready: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One segment per answer, sent at once: no 40 ms Nagle/delayed-ACK stalls.
        disable_nagle_algorithm = True
        wbufsize = 64 * 1024

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with count.get_lock():
                count.value += 1
            self.send_response(201)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(server.server_port)
    server.serve_forever()


class JsonSink:
    """The order as JSON, one POST per order."""

    name = "bench"
    requests_per_minute = None

    def __init__(self, url: str) -> None:
        self.url = url

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        return [
            OutboundRequest("POST", self.url, {"Content-Type": "application/json"}, body_of(event))
        ]

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        return Verdict(Outcome.DELIVERED if status == 201 else Outcome.RETRY, str(status))


def body_of(event: CommerceEvent) -> bytes:
    return json.dumps(codec.event_to_json(event)).encode()


def orders(count: int, run: str) -> list[OrderPlaced]:
    line = EventLine("P-1", "Lamp", 2, Decimal("12.50"))
    return [
        OrderPlaced(
            order_id=f"{run}-{number}",
            currency="EUR",
            lines=(line,),
            subtotal=Decimal("25.00"),
            total=Decimal("30.25"),
            status="paid",
            occurred_at=datetime.now(UTC),
        )
        for number in range(count)
    ]


def baseline(vendor: FakeVendor, events: list[OrderPlaced]) -> float:
    """Raw POSTs per second: the same bodies, one session, no database."""
    with requests.Session() as session:
        started = time.perf_counter()
        for event in events:
            session.post(
                vendor.url,
                data=body_of(event),
                headers={"Content-Type": "application/json"},
                timeout=10,
            ).raise_for_status()
        return len(events) / (time.perf_counter() - started)


def relay_rate(
    url: str, vendor: FakeVendor, events: list[OrderPlaced], concurrency: int, mark_batch: int
) -> dict[str, float]:
    engine = create_database_engine(url)
    try:
        create_schema(engine)
        database = Database(engine)
        started = time.perf_counter()
        for start in range(0, len(events), 500):
            with database.transaction() as session:
                for event in events[start : start + 500]:
                    record(session, event, ["bench"])
        recorded = len(events) / (time.perf_counter() - started)
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a burst: without statistics the planner
            # takes the claim's ordering check for a one-row table and runs it quadratically.
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE event_deliveries")
        before = vendor.count
        options = RelayOptions(timeout=10, concurrency=concurrency, mark_batch=mark_batch)
        with Relay(database, [JsonSink(vendor.url)], options=options) as relay:
            started = time.perf_counter()
            delivered = 0
            while batch := relay.run_once(100):
                delivered += batch
            seconds = time.perf_counter() - started
        assert delivered == len(events) and vendor.count - before == len(events)
        return {"recorded_per_s": recorded, "delivered_per_s": delivered / seconds}
    finally:
        engine.dispose()


def postgresql_database(admin_url: str) -> tuple[str, Any]:
    name = f"oct8ne_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL)
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--concurrency", type=int, default=1, help="relay_concurrency")
    parser.add_argument("--mark-batch", type=int, default=1, help="relay_mark_batch")
    parser.add_argument("--skip-sqlite", action="store_true")
    arguments = parser.parse_args()
    vendor = FakeVendor()
    try:
        backends = ([] if arguments.skip_sqlite else ["sqlite"]) + (
            [] if arguments.skip_postgresql else ["postgresql"]
        )
        for backend in backends:
            warm = orders(200, f"warm-{backend}")
            baseline(vendor, warm)
            base = baseline(vendor, orders(arguments.events, f"base-{backend}"))
            if backend == "sqlite":
                directory = tempfile.mkdtemp(prefix="relay-bench-")
                url, cleanup = f"sqlite:///{Path(directory) / 'bench.db'}", None
            else:
                url, cleanup = postgresql_database(arguments.postgresql_url)
            try:
                figures = relay_rate(
                    url,
                    vendor,
                    orders(arguments.events, f"relay-{backend}"),
                    arguments.concurrency,
                    arguments.mark_batch,
                )
            finally:
                if cleanup is not None:
                    cleanup()
            print(
                json.dumps(
                    {
                        "backend": backend,
                        "concurrency": arguments.concurrency,
                        "mark_batch": arguments.mark_batch,
                        "events": arguments.events,
                        "baseline_posts_per_s": round(base),
                        "relay_events_per_s": round(figures["delivered_per_s"]),
                        "relay_over_baseline": round(figures["delivered_per_s"] / base, 3),
                        "recorded_per_s": round(figures["recorded_per_s"]),
                    }
                ),
                flush=True,
            )
    finally:
        vendor.close()


if __name__ == "__main__":
    sys.exit(main())
