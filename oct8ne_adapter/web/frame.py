"""The frame Blueprint: one route, `/oct8ne/frame/<method>`, dispatched case-insensitively.

`frame_blueprint(settings)` builds a fresh Blueprint for each app it is registered on, with
everything it needs: the route, its error handlers, its hooks (timed prices, the access log;
security headers and no caching of private answers on every answer) and its rate limits.
Nothing else decorates it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from oct8ne_adapter.errors import (
    AdapterError,
    InvalidCallback,
    UnknownMethod,
    error_payload,
    error_retry_after,
)
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.identity import anonymous_resolver
from oct8ne_adapter.web.methods import FRAME_METHODS, FrameMethod, frame_method
from oct8ne_adapter.web.params import arg
from oct8ne_adapter.web.ratelimits import FrameLimits
from oct8ne_adapter.web.responses import render, render_error, validate_callback
from oct8ne_adapter.web.state import current_state

log = logging.getLogger(__name__)
access_log = logging.getLogger("oct8ne_adapter.access")

#: The Blueprint's name: its endpoint is `oct8ne.frame`.
BLUEPRINT_NAME = "oct8ne"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: Every frame answer's headers, built once: public, and an answer about one person.
PUBLIC_HEADERS = tuple(SECURITY_HEADERS.items())
PRIVATE_HEADERS = (*PUBLIC_HEADERS, ("Cache-Control", "private, no-store"))


def _headers(found: FrameMethod | None) -> tuple[tuple[str, str], ...]:
    return PRIVATE_HEADERS if found is not None and found.private else PUBLIC_HEADERS


def _called() -> FrameMethod | None:
    """The frame method of this request (None: unknown)."""
    return frame_method(str((request.view_args or {}).get("method", ""))[:64])


def frame(method: str) -> Response:
    """Answer one oct8ne method as JSON, or JSONP when a callback is given."""
    callback = validate_callback(arg(request.args, "callback"))
    found = frame_method(method)
    if found is None:
        raise UnknownMethod(f"unknown method {method[:64]!r}")
    state = current_state()
    if found.same_site and state.cross_site.refuses(request, state.settings, found.name):
        # Another site's page: the answer an anonymous visitor gets, not this visitor's data.
        state = replace(state, resolver=anonymous_resolver)
    return render(found.handler(state, request), callback, 200, _headers(found))


def _callback() -> str | None:
    """The request's callback if it is valid (also when the error came before the view ran)."""
    try:
        return validate_callback(arg(request.args, "callback"))
    except InvalidCallback:
        return None


def adapter_error(error: AdapterError) -> Response:
    """Adapter errors as JSON; as JSONP (a valid callback) inside the callback with 200."""
    payload, status = error_payload(error)
    callback = None if isinstance(error, InvalidCallback) else _callback()
    if status >= 500:
        log.warning("oct8ne %s: %s", request.path, error.message, exc_info=error.__cause__)
    return render_error(payload, callback, status, error_retry_after(error), _headers(_called()))


def http_error(error: HTTPException) -> Response:
    """Werkzeug's HTTP errors as JSON too (JSONP with a valid callback), unless it has its own."""
    if error.response is not None:
        return error.response  # type: ignore[return-value]
    status = error.code or 500
    payload = {"error": "http_error", "message": error.name}
    return render_error(payload, _callback(), status, None, _headers(_called()))


def unexpected_error(error: Exception) -> Response:
    """A bug: logged with its traceback, answered without details."""
    log.exception("oct8ne %s failed", request.path)
    payload = {"error": "internal_error", "message": "the adapter failed to answer"}
    return render_error(payload, _callback(), 500, None, _headers(_called()))


def begin() -> None:
    """Start the access log's clock; apply timed sale prices whose window opened or closed.

    One hook, not one per concern: each hook Flask runs costs about as much as its work here.
    """
    if access_log.isEnabledFor(logging.INFO):
        g.oct8ne_started = time.perf_counter()
    switch = current_state().price_switch
    if switch is not None:
        switch.poll()  # a clock reading when no window opened or closed


def finish(response: Response) -> Response:
    """Security headers on answers built elsewhere (the limiter's 429), one access-log line.

    The frame's own answers got their headers when they were built.
    """
    if "X-Frame-Options" not in response.headers:
        for name, value in _headers(_called()):
            response.headers[name] = value
    if access_log.isEnabledFor(logging.INFO):
        started = g.get("oct8ne_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        # Only the method, status and timing: query strings carry tokens and e-mail addresses.
        access_log.info(
            "frame method=%s status=%d duration_ms=%.1f bytes=%s",
            str((request.view_args or {}).get("method", ""))[:64],
            response.status_code,
            duration_ms,
            response.calculate_content_length(),
        )
    return response


def frame_blueprint(settings: Settings) -> Blueprint:
    """A new frame Blueprint with its hooks, error handlers and the configured rate limits."""
    blueprint = Blueprint(BLUEPRINT_NAME, __name__)
    blueprint.add_url_rule("/frame/<method>", view_func=frame, methods=["GET"])
    # Each method's own spelling as a static rule too: the router matches a static path
    # without trying the variable part's pattern, an eighth of a cached productInfo's time.
    # Added after the variable rule, so that other spellings never look at them.
    for found in FRAME_METHODS:
        blueprint.add_url_rule(
            f"/frame/{found.name}",
            view_func=frame,
            methods=["GET"],
            defaults={"method": found.name},
        )
    blueprint.register_error_handler(AdapterError, adapter_error)
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(Exception, unexpected_error)
    blueprint.before_request(begin)
    blueprint.after_request(finish)
    FrameLimits(settings).install(blueprint)
    return blueprint
