"""One catalog writer at a time across workers and hosts, for the live catalog API.

Two requests that insert the same new product at once would both find it missing and the
second would fail on the unique id (a 500), and two writers reading the same import mark would
take each other's products for repeats. So a push or a removal holds the database's catalog
lock for its whole transaction: PostgreSQL's transaction-level advisory lock, a MariaDB named
lock on its own connection (held until after the commit), SQLite's write lock taken at the
start (a no-op DELETE) rather than halfway through. A writer that waits longer than the
database allows gets DataSourceUnavailable (503): the caller tries again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.sql.database import Database, unavailable_on_failure

#: The advisory lock key (PostgreSQL) and lock name (MariaDB) of catalog writes.
LOCK_KEY = 0x0C78_E0CA
LOCK_NAME = "oct8ne_catalog_write"
#: Seconds a MariaDB writer waits for the lock.
WAIT_SECONDS = 15


@contextmanager
def locked_catalog_transaction(database: Database) -> Iterator[Session]:
    """A transaction (committed on success) that no other catalog push or removal overlaps."""
    dialect = database.engine.dialect.name
    if dialect not in ("mysql", "mariadb"):
        with database.transaction() as session:
            if dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            elif dialect == "sqlite":
                session.execute(text("DELETE FROM catalog_changes WHERE 1 = 0"))
            yield session
        return
    with unavailable_on_failure(), database.engine.connect() as connection:
        got = connection.scalar(
            text("SELECT GET_LOCK(:name, :wait)"), {"name": LOCK_NAME, "wait": WAIT_SECONDS}
        )
        if got != 1:
            raise DataSourceUnavailable("another request is writing the catalog: try again")
        try:
            with database.transaction() as session:
                yield session
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
