"""The frame Blueprint: one route, `/oct8ne/frame/<method>`, dispatched case-insensitively."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from oct8ne_adapter.errors import AdapterError, InvalidCallback, UnknownMethod, error_payload
from oct8ne_adapter.web.handlers import HANDLERS
from oct8ne_adapter.web.responses import render, validate_callback

log = logging.getLogger(__name__)
frame_blueprint = Blueprint("oct8ne", __name__)


@frame_blueprint.get("/frame/<method>")
def frame(method: str) -> Response:
    """Answer one oct8ne method as JSON, or JSONP when a callback is given."""
    g.oct8ne_callback = None
    callback = validate_callback(request.args.get("callback"))
    g.oct8ne_callback = callback
    handler = HANDLERS.get(method.lower())
    if handler is None:
        raise UnknownMethod(f"unknown method {method[:64]!r}")
    state = current_app.extensions["oct8ne"]
    return render(handler(state, request), callback)


@frame_blueprint.errorhandler(AdapterError)
def adapter_error(error: AdapterError) -> Response:
    """Adapter errors as JSON (JSONP when the callback itself was valid)."""
    payload, status = error_payload(error)
    callback = None if isinstance(error, InvalidCallback) else g.get("oct8ne_callback")
    if status >= 500:
        log.warning("oct8ne %s: %s", request.path, error.message, exc_info=error.__cause__)
    return render(payload, callback, status)


@frame_blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's HTTP errors as JSON too, unless the error carries its own (the 429s do)."""
    if error.response is not None:
        return error.response  # type: ignore[return-value]
    status = error.code or 500
    return render({"error": "http_error", "message": error.name}, None, status)


@frame_blueprint.errorhandler(Exception)
def unexpected_error(error: Exception) -> Response:
    """A bug: logged with its traceback, answered without details."""
    log.exception("oct8ne %s failed", request.path)
    payload = {"error": "internal_error", "message": "the adapter failed to answer"}
    return render(payload, g.get("oct8ne_callback"), 500)
