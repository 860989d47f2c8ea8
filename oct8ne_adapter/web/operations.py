"""Operability: the health endpoint and the OpenAPI document (the frame's hooks are in frame.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy import text

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.web.openapi import document
from oct8ne_adapter.web.responses import render
from oct8ne_adapter.web.state import current_state

BLUEPRINT_NAME = "oct8ne_operations"


def health() -> Response:
    """200 when the adapter and its database answer and search is ready, 503 otherwise.

    A worker whose search index is not yet in use answers 503 `starting` (and its build
    starts, if nothing asked for it yet), so a load balancer keeps traffic away until then.
    """
    state = current_state()
    database = state.database
    if database is None:
        return render({"status": "ok", "database": "not managed by the adapter"}, None)
    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
        starting = state.search_index is not None and not state.search_index.in_use()
    except DataSourceUnavailable:
        return render({"status": "unavailable", "database": "unreachable"}, None, 503)
    if starting:
        return render({"status": "starting", "database": "ok"}, None, 503)
    return render({"status": "ok", "database": "ok"}, None)


def openapi_document() -> Response:
    """The OpenAPI 3.1 document of the frame methods, with this mount's paths."""
    prefix = request.script_root + request.path.removesuffix("/openapi.json")
    return render(document(prefix), None)


def operations_blueprint() -> Blueprint:
    """A new Blueprint with `/health` and `/openapi.json`."""
    blueprint = Blueprint(BLUEPRINT_NAME, __name__)
    blueprint.add_url_rule("/health", view_func=health, methods=["GET"])
    blueprint.add_url_rule("/openapi.json", view_func=openapi_document, methods=["GET"])
    return blueprint
