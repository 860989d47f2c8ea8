"""Per-IP rate limits on the public frame methods (Flask-Limiter).

Each method counts in its own bucket when `ratelimits` names it and in a shared bucket at
`ratelimit_default` otherwise. The token-checked methods have no per-address limit: oct8ne's
servers call them for many agents from a few addresses; failed token checks are limited by
`web.auth_limiter` instead. Counters live in memory by default; `ratelimit_storage =
"redis://..."` shares them between workers and machines. If that storage fails, requests are
served (the error is logged), not refused.

Behind a proxy that is not configured (`proxy_fix_hops = 0`), every visitor arrives from the
proxy's address and a per-address limit would be one limit for the whole shop: a request from a
loopback or private address carrying `X-Forwarded-For` is then not limited, and the first one
is logged at warning level.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from flask import Blueprint, Flask, Response, request
from flask.blueprints import BlueprintSetupState
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from oct8ne_adapter.errors import ConfigError, InvalidCallback
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.methods import FRAME_METHODS, frame_method
from oct8ne_adapter.web.responses import render_error, validate_callback

log = logging.getLogger(__name__)

#: The token-checked methods: limited by failed checks (web.auth_limiter), never per address.
TOKEN_METHODS = frozenset(method.key for method in FRAME_METHODS if method.token_checked)


#: Where a proxy of the shop's own sits: loopback, RFC 1918, carrier-grade NAT, IPv6 unique local
#: and link-local. (`ipaddress.is_private` also counts the documentation ranges, which reach no
#: real server and would make a test's "public" address a proxy.)
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def _is_internal(address: str | None) -> bool:
    """A loopback or private address: a proxy on this host or network, not a visitor."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in INTERNAL_NETWORKS)


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
        named = sorted(TOKEN_METHODS & set(settings.ratelimits.methods))
        if named:
            raise ConfigError(
                f"ratelimits: {', '.join(named)} cannot have a per-address limit (oct8ne calls "
                "them from a few addresses); failed token checks are limited by "
                "auth_failure_limit"
            )
        self.settings = settings
        self._warned_proxy = False

    def exempt(self) -> bool:
        """Token methods, and every request through an unconfigured proxy, are not limited."""
        method = frame_method(str((request.view_args or {}).get("method", "")))
        if method is not None and method.token_checked:
            return True
        if self.settings.proxy_fix_hops or "X-Forwarded-For" not in request.headers:
            return False
        if not _is_internal(request.remote_addr):
            return False
        if not self._warned_proxy:
            self._warned_proxy = True
            log.warning(
                "requests come through a proxy (X-Forwarded-For from %s) but proxy_fix_hops is "
                "0: per-address rate limits are not applied (they would be one limit for the "
                "whole shop); set proxy_fix_hops to the number of proxies",
                request.remote_addr,
            )
        return True

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
        limiter.limit(
            self.limit, scope=self.scope, on_breach=_breach_response, exempt_when=self.exempt
        )(blueprint)
        return limiter
