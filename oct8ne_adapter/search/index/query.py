"""One search answered from a snapshot: the same rules, filters and facets as the SQL search.

Filters resolve and facets are offered by search.rules, with keys and labels from the reader's
lookup (a few small queries by key); matching, counting, sorting and paging run on the snapshot's
bitmaps and arrays, and only the page's products are loaded through the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pyroaring import AbstractBitMap, BitMap

from oct8ne_adapter.domain import Availability, SearchQuery, SearchResult, SortField
from oct8ne_adapter.search.codes import code_search
from oct8ne_adapter.search.facets import BrandCount, CategoryCount, ValueCount
from oct8ne_adapter.search.index.snapshot import CatalogSnapshot, FloatArray, IntArray, Presorted
from oct8ne_adapter.search.index.source import CatalogReader
from oct8ne_adapter.search.rules import (
    ResolvedFilters,
    offered_facets,
    price_rule,
    resolve_filters,
)
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.localized import translation_rank

#: A missing price or name sorts after every present one, in both directions.
MISSING = np.inf
OUT_OF_STOCK = Availability.OUT_OF_STOCK.value


class IndexedSearch:
    """One search request against a snapshot, with keys, labels and products from a reader."""

    def __init__(
        self, reader: CatalogReader, query: SearchQuery, snapshot: CatalogSnapshot
    ) -> None:
        self.reader = reader
        self.query = query
        self.snapshot = snapshot
        self.languages = query.languages
        self.rule = price_rule(query.price_basis)
        self.lookup = reader.lookup(query.languages)
        self.code = code_search(query.text)
        only_codes = self.code is not None and self.code.only
        self.search_words = [] if only_codes else fulltext.words(query.text)
        #: The products having the searched code (read by `run`).
        self.with_code = BitMap()
        #: The products whose texts have every word (None without words).
        self.text_matched: BitMap | None = None

    def run(self) -> SearchResult:
        """Match, count, sort, page and facet on the snapshot."""
        filters = resolve_filters(self.query.filters, self.lookup, self.rule.digits)
        if self.code is not None:
            self.with_code = BitMap(self.lookup.products_with_code(self.code.code))
        matched, word_fields = self._match(filters)
        total = len(matched)
        if not total:
            return SearchResult(total=0, products=(), applied=filters.applied)
        ids = np.frombuffer(matched.to_array(), dtype=np.uint32).astype(np.int64)
        page = self._page(ids, matched, word_fields)
        products = self.reader.load_products(page, self.languages)
        counts = SnapshotFacetCounts(self, matched, ids)
        return SearchResult(
            total=total,
            products=tuple(products),
            applied=filters.applied,
            facets=offered_facets(filters, counts, self.lookup),
        )

    # -- matching -------------------------------------------------------------------------

    def _match(self, filters: ResolvedFilters) -> tuple[BitMap, list[list[tuple[int, BitMap]]]]:
        snapshot = self.snapshot
        sets: list[AbstractBitMap] = [
            snapshot.members(snapshot.category_members, pk) for pk in filters.category_pks
        ]
        sets += [snapshot.members(snapshot.brand_members, pk) for pk in filters.brand_pks]
        sets += [snapshot.members(snapshot.value_members, pk) for pk in filters.value_pks]
        sets += [
            snapshot.availability_members.get(value, BitMap()) if value is not None else BitMap()
            for value in filters.availabilities
        ]
        word_fields = [snapshot.word_fields(word) for word in self.search_words]
        if self.code is not None and self.code.only:
            sets.append(self.with_code)
        elif word_fields:
            words = [BitMap.union(*(products for _, products in fields)) for fields in word_fields]
            words.sort(key=len)
            self.text_matched = BitMap.intersection(*words) if len(words) > 1 else words[0]
            # The text's words, or the whole text as a code.
            sets.append(self.text_matched | self.with_code)
        # Smallest first: each intersection is then as cheap as it can be.
        sets.sort(key=len)
        matched = BitMap(snapshot.active)
        if self.query.hide_out_of_stock:
            matched -= snapshot.availability_members.get(OUT_OF_STOCK, BitMap())
        for products in sets:
            matched &= products
            if not matched:
                break
        if matched and filters.price_bounds:
            matched = self._within_prices(matched, filters)
        return matched, word_fields

    def _within_prices(self, matched: BitMap, filters: ResolvedFilters) -> BitMap:
        ids = np.frombuffer(matched.to_array(), dtype=np.uint32)
        prices = self.prices[ids]
        keep = np.ones(len(ids), dtype=bool)
        for bounds in filters.price_bounds:
            if bounds is None:
                return BitMap()
            # NaN (no price) fails every comparison, as NULL does in SQL.
            low, high = bounds
            keep &= prices >= low
            if high is not None:
                keep &= prices < high
        return BitMap(ids[keep])

    @cached_property
    def prices(self) -> FloatArray:
        """Each product's price in the search currency's minor units, under the price rule."""
        return self.snapshot.cached(("prices", self.rule), self._price_per_product)

    def _price_per_product(self) -> FloatArray:
        rule = self.rule
        stored = self.snapshot.prices.get(rule.currency)
        if rule.convert_from is None:
            return stored if stored is not None else np.full(self.snapshot.size, np.nan)
        shop = self.snapshot.prices.get(rule.convert_from)
        if shop is None:
            converted = np.full(self.snapshot.size, np.nan)
        else:
            # Half away from zero, as the rule says (prices are never negative).
            converted = np.floor(shop * rule.factor + 0.5)
        return converted if stored is None else np.where(np.isnan(stored), converted, stored)

    # -- ordering -------------------------------------------------------------------------

    def _page(
        self, ids: IntArray, matched: BitMap, word_fields: list[list[tuple[int, BitMap]]]
    ) -> list[int]:
        """The primary keys of the requested page, in the SQL search's order."""
        start, stop = self.query.offset, self.query.offset + self.query.limit
        if start >= len(ids) or start >= stop:  # past the end, or a count-only query (limit 0)
            return []
        descending = self.query.descending
        sort = self.query.sort
        if sort is not SortField.RELEVANCE or not (word_fields or self.with_code):
            # A stored order of the whole catalog, read until the page's matches are found.
            return _walk(self._presorted(sort), descending, ids, self.snapshot.size, start, stop)
        keys: list[FloatArray | IntArray] = [
            -self._scores(ids, matched, word_fields),
            self.snapshot.position[ids],
        ]
        ascending: list[FloatArray | IntArray] = [_ascending(key, descending) for key in keys]
        ascending.append(-ids if descending else ids)
        # Out of stock after the others, whichever the direction (as the SQL search).
        ascending.insert(0, self.snapshot.cached(("sold out",), self._sold_out)[ids])
        if self.with_code:
            # The product whose code is the whole text first, whichever the direction.
            without_code = np.ones(len(ids), dtype=np.float64)
            without_code[_places(ids, self.with_code)] = 0.0
            ascending.insert(0, without_code)
        order = _top(ascending, stop)
        return [int(pk) for pk in ids[order[start:stop]]]

    def _presorted(self, sort: SortField) -> Presorted:
        """Every key by price (this rule), name (this language chain) or relevance without text."""
        snapshot = self.snapshot
        if sort is SortField.PRICE:
            return snapshot.presorted(("price", self.rule), lambda: _by_value(self.prices))
        if sort is SortField.NAME:
            return snapshot.presorted(
                ("name", *self.languages), lambda: _by_value(self._name_ranks())
            )
        return snapshot.presorted(("position",), self._by_position)

    def _by_position(self) -> Presorted:
        """In stock first, then by position and key (relevance order when there is no text)."""
        snapshot = self.snapshot
        keys = np.arange(snapshot.size, dtype=np.uint32)
        sold_out = snapshot.cached(("sold out",), self._sold_out)
        order = np.lexsort((keys, snapshot.position, sold_out)).astype(np.uint32)
        return Presorted(order, snapshot.size - int(sold_out.sum()))

    def _sold_out(self) -> FloatArray:
        """1 for each out-of-stock product's key, else 0."""
        column = np.zeros(self.snapshot.size, dtype=np.float64)
        products = self.snapshot.availability_members.get(OUT_OF_STOCK, BitMap())
        column[np.frombuffer(products.to_array(), dtype=np.uint32)] = 1.0
        return column

    def _scores(
        self, ids: IntArray, matched: BitMap, word_fields: list[list[tuple[int, BitMap]]]
    ) -> FloatArray | IntArray:
        """Per product, the sum over words of the weight of the best field the word is in."""
        scores = np.zeros(len(ids), dtype=np.int64)
        for fields in word_fields:
            # Indexed by product key: no search for each product's place among the results.
            best = np.zeros(self.snapshot.size, dtype=np.int16)
            for weight, products in fields:  # lowest weight first: the best field wins
                best[np.frombuffer((products & matched).to_array(), dtype=np.uint32)] = weight
            scores += best[ids]
        code_only = BitMap() if self.text_matched is None else matched - self.text_matched
        if code_only:
            # Found by code only: no text rank, after every ranked product (SQL's NULL rank).
            missing = _places(ids, code_only)
            ranked = scores.astype(np.float64)
            ranked[missing] = np.nan
            return ranked
        return scores

    def _name_ranks(self) -> FloatArray:
        """Each product's name rank in the visitor's best language that it has a text in."""
        return self.snapshot.cached(("names", *self.languages), self._chosen_name_ranks)

    def _chosen_name_ranks(self) -> FloatArray:
        ranks = self.snapshot.name_ranks
        # Ties outside the language chain go to the alphabetically first language.
        preference = sorted(
            ranks, key=lambda language: (translation_rank(language, self.languages), language)
        )
        chosen = np.full(self.snapshot.size, np.nan)
        for language in reversed(preference):
            column = ranks[language]
            chosen = np.where(np.isnan(column), chosen, column)
        return chosen


