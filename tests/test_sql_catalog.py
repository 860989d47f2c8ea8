"""oct8ne_adapter.sql.catalog: translations for the visitor's language chain, loading products."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from conftest import rename_product
from sqlalchemy import delete, event, func, insert, select, update

from oct8ne_adapter import domain
from oct8ne_adapter.sql.catalog import (
    get_products,
    load_products_by_pk,
    pick_translation,
    pks_for_external_ids,
)
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import CatalogChange, Product
from oct8ne_adapter.sql.product_cache import ProductCache
from oct8ne_adapter.web.pricing import language_chain, parse_locale

DEFAULT = parse_locale("en-US", "en-US")


def chain(locale: str) -> tuple[str, ...]:
    return language_chain(parse_locale(locale, "en-US"), DEFAULT)


@pytest.mark.parametrize(
    ("locale", "stored", "expected"),
    [
        ("es-MX", ["es-MX", "es", "en"], "es-MX"),
        ("es-MX", ["es", "es-ES", "en"], "es"),
        # A feed imported with --locale es-ES still serves Mexican visitors in Spanish.
        ("es-MX", ["es-ES", "en"], "es-ES"),
        ("es", ["es-ES", "en-US"], "es-ES"),
        ("fr-FR", ["es-ES", "en"], "en"),
        ("fr-FR", ["es-ES", "de"], "de"),  # nothing in the chain: a stable first choice
        ("en-GB", ["en-US", "es"], "en-US"),
    ],
)
def test_the_best_language_is_picked(locale, stored, expected):
    rows = [(1, language, language) for language in stored]
    assert pick_translation(rows, chain(locale)) == {1: expected}


# -- loading products, and the product cache that follows the change log ------------------------


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The demo shop through an engine of its own: one process's view of the database."""
    engine = create_database_engine(database_url)
    yield Database(engine)
    engine.dispose()


@contextmanager
def counted_statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


ENGLISH = ("en-US", "en")
SPANISH = ("es-ES", "es", "en-US", "en")


def titles(database: Database, ids: list[str], languages=ENGLISH) -> list[tuple[str, str]]:
    with database.session() as session:
        return [(product.id, product.title) for product in get_products(session, ids, languages)]


def test_products_come_in_the_asked_order_without_unknown_ids(database: Database):
    for _ in range(2):  # from SQL, then from the cache
        found = titles(database, ["1002", "nope", "1001", "1002"])
        assert [product_id for product_id, _ in found] == ["1002", "1001"]


def test_cached_products_cost_one_query_and_are_the_same(database: Database):
    with database.session() as session:
        pks = list(pks_for_external_ids(session, ["1001", "1002", "1003"]).values())
        first = load_products_by_pk(session, pks, ENGLISH)
    with database.session() as session, counted_statements(database) as sent:
        again = load_products_by_pk(session, pks, ENGLISH)
        by_id = get_products(session, ["1003", "1001"], ENGLISH)
    assert again == first
    assert by_id == [first[2], first[0]]
    assert len(sent) == 2  # the change log's version, once per call: no product query


def test_each_language_chain_is_cached_apart(database: Database):
    english = titles(database, ["1001"])
    spanish = titles(database, ["1001"], SPANISH)
    assert english != spanish
    assert titles(database, ["1001"]) == english
    assert titles(database, ["1001"], SPANISH) == spanish


@pytest.mark.writes_database
def test_a_change_written_by_another_process_is_seen_at_the_next_call(
    database: Database, database_url: str
):
    assert titles(database, ["1001"]) != [("1001", "Renamed elsewhere")]  # now cached
    other_process = Database(create_database_engine(database_url))
    try:
        rename_product(other_process, "1001", "Renamed elsewhere")
    finally:
        other_process.engine.dispose()
    assert titles(database, ["1001"]) == [("1001", "Renamed elsewhere")]


@pytest.mark.writes_database
def test_a_deactivated_product_leaves_the_cache(database: Database):
    assert titles(database, ["1001", "1002"])
    with database.transaction() as session:
        pk = session.scalar(select(Product.pk).where(Product.external_id == "1001"))
        session.execute(update(Product).where(Product.pk == pk).values(active=False))
        recorder = ChangeRecorder()
        recorder.add([pk])
        recorder.write(session)
    assert [product_id for product_id, _ in titles(database, ["1001", "1002"])] == ["1002"]


def test_the_cache_keeps_the_most_recently_used_products():
    cache = ProductCache(max_products=2)
    product = {
        pk: domain.Product(
            id=str(pk), title="", description="", url="", thumbnail=None, medias=(), prices={}
        )
        for pk in (1, 2, 3)
    }
    cache.store({1: product[1], 2: product[2]}, ENGLISH)
    cache.products([1], ENGLISH)  # 1 is used again: 2 is now the oldest
    cache.store({3: product[3]}, ENGLISH)
    found, missing = cache.products([1, 2, 3], ENGLISH)
    assert (sorted(found), missing, len(cache)) == ([1, 3], [2], 2)
    assert cache.pks(["1", "3", "4"]) == ({"1": 1, "3": 3}, ["4"])


@pytest.mark.writes_database
def test_an_entry_committed_late_is_seen_at_the_next_read(database: Database):
    """On a server database a writer may commit after a later one: an older position appears."""
    now = [0.0]
    cache = ProductCache(follow_seconds=1.0, clock=lambda: now[0])
    log = CatalogChange.__table__
    with database.transaction() as session:
        for _ in range(2):
            recorder = ChangeRecorder()
            recorder.add([1])
            recorder.write(session)
        newest = session.scalar(select(func.max(log.c.seq)))
        session.execute(delete(log).where(log.c.seq == newest - 1))  # the late one's place
    with database.session() as session:
        cache.follow(session)
    cache.store({1: domain.Product("1", "", "", "", None, (), {})}, ENGLISH)
    with database.transaction() as session:
        session.execute(
            insert(log).values(seq=newest - 1, product_pk=1, changed_at=datetime(2026, 1, 1))
        )
    with database.session() as session:
        cache.follow(session)
    assert len(cache) == 1  # the log is not read again within follow_seconds
    now[0] += 1.0
    with database.session() as session:
        cache.follow(session)
    assert len(cache) == 0
