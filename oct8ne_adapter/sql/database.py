"""Engines, schema creation, and sessions that report lost connections as DataSourceUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigError, DataSourceUnavailable
from . import fulltext
from .models import Base

SQLITE_BUSY_TIMEOUT_MS = 5_000


def create_database_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"OCT8NE_DATABASE_URL is not a database URL: {url!r}") from None
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"OCT8NE_DATABASE_URL: cannot create the directory of {database}: "
                    f"{error.strerror}"
                ) from None
        options = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as error:
        raise ConfigError(f"cannot use database URL {parsed!r}: {error}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # WAL lets several gunicorn workers read while an import writes.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Create every table (and the SQLite full-text index) that does not exist yet."""
    with unavailable_on_failure():
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            for statement in fulltext.schema_statements(engine.dialect.name):
                connection.execute(text(statement))


def has_schema(engine: Engine) -> bool:
    """Whether the adapter's tables exist in this database."""
    from sqlalchemy import inspect

    with unavailable_on_failure():
        return inspect(engine).has_table("products")


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """Translate a lost or refused database connection into DataSourceUnavailable."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise DataSourceUnavailable("the catalog database is unavailable") from error


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session; connection failures become DataSourceUnavailable."""
        with unavailable_on_failure(), self._sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with unavailable_on_failure(), self._sessions.begin() as session:
            yield session
