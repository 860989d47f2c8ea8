"""Hostile vendors against the real relay: answers dripped a byte at a time, endless bodies.

The attack review saw a vendor dripping one byte every 2 s keep one delivery open 24 s with
`relay_timeout = 3` and a 10 s lease: `requests`' timeout bounds each read, not the answer, and
past the lease a second worker may claim the delivery and send it again. Each request now has
`relay_timeout` for its whole answer (events.transport), well inside the lease, and its body is
read up to `max_answer_bytes`.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fakes.vendors import Vendors, order, running_vendors
from test_events_end_to_end import Pipeline

from oct8ne_adapter.events.recorder import DELIVERED, PENDING
from oct8ne_adapter.sql.database import Database

TIMEOUT = 3.0
LEASE = timedelta(seconds=10)


@pytest.fixture
def vendors() -> Iterator[Vendors]:
    with running_vendors() as fakes:
        yield fakes


@pytest.fixture
def pipeline(vendors: Vendors, sqlite_database: Database) -> Iterator[Pipeline]:
    """Octocom (which stores every purchase it receives) with relay_timeout=3 and a 10 s lease."""
    made = Pipeline(sqlite_database, vendors, ("octocom",), timeout=TIMEOUT, lease=LEASE)
    yield made
    made.close()


def _timed_run(pipeline: Pipeline) -> float:
    started = time.monotonic()
    assert pipeline.run() == 1
    return time.monotonic() - started


@pytest.mark.parametrize("headers_at_once", [False, True], ids=["headers-dripped", "body-dripped"])
def test_a_dripping_vendor_is_cut_at_the_timeout_well_inside_the_lease(
    pipeline, vendors, headers_at_once
):
    pipeline.record(order())
    vendors.octocom.drip_next(2.0, headers_at_once=headers_at_once)
    elapsed = _timed_run(pipeline)
    # Before: each 2 s byte reset the 3 s read timeout, and the delivery lasted minutes.
    assert elapsed < TIMEOUT + 1.5 < LEASE.total_seconds(), elapsed
    (delivery,) = pipeline.deliveries()
    assert delivery.state == PENDING and delivery.attempts == 1
    assert delivery.last_error == f"no answer within {TIMEOUT:g}s"
    (dripped,) = vendors.octocom.received
    assert dripped.bytes_sent <= TIMEOUT / 2 + 1, "the connection was cut, not read to the end"
    # The retry (the vendor answering normally now) carries the same key: a vendor that
    # honours it stores the purchase once.
    pipeline.clock.advance(3600)
    assert pipeline.run() == 1
    assert pipeline.states() == [DELIVERED]
    first, second = vendors.octocom.received
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]


def test_an_endless_body_is_read_only_up_to_the_cap(pipeline, vendors):
    pipeline.record(order())
    vendors.octocom.flood_next()
    elapsed = _timed_run(pipeline)
    assert elapsed < TIMEOUT
    (delivery,) = pipeline.deliveries()
    assert delivery.state == PENDING
    assert delivery.last_error == "answer too large: the answer is longer than 1048576 bytes"
    (flooded,) = vendors.octocom.received
    # The client stopped reading at the cap: the server's socket buffers hold the rest.
    assert flooded.bytes_sent < 16 * 1_048_576


def test_a_body_announced_over_the_cap_is_not_read(pipeline, vendors):
    pipeline.record(order())
    vendors.octocom.answer_next(201, b"x" * 2_000_000)
    pipeline.run()
    (delivery,) = pipeline.deliveries()
    assert delivery.state == PENDING
    assert delivery.last_error == "answer too large: the answer announces 2000000 bytes"


def test_the_cap_counts_the_decompressed_body(pipeline, vendors):
    """A 5 MB gzip bomb in a few kilobytes is refused once 1 MiB of it is inflated."""
    pipeline.record(order())
    bomb = gzip.compress(b"0" * 5_000_000)
    assert len(bomb) < 10_000
    vendors.octocom.answer_next(201, bomb, headers=[("Content-Encoding", "gzip")])
    pipeline.run()
    (delivery,) = pipeline.deliveries()
    assert delivery.last_error == "answer too large: the answer is longer than 1048576 bytes"
