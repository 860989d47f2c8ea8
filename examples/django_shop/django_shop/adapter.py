"""The oct8ne adapter for this shop: our repository, Django's session, its own SQLite tables."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from flask import Flask

from django_shop.repository import DjangoShopRepository
from django_shop.visitor import django_session_visitor
from oct8ne_adapter import Visitor, create_app, record_event
from oct8ne_adapter.events.model import CartUpdated, EventLine
from oct8ne_adapter.events.visitor_ids import from_cookies
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.web.state import adapter_state


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


@functools.cache
def adapter_app() -> Flask:
    """The adapter's WSGI app, answering /oct8ne/... from the shop's models (one per process)."""
    search_database = Database(create_database_engine(adapter_database_url()))
    repository = DjangoShopRepository(SqlSearchEngine(search_database).search)
    return create_app(
        adapter_config(), repository=repository, customer_resolver=django_session_visitor
    )


def record_cart(cart_id: str, visitor: Visitor, cookies: Mapping[str, str]) -> bool:
    """Record the visitor's cart as it now is (a CartUpdated snapshot) in the adapter's tables.

    getCart then answers it and getSalesReport lists it for a visitor chatting on oct8ne (its
    `oct8ne-session` cookie); a configured vendor sink would get it through the relay. False
    when the same snapshot was recorded already.
    """
    app = adapter_app()
    cart = adapter_state(app).repository.get_cart(visitor, ("en",))
    lines = tuple(
        EventLine(line.product.id, line.product.title, line.quantity, line.unit_price or Decimal(0))
        for line in cart.lines
    )
    event = CartUpdated(
        cart_id=cart_id,
        currency=cart.currency or "USD",
        lines=lines,
        subtotal=cart.subtotal or Decimal(0),
        total=cart.total or Decimal(0),
        occurred_at=datetime.now(UTC).replace(tzinfo=None),
        visitor=from_cookies(cookies),
        customer_id=visitor.customer_id,
        logged_in=visitor.customer_id is not None,
        shop_session=visitor.cart_key,
    )
    return record_event(event, app=app)
