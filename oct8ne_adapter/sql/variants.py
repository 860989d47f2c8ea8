"""Products as seen through a variant id: every id the shop uses resolves.

A shop's carts, orders, product pages and sale events name a feed row (a size, a color, a SKU),
which the catalog keeps as a variant of its group's product. Asked for by that id, the product
answers under the asked id, with the values that tell the variant from its siblings appended to
its title ("Storm jacket – Red, M") and the variant's own link (in the best language of the
chain, as a product's), stock and prices. A product id
always wins over a variant id that happens to be the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.localized import best_links, from_minor_units, pick_translation
from oct8ne_adapter.sql.product_cache import ProductCache
from oct8ne_adapter.sql.tables import (
    attribute_value_translations as _labels,
    attribute_values as _value_codes,
    product_variant_prices as _prices,
    product_variant_urls as _urls,
    product_variant_values as _values,
    product_variants as _variants,
    products as _products,
)

#: Loads active products by primary key for a language chain (`catalog.load_product_map`).
ProductLoader = Callable[[Session, Sequence[int], Sequence[str]], dict[int, domain.Product]]

#: Between a product's title and its variant's values, as shops write "Jacket – Red, M".
TITLE_SEPARATOR = " – "


_VARIANTS = (
    select(
        _variants.c.pk,
        _variants.c.external_id,
        _variants.c.product_pk,
        _variants.c.url,
        _variants.c.stock,
        _variants.c.availability,
    )
    .join(_products, _products.c.pk == _variants.c.product_pk)
    .where(_variants.c.external_id.in_(bindparam("ids", expanding=True)))
    .where(_products.c.active.is_(True))
)
_PRICES = select(
    _prices.c.variant_pk,
    _prices.c.currency,
    _prices.c.amount_minor,
    _prices.c.previous_amount_minor,
).where(_prices.c.variant_pk.in_(bindparam("pks", expanding=True)))
_VALUES = (
    select(_values.c.variant_pk, _values.c.value_pk, _value_codes.c.code)
    .join(_value_codes, _value_codes.c.pk == _values.c.value_pk)
    .where(_values.c.variant_pk.in_(bindparam("pks", expanding=True)))
    .order_by(_values.c.variant_pk, _values.c.position)
)
_URLS = select(_urls.c.variant_pk, _urls.c.language, _urls.c.url).where(
    _urls.c.variant_pk.in_(bindparam("pks", expanding=True))
)
_LABELS = select(_labels.c.value_pk, _labels.c.language, _labels.c.label).where(
    _labels.c.value_pk.in_(bindparam("pks", expanding=True))
)


@dataclass(frozen=True, slots=True)
class VariantKeys:
    """Where a variant id points: the variant's key and its product's."""

    variant_pk: int
    product_pk: int


def variant_keys(session: Session, variant_ids: Sequence[str]) -> dict[str, VariantKeys]:
    """The variants with these ids whose products are active."""
    if not variant_ids:
        return {}
    rows = session.execute(_VARIANTS, {"ids": list(variant_ids)})
    return {row.external_id: VariantKeys(row.pk, row.product_pk) for row in rows}


def variant_views(
    session: Session,
    variant_ids: Sequence[str],
    languages: tuple[str, ...],
    cache: ProductCache,
    load: ProductLoader,
) -> dict[str, domain.Product]:
    """The products as seen through these variant ids; ids of no variant are left out."""
    found = cache.variant_views(variant_ids, languages)
    missing = [variant_id for variant_id in variant_ids if variant_id not in found]
    if not missing:
        return found
    heads = list(session.execute(_VARIANTS, {"ids": missing}))
    if not heads:
        return found
    products = load(session, [row.product_pk for row in heads], languages)
    pks = [row.pk for row in heads]
    prices = _variant_prices(session, pks)
    labels = _variant_labels(session, pks, languages)
    links = best_links(session.execute(_URLS, {"pks": pks}), languages)
    loaded: dict[str, domain.Product] = {}
    for row in heads:
        product = products.get(row.product_pk)
        if product is not None:
            # A variant imported before links were kept per language has only its row's link.
            link = links.get(row.pk, (None, row.url))
            loaded[row.external_id] = _view(
                product, row, prices.get(row.pk, {}), labels[row.pk], link
            )
    cache.store_variant_views(loaded, languages)
    return {**found, **loaded}


def _view(
    product: domain.Product,
    row: Any,
    prices: Mapping[str, domain.ProductPrice],
    labels: Sequence[str],
    link: tuple[str | None, str],
) -> domain.Product:
    """The product under the variant's id, with its values, link (language, url), stock and
    prices."""
    title = product.title + TITLE_SEPARATOR + ", ".join(labels) if labels else product.title
    return replace(
        product,
        id=row.external_id,
        title=title,
        url=link[1],
        url_language=link[0],
        stock=row.stock,
        availability=domain.Availability(row.availability),
        prices=MappingProxyType({**product.prices, **prices}),
        # The variant is the choice the product page would make: it can go to the cart as is.
        has_variants=False,
    )


def _variant_prices(
    session: Session, pks: Sequence[int]
) -> dict[int, dict[str, domain.ProductPrice]]:
    prices: dict[int, dict[str, domain.ProductPrice]] = defaultdict(dict)
    for pk, currency, amount, previous in session.execute(_PRICES, {"pks": list(pks)}):
        prices[pk][currency] = domain.ProductPrice(
            amount=from_minor_units(amount, currency),
            previous_amount=None if previous is None else from_minor_units(previous, currency),
        )
    return prices


def _variant_labels(
    session: Session, pks: Sequence[int], languages: Sequence[str]
) -> dict[int, list[str]]:
    """Each variant's telling values, labelled in the best language (else their codes)."""
    values = list(session.execute(_VALUES, {"pks": list(pks)}))
    value_pks = sorted({value_pk for _, value_pk, _ in values})
    chosen = pick_translation(
        session.execute(_LABELS, {"pks": value_pks}) if value_pks else (), languages
    )
    labels: dict[int, list[str]] = defaultdict(list)
    for variant_pk, value_pk, code in values:
        labels[variant_pk].append(chosen.get(value_pk, code))
    return labels
