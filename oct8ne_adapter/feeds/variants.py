"""A variant of a product: one feed row of a variant group, kept under its own id.

A shop's carts, orders, product pages and sale events carry the row's id (a size, a color, a
SKU), not the group's: so each row of a group is kept as a variant of the group's product, with
its own link, stock and prices, and the attribute values that tell it from its siblings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds.codes import ProductCode


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """One variant as the writer stores it under its product."""

    id: str
    url: str
    prices: Mapping[str, ProductPrice] = field(default_factory=dict)
    stock: int | None = None
    #: A `domain.Availability` value, never None (the row's, else from its stock).
    availability: str = "in_stock"
    #: (attribute code, value code) of the values that tell it from its siblings, in title order.
    values: tuple[tuple[str, str], ...] = ()
    #: Its links by language tag (`url` is the feed language's), as a product's.
    urls: Mapping[str, str] = field(default_factory=dict)
    #: The row's SKU, GTIN and MPN codes.
    codes: tuple[ProductCode, ...] = ()