class SnapshotFacetCounts:
    """The options' counts over the matched products, from bitmaps (rules.FacetCounts)."""

    def __init__(self, search: IndexedSearch, matched: BitMap, ids: IntArray) -> None:
        self.search = search
        self.snapshot = search.snapshot
        self.matched = matched
        self.ids = ids

    def categories(self, parent_pk: int | None) -> list[CategoryCount]:
        """Counts for the children of this category (the roots for None)."""
        members = self.snapshot.category_members
        return [
            (pk, external_id, self.matched.intersection_cardinality(products))
            for pk, external_id in self.search.reader.categories_under(parent_pk)
            if (products := members.get(pk)) is not None
        ]

    def brands(self) -> list[BrandCount]:
        """Counts per brand."""
        brands = self.snapshot.brand_of[self.ids]
        brands = brands[brands >= 0]
        counts = np.bincount(brands) if len(brands) else np.zeros(0, dtype=np.int64)
        known = self.snapshot.brands
        return [
            (*known[pk], int(counts[pk])) for pk in np.flatnonzero(counts).tolist() if pk in known
        ]

    @cached_property
    def _prices(self) -> FloatArray:
        prices = self.search.prices[self.ids]
        return prices[~np.isnan(prices)]

    def price_span(self) -> tuple[float | int, float | int] | None:
        """The lowest and highest price among the matched products."""
        if not len(self._prices):
            return None
        return _number(self._prices.min()), _number(self._prices.max())

    def price_buckets(self, step_minor: int) -> list[tuple[int, int]]:
        """(range index, count) over the priced products."""
        buckets = np.floor(self._prices / step_minor).astype(np.int64)
        first = int(buckets.min())
        counts = np.bincount(buckets - first)
        return [(first + int(bucket), int(counts[bucket])) for bucket in np.flatnonzero(counts)]

    def values(self) -> list[ValueCount]:
        """Counts per attribute value."""
        members = self.snapshot.value_members
        return [
            (info.attribute_pk, info.attribute_code, value_pk, info.value_code, count)
            for value_pk, info in self.snapshot.values.items()
            if value_pk in members
            and (count := self.matched.intersection_cardinality(members[value_pk]))
        ]

    def availabilities(self) -> dict[str, int]:
        """Counts per availability."""
        return {
            availability: count
            for availability, products in self.snapshot.availability_members.items()
            if (count := self.matched.intersection_cardinality(products))
        }


