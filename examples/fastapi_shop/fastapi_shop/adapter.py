"""The oct8ne adapter for this shop: our repository, Starlette's session, its own SQLite tables."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from fastapi_shop.models import instance_dir, shop_sessions
from fastapi_shop.repository import FastapiShopRepository
from fastapi_shop.visitor import starlette_session_visitor
from oct8ne_adapter import Oct8neAdapter
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.settings import layered_config
from oct8ne_adapter.sql.database import Database, create_database_engine


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
