"""Engines, schema creation, and sessions that report lost connections as DataSourceUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    InterfaceError,
    OperationalError,
    TimeoutError as PoolTimeoutError,
)
from sqlalchemy.orm import Session, sessionmaker

from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable
from oct8ne_adapter.settings import DatabaseSettings
from oct8ne_adapter.sql.product_cache import SESSION_INFO_KEY as PRODUCT_CACHE_KEY, ProductCache

SQLITE_BUSY_TIMEOUT_MS = 5_000
#: Seconds after which a pooled connection is replaced (servers drop idle ones).
POOL_RECYCLE_SECONDS = 1800


def _driver_timeouts(backend: str, pool: DatabaseSettings) -> dict[str, Any]:
    """Connect and statement timeouts in each driver's own words."""
    if backend == "postgresql":
        return {
            "connect_timeout": pool.connect_timeout,
            "options": f"-c statement_timeout={pool.statement_timeout * 1000}",
        }
    if backend in {"mysql", "mariadb"}:
        return {
            "connect_timeout": pool.connect_timeout,
            "read_timeout": pool.statement_timeout,
            "write_timeout": pool.statement_timeout,
        }
    return {}


def create_database_engine(url: str) -> Engine:
    """An engine for the URL with the default pool and timeouts."""
    return database_engine(DatabaseSettings(url=url))


def database_engine(pool: DatabaseSettings) -> Engine:
    """An engine for the configured database; SQLite gets foreign keys, WAL and a busy timeout.

    Server databases get a pre-pinged pool, so connections that died while the database was away
    are replaced on their next use and the adapter recovers without a restart.
    """
    try:
        parsed = make_url(pool.url)
    except ArgumentError:
        raise ConfigError(f"OCT8NE_DATABASE_URL is not a database URL: {pool.url!r}") from None
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": pool.pool_size,
        "max_overflow": pool.max_overflow,
        "pool_timeout": pool.pool_timeout,
        "pool_recycle": POOL_RECYCLE_SECONDS,
        "connect_args": _driver_timeouts(parsed.get_backend_name(), pool),
    }
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


#: Page cache (KiB) of the connection that imports a catalog: a large import updates indexes far
#: bigger than SQLite's 2 MB default cache. Only that connection gets it; readers keep the default.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


def tune_for_import(session: Session) -> None:
    """Give the session's connection a large page cache for a catalog import (SQLite only).

    `synchronous` is left alone: an import is one transaction, so it syncs once, at the commit.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{int(SQLITE_IMPORT_CACHE_KIB)}")


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """Translate a lost or refused database connection into DataSourceUnavailable."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeoutError) as error:
        raise DataSourceUnavailable("the catalog database is unavailable") from error


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine, *, product_cache: ProductCache | None = None) -> None:
        self.engine = engine
        #: Products this process loaded from this database; every session carries it.
        self.product_cache = ProductCache() if product_cache is None else product_cache
        info = {PRODUCT_CACHE_KEY: self.product_cache}
        self._sessions = sessionmaker(engine, expire_on_commit=False, info=info)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session; connection failures become DataSourceUnavailable."""
        with unavailable_on_failure(), self._sessions() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection for a few prebuilt reads: a session costs more than they do."""
        with unavailable_on_failure(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with unavailable_on_failure(), self._sessions.begin() as session:
            yield session
