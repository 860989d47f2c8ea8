"""Shared fixtures: a demo-seeded SQLite database, apps over it, clients and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from oct8ne_adapter import create_app
from oct8ne_adapter.sql.database import Database, create_database_engine, create_schema
from oct8ne_adapter.sql.demo_loader import load_demo

API_TOKEN = "test-token-0123456789"


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


def adapter_config(database_file: Path, **overrides: Any) -> dict[str, Any]:
    """The configuration the tests run with, over a given database file."""
    config: dict[str, Any] = {
        "TESTING": True,
        "OCT8NE_DATABASE_URL": f"sqlite:///{database_file}",
        "OCT8NE_API_TOKEN": API_TOKEN,
        "OCT8NE_CURRENCIES": ["USD", "EUR"],
        "OCT8NE_EXCHANGE_RATES": {"GBP": "0.80"},
        "OCT8NE_SHOP_URL": "https://shop.example",
        "OCT8NE_DEMO": True,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(database_file: Path) -> Iterator[Flask]:
    """The standalone adapter over a private copy of the demo database."""
    application = create_app(adapter_config(database_file))
    yield application
    database = application.extensions["oct8ne"].database
    if database is not None:
        database.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the adapter."""
    return app.test_client()


@pytest.fixture
def signed_in_client(client: FlaskClient) -> FlaskClient:
    """A client signed in as the demo customer Jane Doe."""
    response = client.get("/demo/login?email=jane.doe@example.com")
    assert response.status_code in (302, 303)
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
