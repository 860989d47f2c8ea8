"""The default SQL schema, one module per concern; every model is importable from here.

Importing this package declares every table on `Base.metadata`, which Alembic compares against.
"""

from oct8ne_adapter.sql.models.base import EVENT_ID, EXTERNAL_ID, LANGUAGE, Base, exact
from oct8ne_adapter.sql.models.catalog import (
    Attribute,
    AttributeTranslation,
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    Category,
    CategoryTranslation,
    Product,
    ProductAttributeValue,
    ProductCategory,
    ProductMedia,
    ProductPrice,
    ProductRelation,
    ProductTranslation,
)
from oct8ne_adapter.sql.models.changes import CatalogChange
from oct8ne_adapter.sql.models.customers import Cart, CartLine, Customer, ShopSession, WishlistItem
from oct8ne_adapter.sql.models.events import EventDelivery, OutboxEvent
from oct8ne_adapter.sql.models.orders import Order, OrderComment, OrderLine, OrderStateLabel
from oct8ne_adapter.sql.models.platform import PlatformLink
from oct8ne_adapter.sql.models.reports import RecordedCart, RecordedOrder

__all__ = [
    "EVENT_ID",
    "EXTERNAL_ID",
    "LANGUAGE",
    "Attribute",
    "AttributeTranslation",
    "AttributeValue",
    "AttributeValueTranslation",
    "Base",
    "Brand",
    "Cart",
    "CartLine",
    "CatalogChange",
    "Category",
    "CategoryTranslation",
    "Customer",
    "EventDelivery",
    "Order",
    "OrderComment",
    "OrderLine",
    "OrderStateLabel",
    "OutboxEvent",
    "PlatformLink",
    "Product",
    "ProductAttributeValue",
    "ProductCategory",
    "ProductMedia",
    "ProductPrice",
    "ProductRelation",
    "ProductTranslation",
    "RecordedCart",
    "RecordedOrder",
    "ShopSession",
    "WishlistItem",
    "exact",
]
