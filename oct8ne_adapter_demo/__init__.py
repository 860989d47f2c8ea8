"""The demo shop: its pages, its catalog, customers and orders. Never imported by oct8ne_adapter.

`install(app)` adds the demo pages to an adapter app; `create_demo_app(config)` is `create_app`
with them. The CLI's `demo`, `load-demo` and `serve` (with `demo = true`) go through these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from oct8ne_adapter import create_app
from oct8ne_adapter_demo.views import demo_blueprint

__all__ = ["create_demo_app", "install"]


def install(app: Flask) -> None:
    """Register the demo pages under /demo/ and send `/` to them (Oct8neAdapter comes first)."""
    app.register_blueprint(demo_blueprint)
    app.add_url_rule("/", "home", _home, methods=["GET"])


def create_demo_app(config: Mapping[str, Any] | str | os.PathLike[str] | None = None) -> Flask:
    """The standalone adapter app (`create_app(config)`) with the demo pages installed."""
    app = create_app(config)
    install(app)
    return app


def _home() -> Response:
    return redirect(url_for("oct8ne_demo.index"))
