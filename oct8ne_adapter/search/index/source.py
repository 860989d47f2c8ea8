"""What the index reads from a catalog: the one boundary between the index and any storage.

The index (snapshot, query, engine) touches no table. Everything it reads comes through a
`CatalogReader`, which `IndexedSearchEngine` opens per search or catch-up from its
`CatalogReaders`; `sql_reader` implements both over the SQL catalog and its change log and is the
only module of the index that imports SQLAlchemy or the SQL models. (Two pure rules are shared
with the SQL search rather than copied: `sql.fulltext`'s tokens and field weights, so the index
matches words as the SQL backends do, and `sql.localized.translation_rank` for name order.)

Two catalogs fill it, each following its changes the same way (`version`, `changes_since`):
- our SQL catalog, through `sql_reader` (the change log says what changed since a version);
- any shop's catalog, through `source_reader`: a `repository.CatalogSource` lists its products in
  batches as feed records and tells what changed since a version; the reader keeps the records
  and numbers products, brands, categories and values itself (`records`).
A persisted index would use the same seam: a stored snapshot keeps its `version`, and a
restarted worker catches up through `changes_since` instead of reading the whole catalog.

Products are numbered by integer keys (small, dense: they index numpy arrays and roaring bitmaps);
brands, categories and attribute values by keys of their own. A version is opaque to the index:
compared for equality, and handed back to `changes_since`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from oct8ne_adapter import domain
from oct8ne_adapter.search.rules import CatalogLookup

#: For the methods below: None reads the whole catalog (streamed), else just these products.
Keys = Iterable[int] | None


class CatalogReader(Protocol):
    """One consistent read of a catalog (one SQL session): rows by product key, names, pages."""

    def version(self) -> Hashable:
        """Where the catalog stands now; changes after it get a different version."""
        ...

    def changes_since(
        self, version: Hashable, limit: int
    ) -> tuple[frozenset[int], Hashable] | None:
        """The products changed after `version` and the version including them; None when they
        cannot be listed exactly (more than `limit`, a bulk change): read the whole catalog."""
        ...

    def key_limit(self) -> int:
        """One more than the largest product key."""
        ...

    def products(self, keys: Keys = None) -> Iterable[tuple[int, bool, int | None, int, str]]:
        """(product, active, brand or None, position, availability) rows."""
        ...

    def texts(self, keys: Keys = None) -> Iterable[tuple[int, str | None, str | None]]:
        """(product, title, description) rows, one per language."""
        ...

    def category_links(self, keys: Keys = None) -> Iterable[tuple[int, int]]:
        """(category, product) rows: a product's category and each ancestor of it."""
        ...

    def value_links(self, keys: Keys = None) -> Iterable[tuple[int, int]]:
        """(attribute value, product) rows."""
        ...

    def prices(self, keys: Keys = None) -> Iterable[tuple[int, str, int]]:
        """(product, currency, amount in minor units) rows."""
        ...

    def sort_keys(self, keys: Keys = None) -> Iterable[tuple[int, str, str]]:
        """(product, language, folded title) rows; the whole catalog's in sort-key byte order."""
        ...

    def neighbour_sort_keys(
        self, sort_key: str, *, below: bool, offset: int, limit: int
    ) -> Sequence[tuple[int, str, str]]:
        """Sort-key rows nearest to `sort_key`: at or below it descending, else above ascending."""
        ...

    def brands(self) -> Iterable[tuple[int, str, str]]:
        """(brand, external id, name) of every brand."""
        ...

    def category_names(self) -> Iterable[tuple[int, str]]:
        """(category, name) in every language."""
        ...

    def value_names(self) -> Iterable[tuple[int, str | None]]:
        """(attribute value, code or label): each value by its code and by every label."""
        ...

    def attribute_values(self) -> Iterable[tuple[int, int, str, str]]:
        """(value, attribute, attribute code, value code) of every attribute value."""
        ...

    def categories_under(self, parent_pk: int | None) -> Iterable[tuple[int, str]]:
        """(category, external id) of the children of this category (the roots for None)."""
        ...

    def lookup(self, languages: Sequence[str]) -> CatalogLookup:
        """Keys and names for resolving filters and labelling facets."""
        ...

    def load_products(self, pks: Sequence[int], languages: Sequence[str]) -> list[domain.Product]:
        """The active ones of these products, in this order, for a result page."""
        ...


class CatalogReaders(Protocol):
    """Opens reads of one catalog."""

    def reader(self) -> AbstractContextManager[CatalogReader]:
        """A read, closed when the block ends."""
        ...
