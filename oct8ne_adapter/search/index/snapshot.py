"""An in-memory copy of what search needs from the catalog: compressed bitmaps and flat arrays.

Products are numbered by their key, so a set of products is a roaring bitmap of keys and a
per-product value is an array indexed by key. Text follows the SQL backends' rules exactly
(`fulltext.tokens`, prefix matching, the token-table field weights); prices, positions and name
ranks are arrays; categories, brands and attribute values are bitmaps of their products.

A snapshot is built once from the whole catalog, then kept current by `apply`, which re-reads just
the products the change log names: they are taken out of every structure and put back as they
are now. Names sort by a rank per distinct sort key; a changed product's key gets a rank between
the ranks of its unchanged neighbours in the catalog's own order, so ranks never need rebuilding.
Everything is read through a `source.CatalogReader`: this module touches no table.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pyroaring import BitMap

from oct8ne_adapter.errors import Oct8neError
from oct8ne_adapter.search.index.source import CatalogReader
from oct8ne_adapter.search.index.tokens import PostingsBuilder, PrefixIndex, names_index
from oct8ne_adapter.sql import fulltext

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Rows read at a time while looking for a changed name's unchanged neighbour.
NEIGHBOUR_ROWS = 16
#: Derived columns (8 MB each at a million products) kept per snapshot at most.
MAX_DERIVED = 16
#: Token weights per field, as the SQL token index ranks them.
TITLE_WEIGHT = fulltext.TOKEN_WEIGHTS["title"]
BRAND_WEIGHT = fulltext.TOKEN_WEIGHTS["brand"]
CATEGORY_WEIGHT = fulltext.TOKEN_WEIGHTS["categories"]
ATTRIBUTE_WEIGHT = fulltext.TOKEN_WEIGHTS["attributes"]
DESCRIPTION_WEIGHT = fulltext.TOKEN_WEIGHTS["description"]


class NeedsRebuild(Oct8neError):
    """The changes cannot be applied exactly (e.g. no room left between two name ranks)."""


@dataclass(frozen=True)
class AttributeValueInfo:
    """An attribute value's keys and codes, for facet rows."""

    attribute_pk: int
    attribute_code: str
    value_code: str


@dataclass(frozen=True)
class Presorted:
    """Every product key in ascending order of a sort, in two runs whose order flips apart.

    `keys[:split]` are the keys with a value (a price, a name; in stock, for relevance) by
    (value, key); `keys[split:]` the others by key. Descending order is each run reversed, the
    second still after the first: a missing price or name (or sold out) stays last either way.
    """

    keys: npt.NDArray[np.uint32]
    split: int

    def runs(self, descending: bool) -> tuple[npt.NDArray[np.uint32], ...]:
        """The runs to read in order (views, never copies)."""
        first, second = self.keys[: self.split], self.keys[self.split :]
        return (first[::-1], second[::-1]) if descending else (first, second)


