"""Search over any catalog: the index fed by a `CatalogSource` answers as the SQL search does.

The source lists the demo catalog's own records (plain Python data, no SQL); the SQL search runs
over the same records imported by the feed importer. Every query of test_search_index must get
the same total, applied filters, facets (labels and exact counts) and page from both, and
changes in the source reach the index at its next poll, re-reading only what changed.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from conftest import adapter_config, frame, rename_product
from flask import Flask
from test_search_index import QUERIES, RELEVANCE_QUERIES, comparable, query

from oct8ne_adapter import create_app
from oct8ne_adapter.domain import ProductPrice, SearchQuery, SearchResult
from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable
from oct8ne_adapter.feeds import codes
from oct8ne_adapter.feeds.importer import ImportOptions, write_feed
from oct8ne_adapter.feeds.records import ProductRecord, parse_product, read_jsonl
from oct8ne_adapter.repository import CatalogSource
from oct8ne_adapter.search.index import IndexedSearchEngine, RecordCatalog
from oct8ne_adapter.search.index.engine import RETRY_SECONDS
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.catalog_source import SqlCatalogSource
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.testing import InMemoryCatalogSource, InMemoryRepository
from oct8ne_adapter_demo.loader import CATALOG_FILE, CATALOG_LANGUAGE


def demo_records() -> list[ProductRecord]:
    """The demo catalog's records, as the importer reads them."""
    lines = CATALOG_FILE.read_text(encoding="utf-8").splitlines()
    return [record for _, record in read_jsonl(lines, CATALOG_LANGUAGE)]


def source_engine(source: CatalogSource, **options: Any) -> IndexedSearchEngine:
    """The index over a source, as the adapter builds it for `catalog_source=`."""
    return IndexedSearchEngine(RecordCatalog(source), None, **{"poll_seconds": 0, **options})


@pytest.fixture
def source() -> InMemoryCatalogSource:
    return InMemoryCatalogSource(demo_records())


@pytest.fixture
def database(app: Flask) -> Database:
    database = app.extensions["oct8ne"].database
    assert database is not None
    return database


def differences(
    engine: IndexedSearchEngine, database: Database, backend: str, queries: dict[str, SearchQuery]
) -> dict[str, tuple[object, object]]:
    """Queries the index over the source and the SQL search answer differently."""
    sql = SqlSearchEngine(database)
    found: dict[str, tuple[object, object]] = {}
    for name, search_query in queries.items():
        indexed, expected = (
            comparable(engine.search(search_query)),
            comparable(sql.search(search_query)),
        )
        if name in RELEVANCE_QUERIES and backend != "mariadb":
            # Relevance ranks differ by backend (see test_search_index): compare the sets.
            everything = replace(search_query, offset=0, limit=1000)
            indexed["page"] = sorted(ids(engine.search(everything)))
            expected["page"] = sorted(ids(sql.search(everything)))
        if indexed != expected:
            found[name] = (indexed, expected)
    return found


def ids(result: SearchResult) -> list[str]:
    return [product.id for product in result.products]


def test_the_index_over_a_source_answers_as_the_sql_search(
    source: InMemoryCatalogSource, database: Database, backend: str
):
    engine = source_engine(source)
    assert differences(engine, database, backend, QUERIES) == {}
    assert (engine.builds, engine.updates, source.whole_reads) == (1, 0, 1)


def test_the_sql_catalog_is_one_source(database: Database, backend: str):
    """Our own tables through the CatalogSource seam: the change log tells what changed."""
    source = SqlCatalogSource(database)
    engine = source_engine(source)
    assert differences(engine, database, backend, QUERIES) == {}
    assert (engine.builds, engine.updates) == (1, 0)


@pytest.mark.writes_database
def test_the_sql_source_follows_the_change_log(database: Database):
    engine = source_engine(SqlCatalogSource(database))
    word = query("zanzibarquux")
    assert engine.search(word).total == 0
    rename_product(database, "1004", "Zanzibarquux lantern")
    assert ids(engine.search(word)) == ["1004"]
    assert (engine.builds, engine.updates) == (1, 1)  # only the renamed product read again


def test_products_answer_as_the_sql_catalog_loads_them(
    source: InMemoryCatalogSource, database: Database
):
    """Texts in the visitor's best language, prices cut to the currency, thumbnail, stock."""
    engine, sql = source_engine(source), SqlSearchEngine(database)
    for languages in (("es-MX", "es"), ("de-DE", "de", "en")):
        every = query(languages=languages, limit=1000)
        assert engine.search(every).products == sql.search(every).products


