"""`GET /oct8ne/metrics`: Prometheus metrics, off unless `metrics_enabled`, for allowed addresses.

The frame's calls are counted through Flask's `request_started`/`request_finished` signals, so
no view or hook of the frame changes; token and secret checks report their failures with
`web.signals.record_failed_authentication`, which the metrics listen to. The figures
themselves are in `web/prometheus.py`. Off, the URL does not exist (404); on, an address outside
`metrics_allow` gets a 403 (the address is the one ProxyFix gives: `proxy_fix_hops`).
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, g, request
from flask.signals import request_finished, request_started

from oct8ne_adapter.web.frame import BLUEPRINT_NAME as FRAME_BLUEPRINT
from oct8ne_adapter.web.methods import frame_method
from oct8ne_adapter.web.responses import render
from oct8ne_adapter.web.signals import authentication_failed

if TYPE_CHECKING:
    from oct8ne_adapter.search.index import IndexedSearchEngine
    from oct8ne_adapter.web.prometheus import AppMetrics
    from oct8ne_adapter.web.state import AdapterState

BLUEPRINT_NAME = "oct8ne_metrics"
FRAME_ENDPOINT = f"{FRAME_BLUEPRINT}.frame"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether the client address is in one of the networks (IPv4-mapped IPv6 as IPv4)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class FrameObserver:
    """Feeds one app's metrics from Flask's signals; connected with that app as the sender."""

    def __init__(self, metrics: AppMetrics) -> None:
        self.metrics = metrics

    def connect(self, app: Flask) -> None:
        """Listen to `app`'s requests and failed checks (strongly held: the app owns them)."""
        request_started.connect(self.started, sender=app, weak=False)
        request_finished.connect(self.finished, sender=app, weak=False)
        authentication_failed.connect(self.failed, sender=app, weak=False)

    def started(self, _app: Flask, **_extra: Any) -> None:
        """A frame call starts: note the time (before the rate limit and every hook)."""
        if request.endpoint == FRAME_ENDPOINT:
            g.oct8ne_metrics_started = time.perf_counter()

    def finished(self, _app: Flask, response: Response, **_extra: Any) -> None:
        """A frame call was answered: count it by method and status; a 429 is a refusal."""
        started = g.pop("oct8ne_metrics_started", None)
        if request.endpoint != FRAME_ENDPOINT or started is None:
            return
        # The table's spelling, never the caller's: the label's values stay the known methods.
        found = frame_method(str((request.view_args or {}).get("method", "")))
        method = found.name if found is not None else "unknown"
        self.metrics.frame_answered(method, response.status_code, time.perf_counter() - started)

    def failed(self, _app: Flask, credential: str, **_extra: Any) -> None:
        """A token or secret check failed."""
        self.metrics.failed_authentication(credential)


def metrics_blueprint(metrics: AppMetrics, allowed: tuple[Network, ...]) -> Blueprint:
    """A new Blueprint with `/metrics`, answering the allowed addresses only."""
    blueprint = Blueprint(BLUEPRINT_NAME, __name__)

    def scrape() -> Response:
        if not address_allowed(request.remote_addr, allowed):
            message = "this address may not read the metrics (see metrics_allow)"
            return render({"error": "forbidden", "message": message}, None, 403)
        body, content_type = metrics.exposition()
        response = Response(body, content_type=content_type)
        response.headers["Cache-Control"] = "no-store"
        return response

    blueprint.add_url_rule("/metrics", endpoint="metrics", view_func=scrape, methods=["GET"])
    return blueprint


def install_metrics(
    app: Flask, state: AdapterState, index: IndexedSearchEngine | None, url_prefix: str
) -> None:
    """With `metrics_enabled`: count `app`'s frame calls and serve `<url_prefix>/metrics`."""
    settings = state.settings.metrics
    if not settings.enabled:
        return
    from oct8ne_adapter.web.prometheus import AppMetrics

    metrics = AppMetrics(state.database)
    FrameObserver(metrics).connect(app)
    if index is not None:
        index.listeners.append(metrics.index_caught_up)
    allowed = tuple(ipaddress.ip_network(item, strict=False) for item in settings.allow)
    app.register_blueprint(metrics_blueprint(metrics, allowed), url_prefix=url_prefix)
