"""oct8ne-adapter: the oct8ne 2.4 frame protocol for any shop, as a Flask package."""

from __future__ import annotations

from oct8ne_adapter.app import create_app
from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.extension import Oct8neAdapter, notify_update, record_event
from oct8ne_adapter.repository import (
    AdapterRepository,
    CatalogRepository,
    CustomerRepository,
    OrderRepository,
    ReportRepository,
    SessionRepository,
)

__all__ = [
    "AdapterRepository",
    "CatalogRepository",
    "CustomerRepository",
    "Oct8neAdapter",
    "OrderRepository",
    "ReportRepository",
    "SessionRepository",
    "Visitor",
    "create_app",
    "notify_update",
    "record_event",
]
