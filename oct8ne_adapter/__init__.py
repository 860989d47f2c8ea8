"""oct8ne-adapter: the oct8ne 2.4 frame protocol for any shop, as a Flask package."""

from __future__ import annotations

from .app import create_app
from .domain import Visitor
from .extension import Oct8neAdapter, notify_update
from .repository import (
    AdapterRepository,
    CatalogRepository,
    CustomerRepository,
    OrderRepository,
    SessionRepository,
)

__all__ = [
    "AdapterRepository",
    "CatalogRepository",
    "CustomerRepository",
    "Oct8neAdapter",
    "OrderRepository",
    "SessionRepository",
    "Visitor",
    "create_app",
    "notify_update",
]
