"""Loading products with their texts, links, prices and media in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sqlalchemy import BindParameter, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.localized import best_links, from_minor_units, pick_translation
from oct8ne_adapter.sql.models import (
    Product,
    ProductRelation,
)
from oct8ne_adapter.sql.product_cache import product_cache
from oct8ne_adapter.sql.tables import (
    product_media as _media,
    product_prices as _prices,
    product_translations as _translations,
    product_urls as _urls,
    products as _products,
)
from oct8ne_adapter.sql.variants import variant_keys, variant_views

# Statements built once: building a SELECT with its IN list cost more than running it (about
# 120 of 160 us per statement on SQLite), and these run several times per request.
_HEAD_COLUMNS = (
    _products.c.pk,
    _products.c.external_id,
    _products.c.url,
    _products.c.thumbnail_url,
    _products.c.has_variants,
    _products.c.stock,
    _products.c.availability,
)


def _keys(name: str) -> BindParameter[Any]:
    """A list of keys bound when the statement runs: one prebuilt statement for any list."""
    return bindparam(name, expanding=True)


def _by_product(table: Table, *columns: str) -> Select[Any]:
    """(product_pk, *columns) rows of a product child table for the products bound as `pks`."""
    key = table.c.product_pk
    return select(key, *(table.c[name] for name in columns)).where(key.in_(_keys("pks")))


_ACTIVE = _products.c.active.is_(True)
_HEADS_BY_PK = select(*_HEAD_COLUMNS).where(_products.c.pk.in_(_keys("pks")), _ACTIVE)
_HEADS_BY_EXTERNAL_ID = select(*_HEAD_COLUMNS).where(
    _products.c.external_id.in_(_keys("ids")), _ACTIVE
)
_TEXTS = _by_product(_translations, "language", "title", "description")
_URLS = _by_product(_urls, "language", "url")
_PRICES = _by_product(_prices, "currency", "amount_minor", "previous_amount_minor")
_MEDIA = _by_product(_media, "url").order_by(_media.c.product_pk, _media.c.position)


def load_products_by_pk(
    session: Session, pks: Sequence[int], languages: Sequence[str]
) -> list[domain.Product]:
    """Active products for these primary keys, in the given order, in five queries."""
    return list(load_product_map(session, pks, languages).values())


def load_product_map(
    session: Session, pks: Sequence[int], languages: Sequence[str]
) -> dict[int, domain.Product]:
    """Active products by primary key, in the given order; inactive or unknown keys are left out."""
    if not pks:
        return {}
    wanted = list(dict.fromkeys(pks))
    chain = tuple(languages)
    cache = product_cache(session)
    cache.follow(session)
    products, missing = cache.products(wanted, chain)
    if missing:
        heads = {row.pk: row for row in session.execute(_HEADS_BY_PK, {"pks": missing})}
        loaded = _complete(session, heads, chain)
        cache.store(loaded, chain)
        products.update(loaded)
    return {pk: products[pk] for pk in wanted if pk in products}


def _complete(
    session: Session, heads: Mapping[int, Any], languages: Sequence[str]
) -> dict[int, domain.Product]:
    """Products for these head rows, with their texts, links, prices and media (four queries)."""
    if not heads:
        return {}
    keys = list(heads)
    texts = pick_translation(
        (
            (pk, language, (title, description))
            for pk, language, title, description in session.execute(_TEXTS, {"pks": keys})
        ),
        languages,
    )
    urls: dict[int, tuple[str | None, str]] = dict(
        best_links(session.execute(_URLS, {"pks": keys}), languages)
    )
    prices: dict[int, dict[str, domain.ProductPrice]] = defaultdict(dict)
    for pk, currency, amount, previous in session.execute(_PRICES, {"pks": keys}):
        prices[pk][currency] = domain.ProductPrice(
            amount=from_minor_units(amount, currency),
            previous_amount=None if previous is None else from_minor_units(previous, currency),
        )
    medias: dict[int, list[str]] = defaultdict(list)
    for pk, url in session.execute(_MEDIA, {"pks": keys}):
        medias[pk].append(url)
    products: dict[int, domain.Product] = {}
    for pk, head in heads.items():
        title, description = texts.get(pk, (head.external_id, ""))
        # A product imported before links were kept per language has only its head's link.
        url_language, url = urls.get(pk, (None, head.url))
        products[pk] = domain.Product(
            id=head.external_id,
            title=title,
            description=description,
            url=url,
            url_language=url_language,
            thumbnail=head.thumbnail_url,
            medias=tuple(medias.get(pk, ())),
            prices=MappingProxyType(prices.get(pk, {})),
            has_variants=head.has_variants,
            stock=head.stock,
            availability=domain.Availability(head.availability),
        )
    return products


def get_products(
    session: Session, external_ids: Sequence[str], languages: Sequence[str]
) -> list[domain.Product]:
    """Active products for these shop ids in the requested order; unknown ids are skipped.

    An id of no product may be a variant's: its product answers as seen through it (under the
    asked id, see `sql/variants`).
    """
    if not external_ids:
        return []
    wanted = list(dict.fromkeys(external_ids))
    chain = tuple(languages)
    cache = product_cache(session)
    cache.follow(session)
    pks, unknown = cache.pks(wanted)
    views = cache.variant_views(unknown, chain)
    unknown = [external for external in unknown if external not in views]
    products, missing = cache.products(pks.values(), chain)
    if unknown:
        # Looked up by shop id directly: one query fewer than resolving the ids to keys first.
        heads = {row.pk: row for row in session.execute(_HEADS_BY_EXTERNAL_ID, {"ids": unknown})}
        if missing:
            heads.update((row.pk, row) for row in session.execute(_HEADS_BY_PK, {"pks": missing}))
    elif missing:
        heads = {row.pk: row for row in session.execute(_HEADS_BY_PK, {"pks": missing})}
    else:
        heads = {}
    if heads:
        loaded = _complete(session, heads, chain)
        cache.store(loaded, chain)
        products.update(loaded)
        pks.update((product.id, pk) for pk, product in loaded.items())
    rest = [external for external in unknown if pks.get(external) not in products]
    if rest:
        views.update(variant_views(session, rest, chain, cache, load_product_map))
    answered: list[domain.Product] = []
    for external in wanted:
        product = products.get(pks[external]) if external in pks else views.get(external)
        if product is not None:
            answered.append(product)
    return answered


def pks_for_external_ids(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    """Primary keys of the products with these shop ids, or of the products of these variants."""
    if not external_ids:
        return {}
    found = dict(
        session.execute(
            select(Product.external_id, Product.pk).where(Product.external_id.in_(external_ids))
        ).all()
    )
    rest = [external for external in external_ids if external not in found]
    found.update(
        (external, keys.product_pk) for external, keys in variant_keys(session, rest).items()
    )
    return found


def related_products(
    session: Session, external_id: str, languages: Sequence[str], limit: int
) -> list[domain.Product]:
    """Related products (of a variant's product, for a variant id) in their stored order."""
    pks = pks_for_external_ids(session, [external_id])
    if not pks:
        return []
    related = session.scalars(
        select(ProductRelation.related_pk)
        .join(Product, Product.pk == ProductRelation.related_pk)
        .where(ProductRelation.product_pk == pks[external_id], Product.active.is_(True))
        .order_by(ProductRelation.position, ProductRelation.related_pk)
        .limit(limit)
    ).all()
    return load_products_by_pk(session, related, languages)
