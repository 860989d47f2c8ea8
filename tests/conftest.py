"""Shared fixtures: the demo shop on SQLite, PostgreSQL and MariaDB, apps, clients, a runner.

Every test that asks for `app`, `client`, `signed_in_client`, `database_url` or `backend` runs once
per backend (`[sqlite]`, `[postgresql]`, `[mariadb]`). SQLite tests get a private copy of a seeded
file. On the servers a fresh database is created and seeded once per run and shared by the tests,
so a test that changes its data must be marked `@pytest.mark.writes_database`: the demo data is
loaded again after it. An unreachable server skips its tests, except under CI (`CI` set), where
it fails them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from backends import (
    BACKENDS,
    SERVERS,
    create_database,
    drop_database,
    restore_demo,
    seed_demo,
    unreachable_reason,
)
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import Client, TestResponse

from oct8ne_adapter import create_app
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import Base, Product, ProductTranslation
from oct8ne_adapter.sql.schema import create_schema
from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter_demo import create_demo_app
from oct8ne_adapter_demo.loader import load_demo

API_TOKEN = "test-token-0123456789"
#: The shop of the test suite: USD, prices also stored in EUR, GBP by conversion.
CURRENCIES = ["USD", "EUR"]
EXCHANGE_RATES = {"GBP": "0.80"}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's OCT8NE_* environment."""
    for name in ("OCT8NE_CONFIG", "OCT8NE_DATABASE_URL", "OCT8NE_API_TOKEN", "OCT8NE_LICENSE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def seeded_database_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo shop loaded, made once per test session."""
    path = tmp_path_factory.mktemp("seed") / "demo.db"
    engine = create_database_engine(f"sqlite:///{path}")
    create_schema(engine)
    load_demo(Database(engine))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def database_file(seeded_database_file: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded database that a test may change."""
    path = tmp_path / "shop.db"
    shutil.copyfile(seeded_database_file, path)
    return path


def adapter_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration the tests run with, over the database at this URL."""
    config: dict[str, Any] = {
        "TESTING": True,
        "OCT8NE_DATABASE_URL": database_url,
        "OCT8NE_API_TOKEN": API_TOKEN,
        "OCT8NE_CURRENCIES": CURRENCIES,
        "OCT8NE_EXCHANGE_RATES": EXCHANGE_RATES,
        "OCT8NE_SHOP_URL": "https://shop.example",
        # The index is built inside the first search and the change log read on every search,
        # so each test sees its own writes at once (production polls, and builds in the back).
        "OCT8NE_SEARCH_INDEX_BACKGROUND": False,
        "OCT8NE_SEARCH_INDEX_POLL_MS": 0,
        # The seeded PostgreSQL/MariaDB databases serve a whole session, so the failed-token
        # counters (in the database) would add up across tests; the limiter's tests set theirs.
        "OCT8NE_AUTH_FAILURE_LIMIT": "10000/minute",
    }
    config.update(overrides)
    return config


def require_server(backend: str) -> None:
    """Skip the test when the backend's server is unreachable; under CI, fail it instead."""
    reason = unreachable_reason(SERVERS[backend])
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI needs every backend; .ci/run starts the servers)")
    pytest.skip(f"{reason}; start it to run the [{backend}] tests")


def _seeded_server_database(backend: str) -> Iterator[str]:
    """A database made for this run on the backend's server, seeded once, dropped at the end."""
    require_server(backend)
    server = SERVERS[backend]
    url = create_database(server)
    try:
        seed_demo(url)
        yield url
    finally:
        drop_database(server, url)


@pytest.fixture(scope="session")
def seeded_postgresql_url() -> Iterator[str]:
    """The URL of a PostgreSQL database with the demo shop, made once per test session."""
    yield from _seeded_server_database("postgresql")


@pytest.fixture(scope="session")
def seeded_mariadb_url() -> Iterator[str]:
    """The URL of a MariaDB database with the demo shop, made once per test session."""
    yield from _seeded_server_database("mariadb")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this test runs on: sqlite, postgresql or mariadb."""
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a demo-seeded database on the backend that this test may read.

    On SQLite it is a private copy. On a server it is shared with the other tests, so the demo
    data is loaded again after a test marked `writes_database`.
    """
    if backend == "sqlite":
        path: Path = request.getfixturevalue("database_file")
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue(f"seeded_{backend}_url")
    yield url
    if request.node.get_closest_marker("writes_database") is not None:
        restore_demo(url)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database on the backend with nothing in it (SQLite: no file yet)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    require_server(backend)
    server = SERVERS[backend]
    url = create_database(server)
    try:
        yield url
    finally:
        drop_database(server, url)


@pytest.fixture
def settings() -> Settings:
    """The settings of the test suite's shop (its currencies), over no database in particular."""
    return Settings.from_config(
        {"OCT8NE_CURRENCIES": CURRENCIES, "OCT8NE_EXCHANGE_RATES": EXCHANGE_RATES}
    )


@contextmanager
def adapter_app(config: dict[str, Any], *, demo: bool = False) -> Iterator[Flask]:
    """The standalone adapter (with the demo pages if asked); its connections closed after."""
    application = create_demo_app(config) if demo else create_app(config)
    try:
        yield application
    finally:
        database = adapter_state(application).database
        if database is not None:
            database.engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The standalone adapter with the demo pages, over the demo database of the backend."""
    with adapter_app(adapter_config(database_url), demo=True) as application:
        yield application


@pytest.fixture
def empty_app(empty_database_url: str) -> Iterator[Flask]:
    """The standalone adapter over a new, empty database of the backend (no tables yet)."""
    with adapter_app(adapter_config(empty_database_url)) as application:
        yield application


@pytest.fixture
def events_database(empty_database_url: str) -> Iterator[Database]:
    """A new database at the newest schema with nothing in it, on each backend."""
    engine = create_database_engine(empty_database_url)
    create_schema(engine)
    yield Database(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest schema, migrated once per test session."""
    path = tmp_path_factory.mktemp("migrated") / "migrated.db"
    engine = create_database_engine(f"sqlite:///{path}")
    create_schema(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def adapter_tables_url(migrated_sqlite_file: Path, tmp_path: Path) -> str:
    """A new SQLite database at the newest schema: the adapter's own tables beside a shop's own
    repository (outbox, recorded carts and orders, stored link-up)."""
    path = tmp_path / "adapter-tables.db"
    shutil.copyfile(migrated_sqlite_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_database(migrated_sqlite_file: Path, tmp_path: Path) -> Iterator[Database]:
    """A new SQLite database at the newest schema (for what does not depend on the backend)."""
    path = tmp_path / "events.db"
    shutil.copyfile(migrated_sqlite_file, path)
    engine = create_database_engine(f"sqlite:///{path}")
    yield Database(engine)
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the adapter."""
    return app.test_client()


def sign_in_demo(
    client: Client, email: str = "jane.doe@example.com", *, prefix: str = "", next_page: str = ""
) -> TestResponse:
    """Sign in as a demo customer through the sign-in form (with its CSRF token), as a browser."""
    query = f"?next={next_page}" if next_page else ""
    form = client.get(f"{prefix}/demo/login{query}").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found, "the sign-in page has no CSRF token"
    return client.post(
        f"{prefix}/demo/login{query}", data={"email": email, "csrf_token": found.group(1)}
    )


@pytest.fixture
def signed_in_client(client: FlaskClient) -> FlaskClient:
    """A client signed in as the demo customer Jane Doe."""
    assert sign_in_demo(client).status_code == 303
    return client


@pytest.fixture
def runner() -> CliRunner:
    """A Click runner for the `oct8ne-adapter` command."""
    return CliRunner()


def frame(client: FlaskClient, method: str, **params: Any) -> Any:
    """GET a frame method as JSON and return the decoded body, asserting a 200."""
    response = client.get(f"/oct8ne/frame/{method}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def rename_product(database: Database, external_id: str, title: str) -> None:
    """Change a product's titles as a catalog writer does: search text and a change-log entry."""
    with database.transaction() as session:
        pk = session.scalar(select(Product.pk).where(Product.external_id == external_id))
        session.execute(
            update(ProductTranslation)
            .where(ProductTranslation.product_pk == pk)
            .values(title=title, sort_key=fulltext.fold(title))
        )
        fulltext.refresh(session, [pk])
        recorder = ChangeRecorder()
        recorder.add([pk])
        recorder.write(session)


def schema_differences(database_url: str, *names: str) -> list[Any]:
    """What differs between the models and the schema the migrations create on this (empty)
    database, in the tables whose names contain one of `names`."""
    engine = create_database_engine(database_url)
    try:
        create_schema(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [
                difference
                for difference in compare_metadata(context, Base.metadata)
                if any(name in str(difference) for name in names)
            ]
    finally:
        engine.dispose()
