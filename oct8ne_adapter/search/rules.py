"""The rules both search engines follow, written once: filter keys, prices and offered facets.

- Filters: `<param>=<value>` pairs resolve, through a `CatalogLookup`, to catalog keys (None for
  a value that names nothing: it matches no product) and to the applied filters with their
  labels. Values of one parameter and different parameters alike combine with AND; a parameter
  that names no attribute is not a filter and is ignored.
- Prices: a product's price in the search currency, in its minor units, is the price stored in
  that currency, else (when the shop gave a rate) the shop-currency price converted and rounded
  half away from zero, else none; a range compares it with float bounds in minor units.
- Facets: each offered option's count is the number of products the current text and filters plus
  that option return. The category facet offers the children of the deepest applied category (the
  roots without one: its options are subcategories of the applied one, so their counts hold when
  the widget replaces the value); every other facet (brand, price, an attribute) is left out once
  one of its values is applied, since the 2.4 document says "The collection of available filters
  must include neither the active filter nor those for which no products exist", and options
  without products never are.
  Availability (in stock, preorder, backorder, out of stock) is offered when the products have
  two kinds or more, and not once applied.

Each engine matches and counts its own way (SQL, bitmaps) and hands the counts to
`offered_facets`, so both present the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol

from babel.numbers import get_currency_precision

from oct8ne_adapter.domain import (
    AppliedFilter,
    Facet,
    FacetKind,
    FilterValue,
    PriceBasis,
    PriceRange,
)
from oct8ne_adapter.search.facets import (
    AVAILABILITY_ORDER,
    AVAILABILITY_PARAM,
    BRAND_PARAM,
    CATEGORY_PARAM,
    PRICE_PARAM,
    BrandCount,
    CategoryCount,
    ValueCount,
    attribute_facets,
    availability_facet,
    brand_facet,
    category_facet,
    price_facet,
    price_step,
)

#: Prices beyond this (major units) are not a range anyone means.
MAX_PRICE = Decimal("1e12")


# -- prices ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceRule:
    """Where a product's price in the search currency comes from, in its minor units."""

    currency: str
    #: The search currency's decimals.
    digits: int
    #: The shop currency a missing price is converted from; None: stored prices only.
    convert_from: str | None = None
    #: Minor units of `currency` per minor unit of `convert_from`.
    factor: float = 1.0


def price_rule(basis: PriceBasis) -> PriceRule:
    """The rule for this basis: stored prices, and a conversion when the shop gave a rate."""
    digits = get_currency_precision(basis.currency)
    if basis.currency == basis.shop_currency or basis.rate_from_shop is None:
        return PriceRule(basis.currency, digits)
    shift = digits - get_currency_precision(basis.shop_currency)
    return PriceRule(
        basis.currency, digits, basis.shop_currency, float(basis.rate_from_shop.scaleb(shift))
    )


#: A price range's bounds in minor units: price >= low and, unless None, price < high.
PriceBounds = tuple[float, float | None]


def price_bounds(price_range: PriceRange, digits: int) -> PriceBounds:
    """A range's bounds in minor units, as floats: the comparison both engines make."""
    scale = Decimal(10) ** digits
    high = None if price_range.high is None else float(price_range.high * scale)
    return float(price_range.low * scale), high


def parse_price_range(value: str) -> PriceRange | None:
    """`100-200` or `500-` (major units) -> PriceRange; None when malformed."""
    low_text, separator, high_text = value.partition("-")
    if not separator:
        return None
    try:
        low = Decimal(low_text.strip())
        high = Decimal(high_text.strip()) if high_text.strip() else None
    except InvalidOperation:
        return None
    if (
        not low.is_finite()
        or low < 0
        or (high is not None and (not high.is_finite() or high <= low))
    ):
        return None
    if low > MAX_PRICE or (high is not None and high > MAX_PRICE):
        return None
    return PriceRange(low=low, high=high)


# -- filters --------------------------------------------------------------------------------