#: Changes a shop makes: a rename, a new product in a new category under an old one with a
#: new brand and a new attribute value, a price cut, a product taken off sale, a category
#: renamed through a product of it, and a label added to an attribute value.
CHANGES = [
    {"id": "1001", "title": {"en": "Zanzibar trail shoe"}, "url": "/p/1001",
     "prices": {"USD": "89.90"}, "brand": "Northpeak",
     "category": [{"id": "footwear", "name": {"en": "Footwear"}}],
     "attributes": {"color": ["red"]}},
    {"id": "9001", "title": {"en": "Zanzibar rain poncho", "es": "Poncho Zanzíbar"},
     "url": "/p/9001", "prices": {"USD": "15.00", "EUR": "14.00"}, "brand": "Brand New Co",
     "category": [{"id": "jackets", "name": {"en": "Jackets"}},
                  {"id": "jackets-ponchos", "name": {"en": "Ponchos", "es": "Ponchos"}}],
     "attributes": {"color": [{"value": "teal", "label": {"en": "Teal", "es": "Verde azulado"}}]},
     "stock": 0},
    {"id": "1002", "title": {"en": "Cut price tent"}, "url": "/p/1002",
     "prices": {"USD": "9.99"}, "category": [{"id": "camping", "name": {"en": "Camp life"}}]},
    {"id": "1003", "title": {"en": "Gone mug"}, "url": "/p/1003", "prices": {"USD": "1.00"},
     "active": False},
]  # fmt: skip


def changed_records() -> list[ProductRecord]:
    return [parse_product(line, CATALOG_LANGUAGE) for line in CHANGES]


@pytest.mark.writes_database
@pytest.mark.parametrize("backend", ["sqlite"])
def test_changes_reach_the_index_as_they_reach_the_sql_catalog(
    source: InMemoryCatalogSource, database: Database, backend: str
):
    engine = source_engine(source)
    assert engine.search(query("zanzibar")).total == 0
    source.put(*changed_records())
    feed = "".join(json.dumps(line) + "\n" for line in CHANGES).encode()
    with database.transaction() as session:
        write_feed(session, io.BytesIO(feed), ImportOptions(feed_format="jsonl", strict=True))
    assert sorted(ids(engine.search(query("zanzibar")))) == ["1001", "9001"]
    assert differences(engine, database, backend, CHANGE_QUERIES) == {}
    # One build, then only the four changed products were read again.
    assert (engine.builds, engine.updates) == (1, 1)
    assert (source.whole_reads, source.id_reads) == (1, 1)


CHANGE_QUERIES = {
    **QUERIES,
    "new category": query("", ("category", "jackets-ponchos")),
    "new brand": query("", ("brand", "brand-new-co")),
    "new value": query("", ("color", "teal"), languages=("es-ES", "es")),
    "renamed category": query("", ("category", "camping")),
    "cheap": query("", ("price", "0-20")),
    "sold out": query("", ("availability", "out_of_stock")),
}


def test_a_change_is_seen_at_the_next_poll_not_before(source: InMemoryCatalogSource):
    now = [0.0]
    engine = source_engine(source, poll_seconds=1.0, clock=lambda: now[0])
    word = query("zanzibar")
    assert engine.search(word).total == 0
    source.put(changed_records()[0])
    now[0] = 0.5
    assert engine.search(word).total == 0, "within the poll interval the index has not looked"
    now[0] = 1.0
    assert ids(engine.search(word)) == ["1001"]
    source.delete("1001")
    now[0] = 2.0
    assert engine.search(word).total == 0
    assert (engine.builds, engine.updates, source.whole_reads) == (1, 2, 1)


def test_codes_in_a_source_are_searched_and_followed(source: InMemoryCatalogSource):
    """`#CODE` and a text equal to a code over a source; a code taken off is no longer found."""
    engine = source_engine(source)
    lamp = next(record for record in demo_records() if record.id == "1001")
    source.put(
        replace(lamp, codes=codes.codes_object({"sku": "NP-TS-42", "gtin": "4006381333931"}))
    )
    assert ids(engine.search(query("#np ts 42"))) == ["1001"]
    assert ids(engine.search(query("#04006381333931"))) == ["1001"], "GTIN-13 as GTIN-14"
    assert ids(engine.search(query("NP-TS-42")))[:1] == ["1001"]
    source.put(replace(lamp, codes=()))
    assert engine.search(query("#NP-TS-42")).total == 0


def test_a_category_moved_by_a_change_reads_the_catalog_again(source: InMemoryCatalogSource):
    """The shop moves rain jackets under footwear: the tree changed, so everything is read."""
    engine = source_engine(source)
    engine.search(query())
    records = demo_records()
    footwear = next(r.category_path[0] for r in records if r.category_path[0].id == "footwear")
    moved = [
        replace(record, category_path=(footwear, record.category_path[1]))
        for record in records
        if [ref.id for ref in record.category_path] == ["jackets", "jackets-rain"]
    ]
    assert len(moved) > 1
    source.put(*moved)
    under_footwear = query("", ("category", "footwear"))
    followed, fresh = engine.search(under_footwear), source_engine(source).search(under_footwear)
    assert (followed.total, followed.facets) == (fresh.total, fresh.facets)
    assert "jackets-rain" in [option.value for option in followed.facets[0].options]
    assert (engine.builds, engine.updates) == (2, 0)


