"""The Core table of every mapped model, typed as `Table`, for statements built once.

SQL modules build their statements from these at import time rather than per call (building a
SELECT with its IN list cost more than running it); each table is named as in the database.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from oct8ne_adapter.sql import models


def _table(model: type[models.Base]) -> Table:
    """The Core table of a mapped class."""
    return cast(Table, model.__table__)


attribute_translations = _table(models.AttributeTranslation)
attribute_value_translations = _table(models.AttributeValueTranslation)
attribute_values = _table(models.AttributeValue)
attributes = _table(models.Attribute)
auth_failures = _table(models.AuthFailure)
brands = _table(models.Brand)
cart_lines = _table(models.CartLine)
carts = _table(models.Cart)
catalog_changes = _table(models.CatalogChange)
categories = _table(models.Category)
category_translations = _table(models.CategoryTranslation)
customers = _table(models.Customer)
event_deliveries = _table(models.EventDelivery)
event_outbox = _table(models.OutboxEvent)
order_comments = _table(models.OrderComment)
order_lines = _table(models.OrderLine)
order_state_labels = _table(models.OrderStateLabel)
orders = _table(models.Order)
platform_link = _table(models.PlatformLink)
product_attribute_values = _table(models.ProductAttributeValue)
product_categories = _table(models.ProductCategory)
product_codes = _table(models.ProductCodeRow)
product_media = _table(models.ProductMedia)
product_prices = _table(models.ProductPrice)
product_relations = _table(models.ProductRelation)
product_translations = _table(models.ProductTranslation)
product_urls = _table(models.ProductUrl)
product_variant_prices = _table(models.ProductVariantPrice)
product_variant_urls = _table(models.ProductVariantUrl)
product_variant_values = _table(models.ProductVariantValue)
product_variants = _table(models.ProductVariant)
products = _table(models.Product)
recorded_carts = _table(models.RecordedCart)
recorded_orders = _table(models.RecordedOrder)
shop_sessions = _table(models.ShopSession)
wishlist_items = _table(models.WishlistItem)