class CatalogLookup(Protocol):
    """Catalog keys and names for filter values and facet labels, in the visitor's languages."""

    def categories(self, external_ids: Sequence[str]) -> Mapping[str, tuple[int, int]]:
        """External id -> (key, depth) of the categories that exist."""
        ...

    def brands(self, external_ids: Sequence[str]) -> Mapping[str, tuple[int, str]]:
        """External id -> (key, name) of the brands that exist."""
        ...

    def attributes(self, codes: Sequence[str]) -> Mapping[str, int]:
        """Code -> key of the attributes that exist, in the catalog's order."""
        ...

    def values(self, attribute_pk: int, codes: Sequence[str]) -> Mapping[str, int]:
        """Code -> key of this attribute's values that exist."""
        ...

    def category_names(self, pks: Sequence[int]) -> Mapping[int, str]:
        """Key -> name in the best language, for the categories that have one."""
        ...

    def attribute_labels(self, pks: Sequence[int]) -> Mapping[int, str]:
        """Key -> label in the best language, for the attributes that have one."""
        ...

    def value_labels(self, pks: Sequence[int]) -> Mapping[int, str]:
        """Key -> label in the best language, for the attribute values that have one."""
        ...

    def products_with_code(self, code: str) -> Sequence[int]:
        """Keys of the products that have (or one of whose variants has) this normalised code."""
        ...


@dataclass(frozen=True)
class ResolvedFilters:
    """The request's filters as catalog keys (None: names nothing) and as applied filters."""

    applied: tuple[AppliedFilter, ...] = ()
    category_pks: tuple[int | None, ...] = ()
    brand_pks: tuple[int | None, ...] = ()
    price_bounds: tuple[PriceBounds | None, ...] = ()
    value_pks: tuple[int | None, ...] = ()
    #: The search currency's decimals: the unit of price bounds and price facet steps.
    price_digits: int = 2
    #: The deepest applied category, whose children the category facet offers (None: the roots).
    category_parent: int | None = None
    #: False when categories were applied and none exists: nothing matches, none is offered.
    offers_categories: bool = True
    brand_applied: bool = False
    price_applied: bool = False
    #: Attributes with an applied value: their whole facet is left out.
    applied_attributes: frozenset[int] = frozenset()
    #: Availability values asked for (None: not one: matches nothing).
    availabilities: tuple[str | None, ...] = ()


@dataclass
class _Resolution:
    """ResolvedFilters while they are being built."""

    lookup: CatalogLookup
    price_digits: int
    applied: list[AppliedFilter] = field(default_factory=list)
    category_pks: list[int | None] = field(default_factory=list)
    brand_pks: list[int | None] = field(default_factory=list)
    price_bounds: list[PriceBounds | None] = field(default_factory=list)
    value_pks: list[int | None] = field(default_factory=list)
    attribute_pks: list[int] = field(default_factory=list)
    availabilities: list[str | None] = field(default_factory=list)
    category_parent: int | None = None
    category_depth: int = -1

    def categories(self, values: list[str]) -> None:
        known = self.lookup.categories(values)
        names = self.lookup.category_names([pk for pk, _ in known.values()])
        for value in values:
            row = known.get(value)
            self.category_pks.append(None if row is None else row[0])
            label = value
            if row is not None:
                pk, depth = row
                label = names.get(pk, value)
                if depth > self.category_depth:
                    self.category_depth, self.category_parent = depth, pk
            self.applied.append(
                AppliedFilter(FacetKind.CATEGORY, CATEGORY_PARAM, None, value, label)
            )

    def brands(self, values: list[str]) -> None:
        known = self.lookup.brands(values)
        for value in values:
            pk, label = known.get(value, (None, value))
            self.brand_pks.append(pk)
            self.applied.append(AppliedFilter(FacetKind.BRAND, BRAND_PARAM, None, value, label))

    def prices(self, values: list[str]) -> None:
        for value in values:
            price_range = parse_price_range(value)
            self.price_bounds.append(
                None if price_range is None else price_bounds(price_range, self.price_digits)
            )
            self.applied.append(
                AppliedFilter(FacetKind.PRICE, PRICE_PARAM, None, value, value, price_range)
            )

    def availability(self, values: list[str]) -> None:
        for value in values:
            self.availabilities.append(value if value in AVAILABILITY_ORDER else None)
            self.applied.append(
                AppliedFilter(FacetKind.AVAILABILITY, AVAILABILITY_PARAM, None, value, value)
            )

    def attributes(self, by_param: dict[str, list[str]]) -> None:
        attributes = self.lookup.attributes(list(by_param))
        if not attributes:
            return
        attribute_labels = self.lookup.attribute_labels(list(attributes.values()))
        for code, attribute_pk in attributes.items():
            self.attribute_pks.append(attribute_pk)
            values = by_param[code]
            known = self.lookup.values(attribute_pk, values)
            value_labels = self.lookup.value_labels(list(known.values()))
            for value in values:
                value_pk = known.get(value)
                self.value_pks.append(value_pk)
                label = value if value_pk is None else value_labels.get(value_pk, value)
                self.applied.append(
                    AppliedFilter(
                        FacetKind.ATTRIBUTE, code, attribute_labels.get(attribute_pk), value, label
                    )
                )


