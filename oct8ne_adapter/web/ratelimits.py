"""Per-IP rate limits on the frame methods (Flask-Limiter), strict where a token is checked.

Each method counts in its own bucket when `ratelimits` names it (getOrders, getOrderDetails: a
low limit stops token guessing) and in a shared bucket at `ratelimit_default` otherwise. Counters
live in memory by default; `ratelimit_storage = "redis://..."` shares them between workers and
machines. If that storage fails, requests are served (the error is logged), not refused.
"""

from __future__ import annotations

import math
import time
from functools import partial

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from oct8ne_adapter.errors import InvalidCallback
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.frame import frame_blueprint
from oct8ne_adapter.web.responses import render, validate_callback

HEALTH_ENDPOINT = "oct8ne_operations.health"


def _method() -> str:
    return str((request.view_args or {}).get("method", "")).lower()


def _limit_for(settings: Settings) -> str:
    return settings.ratelimits.get(_method(), settings.ratelimit_default)


def _scope_for(settings: Settings, _endpoint: str) -> str:
    method = _method()
    return f"frame:{method}" if method in settings.ratelimits else "frame:default"


def _breach_response(limit: RequestLimit) -> Response:
    """429 as JSON, or JSONP when the request carried a valid callback, with Retry-After."""
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    try:
        callback = validate_callback(request.args.get("callback"))
    except InvalidCallback:
        callback = None
    payload = {
        "error": "rate_limited",
        "message": f"too many requests: retry in {retry_after} s",
    }
    response = render(payload, callback, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Attach a Limiter to `app` that limits the frame methods as configured."""
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage,
        enabled=settings.ratelimit_enabled,
        headers_enabled=True,
        key_prefix="oct8ne",
        swallow_errors=True,
    )
    limiter.limit(
        partial(_limit_for, settings),
        scope=partial(_scope_for, settings),
        on_breach=_breach_response,
    )(frame_blueprint)
    return limiter
