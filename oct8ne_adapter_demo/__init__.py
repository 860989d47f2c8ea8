"""The demo shop: its pages, its catalog, customers and orders. Never imported by oct8ne_adapter.

`install(app)` adds the demo pages to an adapter app; `create_demo_app(config)` is `create_app`
with them. The CLI's `demo`, `load-demo` and `serve` (with `demo = true`) go through these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response

from oct8ne_adapter import create_app
from oct8ne_adapter.settings import layered_config
from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter_demo import account, cart_api, views
from oct8ne_adapter_demo.cart_api import DEMO_ADD_TO_CART_PATH
from oct8ne_adapter_demo.customers import refuse_foreign_customers
from oct8ne_adapter_demo.pages import demo_blueprint, demo_state
from oct8ne_adapter_demo.security import is_demo_answer, secure_answer

__all__ = ["DEMO_ADD_TO_CART_PATH", "create_demo_app", "install"]

# The views register themselves on the blueprint when imported.
_VIEW_MODULES = (account, cart_api, views)


def install(app: Flask) -> None:
    """Register the demo pages under /demo/ and send `/` to them (Oct8neAdapter comes first)."""
    app.register_blueprint(demo_blueprint)
    app.add_url_rule("/", "home", _home, methods=["GET"])
    app.after_request(_secure_demo_answer)


def create_demo_app(config: Mapping[str, Any] | str | os.PathLike[str] | None = None) -> Flask:
    """The standalone adapter app (`create_app(config)`) with the demo pages installed.

    productInfo's `addToCartUrl` points at the demo's cart unless the configuration names
    another `add_to_cart_path`. Refuses (ConfigError) a database holding customers the demo did
    not create.
    """
    app = create_app({"OCT8NE_ADD_TO_CART_PATH": DEMO_ADD_TO_CART_PATH, **layered_config(config)})
    database = adapter_state(app).database
    if database is not None:
        try:
            with database.session() as session:
                refuse_foreign_customers(session)
        except BaseException:
            database.engine.dispose()
            raise
    install(app)
    return app


def _home() -> Response:
    return redirect(url_for("oct8ne_demo.index"))


def _secure_demo_answer(response: Response) -> Response:
    if not is_demo_answer(request.path):
        return response
    state = demo_state()
    return secure_answer(response, state.settings, state.credentials())
