"""Products already loaded in this process, kept for as long as the catalog change log is still.

productInfo, productSummary, customerData and every search page load the same popular products
again and again: four queries per call, most of a productInfo request's time. The cache reads
where the change log stands (its newest position and its number of entries, which also reveals
an entry committed late with an older position) at most once per `follow_seconds`, the interval
at which the search index polls the same log, and any change, written by any process's catalog
writer, empties it. So between two reads a hot productInfo sends no SQL at all, and a change is
seen within `follow_seconds` (the app's search_index_poll_ms, 1 s by default; 0, the default
of a cache made outside an app, reads the log on every call), for every write
that goes through the log (the import, the demo loader, the writer): the contract every
in-process cache here follows.

Each `Database` owns one cache (an app's, since each app opens its own), and every session it
opens carries it in `session.info`: no module-level registry, so two apps in one process never
share a cache or overwrite each other's `follow_seconds`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.catalog_changes import CatalogVersion, catalog_version

#: Products kept per database and process (about 1-2 KB each with their texts).
MAX_PRODUCTS = 10_000
#: Default seconds between two reads of the change log: every call, unless the app sets its poll.
FOLLOW_SECONDS = 0.0


Key = tuple[int, tuple[str, ...]]


class ProductCache:
    """Active products by (primary key, language chain), and shop id -> primary key."""

    def __init__(
        self,
        max_products: int = MAX_PRODUCTS,
        *,
        follow_seconds: float = FOLLOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_products = max_products
        self.follow_seconds = follow_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._version: CatalogVersion | None = None
        self._read_at = -float("inf")
        #: Counts the times the cache was emptied: what was built from its products is as old.
        self.generation = 0
        self._products: OrderedDict[Key, domain.Product] = OrderedDict()
        self._pks: dict[str, int] = {}
        #: Products as seen through a variant id, by (variant id, language chain).
        self._variant_views: OrderedDict[tuple[str, tuple[str, ...]], domain.Product] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._products)

    def due(self) -> bool:
        """Whether the next use must read the change log first."""
        return self.clock() - self._read_at >= self.follow_seconds

    def follow(self, session: Session) -> None:
        """Read the change log (at most once per follow_seconds); forget everything if it moved."""
        now = self.clock()
        if now - self._read_at < self.follow_seconds:
            return
        version = catalog_version(session)
        with self._lock:
            if version != self._version:
                self._products.clear()
                self._pks.clear()
                self._variant_views.clear()
                self.generation += 1
            self._version, self._read_at = version, now

    def expire(self) -> None:
        """Read the change log at the next use (this process just wrote to it)."""
        with self._lock:
            self._read_at = -float("inf")

    def cached(
        self, external_ids: Sequence[str], languages: tuple[str, ...]
    ) -> list[domain.Product] | None:
        """These products in the asked order if every id is cached and no log read is due.

        None means: ask the database (with a session). Answering without one is what makes a
        popular productInfo free of SQL and of the session's own cost.
        """
        if self.due():
            return None
        found: list[domain.Product] = []
        with self._lock:
            for external in dict.fromkeys(external_ids):
                pk = self._pks.get(external)
                key = (-1 if pk is None else pk, languages)
                product = self._products.get(key)
                if product is not None:
                    self._products.move_to_end(key)
                else:
                    product = self._variant_views.get((external, languages))
                    if product is None:
                        return None
                found.append(product)
        return found

    def products(
        self, pks: Iterable[int], languages: tuple[str, ...]
    ) -> tuple[dict[int, domain.Product], list[int]]:
        """The cached products among these keys, and the keys still to load."""
        found: dict[int, domain.Product] = {}
        missing: list[int] = []
        with self._lock:
            for pk in pks:
                product = self._products.get((pk, languages))
                if product is None:
                    missing.append(pk)
                else:
                    self._products.move_to_end((pk, languages))
                    found[pk] = product
        return found, missing

    def pks(self, external_ids: Sequence[str]) -> tuple[dict[str, int], list[str]]:
        """Known primary keys of these shop ids, and the ids still to look up."""
        with self._lock:
            known = {
                external: self._pks[external] for external in external_ids if external in self._pks
            }
        return known, [external for external in external_ids if external not in known]

    def store(self, products: dict[int, domain.Product], languages: tuple[str, ...]) -> None:
        """Keep freshly loaded products, dropping the least recently used beyond the limit."""
        with self._lock:
            for pk, product in products.items():
                self._products[(pk, languages)] = product
                self._pks[product.id] = pk
            while len(self._products) > self.max_products:
                self._products.popitem(last=False)
            # An id whose product was dropped still names the same key until the log moves.
            if len(self._pks) > 4 * self.max_products:
                self._pks.clear()

    def variant_views(
        self, variant_ids: Iterable[str], languages: tuple[str, ...]
    ) -> dict[str, domain.Product]:
        """The cached products as seen through these variant ids."""
        found: dict[str, domain.Product] = {}
        with self._lock:
            for variant_id in variant_ids:
                view = self._variant_views.get((variant_id, languages))
                if view is not None:
                    self._variant_views.move_to_end((variant_id, languages))
                    found[variant_id] = view
        return found

    def store_variant_views(
        self, views: dict[str, domain.Product], languages: tuple[str, ...]
    ) -> None:
        """Keep products seen through variant ids, least recently used out beyond the limit."""
        with self._lock:
            for variant_id, view in views.items():
                self._variant_views[(variant_id, languages)] = view
            while len(self._variant_views) > self.max_products:
                self._variant_views.popitem(last=False)


#: Where a session keeps its database's cache (`Session.info`).
SESSION_INFO_KEY = "oct8ne_product_cache"


def product_cache(session: Session) -> ProductCache:
    """The cache of the database this session belongs to.

    A session opened without a `Database` has none: it gets an empty cache of its own, dropped
    with the call.
    """
    cache = session.info.get(SESSION_INFO_KEY)
    if isinstance(cache, ProductCache):
        return cache
    return _CallCache()


class _CallCache(ProductCache):
    """A cache for one call: it starts empty, so it has no change log to follow."""

    def follow(self, session: Session) -> None:
        """Nothing to forget."""
