"""Engines and sessions: SQLite as a multi-process embedded default, pool options, error mapping."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from oct8ne_adapter import create_app
from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable
from oct8ne_adapter.settings import DatabaseSettings, Settings
from oct8ne_adapter.sql.database import (
    Database,
    create_database_engine,
    database_engine,
)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_readers_are_served_while_an_import_holds_the_write_lock(database_file: Path):
    """WAL: a long catalog import (an open write transaction) does not block frame reads."""
    writer = sqlite3.connect(database_file, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE product_translations SET title = 'changing' WHERE product_pk = 1")
    try:
        app = create_app({"TESTING": True, "OCT8NE_DATABASE_URL": f"sqlite:///{database_file}"})
        results: list[int] = []

        def read() -> None:
            response = app.test_client().get("/oct8ne/frame/search?search=jacket")
            results.append(response.status_code)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [200, 200, 200, 200]
        # Readers see the last committed catalog, not the import's pending change.
        titles = app.test_client().get("/oct8ne/frame/productSummary?productIds=1001").get_json()
        assert titles[0]["title"] != "changing"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_server_pools_get_pre_ping_and_timeouts():
    engine = database_engine(
        DatabaseSettings(
            url="postgresql+psycopg://postgres@127.0.0.1:5432/test",
            pool_size=3,
            max_overflow=0,
            pool_timeout=2,
            connect_timeout=4,
            statement_timeout=9,
        )
    )
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    assert engine.pool._timeout == 2  # type: ignore[attr-defined]
    engine.dispose()


def test_settings_reach_the_engine():
    settings = Settings.from_config(
        {
            "OCT8NE_DATABASE_URL": "mysql+pymysql://root@127.0.0.1:3306/test",
            "OCT8NE_DATABASE_POOL_SIZE": 2,
            "OCT8NE_DATABASE_MAX_OVERFLOW": 0,
        }
    )
    engine = database_engine(settings.database)
    assert engine.pool.size() == 2  # type: ignore[attr-defined]
    engine.dispose()


@pytest.mark.parametrize(
    "url", ["not a url", "nosuchdialect://x/y", "postgresql+nosuchdriver://localhost/x"]
)
def test_unusable_database_urls_are_config_errors(url: str):
    with pytest.raises(ConfigError):
        create_database_engine(url)


def test_unreachable_server_is_data_source_unavailable():
    # Port 9 (discard) has no database server: the connection is refused at once.
    engine = create_database_engine("postgresql+psycopg://postgres@127.0.0.1:9/test")
    database = Database(engine)
    with pytest.raises(DataSourceUnavailable), database.session() as session:
        session.execute(text("SELECT 1"))
    engine.dispose()
