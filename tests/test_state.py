"""web/state.py: one state per app, per-app caches, and blueprints built afresh for each app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import adapter_config, frame
from flask import Flask

from oct8ne_adapter import Oct8neAdapter, create_app
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.product_cache import ProductCache, product_cache
from oct8ne_adapter.sql.repository import SqlRepository
from oct8ne_adapter.testing import InMemoryRepository
from oct8ne_adapter.web.state import adapter_state, current_state, install_state


@pytest.fixture
def two_apps(database_file: Path) -> Iterator[tuple[Flask, Flask]]:
    """Two adapters in one process over the same database file, polling at different rates."""
    url = f"sqlite:///{database_file}"
    first = create_app(adapter_config(url, OCT8NE_SEARCH_INDEX_POLL_MS=0))
    second = create_app(adapter_config(url, OCT8NE_SEARCH_INDEX_POLL_MS=5000))
    yield first, second
    for app in (first, second):
        database = adapter_state(app).database
        assert database is not None
        database.engine.dispose()


def test_two_apps_never_share_or_overwrite_each_others_caches(two_apps):
    first, second = two_apps
    one, two = adapter_state(first), adapter_state(second)
    assert one.database is not None and two.database is not None
    assert one.database.product_cache is not two.database.product_cache
    assert one.database.product_cache.follow_seconds == 0
    assert two.database.product_cache.follow_seconds == 5  # not overwritten by the first app
    assert one.product_infos is not two.product_infos
    for app in (first, second):
        frame(app.test_client(), "productInfo", productIds="1001,1002")
    assert (len(one.product_infos), len(two.product_infos)) == (2, 2)
    assert len(one.database.product_cache) == len(two.database.product_cache) == 2
    # Every session of a database carries that database's cache, and only it.
    with one.database.session() as session:
        assert product_cache(session) is one.database.product_cache


def test_repositories_over_one_engine_keep_their_own_caches(database_file: Path):
    engine = create_database_engine(f"sqlite:///{database_file}")
    try:
        fast_database = Database(engine, product_cache=ProductCache(follow_seconds=0))
        slow_database = Database(engine, product_cache=ProductCache(follow_seconds=9))
        fast = SqlRepository(fast_database, searcher=SqlSearchEngine(fast_database).search)
        slow = SqlRepository(slow_database, searcher=SqlSearchEngine(slow_database).search)
        fast.get_products(["1001"], ["en"])
        assert len(fast.database.product_cache) == 1 and len(slow.database.product_cache) == 0
        assert slow.database.product_cache.follow_seconds == 9
    finally:
        engine.dispose()


def test_a_session_without_a_database_gets_a_cache_of_its_own(database_file: Path):
    from sqlalchemy.orm import Session

    engine = create_database_engine(f"sqlite:///{database_file}")
    try:
        with Session(engine) as session:
            assert product_cache(session) is not product_cache(session)
    finally:
        engine.dispose()


def test_the_state_is_installed_once_and_read_through_the_accessors():
    app = create_app(repository=InMemoryRepository())
    state = adapter_state(app)
    with app.app_context():
        assert current_state() is state
    with pytest.raises(RuntimeError, match="already registered"):
        install_state(app, state)
    with pytest.raises(RuntimeError, match="already registered"):
        Oct8neAdapter(app, repository=InMemoryRepository())


def test_each_app_gets_its_own_frame_blueprint_with_its_hooks_and_limits():
    first = create_app({"OCT8NE_RATELIMIT_DEFAULT": "1/minute"}, repository=InMemoryRepository())
    second = create_app(repository=InMemoryRepository())
    assert first.blueprints["oct8ne"] is not second.blueprints["oct8ne"]
    limited, free = first.test_client(), second.test_client()
    for client in (limited, free):
        answer = client.get("/oct8ne/frame/customerData")
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Cache-Control"] == "private, no-store"
    # The first app's limit is its own: the second app's frame is not limited by it.
    assert limited.get("/oct8ne/frame/getAdapterInfo").status_code == 429
    assert free.get("/oct8ne/frame/getAdapterInfo").status_code == 200
