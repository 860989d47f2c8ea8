"""The per-process search index: kept current from the catalog's changes, never used stale.

Each worker process keeps its own snapshot and reads the catalog's version at most once per
`poll_seconds` (one small query on the SQL change log). When the version moved, the snapshot stops
answering at once and searches go to the fallback engine (the SQL search, always exact) while the
snapshot catches up: by re-reading only the changed products when the catalog lists them (a few
thousand at most), else by reading the whole catalog again. So a change made by any process is
visible to every worker within `poll_seconds`, and the index answers again as soon as it has
caught up. The catalog is read only through `source.CatalogReaders`.

Over a shop's `CatalogSource` there is no other engine to fall back to (`fallback=None`): the
search that finds the index behind catches it up itself (only the changed products are read
again, milliseconds) and answers from the snapshot just made, which is at least as new as the
version polled; if the source cannot be read, the search is a 503. `warm` reads the whole
catalog in the background when the app starts, so no visitor waits for that (a search that
comes before it is done waits for it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from oct8ne_adapter.domain import SearchQuery, SearchResult
from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.search.engine import SearchEngine
from oct8ne_adapter.search.index.query import IndexedSearch
from oct8ne_adapter.search.index.snapshot import CatalogSnapshot, NeedsRebuild, build_snapshot
from oct8ne_adapter.search.index.source import CatalogReader, CatalogReaders

logger = logging.getLogger(__name__)

#: Default seconds between two looks at the change log.
POLL_SECONDS = 1.0
#: Up to this many changed products are re-read one by one; more, and the catalog is read whole.
INCREMENTAL_LIMIT = 5_000
#: After a failed catch-up, searches stay on the fallback this long before another is tried.
RETRY_SECONDS = 30.0
#: Without a fallback, a search waits this long at most for the read `warm` started.
WARM_WAIT_SECONDS = 120.0


class IndexedSearchEngine:
    """Searches from an in-memory snapshot when it is current, else with the fallback engine."""

    def __init__(
        self,
        catalog: CatalogReaders,
        fallback: SearchEngine | None,
        *,
        poll_seconds: float = POLL_SECONDS,
        background: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog = catalog
        #: Answers while the snapshot is missing or stale; it must be exact on its own. None:
        #: none, so catching up is the searching request's own work.
        self.fallback = fallback
        self.poll_seconds = poll_seconds
        self.background = background and fallback is not None
        self.clock = clock
        #: The snapshot being kept, current or not; searches use it only when current.
        self._snapshot: CatalogSnapshot | None = None
        self._latest: Hashable | None = None
        self._checked_at = -float("inf")
        self._failed_at = -float("inf")
        #: Held while a search reads the snapshot and while it is changed.
        self._reading = threading.Lock()
        self._state = threading.Lock()
        self._worker: threading.Thread | None = None
        self.builds = 0
        self.updates = 0
        #: The process whose searches the snapshot has answered (a fork inherits the snapshot,
        #: not this: each worker proves its own index current before it counts as in use).
        self._in_use_by: int | None = None
        #: Called with the snapshot's version after each catch-up (the metrics follow it).
        self.listeners: list[Callable[[Hashable], None]] = []

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer from the snapshot if it matches the catalog, else with the fallback."""
        with self.catalog.reader() as reader:
            if self.current(reader) is not None:
                with self._reading:
                    snapshot = self._snapshot
                    if snapshot is not None and snapshot.version == self._latest:
                        self._now_in_use(snapshot)
                        return IndexedSearch(reader, query, snapshot).run()
            if self.fallback is None:
                worker = self._worker
                if worker is not None and worker.is_alive():
                    worker.join(WARM_WAIT_SECONDS)  # the first read, started with the app
                with self._reading:
                    # Made by the catch-up just now: the polled version or a newer one.
                    snapshot = self._snapshot
                    if snapshot is not None:
                        return IndexedSearch(reader, query, snapshot).run()
                raise DataSourceUnavailable("the catalog source is unavailable")
        return self.fallback.search(query)

    def in_use(self) -> bool:
        """Whether this process answers from its index; if not, its build or catch-up starts.

        True from the first time the snapshot is current in this process on: a later catch-up
        (after an import) answers from SQL meanwhile, exactly, so the process stays in service.
        """
        if self._in_use_by == os.getpid():
            return True
        with self.catalog.reader() as reader:
            snapshot = self.current(reader)
        if snapshot is None:
            return False
        self._now_in_use(snapshot)
        return True

    @contextmanager
    def unannounced(self) -> Iterator[None]:
        """Searches in this block (a master's warm-up) neither count as use nor tell listeners."""
        listeners, in_use = self.listeners, self._in_use_by
        self.listeners = []
        try:
            yield
        finally:
            self.listeners, self._in_use_by = listeners, in_use

    def _now_in_use(self, snapshot: CatalogSnapshot) -> None:
        """Note that this process answers from the snapshot; the first time, tell the listeners
        (a fork's inherited snapshot was built by a master that told nobody)."""
        if self._in_use_by != os.getpid():
            self._in_use_by = os.getpid()
            for listener in self.listeners:
                listener(snapshot.version)

    def build_now(self) -> bool:
        """Build or catch up in this thread (a server's master, before it forks); True if current.

        The snapshot a fork inherits shares its arrays' and bitmaps' pages with the master's
        until either writes them: the workers map one copy instead of building one each.
        """
        with self.catalog.reader() as reader:
            latest = reader.version()
        with self._state:
            self._checked_at = self.clock()
            self._latest = latest
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != latest:
            self._failed_at = -float("inf")
            # No listeners: the metrics' gauge is per live process, and a master that searches
            # nothing would hold its build's position for as long as it runs.
            self._run_catch_up(notify=False)
        snapshot = self._snapshot
        return snapshot is not None and snapshot.version == self._latest

    def current(self, reader: CatalogReader) -> CatalogSnapshot | None:
        """The snapshot if it matches the catalog; otherwise None, and it starts catching up."""
        now = self.clock()
        if now - self._checked_at >= self.poll_seconds:
            latest = reader.version()
            with self._state:
                self._checked_at = now
                self._latest = latest
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == self._latest:
            return snapshot
        self._catch_up()
        snapshot = self._snapshot
        return snapshot if snapshot is not None and snapshot.version == self._latest else None

    def warm(self) -> None:
        """Start reading the catalog now, in the background, rather than at the first search."""
        with self._state:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._run_catch_up, name="oct8ne-search-index", daemon=True
                )
                self._worker.start()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until a running catch-up ends; True if the snapshot is then current."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        snapshot = self._snapshot
        return snapshot is not None and snapshot.version == self._latest

    def _catch_up(self) -> None:
        with self._state:
            if self._worker is not None and self._worker.is_alive():
                return
            if self.clock() - self._failed_at < RETRY_SECONDS:
                return
            if not self.background:
                self._run_catch_up()
                return
            self._worker = threading.Thread(
                target=self._run_catch_up, name="oct8ne-search-index", daemon=True
            )
            self._worker.start()

    def _run_catch_up(self, notify: bool = True) -> None:
        started = time.perf_counter()
        try:
            with self.catalog.reader() as reader:
                how = self._update(reader) if self._snapshot is not None else None
                if how is None:
                    snapshot = build_snapshot(reader)
                    with self._reading:
                        self._snapshot = snapshot
                    self.builds += 1
                    how = "built"
        except Exception:  # searches stay on the fallback until a later retry
            with self._reading:
                self._snapshot = None
            self._failed_at = self.clock()
            logger.exception("search index failed to catch up; searching in SQL meanwhile")
            return
        kept = self._snapshot
        if kept is not None and notify:
            for listener in self.listeners:
                listener(kept.version)
        logger.info(
            "search index %s: %d products in %.2f s",
            how,
            0 if kept is None else len(kept.active),
            time.perf_counter() - started,
        )

    def _update(self, reader: CatalogReader) -> str | None:
        """Apply the listed changes to the snapshot; None if it must be read whole instead."""
        snapshot = self._snapshot
        assert snapshot is not None
        plan = reader.changes_since(snapshot.version, INCREMENTAL_LIMIT)
        if plan is None:
            return None
        product_pks, version = plan
        with self._reading:
            try:
                snapshot.apply(reader, product_pks, version)
            except NeedsRebuild as reason:
                logger.info("search index reads the catalog again: %s", reason)
                self._snapshot = None
                return None
        self.updates += 1
        return f"updated ({len(product_pks)} changed)"
