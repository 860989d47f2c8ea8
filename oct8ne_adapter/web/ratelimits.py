"""Per-IP rate limits on the frame methods (Flask-Limiter), strict where a token is checked.

Each method counts in its own bucket when `ratelimits` names it (getOrders, getOrderDetails: a
low limit stops token guessing) and in a shared bucket at `ratelimit_default` otherwise. Counters
live in memory by default; `ratelimit_storage = "redis://..."` shares them between workers and
machines. If that storage fails, requests are served (the error is logged), not refused.
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Flask, Response, request
from flask.blueprints import BlueprintSetupState
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from oct8ne_adapter.errors import InvalidCallback
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.methods import frame_method
from oct8ne_adapter.web.responses import render_error, validate_callback


def _group() -> str:
    """The called method's rate-limit group (see `FrameMethod.rate_limit_group`)."""
    name = str((request.view_args or {}).get("method", "")).lower()
    method = frame_method(name)
    return method.rate_limit_group if method is not None else name


def _breach_response(limit: RequestLimit) -> Response:
    """429 with Retry-After as JSON; as JSONP, 200 with `retryAfter` inside the callback."""
    # One number for the header, the body's `retryAfter` and its message.
    # The storage rounds its reset time up to a whole second: never more than the window.
    window = limit.limit.get_expiry()
    retry_after = max(1, min(window, math.ceil(limit.reset_at - time.time())))
    try:
        callback = validate_callback(request.args.get("callback"))
    except InvalidCallback:
        callback = None
    payload = {
        "error": "rate_limited",
        "message": f"too many requests: retry in {retry_after} s",
    }
    return render_error(payload, callback, 429, retry_after)


class FrameLimits:
    """The configured limits of the frame methods, put on a frame Blueprint's app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def limit(self) -> str:
        """The limit of the called method: its own if `ratelimits` names it, else the default."""
        return self.settings.ratelimits.methods.get(_group(), self.settings.ratelimits.default)

    def scope(self, _endpoint: str) -> str:
        """The called method's bucket: its own if `ratelimits` names it, else the shared one."""
        group = _group()
        return f"frame:{group}" if group in self.settings.ratelimits.methods else "frame:default"

    def install(self, blueprint: Blueprint) -> None:
        """Limit `blueprint` on every app it is registered on (one Limiter per app)."""

        def attach(setup: BlueprintSetupState) -> None:
            app = setup.app
            assert isinstance(app, Flask)  # a Flask Blueprint is registered on a Flask app
            self.attach(app, blueprint)

        blueprint.record_once(attach)

    def attach(self, app: Flask, blueprint: Blueprint) -> Limiter:
        """A Limiter on `app` that limits `blueprint`'s methods as configured."""
        settings = self.settings
        limiter = Limiter(
            key_func=get_remote_address,
            app=app,
            storage_uri=settings.ratelimits.storage,
            enabled=settings.ratelimits.enabled,
            # Flask-Limiter's headers put Retry-After on every answer (and a second off ours
            # on a 429): the 429 sets its own, and JSONP carries it in the body.
            headers_enabled=False,
            key_prefix="oct8ne",
            swallow_errors=True,
        )
        limiter.limit(self.limit, scope=self.scope, on_breach=_breach_response)(blueprint)
        return limiter
