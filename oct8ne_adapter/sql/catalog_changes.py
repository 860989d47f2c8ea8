"""The catalog change log: writers append to it, processes that cache the catalog follow it.

A writer collects the primary keys of the products it touched in a `ChangeRecorder` and writes
them in the transaction that changes the products, so a reader never sees a change without its
log entry. Past `limit` products one NULL row ("anything changed") replaces the list: a reader
would rebuild anyway, and a million-row import should not write a million log rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.tables import catalog_changes as _table

#: Above this many products in one transaction, one "anything changed" row is written instead.
DETAILED_LIMIT = 20_000
#: Entries older than this are deleted when new ones are written; readers lag far less. Deleting
#: changes the log's version, so each process's index rebuilds once: rarely is better.
RETENTION = timedelta(days=1)


class ChangeRecorder:
    """The products one transaction changed, written to the log when it commits."""

    def __init__(self, limit: int = DETAILED_LIMIT) -> None:
        self.limit = limit
        self.product_pks: set[int] = set()
        self.everything = False

    def add(self, product_pks: Iterable[int]) -> None:
        """Note these products as changed."""
        if self.everything:
            return
        self.product_pks.update(product_pks)
        if len(self.product_pks) > self.limit:
            self.mark_everything()

    def mark_everything(self) -> None:
        """Note that anything may have changed (categories renamed, bulk loads)."""
        self.everything = True
        self.product_pks.clear()

    def write(self, connection: Session | Connection) -> None:
        """Append the noted changes to the log in this transaction, then forget them."""
        if not self.everything and not self.product_pks:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = (
            [{"product_pk": None, "changed_at": now}]
            if self.everything
            else [{"product_pk": pk, "changed_at": now} for pk in sorted(self.product_pks)]
        )
        connection.execute(insert(_table), rows)
        oldest = connection.scalar(select(func.min(_table.c.changed_at)))
        if oldest is not None and oldest < now - RETENTION:
            connection.execute(delete(_table).where(_table.c.changed_at < now - RETENTION))
        self.product_pks = set()
        self.everything = False


@dataclass(frozen=True)
class CatalogVersion:
    """Where the log stood: a new entry, even one committed late with an older seq, changes it."""

    entries: int
    last_seq: int


def catalog_version(connection: Session | Connection) -> CatalogVersion:
    """The log's current version (one small query)."""
    entries, last = connection.execute(select(func.count(), func.max(_table.c.seq))).one()
    return CatalogVersion(int(entries or 0), int(last or 0))


def changed_products(
    connection: Session | Connection, since: CatalogVersion, limit: int
) -> tuple[frozenset[int], CatalogVersion] | None:
    """The products changed after `since`, and the version that includes them.

    None when the changes cannot be listed exactly: an "anything changed" entry, more than
    `limit` products, entries deleted, or an entry committed after a later one was read (its
    seq is below `since.last_seq`). The caller then reads the whole catalog again.
    """
    version = catalog_version(connection)
    rows = connection.execute(
        select(_table.c.product_pk)
        .where(_table.c.seq > since.last_seq, _table.c.seq <= version.last_seq)
        .limit(limit + 1)
    ).all()
    # Entries are only ever added except by retention; any other difference is a late commit.
    if len(rows) != version.entries - since.entries or len(rows) > limit:
        return None
    if any(product_pk is None for (product_pk,) in rows):
        return None
    return frozenset(product_pk for (product_pk,) in rows), version