def test_following_changes_equals_reading_the_catalog_again(source: InMemoryCatalogSource):
    """Random puts and deletes, applied one poll at a time, end where a fresh build starts."""
    chance = random.Random(20)
    records = demo_records()
    engine = source_engine(source)
    engine.search(query())
    for step in range(30):
        record = chance.choice(records)
        if chance.random() < 0.3:
            source.delete(record.id)
        else:
            price = Decimal(chance.randrange(100, 40_000)) / 100
            title = f"{chance.choice(['Alpha', 'zeta', 'Mid'])} {step} {record.titles['en']}"
            source.put(
                replace(
                    record,
                    titles={**record.titles, "en": title},
                    prices={**record.prices, "USD": ProductPrice(price)},
                    active=chance.random() < 0.9,
                )
            )
        engine.search(query("a"))
    fresh = source_engine(source)
    for name, search_query in QUERIES.items():
        # Whole results as sets: a product deleted and put back keeps its key in the followed
        # index and gets a new one in the fresh build, and keys break ties in the order.
        everything = replace(search_query, offset=0, limit=1000)
        followed, built = engine.search(everything), fresh.search(everything)
        assert (followed.total, followed.facets, sorted(ids(followed))) == (
            built.total,
            built.facets,
            sorted(ids(built)),
        ), name
    assert engine.builds == 1 and engine.updates == 30


class ProductsOnly:
    """A shop's repository with product reads only: no search, no customers, no orders."""

    def __init__(self) -> None:
        self.products = InMemoryRepository()

    def get_products(self, ids, languages):
        return self.products.get_products(ids, languages)

    def related_products(self, product_id, languages, limit):
        return self.products.related_products(product_id, languages, limit)


@pytest.fixture
def sourced_app(adapter_tables_url: str, source: InMemoryCatalogSource) -> Iterator[Flask]:
    config = adapter_config(adapter_tables_url, OCT8NE_SEARCH_INDEX_POLL_MS=0)
    config.pop("OCT8NE_DEMO", None)
    app = create_app(config, repository=ProductsOnly(), catalog_source=source)
    yield app
    app.extensions["oct8ne"].database.engine.dispose()


def test_the_adapter_searches_a_source_for_a_repository_without_search(
    sourced_app: Flask, source: InMemoryCatalogSource
):
    client = sourced_app.test_client()
    answer = frame(client, "search", search="jacket", pageSize=5)
    assert answer["total"] == 38  # as the SQL search finds in the demo catalog
    available = {group["param"] for group in answer["filters"]["available"]}
    assert {"category", "brand", "price", "color"} <= available
    assert frame(client, "search", search="zanzibar")["total"] == 0
    source.put(changed_records()[1])
    found = frame(client, "search", search="zanzibar", locale="es-ES")
    assert [product["title"] for product in found["results"]] == ["Poncho Zanzíbar"]
    # Methods the shop's object lacks answer as for a shop without them.
    assert frame(client, "customerData")["cart"] == []
    assert frame(client, "getOrders", customerEmail="a@example.com", apiToken="x") == []


def test_the_app_reads_the_source_as_it_starts_not_at_a_search(
    sourced_app: Flask, source: InMemoryCatalogSource
):
    index = sourced_app.extensions["oct8ne"].repository.searcher.__self__
    started = time.monotonic()
    index.wait(timeout=60)  # the read that init_app started
    assert time.monotonic() - started < 30
    assert (source.whole_reads, index.builds) == (1, 1)
    assert frame(sourced_app.test_client(), "search", search="jacket")["total"] == 38
    assert (source.whole_reads, index.builds) == (1, 1)


def test_a_source_that_cannot_be_read_is_a_503_not_a_500(
    adapter_tables_url: str, source: InMemoryCatalogSource
):
    class Broken(InMemoryCatalogSource):
        def version(self) -> int:
            raise OSError("the shop's database is down")

    config = adapter_config(adapter_tables_url)
    config.pop("OCT8NE_DEMO", None)
    app = create_app(config, repository=ProductsOnly(), catalog_source=Broken())
    answer = app.test_client().get("/oct8ne/frame/search", query_string={"search": "x"})
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.get_json()["message"] == "the catalog source is unavailable"


def test_a_catch_up_that_fails_is_a_503_and_is_tried_again_later(source: InMemoryCatalogSource):
    failing = [True]
    whole_reads = source.records

    def records(ids=None):
        if failing[0]:
            raise OSError("connection reset")
        return whole_reads(ids)

    source.records = records  # type: ignore[method-assign]
    now = [0.0]
    engine = source_engine(source, clock=lambda: now[0])
    with pytest.raises(DataSourceUnavailable, match="catalog source is unavailable"):
        engine.search(query("jacket"))
    failing[0] = False
    now[0] = RETRY_SECONDS - 1
    with pytest.raises(DataSourceUnavailable):
        engine.search(query("jacket"))  # not hammering a source that just failed
    now[0] = RETRY_SECONDS + 1
    assert engine.search(query("jacket")).total == 38
    assert engine.builds == 1


def test_a_repository_without_search_needs_a_source(adapter_tables_url: str):
    config = adapter_config(adapter_tables_url)
    with pytest.raises(ConfigError, match="no search"):
        create_app(config, repository=ProductsOnly())
    with pytest.raises(ConfigError, match="needs a repository"):
        create_app(config, catalog_source=InMemoryCatalogSource())
