"""The oct8ne adapter for this shop: our repository, Starlette's session, its own SQLite tables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from fastapi_shop.models import instance_dir, shop_sessions
from fastapi_shop.repository import FastapiShopRepository
from fastapi_shop.visitor import starlette_session_visitor
from oct8ne_adapter import Oct8neAdapter, Visitor, record_event
from oct8ne_adapter.events.model import CartUpdated, EventLine
from oct8ne_adapter.events.visitor_ids import from_cookies
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.settings import layered_config
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.web.state import adapter_state


def adapter_database_url() -> str:
    """The adapter's own tables (events, recorded carts, the search copy): a file of its own."""
    default = f"sqlite:///{instance_dir() / 'oct8ne.db'}"
    return os.environ.get("OCT8NE_DATABASE_URL") or default


def adapter_database() -> Database:
    """The adapter's own database, for the search copy."""
    return Database(create_database_engine(adapter_database_url()))


def adapter_config() -> dict[str, Any]:
    """The adapter's settings; the API token comes from OCT8NE_API_TOKEN in the environment."""
    return {
        "OCT8NE_DATABASE_URL": adapter_database_url(),
        "OCT8NE_SHOP_URL": os.environ.get("SHOP_URL", "http://127.0.0.1:8000"),
        "OCT8NE_PLATFORM": "FastAPI",
        "OCT8NE_ADAPTER_NAME": "fastapi_shop example",
        "OCT8NE_DEFAULT_CURRENCY": "USD",
        "OCT8NE_CURRENCIES": ["EUR"],
        "OCT8NE_ADD_TO_CART_PATH": "/cart/add/{id}",
        # Our search copy is small and written before the server starts.
        "OCT8NE_SEARCH_ENGINE": "sql",
    }


def adapter_app() -> Flask:
    """The adapter's WSGI app, its routes at the root: FastAPI mounts it at /oct8ne.

    `create_app` would put the routes under /oct8ne itself; mounted, the bridge passes
    SCRIPT_NAME=/oct8ne, so the routes sit at "" and the URLs Flask builds keep the mount point.
    """
    app = Flask("fastapi_shop.oct8ne")
    # The same layers as create_app: a TOML file (OCT8NE_CONFIG) < environment < this mapping.
    app.config.update(layered_config(adapter_config()))
    repository = FastapiShopRepository(shop_sessions(), SqlSearchEngine(adapter_database()).search)
    Oct8neAdapter(
        app, repository=repository, customer_resolver=starlette_session_visitor, url_prefix=""
    )
    return app


def record_cart(adapter: Flask, cart_id: str, visitor: Visitor, cookies: Mapping[str, str]) -> bool:
    """Record the visitor's cart as it now is (a CartUpdated snapshot) in the adapter's tables.

    getCart then answers it and getSalesReport lists it for a visitor chatting on oct8ne (its
    `oct8ne-session` cookie); a configured vendor sink would get it through the relay. False
    when the same snapshot was recorded already.
    """
    cart = adapter_state(adapter).repository.get_cart(visitor, ("en",))
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
    return record_event(event, app=adapter)
