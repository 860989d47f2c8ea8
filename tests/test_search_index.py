"""The in-memory search index answers exactly as the SQL search, and follows catalog changes."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import adapter_config, rename_product
from flask import Flask
from sqlalchemy import select
from test_running import BIN, REPO_ROOT, free_port, running_server, server_environment

from oct8ne_adapter import create_app
from oct8ne_adapter.domain import FilterValue, PriceBasis, SearchQuery, SearchResult, SortField
from oct8ne_adapter.search import index as search_index
from oct8ne_adapter.search.engine import SearchEngine
from oct8ne_adapter.search.index import IndexedSearchEngine, SqlCatalog, SqlCatalogReader
from oct8ne_adapter.search.index.query import IndexedSearch
from oct8ne_adapter.search.index.snapshot import build_snapshot
from oct8ne_adapter.search.sql import SqlSearchEngine, search as sql_search
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import Product
from oct8ne_adapter.web.state import adapter_state

USD = PriceBasis("USD", "USD", None)
EUR = PriceBasis("EUR", "USD", Decimal("0.92"))
GBP = PriceBasis("GBP", "USD", Decimal("0.80"))  # no stored GBP prices: converted from USD


def query(text: str = "", *filters: tuple[str, str], **options: object) -> SearchQuery:
    """A search query over the demo catalog."""
    return SearchQuery(
        text=text,
        languages=options.pop("languages", ("en-US", "en")),  # type: ignore[arg-type]
        price_basis=options.pop("basis", USD),  # type: ignore[arg-type]
        filters=tuple(FilterValue(param, value) for param, value in filters),
        **options,  # type: ignore[arg-type]
    )


QUERIES = {
    "everything": query(),
    "broad word": query("jacket"),
    "prefix": query("wa"),
    "two words": query("waterproof jacket"),
    "spanish accents": query("CHAQUÉTA", languages=("es-ES", "es")),
    "brand word": query("northpeak"),
    "attribute word": query("merino"),
    "category word": query("footwear"),
    "no match": query("zzzzqqq"),
    "category": query("", ("category", "jackets")),
    "subcategory": query("", ("category", "jackets"), ("category", "jackets-rain")),
    "unknown category": query("", ("category", "nope")),
    "brand filter": query("", ("brand", "northpeak")),
    "unknown brand": query("", ("brand", "nope")),
    "two colors": query("", ("color", "red"), ("color", "black")),
    "attribute and word": query("jacket", ("color", "black")),
    "ignored parameter": query("", ("utm_source", "mail")),
    "price range": query("", ("price", "100-200")),
    "open price range": query("", ("price", "300-")),
    "bad price range": query("", ("price", "cheap")),
    "three filters": query("", ("category", "footwear"), ("size", "42"), ("price", "0-150")),
    "by price": query("", sort=SortField.PRICE),
    "by price desc": query("", sort=SortField.PRICE, descending=True),
    "by name": query("", sort=SortField.NAME),
    "by name desc, spanish": query(
        "", sort=SortField.NAME, descending=True, languages=("es-MX", "es")
    ),
    "by name, german falls back": query("", sort=SortField.NAME, languages=("de-DE", "de")),
    "word by price": query("shirt", sort=SortField.PRICE, offset=3, limit=5),
    "euro prices": query("", ("price", "50-100"), sort=SortField.PRICE, basis=EUR),
    "converted prices": query("", ("price", "50-100"), sort=SortField.PRICE, basis=GBP),
    "deep page": query("", sort=SortField.NAME, offset=250, limit=20),
    "page past the end": query("jacket", offset=1000),
    "default order page 2": query("", offset=10, limit=10),
}
#: Relevance ranks differ by backend (bm25, ts_rank, token weights); the index ranks as the
#: token table does, so whole orders are compared on MariaDB and the sets everywhere.
RELEVANCE_QUERIES = {
    "broad word",
    "prefix",
    "two words",
    "spanish accents",
    "brand word",
    "attribute word",
    "category word",
    "attribute and word",
}


def comparable(result: SearchResult) -> dict[str, object]:
    """What the two engines must agree on, labels included."""
    return {
        "total": result.total,
        "applied": result.applied,
        "facets": result.facets,
        "page": [product.id for product in result.products],
    }


@pytest.fixture
def database(app: Flask) -> Database:
    database = app.extensions["oct8ne"].database
    assert database is not None
    return database


@pytest.mark.parametrize("name", list(QUERIES))
def test_index_answers_as_the_sql_search(database: Database, backend: str, name: str):
    search_query = QUERIES[name]
    with database.session() as session:
        reader = SqlCatalogReader(session)
        snapshot = build_snapshot(reader)
        indexed = comparable(IndexedSearch(reader, search_query, snapshot).run())
        expected = comparable(sql_search(session, search_query))
    if name in RELEVANCE_QUERIES and backend != "mariadb":
        # Compare the whole result as a set instead of the page order.
        everything = replace(search_query, offset=0, limit=1000)
        with database.session() as session:
            indexed["page"] = sorted(
                product.id
                for product in IndexedSearch(SqlCatalogReader(session), everything, snapshot)
                .run()
                .products
            )
            expected["page"] = sorted(
                product.id for product in sql_search(session, everything).products
            )
    assert indexed == expected


#: What the index may import from the SQL layer besides its reader: pure rules it shares.
SHARED_RULES = {
    "oct8ne_adapter.sql.fulltext",
    "oct8ne_adapter.sql.localized.translation_rank",
    "oct8ne_adapter.sql.localized.pick_translation",
    "oct8ne_adapter.sql.localized.best_links",
}


def test_the_index_reads_the_catalog_only_through_its_reader():
    """Only search/index/sql_reader.py touches SQL: a CatalogSource can replace it."""
    for path in Path(search_index.__file__).parent.glob("*.py"):
        if path.name in {"sql_reader.py", "__init__.py"}:
            continue
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        sql = {
            name
            for name in imported
            if name.startswith(("sqlalchemy", "oct8ne_adapter.sql.")) and name not in SHARED_RULES
        }
        assert not sql, f"{path.name} imports {sorted(sql)}"


def index_engine(database: Database, **options: Any) -> IndexedSearchEngine:
    """An index over the SQL catalog, falling back to the SQL search, as the app builds it."""
    return IndexedSearchEngine(SqlCatalog(database), SqlSearchEngine(database), **options)


def test_both_engines_fill_one_seam(database: Database):
    """The SQL search and the index are interchangeable behind search.engine.SearchEngine."""
    index = index_engine(database, poll_seconds=0, background=False)
    engines: list[SearchEngine] = [SqlSearchEngine(database), index]
    answers = [comparable(engine.search(QUERIES["three filters"])) for engine in engines]
    assert answers[0] == answers[1]
    assert index.builds == 1  # the index answered, not its fallback


@pytest.fixture
def engines(database: Database) -> Iterator[list[IndexedSearchEngine]]:
    """Two engines over one database, as two gunicorn workers have."""
    yield [index_engine(database, poll_seconds=0, background=False) for _ in range(2)]


@pytest.mark.writes_database
def test_every_worker_sees_a_change_at_its_next_search(database: Database, engines):
    word = query("zanzibarquux")
    for engine in engines:
        assert engine.search(word).total == 0
    with database.session() as session:
        some_id = session.scalar(select(Product.external_id).order_by(Product.pk).limit(1))
    rename_product(database, some_id, "Zanzibarquux lantern")
    for engine in engines:
        result = engine.search(word)
        assert [product.id for product in result.products] == [some_id]
        assert (engine.builds, engine.updates) == (1, 1)  # only the changed product re-read


@pytest.mark.writes_database
def test_a_stale_index_is_never_used(database: Database):
    """Between a change and the rebuild, answers come from SQL: fresh, never stale."""
    engine = index_engine(database, poll_seconds=0, background=True)
    assert engine.search(query("jacket")).total > 0
    assert engine.wait()
    with database.session() as session:
        some_id = session.scalar(select(Product.external_id).order_by(Product.pk).limit(1))
    rename_product(database, some_id, "Quokkaflux kettle")
    assert [p.id for p in engine.search(query("quokkaflux")).products] == [some_id]
    assert engine.wait()
    assert [p.id for p in engine.search(query("quokkaflux")).products] == [some_id]


def test_poll_interval_bounds_the_change_log_reads(database: Database):
    now = [0.0]
    engine = index_engine(database, poll_seconds=1, background=False, clock=lambda: now[0])
    reads = []
    with database.session() as session:
        for now[0] in (0.0, 0.5, 0.9, 1.2):
            before = engine._checked_at
            engine.current(SqlCatalogReader(session))
            reads.append(engine._checked_at != before)
    assert reads == [True, False, False, True]


@pytest.fixture
def sql_engine_app(database_url: str) -> Flask:
    return create_app(adapter_config(database_url, OCT8NE_SEARCH_ENGINE="sql"))


def test_search_engine_setting(sql_engine_app):
    searcher = adapter_state(sql_engine_app).repository.searcher
    assert isinstance(searcher.__self__, SqlSearchEngine)


def test_gunicorn_workers_see_a_catalog_change_within_five_seconds(
    database_file: Path, tmp_path: Path
):
    """Issue 7: several workers, each with its own index, see a change within 5 s."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--chdir",
        str(REPO_ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--no-control-socket",
        "wsgi:app",
    ]
    # Production settings: a background build and a poll of the change log every second.
    env = server_environment(tmp_path, OCT8NE_DATABASE_URL=f"sqlite:///{database_file}")
    database = Database(create_database_engine(f"sqlite:///{database_file}"))
    with running_server(
        command, cwd=tmp_path, env=env, port=port, log=tmp_path / "gunicorn.log"
    ) as base_url:

        def found(word: str) -> list[str]:
            answer = requests.get(
                f"{base_url}/oct8ne/frame/search", params={"search": word}, timeout=10
            )
            assert answer.status_code == 200
            return [product["internalId"] for product in answer.json()["results"]]

        for _ in range(20):  # both workers answer, and start building their index
            assert found("jacket")
        time.sleep(2)
        rename_product(database, "1001", "Xylophonequux parka")
        changed_at = time.monotonic()
        consecutive = 0
        while consecutive < 20:  # 20 answers in a row, so from both workers
            assert time.monotonic() - changed_at < 5, "a worker still answers from before"
            consecutive = consecutive + 1 if found("xylophonequux") == ["1001"] else 0
    database.engine.dispose()
