"""The relay's Idempotency-Key: one per event request, from a random id stored with the event.

A key built from the outbox sequence number (`oct8ne-<seq>-<sink>-<n>`) repeats across
databases: staging and production, or a restored backup, number their events 1, 2, 3 ... and a
vendor that honours the key would drop production's event 1 as a replay of staging's. The key
is built from the event's random id instead, chosen when it is recorded: every worker on every
host, and every resend, sends the same key for that request, and no other event ever does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import insert, select
from test_events_relay import Answer, Clock, EchoSink, Receiver, cart, deliveries, fast, order

from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.events.relay import Relay
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import EventDelivery, OutboxEvent
from oct8ne_adapter.sql.schema import upgrade

KEY = re.compile(r"oct8ne-([0-9a-f]{32})-echo-([0-9]+)")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _deliver_all(database: Database, url: str, **kwargs) -> None:
    with Relay(database, [EchoSink(url)], options=fast(), **kwargs) as relay:
        while relay.run_once():
            pass


def _seqs_and_ids(database: Database) -> list[tuple[int, str]]:
    with database.session() as session:
        rows = session.execute(
            select(OutboxEvent.seq, OutboxEvent.event_id).order_by(OutboxEvent.seq)
        )
        return [(seq, event_id) for seq, event_id in rows]


def test_the_same_sequence_numbers_in_two_databases_give_different_keys(
    events_database, sqlite_database, receiver
):
    """Staging and production record the same events (seq 1, 2, 3 in both): no key repeats."""
    for database in (events_database, sqlite_database):
        recorder = EventRecorder(database, ["echo"])
        assert recorder.record(order("o1"))
        assert recorder.record(cart("c1", 1))
        assert recorder.record(cart("c1", 2, minute=1))
        _deliver_all(database, receiver.url)
    first, second = _seqs_and_ids(events_database), _seqs_and_ids(sqlite_database)
    assert [seq for seq, _ in first] == [seq for seq, _ in second], "the same sequence numbers"
    keys = [entry["key"] for entry in receiver.received]
    assert len(keys) == 6 and len(set(keys)) == 6, keys
    assert all(KEY.fullmatch(key) for key in keys), keys
    # Each key names its own event's stored id, whichever database it came from.
    sent_ids = {KEY.fullmatch(key).group(1) for key in keys}  # type: ignore[union-attr]
    assert sent_ids == {event_id for _, event_id in first + second}


def test_every_resend_from_every_worker_sends_the_same_key(sqlite_database, receiver):
    """A 503, then a retry by another worker (another host): the key does not change."""
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    receiver.script = [Answer(503)]
    clock = Clock()
    with Relay(
        sqlite_database, [EchoSink(receiver.url)], clock=clock, options=fast(), worker_id="host-a"
    ) as relay:
        relay.run_once()
    assert deliveries(sqlite_database)[0].state == "pending"
    clock.advance(3600)
    _deliver_all(sqlite_database, receiver.url, clock=clock, worker_id="host-b")
    assert deliveries(sqlite_database)[0].state == "delivered"
    # The receiver keeps only accepted requests: read the refused one's key from the row instead.
    [(_, event_id)] = _seqs_and_ids(sqlite_database)
    assert [entry["key"] for entry in receiver.received] == [f"oct8ne-{event_id}-echo-0"]


def test_each_request_of_an_event_has_its_own_key(sqlite_database, receiver):
    """An event a sink sends as several requests: one key per request, all from the event's id."""
    EventRecorder(sqlite_database, ["echo"]).record(order("o1"))
    with Relay(sqlite_database, [EchoSink(receiver.url, requests=3)], options=fast()) as relay:
        relay.run_once()
    [(_, event_id)] = _seqs_and_ids(sqlite_database)
    assert [entry["key"] for entry in receiver.received] == [
        f"oct8ne-{event_id}-echo-{index}" for index in range(3)
    ]


def test_recording_chooses_a_new_random_id_for_every_event(sqlite_database):
    recorder = EventRecorder(sqlite_database, ["echo"])
    for number in range(20):
        recorder.record(order(f"o{number}"))
    ids = [event_id for _, event_id in _seqs_and_ids(sqlite_database)]
    assert len(set(ids)) == 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", event_id) for event_id in ids)


def test_the_migration_gives_stored_events_distinct_ids_and_keeps_their_deliveries(
    empty_database_url,
):
    """Events recorded before revision 0010 get random ids; no delivery is lost on the way."""
    engine = create_database_engine(empty_database_url)
    try:
        upgrade(engine, "0009")
        now = datetime(2026, 12, 1, 12, 0)
        with engine.begin() as connection:
            for number in (1, 2, 3):
                # Core, naming only the columns revision 0009 has.
                inserted = connection.execute(
                    insert(OutboxEvent.__table__).values(
                        kind="order_placed",
                        subject=f"o{number}",
                        dedupe_key=f"{number:064d}",
                        payload="{}",
                        recorded_at=now,
                    )
                )
                connection.execute(
                    insert(EventDelivery.__table__).values(
                        event_seq=inserted.inserted_primary_key[0],
                        sink="echo",
                        ordering_key=f"order:o{number}",
                        state="pending",
                        attempts=0,
                        requests_done=0,
                        next_attempt_at=now,
                        created_at=now,
                        last_error="",
                    )
                )
        upgrade(engine)
        database = Database(engine)
        ids = [event_id for _, event_id in _seqs_and_ids(database)]
        assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
        # Rebuilding event_outbox on SQLite would have cascaded to its deliveries.
        assert len(deliveries(database)) == 3
        # A new event after the migration gets an id too, and the index keeps them unique.
        assert EventRecorder(database, ["echo"]).record(order("o4"))
        assert len({event_id for _, event_id in _seqs_and_ids(database)}) == 4
    finally:
        engine.dispose()