def _places(ids: IntArray, products: BitMap) -> IntArray:
    """The places in the sorted `ids` of these products (those among them)."""
    keys = np.frombuffer(products.to_array(), dtype=np.uint32).astype(np.int64)
    places = np.searchsorted(ids, keys)
    inside = places < len(ids)
    places, keys = places[inside], keys[inside]
    found: IntArray = places[ids[places] == keys]
    return found


def _number(value: np.float64) -> float | int:
    """A price as the database returns it: an integer for stored prices."""
    return int(value) if float(value).is_integer() else float(value)


def _ascending(key: FloatArray | IntArray, descending: bool) -> FloatArray:
    """The key as an ascending float sort key, missing values last in either direction."""
    values = key.astype(np.float64)
    if descending:
        values = -values
    values[np.isnan(values)] = MISSING
    return values


def _top(keys: Sequence[FloatArray | IntArray], count: int) -> IntArray:
    """Indexes of the `count` smallest rows by the keys (first key first), in order."""
    return _top_of(np.arange(len(keys[0])), keys, count)


def _top_of(rows: IntArray, keys: Sequence[FloatArray | IntArray], count: int) -> IntArray:
    """Of these rows, the `count` smallest by the keys; only ties at the cut look at later keys."""
    primary = keys[0][rows]
    if count >= len(rows) or len(keys) == 1:
        order = np.lexsort([key[rows] for key in reversed(keys)])
        return rows[order][:count]
    threshold = np.partition(primary, count - 1)[count - 1]
    before = rows[primary < threshold]
    tied = rows[primary == threshold]
    order = np.lexsort([key[before] for key in reversed(keys)])
    rest = _top_of(tied, keys[1:], count - len(before))
    return np.concatenate([before[order], rest])


