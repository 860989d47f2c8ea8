"""Facets from counts: option order, labels, price ranges of a round width.

Pure functions shared by the SQL search and the in-memory index, so both present the same counts
the same way; which facets are offered is decided in search.rules.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from oct8ne_adapter.domain import Facet, FacetKind, FacetOption, PriceRange

CATEGORY_PARAM = "category"
BRAND_PARAM = "brand"
PRICE_PARAM = "price"
AVAILABILITY_PARAM = "availability"
#: Availability options, most available first (labels come from the serializer).
AVAILABILITY_ORDER = ("in_stock", "preorder", "backorder", "out_of_stock")
#: Price facets aim at about this many ranges of a round width.
PRICE_BUCKETS = 5
MAX_OPTIONS_PER_FACET = 50

#: (category key, external id, product count)
CategoryCount = tuple[int, str, int]
#: (external id, name, product count)
BrandCount = tuple[str, str, int]
#: (attribute key, attribute code, value key, value code, product count)
ValueCount = tuple[int, str, int, str, int]


def category_facet(counts: Sequence[CategoryCount], names: Mapping[int, str]) -> Facet:
    """The category facet from counted rows and the categories' names."""
    options = [
        FacetOption(value=external_id, label=names.get(pk, external_id), count=count)
        for pk, external_id, count in counts
        if count
    ]
    return Facet(FacetKind.CATEGORY, CATEGORY_PARAM, None, best_first(options))


def brand_facet(counts: Sequence[BrandCount]) -> Facet:
    """The brand facet from (external id, name, product count) rows."""
    options = [
        FacetOption(value=value, label=name, count=count) for value, name, count in counts if count
    ]
    return Facet(FacetKind.BRAND, BRAND_PARAM, None, best_first(options))


def availability_facet(counts: Mapping[str, int]) -> Facet | None:
    """The availability facet, offered only when it can narrow (two kinds among the products)."""
    options = [
        FacetOption(value=value, label=value, count=counts[value])
        for value in AVAILABILITY_ORDER
        if counts.get(value)
    ]
    if len(options) < 2:
        return None
    return Facet(FacetKind.AVAILABILITY, AVAILABILITY_PARAM, None, tuple(options))


def attribute_facets(
    rows: Sequence[ValueCount],
    attribute_labels: Mapping[int, str],
    value_labels: Mapping[int, str],
) -> list[Facet]:
    """One facet per attribute, by code, from counted value rows and their labels."""
    grouped: dict[tuple[int, str], list[FacetOption]] = defaultdict(list)
    for attribute_pk, code, value_pk, value, count in rows:
        grouped[(attribute_pk, code)].append(
            FacetOption(value=value, label=value_labels.get(value_pk, value), count=count)
        )
    return [
        Facet(FacetKind.ATTRIBUTE, code, attribute_labels.get(attribute_pk), best_first(options))
        for (attribute_pk, code), options in sorted(grouped.items(), key=lambda item: item[0][1])
    ]


def price_step(low: float | int, high: float | int, digits: int) -> tuple[Decimal, int]:
    """The width of the price ranges for prices from low to high (minor units): major, minor."""
    scale = Decimal(10) ** digits
    step = _round_step((Decimal(str(high)) - Decimal(str(low))) / scale / PRICE_BUCKETS)
    return step, int(step * scale)


def price_facet(counts: Sequence[tuple[int, int]], step: Decimal) -> Facet | None:
    """The price facet from (range index, product count) rows in index order."""
    if len(counts) < 2:
        return None  # One range would not narrow anything.
    options = []
    for index, count in counts:
        price_range = PriceRange(low=step * index, high=step * (index + 1))
        options.append(
            FacetOption(
                value=price_range.value,
                label=price_range.value,
                count=count,
                price_range=price_range,
            )
        )
    return Facet(FacetKind.PRICE, PRICE_PARAM, None, tuple(options))


def best_first(options: list[FacetOption]) -> tuple[FacetOption, ...]:
    """Most products first, then by label; long tails are cut."""
    ordered = sorted(
        options, key=lambda option: (-option.count, option.label.lower(), option.value)
    )
    return tuple(ordered[:MAX_OPTIONS_PER_FACET])


def _round_step(raw: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `raw`, and >= 1."""
    if raw <= 1:
        return Decimal(1)
    exponent = math.floor(math.log10(raw))
    for multiplier in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        step = multiplier * Decimal(10) ** exponent
        if step >= raw:
            return step
    return Decimal(10) ** (exponent + 1)
