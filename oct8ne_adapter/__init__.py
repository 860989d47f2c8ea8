"""oct8ne-adapter: the oct8ne 2.4 frame protocol for any shop, as a Flask package."""

from __future__ import annotations

from oct8ne_adapter.app import create_app
from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.extension import Oct8neAdapter, notify_update, record_event
from oct8ne_adapter.repository import (
    AdapterRepository,
    CatalogRepository,
    CatalogSource,
    CustomerRepository,
    OrderRepository,
    ProductReads,
    ReportRepository,
    SessionRepository,
    ShopRepository,
)

__all__ = [
    "AdapterRepository",
    "CatalogRepository",
    "CatalogSource",
    "CustomerRepository",
    "Oct8neAdapter",
    "OrderRepository",
    "ProductReads",
    "ReportRepository",
    "SessionRepository",
    "ShopRepository",
    "Visitor",
    "create_app",
    "notify_update",
    "record_event",
]