#: Keys read at least at a time while walking a stored order.
WALK_CHUNK = 4_096


def _by_value(values: FloatArray) -> Presorted:
    """Keys with a value by (value, key), then the keys without one (NaN) by key."""
    present = ~np.isnan(values)
    with_value = np.flatnonzero(present)
    # A stable sort of keys already in ascending order: equal values stay by key.
    ordered = with_value[np.argsort(values[with_value], kind="stable")]
    keys = np.concatenate([ordered, np.flatnonzero(~present)]).astype(np.uint32)
    return Presorted(keys, len(ordered))


def _walk(
    order: Presorted, descending: bool, ids: IntArray, size: int, start: int, stop: int
) -> list[int]:
    """The matched keys at places start..stop of a stored order, reading it only that far.

    Chunks are sized by the share of the catalog that matched (a page 100 deep of a third of
    the catalog reads about 3,000 keys), doubling when the guess was short.
    """
    matched = np.zeros(size, dtype=bool)
    matched[ids] = True
    density = len(ids) / max(1, size)
    found: list[npt.NDArray[np.uint32]] = []
    needed = stop
    for run in order.runs(descending):
        place = 0
        chunk = max(WALK_CHUNK, int(needed / density * 1.2))
        while needed > 0 and place < len(run):
            part = run[place : place + chunk]
            hits = part[matched[part]][:needed]
            found.append(hits)
            needed -= len(hits)
            place += chunk
            chunk *= 2
        if needed <= 0:
            break
    page = np.concatenate(found)[start:stop] if found else np.zeros(0, dtype=np.uint32)
    return [int(pk) for pk in page]
