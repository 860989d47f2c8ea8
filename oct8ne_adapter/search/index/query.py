"""One search answered from a snapshot: the same rules, filters and facets as the SQL search.

Filters are resolved, and labels looked up, by the SQL search's own code (a few small queries by
key); matching, counting, sorting and paging run on the snapshot's bitmaps and arrays, and only
the page's products are loaded from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from babel.numbers import get_currency_precision
from pyroaring import AbstractBitMap, BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Facet, SearchQuery, SearchResult, SortField
from oct8ne_adapter.search.facets import brand_facet, price_facet, price_step
from oct8ne_adapter.search.index.snapshot import CatalogSnapshot, FloatArray, IntArray
from oct8ne_adapter.search.sql import CatalogSearch, ResolvedFilters
from oct8ne_adapter.sql.catalog import load_products_by_pk, translation_rank
from oct8ne_adapter.sql.models import Category

#: A missing price or name sorts after every present one, in both directions.
MISSING = np.inf


class IndexedSearch(CatalogSearch):
    """One search request against a snapshot, with labels and products from one SQL session."""

    def __init__(self, session: Session, query: SearchQuery, snapshot: CatalogSnapshot) -> None:
        super().__init__(session, query)
        self.snapshot = snapshot
        self._price_column: FloatArray | None = None

    def run(self) -> SearchResult:
        """Match, count, sort, page and facet on the snapshot."""
        filters = self.resolve_filters(self.query.filters)
        matched, word_fields = self._match(filters)
        total = len(matched)
        if not total:
            return SearchResult(total=0, products=(), applied=tuple(filters.applied))
        ids = np.frombuffer(matched.to_array(), dtype=np.uint32).astype(np.int64)
        page = self._page(ids, matched, word_fields)
        products = load_products_by_pk(self.session, page, self.languages)
        return SearchResult(
            total=total,
            products=tuple(products),
            applied=tuple(filters.applied),
            facets=self._indexed_facets(filters, matched, ids),
        )

    # -- matching -------------------------------------------------------------------------

    def _match(self, filters: ResolvedFilters) -> tuple[BitMap, list[list[tuple[int, BitMap]]]]:
        snapshot = self.snapshot
        sets: list[AbstractBitMap] = [
            snapshot.members(snapshot.category_members, pk) for pk in filters.category_pks
        ]
        sets += [snapshot.members(snapshot.brand_members, pk) for pk in filters.brand_pks]
        sets += [snapshot.members(snapshot.value_members, pk) for pk in filters.value_pks]
        word_fields = [snapshot.word_fields(word) for word in self.search_words]
        sets += [BitMap.union(*(products for _, products in fields)) for fields in word_fields]
        # Smallest first: each intersection is then as cheap as it can be.
        sets.sort(key=len)
        matched = BitMap(snapshot.active)
        for products in sets:
            matched &= products
            if not matched:
                break
        if matched and filters.price_ranges:
            matched = self._within_prices(matched, filters)
        return matched, word_fields

    def _within_prices(self, matched: BitMap, filters: ResolvedFilters) -> BitMap:
        ids = np.frombuffer(matched.to_array(), dtype=np.uint32)
        prices = self._prices()[ids]
        keep = np.ones(len(ids), dtype=bool)
        scale = Decimal(10) ** self.price_digits
        for price_range in filters.price_ranges:
            if price_range is None:
                return BitMap()
            # The same float bounds as the SQL conditions; NaN (no price) fails every comparison.
            keep &= prices >= float(price_range.low * scale)
            if price_range.high is not None:
                keep &= prices < float(price_range.high * scale)
        return BitMap(ids[keep])

    def _prices(self) -> FloatArray:
        """Each product's price in the search currency's minor units: stored, else converted."""
        if self._price_column is None:
            basis = self.query.price_basis
            self._price_column = self.snapshot.cached(
                ("prices", basis.currency, basis.shop_currency, basis.rate_from_shop),
                self._price_per_product,
            )
        return self._price_column

    def _price_per_product(self) -> FloatArray:
        basis = self.query.price_basis
        stored = self.snapshot.prices.get(basis.currency)
        if basis.currency == basis.shop_currency or basis.rate_from_shop is None:
            return stored if stored is not None else np.full(self.snapshot.size, np.nan)
        shop = self.snapshot.prices.get(basis.shop_currency)
        if shop is None:
            converted = np.full(self.snapshot.size, np.nan)
        else:
            digits = self.price_digits - get_currency_precision(basis.shop_currency)
            factor = float(basis.rate_from_shop.scaleb(digits))
            # SQL round(): half away from zero; prices are never negative.
            converted = np.floor(shop * factor + 0.5)
        return converted if stored is None else np.where(np.isnan(stored), converted, stored)

    # -- ordering -------------------------------------------------------------------------

    def _page(
        self, ids: IntArray, matched: BitMap, word_fields: list[list[tuple[int, BitMap]]]
    ) -> list[int]:
        """The primary keys of the requested page, in the SQL search's order."""
        start, stop = self.query.offset, self.query.offset + self.query.limit
        if start >= len(ids):
            return []
        descending = self.query.descending
        sort = self.query.sort
        keys: list[FloatArray | IntArray]
        if sort is SortField.PRICE:
            keys = [self._prices()[ids]]
        elif sort is SortField.NAME:
            keys = [self._name_ranks()[ids]]
        elif word_fields:
            keys = [-self._scores(ids, matched, word_fields), self.snapshot.position[ids]]
        else:
            keys = [self.snapshot.position[ids]]
        ascending: list[FloatArray | IntArray] = [_ascending(key, descending) for key in keys]
        ascending.append(-ids if descending else ids)
        order = _top(ascending, stop)
        return [int(pk) for pk in ids[order[start:stop]]]

    def _scores(
        self, ids: IntArray, matched: BitMap, word_fields: list[list[tuple[int, BitMap]]]
    ) -> IntArray:
        """Per product, the sum over words of the weight of the best field the word is in."""
        scores = np.zeros(len(ids), dtype=np.int64)
        for fields in word_fields:
            # Indexed by product key: no search for each product's place among the results.
            best = np.zeros(self.snapshot.size, dtype=np.int16)
            for weight, products in fields:  # lowest weight first: the best field wins
                best[np.frombuffer((products & matched).to_array(), dtype=np.uint32)] = weight
            scores += best[ids]
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

    # -- facets ---------------------------------------------------------------------------

    def _indexed_facets(
        self, filters: ResolvedFilters, matched: BitMap, ids: IntArray
    ) -> tuple[Facet, ...]:
        facets: list[Facet | None] = [self._indexed_category_facet(filters, matched)]
        if not filters.brand_applied:
            facets.append(self._indexed_brand_facet(ids))
        if not filters.price_applied:
            facets.append(self._indexed_price_facet(ids))
        members = self.snapshot.value_members
        rows = [
            (info.attribute_pk, info.attribute_code, value_pk, info.value_code, count)
            for value_pk, info in self.snapshot.values.items()
            if value_pk in members
            and (count := matched.intersection_cardinality(members[value_pk]))
        ]
        facets.extend(self.attribute_facets(filters, rows))
        return tuple(facet for facet in facets if facet is not None and facet.options)

    def _indexed_category_facet(self, filters: ResolvedFilters, matched: BitMap) -> Facet | None:
        if filters.category_depth >= 10**6:
            return None
        level = self.session.execute(
            select(Category.pk, Category.external_id).where(self.category_level(filters))
        )
        counts = [
            (pk, external_id, matched.intersection_cardinality(members))
            for pk, external_id in level
            if (members := self.snapshot.category_members.get(pk)) is not None
        ]
        return self.category_facet(counts)

    def _indexed_brand_facet(self, ids: IntArray) -> Facet:
        brands = self.snapshot.brand_of[ids]
        brands = brands[brands >= 0]
        counts = np.bincount(brands) if len(brands) else np.zeros(0, dtype=np.int64)
        known = self.snapshot.brands
        return brand_facet(
            [(*known[pk], int(counts[pk])) for pk in np.flatnonzero(counts).tolist() if pk in known]
        )

    def _indexed_price_facet(self, ids: IntArray) -> Facet | None:
        prices = self._prices()[ids]
        prices = prices[~np.isnan(prices)]
        if not len(prices):
            return None
        low, high = _number(prices.min()), _number(prices.max())
        step, step_minor = price_step(low, high, self.price_digits)
        buckets = np.floor(prices / step_minor).astype(np.int64)
        first = int(buckets.min())
        counts = np.bincount(buckets - first)
        return price_facet([(first + int(b), int(counts[b])) for b in np.flatnonzero(counts)], step)


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
