"""InMemoryCatalogSource: a `CatalogSource` over plain Python records, the reference one; and
`sourced_repository`, a shop's repository with the adapter's search over its source, as the
adapter serves it (what the contract kit checks for a shop that gives `catalog_source=`).

InMemoryCatalogSource keeps its records in a dict and a log of the ids changed: the version is
the number of changes made so far, and `changes_since` lists the ids changed after a version
from the log. A shop's own source does the same over its tables (a revision column, a change table).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence

from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.repository import AdapterRepository, CatalogSource, ProductReads
from oct8ne_adapter.search.index import IndexedSearchEngine, RecordCatalog
from oct8ne_adapter.search.sourced import SourcedRepository

#: Records per batch when the whole catalog is listed.
BATCH_SIZE = 500


class InMemoryCatalogSource:
    """Product records in memory, with the log of their changes (repository.CatalogSource)."""

    def __init__(self, records: Iterable[ProductRecord] = (), *, batch_size: int = BATCH_SIZE):
        self._records = {record.id: record for record in records}
        self._log: list[str] = []
        self._lock = threading.Lock()
        self.batch_size = batch_size
        #: How many whole listings and reads by id were asked for (tests read these).
        self.whole_reads = 0
        self.id_reads = 0

    def put(self, *records: ProductRecord) -> None:
        """Add or replace these products."""
        with self._lock:
            for record in records:
                self._records[record.id] = record
                self._log.append(record.id)

    def delete(self, *product_ids: str) -> None:
        """Delete these products."""
        with self._lock:
            for product_id in product_ids:
                if self._records.pop(product_id, None) is not None:
                    self._log.append(product_id)

    def version(self) -> int:
        """The number of changes made so far."""
        return len(self._log)

    def changes_since(self, version: Hashable, limit: int) -> tuple[frozenset[str], int] | None:
        """The ids changed after `version`; None for more than `limit` or a foreign version."""
        with self._lock:
            if not isinstance(version, int) or not 0 <= version <= len(self._log):
                return None
            changed = frozenset(self._log[version:])
            if len(changed) > limit:
                return None
            return changed, len(self._log)

    def records(self, ids: Collection[str] | None = None) -> Iterator[Sequence[ProductRecord]]:
        """Every record in batches for None, else the existing records of these ids."""
        with self._lock:
            if ids is None:
                self.whole_reads += 1
                listed = list(self._records.values())
            else:
                self.id_reads += 1
                listed = [self._records[i] for i in ids if i in self._records]
        for start in range(0, len(listed), self.batch_size):
            yield listed[start : start + self.batch_size]


def sourced_repository(shop: ProductReads, source: CatalogSource) -> AdapterRepository:
    """The shop's repository with the adapter's index searching its source, polled each search."""
    index = IndexedSearchEngine(RecordCatalog(source), None, poll_seconds=0)
    return SourcedRepository(shop, index.search)
