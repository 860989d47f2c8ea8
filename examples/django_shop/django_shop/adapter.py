"""The oct8ne adapter for this shop: our repository, Django's session, its own SQLite tables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from flask import Flask

from django_shop.repository import DjangoShopRepository
from django_shop.visitor import django_session_visitor
from oct8ne_adapter import create_app
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine


def adapter_database_url() -> str:
    """The adapter's own tables (events, recorded carts, the search copy): a file of its own."""
    default = f"sqlite:///{Path(settings.SHOP_INSTANCE_DIR) / 'oct8ne.db'}"
    return os.environ.get("OCT8NE_DATABASE_URL") or default


def adapter_config() -> dict[str, Any]:
    """The adapter's settings; the API token comes from OCT8NE_API_TOKEN in the environment."""
    return {
        "OCT8NE_DATABASE_URL": adapter_database_url(),
        "OCT8NE_SHOP_URL": settings.SHOP_URL,
        "OCT8NE_PLATFORM": "Django",
        "OCT8NE_ADAPTER_NAME": "django_shop example",
        "OCT8NE_DEFAULT_CURRENCY": "USD",
        "OCT8NE_CURRENCIES": ["EUR"],
        "OCT8NE_ADD_TO_CART_PATH": "/cart/add/{id}",
        "OCT8NE_SESSION_COOKIE": settings.SESSION_COOKIE_NAME,
        # Our search copy is small and written before the server starts.
        "OCT8NE_SEARCH_ENGINE": "sql",
    }


def adapter_app() -> Flask:
    """The adapter's WSGI app, answering /oct8ne/... from the shop's models."""
    search_database = Database(create_database_engine(adapter_database_url()))
    repository = DjangoShopRepository(SqlSearchEngine(search_database).search)
    return create_app(
        adapter_config(), repository=repository, customer_resolver=django_session_visitor
    )
