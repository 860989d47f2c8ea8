"""Search: the adapter's search engine over a copy of our catalog in the adapter's own database.

The adapter's search (full text, exact facet counts, price ranges) runs over its SQL catalog
tables. We copy our products there as a feed in the adapter's JSON Lines format, through its
importer (`oct8ne_adapter.feeds.importer`), at start-up and whenever the catalog changes; the
repository then asks that search for a page of ids and answers the products from our tables.
Once the adapter reads a shop's catalog directly (a `CatalogSource`), this copy goes away.
"""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fastapi_shop.models import Product, amount
from fastapi_shop.seed_data import COLORS
from oct8ne_adapter.feeds.importer import ImportOptions, import_feed
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.writer.summary import ImportSummary

#: The whole catalog each time: products no longer listed are deleted from the copy.
COPY_OPTIONS = ImportOptions(
    feed_format="jsonl", language="en", strict=True, prune=True, force_prune=True
)


def feed_record(product: Product) -> dict[str, Any]:
    """One product as a line of the adapter's JSON Lines feed."""
    prices: dict[str, Any] = {}
    for price in product.prices:
        prices[price.currency] = {"price": str(amount(price.amount_cents))}
        if price.previous_cents is not None:
            prices[price.currency]["previous"] = str(amount(price.previous_cents))
    return {
        "id": product.sku,
        "title": {text.language: text.title for text in product.texts},
        "description": {text.language: text.description for text in product.texts},
        "url": f"/product/{product.sku}",
        "thumbnail": f"/product/{product.sku}/image.svg",
        "prices": prices,
        "brand": product.brand,
        "category": [{"id": product.category.slug, "name": product.category.names}],
        "attributes": {
            "color": [{"value": product.color, "label": COLORS.get(product.color, {})}]
        },
        "stock": product.stock,
        "active": product.active,
    }


def catalog_feed(session: Session) -> bytes:
    """Every product of the shop, one JSON object a line."""
    products = session.scalars(
        select(Product)
        .order_by(Product.sku)
        .options(
            selectinload(Product.texts),
            selectinload(Product.prices),
            selectinload(Product.category),
        )
    )
    lines = (json.dumps(feed_record(product), ensure_ascii=False) for product in products)
    return "".join(f"{line}\n" for line in lines).encode()


def copy_catalog(session: Session, database: Database) -> ImportSummary:
    """Write the catalog to the adapter's tables (one transaction); what changed."""
    return import_feed(database, io.BytesIO(catalog_feed(session)), COPY_OPTIONS)
