"""Operability: the health endpoint, an access log line per frame call, and security headers."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import text

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.web.frame import frame_blueprint
from oct8ne_adapter.web.openapi import document
from oct8ne_adapter.web.responses import render

access_log = logging.getLogger("oct8ne_adapter.access")
operations_blueprint = Blueprint("oct8ne_operations", __name__)

#: Methods whose answers are about one person: never stored by a browser or a proxy.
PRIVATE_METHODS = frozenset(
    {"customerdata", "addtowishlist", "getcart", "getorders", "getorderdetails"}
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@operations_blueprint.get("/health")
def health() -> Response:
    """200 when the adapter and its database answer, 503 otherwise."""
    database = current_app.extensions["oct8ne"].database
    if database is None:
        return render({"status": "ok", "database": "not managed by the adapter"}, None)
    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
    except DataSourceUnavailable:
        return render({"status": "unavailable", "database": "unreachable"}, None, 503)
    return render({"status": "ok", "database": "ok"}, None)


@operations_blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of the frame methods, with this mount's paths."""
    prefix = request.script_root + request.path.removesuffix("/openapi.json")
    return render(document(prefix), None)


@frame_blueprint.before_request
def _start_clock() -> None:
    g.oct8ne_started = time.perf_counter()


@frame_blueprint.after_request
def _finish(response: Response) -> Response:
    """Security headers, no caching of private answers, and one access-log line."""
    response.headers.update(SECURITY_HEADERS)
    method = str((request.view_args or {}).get("method", ""))[:64]
    if method.lower() in PRIVATE_METHODS:
        response.headers["Cache-Control"] = "private, no-store"
    started = g.get("oct8ne_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    # Only the method, status and timing: query strings carry tokens and e-mail addresses.
    access_log.info(
        "frame method=%s status=%d duration_ms=%.1f bytes=%s",
        method,
        response.status_code,
        duration_ms,
        response.calculate_content_length(),
    )
    return response
