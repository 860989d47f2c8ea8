"""Removing one product, or one variant of a product, by the id the shop uses (the live API).

A product's id deletes the product (its child rows and variants go by ON DELETE CASCADE, like
`prune`). A variant's id deletes only that variant: its product keeps the others and gets the
figures a group's product has from its rows (`groups.merge_variants`) again, from the variants
left: per currency the lowest price in force (`group_prices`), the stock summed (unknown if one
is unknown), the best availability. The last variant removed removes the product. The product's
stored digest is cleared, so that the next import rewrites it even from an unchanged row. Every
change is noted in the catalog change log, in the caller's transaction.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.variants import VariantRecord
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.tables import (
    product_prices as _prices,
    product_variant_prices as _variant_prices,
    product_variants as _variants,
    products as _products,
)
from oct8ne_adapter.sql.writer.group_prices import refigure_group_prices
from oct8ne_adapter.sql.writer.groups import group_availability

Removed = Literal["product", "variant", "nothing"]


def remove_product(session: Session, external_id: str, recorder: ChangeRecorder) -> Removed:
    """Delete the product or the variant with this id; "nothing" if neither exists."""
    product_pk = session.scalar(
        select(_products.c.pk).where(_products.c.external_id == external_id)
    )
    if product_pk is not None:
        _delete_products(session, [product_pk], recorder)
        return "product"
    found = session.execute(
        select(_variants.c.pk, _variants.c.product_pk).where(_variants.c.external_id == external_id)
    ).first()
    if found is None:
        return "nothing"
    variant_pk, product_pk = found
    session.execute(delete(_variants).where(_variants.c.pk == variant_pk))
    left: list[tuple[int, int | None, str]] = [
        (pk, stock, availability)
        for pk, stock, availability in session.execute(
            select(_variants.c.pk, _variants.c.stock, _variants.c.availability).where(
                _variants.c.product_pk == product_pk
            )
        )
    ]
    if not left:
        _delete_products(session, [product_pk], recorder)
    else:
        _refigure(session, product_pk, left)
        recorder.add([product_pk])
    return "variant"


def _delete_products(session: Session, pks: list[int], recorder: ChangeRecorder) -> None:
    session.execute(delete(_products).where(_products.c.pk.in_(pks)))
    fulltext.index_for(session.get_bind().dialect.name).delete(session, pks)
    recorder.add(pks)


def _refigure(session: Session, product_pk: int, left: list[tuple[int, int | None, str]]) -> None:
    """The product's stock, availability and prices from the variants left."""
    stocks = [stock for _, stock, _ in left]
    availability = group_availability(
        [VariantRecord(id="", url="", availability=value) for _, _, value in left]
    )
    session.execute(
        update(_products)
        .where(_products.c.pk == product_pk)
        .values(
            stock=None if None in stocks else sum(stock for stock in stocks if stock is not None),
            availability=availability or "in_stock",
            content_hash=None,
        )
    )
    # The variant removed may have been the only one priced in a currency.
    currencies = set(
        session.scalars(
            select(_variant_prices.c.currency).where(
                _variant_prices.c.variant_pk.in_([pk for pk, _, _ in left])
            )
        )
    )
    if currencies:
        session.execute(
            delete(_prices).where(
                _prices.c.product_pk == product_pk, _prices.c.currency.not_in(currencies)
            )
        )
    refigure_group_prices(session, [product_pk])
