"""A product's rows in the child tables: texts, links, prices, images, categories, attribute
values, codes and related products."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from babel.numbers import get_currency_precision
from sqlalchemy import delete
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.tables import (
    product_attribute_values as _values,
    product_categories as _categories,
    product_codes,
    product_media as _media,
    product_prices as _prices,
    product_relations as _relations,
    product_translations as _translations,
    product_urls as _urls,
)
from oct8ne_adapter.sql.writer.bulk import chunks, insert_rows, stored_products
from oct8ne_adapter.sql.writer.codes import insert_codes
from oct8ne_adapter.sql.writer.reference import Resolved

TRANSLATION_COLUMNS = ("product_pk", "language", "title", "sort_key", "description")
#: A price row's columns after its key (product_pk or variant_pk): `price_rows` fills them.
TIMED_PRICE_COLUMNS = (
    "currency",
    "amount_minor",
    "previous_amount_minor",
    "regular_minor",
    "regular_previous_minor",
    "sale_minor",
    "sale_from",
    "sale_until",
)
PRICE_COLUMNS = ("product_pk", *TIMED_PRICE_COLUMNS)
URL_COLUMNS = ("product_pk", "language", "url")

#: A record with the primary key of its product.
Written = tuple[int, ProductRecord]
#: ... and its reference rows.
Resolving = tuple[int, ProductRecord, Resolved]


def to_minor_units(amount: Decimal, currency: str) -> int:
    """19.90 USD -> 1990; the amount must already fit the currency's decimals."""
    return int(amount.scaleb(_decimals(currency)))


@cache
def _decimals(currency: str) -> int:
    return int(get_currency_precision(currency))


def translation_row(pk: int, language: str, title: str, description: str) -> tuple[Any, ...]:
    """A product_translations row; the sort key is the folded title."""
    return (pk, language, title, fulltext.fold(title)[:500], description)


class Priced(Protocol):
    """A product or variant record: its prices by currency."""

    @property
    def prices(self) -> Mapping[str, ProductPrice]: ...


def _minor(amount: Decimal | None, currency: str) -> int | None:
    return None if amount is None else to_minor_units(amount, currency)


def price_rows(items: Iterable[tuple[int, Priced]]) -> list[tuple[Any, ...]]:
    """The price rows (key, then `TIMED_PRICE_COLUMNS`) of these products or variants.

    The effective price is the one at the time of writing; `sql.price_windows` switches it at
    the window's boundaries, for products and variants alike.
    """
    now = datetime.now(UTC)
    rows: list[tuple[Any, ...]] = []
    for pk, record in items:
        for currency, price in record.prices.items():
            effective = price.effective(now)
            sale = price.sale
            rows.append(
                (
                    pk,
                    currency,
                    to_minor_units(effective.amount, currency),
                    _minor(effective.previous_amount, currency),
                )
                + (
                    (None,) * 5
                    if sale is None
                    else (
                        to_minor_units(price.amount, currency),
                        _minor(price.previous_amount, currency),
                        to_minor_units(sale.amount, currency),
                        sale.starts.astimezone(UTC).replace(tzinfo=None),
                        sale.ends.astimezone(UTC).replace(tzinfo=None),
                    )
                )
            )
    return rows


def insert_children(session: Session, items: Sequence[Resolving]) -> None:
    """Insert every child row of these products (whose old child rows are gone)."""
    translations: list[tuple[Any, ...]] = []
    media: list[tuple[Any, ...]] = []
    urls: list[tuple[Any, ...]] = []
    categories: list[tuple[Any, ...]] = []
    values: list[tuple[Any, ...]] = []
    for pk, record, refs in items:
        descriptions = record.descriptions
        translations.extend(
            translation_row(pk, language, title, descriptions.get(language, ""))
            for language, title in record.titles.items()
        )
        urls.extend((pk, language, url) for language, url in record.urls.items())
        media.extend((pk, position, url) for position, url in enumerate(record.images))
        categories.extend((pk, category_pk) for category_pk in refs.category_pks)
        values.extend((pk, value_pk) for value_pk in refs.value_pks)
    insert_rows(session, _translations, TRANSLATION_COLUMNS, translations)
    insert_rows(session, _urls, URL_COLUMNS, urls)
    insert_rows(
        session, _prices, PRICE_COLUMNS, price_rows((pk, record) for pk, record, _ in items)
    )
    insert_rows(session, _media, ("product_pk", "position", "url"), media)
    insert_rows(session, _categories, ("product_pk", "category_pk"), categories)
    insert_rows(session, _values, ("product_pk", "value_pk"), values)
    insert_codes(session, ((pk, None, record.codes) for pk, record, _ in items))


def delete_children(
    session: Session, items: Sequence[Written], *, keep_other_currencies: bool
) -> None:
    """Delete the child rows of these products before they are written again.

    With `keep_other_currencies` (Merchant Center feeds: one currency and one language each) the
    prices in other currencies and the texts and links in other languages stay: they came from
    other feeds.
    """
    pks = [pk for pk, _ in items]
    # Codes are in no language or currency: every feed that writes a product gives them all.
    replaced = [_media, _categories, _values, _relations, product_codes]
    if not keep_other_currencies:
        replaced += [_translations, _prices, _urls]
    for chunk in chunks(pks):
        for child in replaced:
            session.execute(delete(child).where(child.c.product_pk.in_(chunk)))
    if keep_other_currencies:
        delete_pairs(session, _prices, "currency", [(pk, c) for pk, r in items for c in r.prices])
        delete_pairs(
            session, _translations, "language", [(pk, lang) for pk, r in items for lang in r.titles]
        )
        delete_pairs(session, _urls, "language", [(pk, lang) for pk, r in items for lang in r.urls])


def delete_pairs(
    session: Session,
    table: Any,
    column: str,
    pairs: list[tuple[int, str]],
    *,
    key: str = "product_pk",
) -> None:
    """Delete the rows of `table` keyed by these (`key`, `column`) pairs.

    One `column = value AND product_pk IN (...)` per value: SQLite scans the whole table for a
    `(product_pk, column) IN (VALUES ...)` (a feed has one currency and one language, so there
    is one statement per chunk of products), where this form searches its primary key.
    """
    by_value: dict[str, list[int]] = {}
    for pk, value in pairs:
        by_value.setdefault(value, []).append(pk)
    for value, pks in by_value.items():
        for chunk in chunks(pks):
            session.execute(delete(table).where(table.c[column] == value, table.c[key].in_(chunk)))


def write_relations(session: Session, pending: list[tuple[int, tuple[str, ...]]]) -> None:
    """Insert the related-product rows, resolving the related ids now that all are written."""
    if not pending:
        return
    wanted = list({external for _, related in pending for external in related})
    pks = {external: found[0] for external, found in stored_products(session, wanted).items()}
    rows: list[tuple[Any, ...]] = []
    for product_pk, related in pending:
        positions: dict[int, int] = {}
        for position, external in enumerate(related):
            related_pk = pks.get(external)
            if related_pk is not None and related_pk != product_pk:
                positions.setdefault(related_pk, position)
        rows.extend(
            (product_pk, related_pk, position) for related_pk, position in positions.items()
        )
    insert_rows(session, _relations, ("product_pk", "related_pk", "position"), rows)
