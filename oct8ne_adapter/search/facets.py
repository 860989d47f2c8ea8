"""Facets from counts: option order, price ranges of a round width, and their parsing.

Pure functions shared by the SQL search and the in-memory index, so both present the same
counts the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from oct8ne_adapter.domain import Facet, FacetKind, FacetOption, PriceRange

CATEGORY_PARAM = "category"
BRAND_PARAM = "brand"
PRICE_PARAM = "price"
#: Price facets aim at about this many ranges of a round width.
PRICE_BUCKETS = 5
MAX_OPTIONS_PER_FACET = 50


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
    if low > Decimal("1e12") or (high is not None and high > Decimal("1e12")):
        return None
    return PriceRange(low=low, high=high)


def brand_facet(counts: Sequence[tuple[str, str, int]]) -> Facet:
    """The brand facet from (external id, name, product count) rows."""
    options = [
        FacetOption(value=value, label=name, count=count) for value, name, count in counts if count
    ]
    return Facet(FacetKind.BRAND, BRAND_PARAM, None, best_first(options))


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