def resolve_filters(
    requested: Sequence[FilterValue], lookup: CatalogLookup, price_digits: int
) -> ResolvedFilters:
    """Resolve the request's filters: categories, brands, prices, then attributes."""
    by_param: dict[str, list[str]] = defaultdict(list)
    for item in requested:
        by_param[item.param].append(item.value)
    resolution = _Resolution(lookup, price_digits)

    def applied(param: str, resolve: Callable[[list[str]], None]) -> bool:
        values = by_param.pop(param, None)
        if values is not None:
            resolve(values)
        return values is not None

    category_applied = applied(CATEGORY_PARAM, resolution.categories)
    brand_applied = applied(BRAND_PARAM, resolution.brands)
    price_applied = applied(PRICE_PARAM, resolution.prices)
    applied(AVAILABILITY_PARAM, resolution.availability)
    if by_param:
        resolution.attributes(by_param)
    return ResolvedFilters(
        applied=tuple(resolution.applied),
        category_pks=tuple(resolution.category_pks),
        brand_pks=tuple(resolution.brand_pks),
        price_bounds=tuple(resolution.price_bounds),
        value_pks=tuple(resolution.value_pks),
        price_digits=price_digits,
        category_parent=resolution.category_parent,
        offers_categories=not category_applied or resolution.category_parent is not None,
        brand_applied=brand_applied,
        price_applied=price_applied,
        applied_attributes=frozenset(resolution.attribute_pks),
        availabilities=tuple(resolution.availabilities),
    )


# -- facets ---------------------------------------------------------------------------------


class FacetCounts(Protocol):
    """How many of the matched products each option holds, counted the engine's own way."""

    def categories(self, parent_pk: int | None) -> Sequence[CategoryCount]:
        """Counts for the children of this category (the root categories for None)."""
        ...

    def brands(self) -> Sequence[BrandCount]:
        """Counts per brand."""
        ...

    def price_span(self) -> tuple[float | int, float | int] | None:
        """The lowest and highest price (minor units, as the rule gives them); None: no prices."""
        ...

    def price_buckets(self, step_minor: int) -> Sequence[tuple[int, int]]:
        """(floor(price / step_minor), count) over the priced products, in bucket order."""
        ...

    def values(self) -> Sequence[ValueCount]:
        """Counts per attribute value."""
        ...

    def availabilities(self) -> Mapping[str, int]:
        """Counts per availability (`domain.Availability` values)."""
        ...


def offered_facets(
    filters: ResolvedFilters, counts: FacetCounts, lookup: CatalogLookup
) -> tuple[Facet, ...]:
    """The facets to offer after these filters, from the engine's counts; empty ones left out."""
    facets: list[Facet | None] = []
    if filters.offers_categories:
        rows = counts.categories(filters.category_parent)
        facets.append(category_facet(rows, lookup.category_names([pk for pk, _, _ in rows])))
    if not filters.brand_applied:
        facets.append(brand_facet(counts.brands()))
    if not filters.price_applied:
        facets.append(_price_facet(counts, filters.price_digits))
    # The applied attribute's whole group is left out: if the widget replaced `color=grey` by
    # `color=brown`, a count taken with grey applied would be wrong.
    values = [row for row in counts.values() if row[0] not in filters.applied_attributes and row[4]]
    value_labels = lookup.value_labels([row[2] for row in values])
    attribute_labels = lookup.attribute_labels(list({row[0] for row in values}))
    facets.extend(attribute_facets(values, attribute_labels, value_labels))
    if not filters.availabilities:
        facets.append(availability_facet(counts.availabilities()))
    return tuple(facet for facet in facets if facet is not None and facet.options)


def _price_facet(counts: FacetCounts, digits: int) -> Facet | None:
    span = counts.price_span()
    if span is None:
        return None
    step, step_minor = price_step(*span, digits)
    return price_facet(counts.price_buckets(step_minor), step)
