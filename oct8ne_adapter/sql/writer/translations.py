"""A localized feed (`--locale es-ES`): texts and links in one more language, and prices, for
products that the main feed imported already."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.tables import (
    product_prices as prices,
    product_translations as translations,
    product_urls as urls,
)
from oct8ne_adapter.sql.writer.bulk import insert_rows, stored_products
from oct8ne_adapter.sql.writer.children import (
    PRICE_COLUMNS,
    TRANSLATION_COLUMNS,
    URL_COLUMNS,
    Written,
    delete_pairs,
    price_rows,
    translation_row,
)
from oct8ne_adapter.sql.writer.group_prices import refigure_group_prices
from oct8ne_adapter.sql.writer.variants import (
    stored_variants,
    write_variant_prices,
    write_variant_urls,
)

NOT_IN_CATALOG = "not in the catalog: import the shop's main feed before a localized one"


def write_translations(session: Session, language: str, items: list[Written]) -> None:
    """Replace these products' texts in `language`, their links in the records' languages (the
    feed's, unless a JSON Lines `url` names others) and prices in the records' currencies."""
    delete_pairs(session, translations, "language", [(pk, language) for pk, _ in items])
    delete_pairs(
        session, urls, "language", [(pk, tag) for pk, record in items for tag in record.urls]
    )
    delete_pairs(
        session, prices, "currency", [(pk, c) for pk, record in items for c in record.prices]
    )
    insert_rows(
        session,
        translations,
        TRANSLATION_COLUMNS,
        [
            translation_row(
                pk,
                language,
                next(iter(record.titles.values())),
                next(iter(record.descriptions.values()), ""),
            )
            for pk, record in items
        ],
    )
    insert_rows(
        session,
        urls,
        URL_COLUMNS,
        [(pk, tag, url) for pk, record in items for tag, url in record.urls.items()],
    )
    insert_rows(session, prices, PRICE_COLUMNS, price_rows(items))
    # A localized feed's group rows carry their variants' prices in its currency and their
    # links in its language too.
    variants = [variant for _, record in items for variant in record.variants]
    pks = stored_variants(session, [variant.id for variant in variants])
    known = [(pks[variant.id], variant) for variant in variants if variant.id in pks]
    write_variant_prices(session, known, keep_other_currencies=True)
    refigure_group_prices(session, [pk for pk, record in items if record.variants])
    write_variant_urls(session, known, keep_other_languages=True)
    fulltext.refresh(session, [pk for pk, _ in items])


def known_products(session: Session, product_ids: list[str]) -> dict[str, int]:
    """external id -> pk of the products that exist."""
    return {external: found[0] for external, found in stored_products(session, product_ids).items()}
