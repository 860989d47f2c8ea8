"""The index's reader of a shop's `CatalogSource` (source.CatalogReader over its records).

`RecordCatalog` keeps the source's records as a `records.RecordState` and publishes a new state
each time it reads: whole (when the index builds) or just the products the source says changed
since the index's version (when it catches up). A reader takes the newest state at its first
read and keeps it, as a SQL session keeps its view.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from oct8ne_adapter import domain
from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.repository import CatalogSource
from oct8ne_adapter.search.index.records import RecordState, minor_units, sort_entries
from oct8ne_adapter.sql.localized import pick_translation

Keys = Iterable[int] | None


class RecordCatalog:
    """Opens readers over the records of a CatalogSource (source.CatalogReaders)."""

    def __init__(self, source: CatalogSource) -> None:
        self.source = source
        self._state: RecordState | None = None
        #: Held while a new state is made from the newest one.
        self._publishing = threading.Lock()

    @contextmanager
    def reader(self) -> Iterator[RecordCatalogReader]:
        """A reader over the newest state."""
        yield RecordCatalogReader(self)

    def newest(self) -> RecordState:
        """The newest state; the source is read whole the first time."""
        state = self._state
        return state if state is not None else self.read_whole()

    def read_whole(self) -> RecordState:
        """Read every record of the source into a new state (its version read first)."""
        with self._publishing:
            version = self.source.version()
            base = self._state if self._state is not None else RecordState(version)
            self._state = base.read_whole(self.source.records(None), version)
            return self._state

    def read_changes(
        self, version: Hashable, limit: int
    ) -> tuple[RecordState, frozenset[int], Hashable] | None:
        """Re-read what changed after `version`: the new state, the changed keys, the version."""
        plan = self.source.changes_since(version, limit)
        if plan is None:
            return None
        product_ids, new_version = plan
        wanted: dict[str, ProductRecord | None] = dict.fromkeys(product_ids)  # deleted: None
        if wanted:
            for batch in self.source.records(list(wanted)):
                for record in batch:
                    if record.id in wanted:
                        wanted[record.id] = record
        with self._publishing:
            if self._state is None:
                return None  # nothing read yet: read everything
            state, keys = self._state.updated(wanted, new_version)
            if state.moved:
                return None  # a category moved: products not listed changed ancestors
            self._state = state
            return state, keys, new_version


class RecordCatalogReader:
    """One consistent read of a source's records: the state taken at the first read."""

    def __init__(self, catalog: RecordCatalog) -> None:
        self.catalog = catalog
        self._state: RecordState | None = None

    @property
    def state(self) -> RecordState:
        """The state this reader reads."""
        if self._state is None:
            self._state = self.catalog.newest()
        return self._state

    def version(self) -> Hashable:
        """Where the source stands now (asked each time: this is the index's poll)."""
        try:
            return self.catalog.source.version()
        except DataSourceUnavailable:
            raise
        except Exception as error:  # a shop's own source: any failure is an outage to us
            raise DataSourceUnavailable("the catalog source is unavailable") from error

    def changes_since(
        self, version: Hashable, limit: int
    ) -> tuple[frozenset[int], Hashable] | None:
        """The source's changes after `version`, read into a new state this reader then reads."""
        changes = self.catalog.read_changes(version, limit)
        if changes is None:
            return None
        self._state, keys, new_version = changes
        return keys, new_version

    def key_limit(self) -> int:
        """One more than the largest key. The index builds: the source is read whole here."""
        # build_snapshot reads the version first, then this: a whole read from now on can miss
        # no change made after that version.
        self._state = self.catalog.read_whole()
        return self._state.next_key

    def products(self, keys: Keys = None) -> Iterator[tuple[int, bool, int | None, int, str]]:
        """(product, active, brand, position, availability) rows; positions are all 0."""
        state = self.state
        for key, record in state.keyed(keys):
            availability = domain.Availability.of(record.availability, record.stock).value
            yield key, record.active, state.brand_key(record), 0, availability

    def texts(self, keys: Keys = None) -> Iterator[tuple[int, str | None, str | None]]:
        """(product, title, description) rows, one per language with a title."""
        for key, record in self.state.keyed(keys):
            for language, title in record.titles.items():
                yield key, title, record.descriptions.get(language, "")

    def category_links(self, keys: Keys = None) -> Iterator[tuple[int, int]]:
        """(category, product) rows: every category of a product's path."""
        state = self.state
        for key, record in state.keyed(keys):
            for category in state.category_keys(record):
                yield category, key

    def value_links(self, keys: Keys = None) -> Iterator[tuple[int, int]]:
        """(attribute value, product) rows."""
        state = self.state
        for key, record in state.keyed(keys):
            for value in state.value_keys(record):
                yield value, key

    def prices(self, keys: Keys = None) -> Iterator[tuple[int, str, int]]:
        """(product, currency, amount in minor units) rows."""
        for key, record in self.state.keyed(keys):
            for currency, price in record.prices.items():
                yield key, currency, minor_units(price.amount, currency)

    def sort_keys(self, keys: Keys = None) -> Iterator[tuple[int, str, str]]:
        """(product, language, folded title) rows; the whole catalog's in sort-key order."""
        state = self.state
        if keys is None:
            for sort_key, key, language in state.sort_index:
                yield key, language, sort_key
            return
        for key, record in state.keyed(keys):
            for sort_key, _, language in sort_entries(key, record):
                yield key, language, sort_key

    def neighbour_sort_keys(
        self, sort_key: str, *, below: bool, offset: int, limit: int
    ) -> list[tuple[int, str, str]]:
        """Sort-key rows at or below `sort_key` (descending), or above it (ascending)."""
        index = self.state.sort_index
        cut = bisect_right(index, sort_key, key=lambda entry: entry[0])
        if below:
            first = cut - 1 - offset
            rows = index[max(first - limit + 1, 0) : first + 1][::-1] if first >= 0 else []
        else:
            rows = index[cut + offset : cut + offset + limit]
        return [(key, language, found) for found, key, language in rows]

    def brands(self) -> list[tuple[int, str, str]]:
        """(brand, external id, name) of every brand."""
        return [(key, slug, name) for slug, (key, name) in self.state.brands.items()]

    def category_names(self) -> list[tuple[int, str]]:
        """(category, name) in every language."""
        return [
            (node.key, name)
            for node in self.state.categories.values()
            for name in node.names.values()
        ]

    def value_names(self) -> list[tuple[int, str]]:
        """(value, code), then (value, label) in every language."""
        values = self.state.values.values()
        return [(node.key, node.code) for node in values] + [
            (node.key, label) for node in values for label in node.labels.values()
        ]

    def attribute_values(self) -> list[tuple[int, int, str, str]]:
        """(value, attribute, attribute code, value code) of every value."""
        return [
            (node.key, node.attribute, node.attribute_code, node.code)
            for node in self.state.values.values()
        ]

    def categories_under(self, parent_pk: int | None) -> list[tuple[int, str]]:
        """(category, external id) of the children of this category (the roots for None)."""
        return [
            (node.key, category_id)
            for category_id, node in self.state.categories.items()
            if node.parent == parent_pk
        ]

    def lookup(self, languages: Sequence[str]) -> RecordLookup:
        """Keys and names from this reader's state."""
        return RecordLookup(self.state, languages)

    def load_products(self, pks: Sequence[int], languages: Sequence[str]) -> list[domain.Product]:
        """The active ones of these products, in this order."""
        state = self.state
        return [
            product
            for key in dict.fromkeys(pks)
            if (product := state.product(key, languages)) is not None
        ]


