"""Failed-authentication counters in the SQL database: one write per failure, a read per check.

Used by `web.auth_limiter` when no Redis is configured, so that every worker on every host
counts in the same place. A failure is one upsert of its (address, window) row and a delete of
rows of past windows, in one transaction; a check is one primary-key read.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.tables import auth_failures as _table


class SqlFailureCounter:
    """Counts failures per (address, window) in the `auth_failures` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def failures(self, address: str, window_start: int) -> int:
        """Failures counted for `address` in the window starting at `window_start`."""
        with self.database.session() as session:
            found = session.execute(
                select(_table.c.failures).where(
                    _table.c.address == address, _table.c.window_start == window_start
                )
            ).scalar_one_or_none()
        return int(found or 0)

    def add_failure(self, address: str, window_start: int) -> None:
        """Count one failure of `address` in its window; forget every past window."""
        with self.database.transaction() as session:
            session.execute(delete(_table).where(_table.c.window_start < window_start))
            session.execute(self._increment(session, address, window_start))

    @staticmethod
    def _increment(session: Session, address: str, window_start: int) -> Executable:
        """INSERT ... ON CONFLICT / ON DUPLICATE KEY: add one, in a single statement."""
        row = {"address": address, "window_start": window_start, "failures": 1}
        if session.get_bind().dialect.name in {"mysql", "mariadb"}:
            upsert = mysql.insert(_table).values(row)
            return upsert.on_duplicate_key_update(failures=_table.c.failures + 1)
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(_table).values(row)
        upsert_statement: Executable = insert.on_conflict_do_update(
            index_elements=[_table.c.address, _table.c.window_start],
            set_={"failures": _table.c.failures + 1},
        )
        return upsert_statement
