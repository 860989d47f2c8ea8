"""oct8ne: the real-time update ping that refreshes a chatting visitor's widget (API 2.4).

`POST https://{backoffice}platformConnection/update?visitor=<oct8ne-visitor cookie>&what=cart|user`,
the same call as `platform.PlatformClient.update`, expressed as a sink so that recorded events
reach the widget through the relay's retries. oct8ne pulls everything else itself (getCart,
getSalesReport). "If this cookie does not contain any value, it is unnecessary to make the
request": a visitor without an `oct8ne-visitor` cookie is not chatting, and gets no request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from oct8ne_adapter.errors import EventSinkConfigError
from oct8ne_adapter.events.model import CartUpdated, CommerceEvent, EventContext, OrderPlaced
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Verdict
from oct8ne_adapter.events.sinks.common import SinkOptions, http_verdict
from oct8ne_adapter.platform.client import MAX_VISITOR_LENGTH
from oct8ne_adapter.settings import host_path_is_valid

UPDATE_PATH = "platformConnection/update"


class Oct8neSink:
    """Asks oct8ne to refresh the widget: `user` when the visitor signed in or out, then `cart`."""

    name = "oct8ne"
    requests_per_minute: int | None = None

    def __init__(self, base_url: str | Callable[[], str]) -> None:
        # A callable follows the account in force (a new link-up) without restarting workers.
        self._base_url = base_url

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], server: str | Callable[[], str] | None
    ) -> Oct8neSink:
        """Options: `base_url`; else the backoffice host `server` (`backoffice.oct8ne.com/`)."""
        read = SinkOptions(cls.name, options, known=())
        if options.get("base_url") is not None:
            return cls(read.base_url(""))
        if server is None:
            raise EventSinkConfigError(
                "event_sinks.oct8ne needs the oct8ne backoffice host: link the shop "
                "(oct8ne-adapter linkup) or set base_url"
            )
        if callable(server):
            host_of = server
            # Checked when used: the account in force may change after start-up.
            return cls(lambda: _backoffice_url(host_of(), InvalidPayload))
        return cls(_backoffice_url(server, EventSinkConfigError))

    @property
    def base_url(self) -> str:
        """Where the update goes, e.g. `https://backoffice.oct8ne.com`."""
        return self._base_url() if callable(self._base_url) else self._base_url

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """One ping per topic the event changed; none for a visitor who is not chatting."""
        if isinstance(event, CartUpdated):
            topics = []
            previous = context.previous_cart
            if previous is not None and (
                previous.customer_id != event.customer_id or previous.logged_in != event.logged_in
            ):
                topics.append("user")
            topics.append("cart")
        elif isinstance(event, OrderPlaced):
            # The order consumed the cart the widget shows.
            topics = ["cart"]
        else:
            return []
        visitor = (event.visitor.oct8ne_visitor or "").strip()
        if not visitor or len(visitor) > MAX_VISITOR_LENGTH or not visitor.isprintable():
            return []
        base = self.base_url
        return [
            OutboundRequest(
                method="POST",
                url=f"{base}/{UPDATE_PATH}?{urlencode({'visitor': visitor, 'what': topic})}",
            )
            for topic in topics
        ]

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """ "This method does not return any value": 2xx is done, 429/5xx retried, 4xx final."""
        return http_verdict("oct8ne", status, headers, body)


def _backoffice_url(server: str, error: type[Exception]) -> str:
    """`backoffice.oct8ne.com/` (the protocol's host form) as `https://backoffice.oct8ne.com`."""
    if not host_path_is_valid(server):
        raise error(f"oct8ne backoffice host {server[:80]!r} is not a host name")
    return "https://" + server.rstrip("/")