class RecordLookup:
    """Keys and names of a record state, in the visitor's languages (rules.CatalogLookup)."""

    def __init__(self, state: RecordState, languages: Sequence[str]) -> None:
        self.state = state
        self.languages = tuple(languages)

    def categories(self, external_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """External id -> (key, depth)."""
        found = self.state.categories
        return {
            category_id: (found[category_id].key, found[category_id].depth)
            for category_id in external_ids
            if category_id in found
        }

    def brands(self, external_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Slug -> (key, name)."""
        found = self.state.brands
        return {slug: found[slug] for slug in external_ids if slug in found}

    def attributes(self, codes: Sequence[str]) -> dict[str, int]:
        """Code -> key, in the order the attributes were first seen."""
        wanted = set(codes)
        return {code: key for code, key in self.state.attributes.items() if code in wanted}

    def values(self, attribute_pk: int, codes: Sequence[str]) -> dict[str, int]:
        """Code -> key of this attribute's values."""
        found = self.state.values
        return {
            code: found[(attribute_pk, code)].key for code in codes if (attribute_pk, code) in found
        }

    def products_with_code(self, code: str) -> list[int]:
        """Keys of the products having this normalised code, ascending."""
        return sorted(self.state.codes.get(code, ()))

    def category_names(self, pks: Sequence[int]) -> dict[int, str]:
        """Key -> name in the best language."""
        state = self.state
        nodes = [
            state.categories[state.category_ids[key]] for key in pks if key in state.category_ids
        ]
        return _best(((node.key, node.names) for node in nodes), self.languages)

    def attribute_labels(self, pks: Sequence[int]) -> dict[int, str]:
        """Records carry no attribute labels: the facet shows the code's built-in label."""
        return {}

    def value_labels(self, pks: Sequence[int]) -> dict[int, str]:
        """Key -> label in the best language."""
        wanted = set(pks)
        return _best(
            ((node.key, node.labels) for node in self.state.values.values() if node.key in wanted),
            self.languages,
        )


def _best(
    named: Iterable[tuple[int, Mapping[str, str]]], languages: Sequence[str]
) -> dict[int, str]:
    """Key -> text in the best language, of (key, {language: text}) pairs."""
    return pick_translation(
        ((key, language, text) for key, names in named for language, text in names.items()),
        languages,
    )