@dataclass(eq=False)
class CatalogSnapshot:
    """Everything search reads, as of one catalog version."""

    version: Hashable
    #: One more than the largest product key: the length of every per-product array.
    size: int
    active: BitMap = field(default_factory=BitMap)
    titles: PrefixIndex = field(default_factory=PrefixIndex)
    descriptions: PrefixIndex = field(default_factory=PrefixIndex)
    #: Token -> brands / categories / attribute values whose names (or codes) have it.
    brand_names: PrefixIndex = field(default_factory=PrefixIndex)
    category_names: PrefixIndex = field(default_factory=PrefixIndex)
    value_names: PrefixIndex = field(default_factory=PrefixIndex)
    brand_of: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    position: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    brand_members: dict[int, BitMap] = field(default_factory=dict)
    category_members: dict[int, BitMap] = field(default_factory=dict)
    value_members: dict[int, BitMap] = field(default_factory=dict)
    values: dict[int, AttributeValueInfo] = field(default_factory=dict)
    #: Availability (`domain.Availability` value) -> its products.
    availability_members: dict[str, BitMap] = field(default_factory=dict)
    #: Brand key -> (external id, name), for the brand facet.
    brands: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: Currency -> price in minor units per product (NaN where the product has none).
    prices: dict[str, FloatArray] = field(default_factory=dict)
    #: Language -> rank of the product's sort key among all sort keys (NaN: no text in it).
    name_ranks: dict[str, FloatArray] = field(default_factory=dict)
    #: Per-product columns derived for a currency or a language chain, kept for the next search.
    derived: dict[tuple[object, ...], FloatArray] = field(default_factory=dict)
    #: Every product key in a sort order (`Presorted`), per order, kept for the next search.
    orders: dict[tuple[object, ...], Presorted] = field(default_factory=dict)

    def cached(self, key: tuple[object, ...], compute: Callable[[], FloatArray]) -> FloatArray:
        """A derived column, computed once per snapshot version."""
        column = self.derived.get(key)
        if column is None:
            if len(self.derived) >= MAX_DERIVED:
                self.derived.clear()
            column = self.derived[key] = compute()
        return column

    def presorted(self, key: tuple[object, ...], compute: Callable[[], Presorted]) -> Presorted:
        """A sort order of every key, computed once per snapshot version."""
        order = self.orders.get(key)
        if order is None:
            if len(self.orders) >= MAX_DERIVED:
                self.orders.clear()
            order = self.orders[key] = compute()
        return order

    def members(self, mapping: dict[int, BitMap], key: int | None) -> BitMap:
        """The products of a brand, category or value; none for an unknown one."""
        return BitMap() if key is None else mapping.get(key, BitMap())

    def word_fields(self, word: str) -> list[tuple[int, BitMap]]:
        """(weight, products) per field for one search word, lowest weight first."""
        return [
            (DESCRIPTION_WEIGHT, self.descriptions.matching(word)),
            (ATTRIBUTE_WEIGHT, _union(self.value_members, self.value_names.matching(word))),
            (CATEGORY_WEIGHT, _union(self.category_members, self.category_names.matching(word))),
            (BRAND_WEIGHT, _union(self.brand_members, self.brand_names.matching(word))),
            (TITLE_WEIGHT, self.titles.matching(word)),
        ]

    # -- keeping current ------------------------------------------------------------------

    def apply(self, reader: CatalogReader, product_pks: Collection[int], version: Hashable) -> None:
        """Re-read these products (deleted ones leave) and move to `version`."""
        changed = BitMap(product_pks)
        self.derived.clear()
        self.orders.clear()
        if changed:
            self._grow(int(changed.max()) + 1)
            self._forget(changed)
            self._read_products(reader.products(changed))
            self._read_texts(reader.texts(changed))
            self._read_links(reader.category_links(changed), self.category_members)
            self._read_links(reader.value_links(changed), self.value_members)
            self._read_prices(reader.prices(changed))
            self._rank_names(reader, changed)
        self._read_reference_data(reader)
        self.version = version

    def _grow(self, size: int) -> None:
        if size <= self.size:
            return
        size = max(size, self.size + self.size // 4)
        extra = size - self.size
        self.brand_of = np.concatenate([self.brand_of, np.full(extra, -1, dtype=np.int64)])
        self.position = np.concatenate([self.position, np.zeros(extra, dtype=np.int64)])
        for columns in (self.prices, self.name_ranks):
            for key, column in columns.items():
                columns[key] = np.concatenate([column, np.full(extra, np.nan)])
        self.size = size

    def _forget(self, changed: BitMap) -> None:
        self.active.difference_update(changed)
        keys = np.frombuffer(changed.to_array(), dtype=np.uint32)
        for brand_pk in set(self.brand_of[keys].tolist()) - {-1}:
            self.brand_members[brand_pk].difference_update(changed)
        self.brand_of[keys] = -1
        self.position[keys] = 0
        for members in (
            *self.category_members.values(),
            *self.value_members.values(),
            *self.availability_members.values(),
        ):
            members.difference_update(changed)
        self.titles.remove(changed)
        self.descriptions.remove(changed)
        for columns in (self.prices, self.name_ranks):
            for column in columns.values():
                column[keys] = np.nan

    def _read_products(self, rows: Iterable[Any]) -> None:
        for pk, is_active, brand_pk, product_position, availability in rows:
            if is_active:
                self.active.add(pk)
            self.availability_members.setdefault(availability, BitMap()).add(pk)
            self.position[pk] = product_position
            if brand_pk is not None:
                self.brand_of[pk] = brand_pk
                self.brand_members.setdefault(brand_pk, BitMap()).add(pk)

    def _read_texts(self, rows: Iterable[Any]) -> None:
        for pk, title, description in rows:
            self.titles.add(pk, set(fulltext.tokens(title or "")))
            self.descriptions.add(pk, set(fulltext.tokens(description or "")))

    @staticmethod
    def _read_links(rows: Iterable[Any], members: dict[int, BitMap]) -> None:
        for owner_pk, product_pk in rows:
            members.setdefault(owner_pk, BitMap()).add(product_pk)

    def _read_prices(self, rows: Iterable[Any]) -> None:
        for pk, currency, amount in rows:
            column = self.prices.get(currency)
            if column is None:
                column = self.prices[currency] = np.full(self.size, np.nan)
            column[pk] = amount

    def _read_reference_data(self, reader: CatalogReader) -> None:
        """Brands, category names and attribute values: small tables, read whole each time."""
        brands = list(reader.brands())
        self.brands = {pk: (external_id, name) for pk, external_id, name in brands}
        self.brand_names = names_index((pk, name) for pk, _, name in brands)
        self.category_names = names_index(reader.category_names())
        # Attribute values are found by their code and by their label in every language.
        self.value_names = names_index(reader.value_names())
        self.values = {
            value_pk: AttributeValueInfo(attribute_pk, attribute_code, value_code)
            for value_pk, attribute_pk, attribute_code, value_code in reader.attribute_values()
        }

    def _rank_names(self, reader: CatalogReader, changed: BitMap) -> None:
        """Give each changed product's sort keys a rank between their unchanged neighbours'."""
        keyed: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, language, sort_key in reader.sort_keys(changed):
            keyed[sort_key].append((pk, language))
        gaps: defaultdict[tuple[float, float], list[str]] = defaultdict(list)
        ranks: dict[str, float] = {}
        for sort_key in keyed:
            below = self._neighbour_rank(reader, changed, sort_key, below=True)
            if below is not None and below[1] == sort_key:
                ranks[sort_key] = below[0]
                continue
            above = self._neighbour_rank(reader, changed, sort_key, below=False)
            low = below[0] if below is not None else -1.0
            high = above[0] if above is not None else low + 2.0**20
            gaps[(low, high)].append(sort_key)
        for (low, high), sort_keys in gaps.items():
            # The catalog's order of these keys is the order to keep (byte order everywhere).
            sort_keys.sort()
            step = (high - low) / (len(sort_keys) + 1)
            for place, sort_key in enumerate(sort_keys, start=1):
                rank = low + step * place
                if not low < rank < high:
                    raise NeedsRebuild("no room left between two name ranks")
                ranks[sort_key] = rank
        for sort_key, owners in keyed.items():
            for pk, language in owners:
                column = self.name_ranks.get(language)
                if column is None:
                    column = self.name_ranks[language] = np.full(self.size, np.nan)
                column[pk] = ranks[sort_key]

    def _neighbour_rank(
        self, reader: CatalogReader, changed: BitMap, sort_key: str, *, below: bool
    ) -> tuple[float, str] | None:
        """The rank and key of the nearest unchanged product's key at or below / above this one."""
        skipped = 0
        while True:
            rows = reader.neighbour_sort_keys(
                sort_key, below=below, offset=skipped, limit=NEIGHBOUR_ROWS
            )
            for pk, language, neighbour_key in rows:
                if pk in changed:
                    continue  # its rank is being replaced
                column = self.name_ranks.get(language)
                if column is None or pk >= self.size or np.isnan(column[pk]):
                    raise NeedsRebuild(
                        f"product {pk} has no name rank: changed without a log entry"
                    )
                return float(column[pk]), neighbour_key
            if len(rows) < NEIGHBOUR_ROWS:
                return None
            skipped += len(rows)


def _union(mapping: dict[int, BitMap], keys: BitMap) -> BitMap:
    return BitMap.union(BitMap(), *(mapping[key] for key in keys if key in mapping))


def build_snapshot(reader: CatalogReader) -> CatalogSnapshot:
    """Read the whole catalog; the version is read first, so no change can be missed."""
    version = reader.version()
    size = reader.key_limit()
    snapshot = CatalogSnapshot(
        version=version,
        size=size,
        brand_of=np.full(size, -1, dtype=np.int64),
        position=np.zeros(size, dtype=np.int64),
    )
    snapshot._read_products(reader.products())
    titles, descriptions = PostingsBuilder(), PostingsBuilder()
    for pk, title, description in reader.texts():
        titles.add(pk, set(fulltext.tokens(title or "")))
        descriptions.add(pk, set(fulltext.tokens(description or "")))
    snapshot.titles, snapshot.descriptions = titles.index(), descriptions.index()
    snapshot.category_members = _members(reader.category_links())
    snapshot.value_members = _members(reader.value_links())
    snapshot._read_prices(reader.prices())
    snapshot.name_ranks = _name_ranks(reader.sort_keys(), size)
    snapshot._read_reference_data(reader)
    return snapshot


def _members(links: Iterable[tuple[int, int]]) -> dict[int, BitMap]:
    """owner key -> bitmap of its products, from (owner, product) links."""
    keys: defaultdict[int, array[int]] = defaultdict(lambda: array("I"))
    for owner_pk, product_pk in links:
        keys[owner_pk].append(product_pk)
    return {owner_pk: BitMap(members) for owner_pk, members in keys.items()}


def _name_ranks(rows: Iterable[tuple[int, str, str]], size: int) -> dict[str, FloatArray]:
    """Ranks in the catalog's own order of sort keys (byte order on every backend)."""
    ranks: dict[str, FloatArray] = {}
    rank = -1
    previous: str | None = None
    for pk, language, sort_key in rows:
        if sort_key != previous:
            rank += 1
            previous = sort_key
        column = ranks.get(language)
        if column is None:
            column = ranks[language] = np.full(size, np.nan)
        column[pk] = rank
    return ranks
