"""Octocom: purchases recorded against the visitor's browser session (spec/octocom-...txt).

`POST {base}/rest/v1/browser-sessions/{browserSessionId}/purchases` with JSON
`{lineItems: [{id, quantity, variant?: {variantId}}], totalPrice, currencyCode, provider}`; no
authentication, 100 requests per minute per IP. 201 is stored; 400 (validation) and 404
("Browser session not found") are final; 429 and 5xx are worth another attempt. Octocom has no
idempotency key, so each delivered request is one more purchase on its side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oct8ne_adapter.events.model import CommerceEvent, EventContext, OrderPlaced
from oct8ne_adapter.events.sinks import common
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Verdict

DEFAULT_BASE_URL = "https://api.octocom.ai"
#: "Rate limit: Maximum 100 requests per minute per IP address."
REQUESTS_PER_MINUTE = 100


class OctocomSink:
    """Sends each placed order as a purchase of the visitor's Octocom browser session."""

    name = "octocom"
    requests_per_minute: int | None = REQUESTS_PER_MINUTE

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, provider: str = "api") -> None:
        self.base_url = base_url.rstrip("/")
        self.provider = provider

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> OctocomSink:
        """Options: `provider` (default "api"), `base_url`."""
        read = common.SinkOptions(cls.name, options, known=("provider",))
        return cls(base_url=read.base_url(DEFAULT_BASE_URL), provider=read.text("provider", "api"))

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """One purchase per placed order; carts and status changes are not Octocom's business."""
        if not isinstance(event, OrderPlaced):
            return []
        session = common.require_uuid(event.visitor.octocom_session, "Octocom browser session id")
        if not event.lines:
            raise InvalidPayload(f"order {event.order_id} has no lines: nothing was purchased")
        line_items: list[dict[str, Any]] = []
        for index, line in enumerate(event.lines):
            item: dict[str, Any] = {
                "id": common.require_text(line.product_id, f"line {index + 1} product id"),
                "quantity": common.require_quantity(line.quantity, f"line {index + 1} quantity"),
            }
            if line.variant_id:
                item["variant"] = {"variantId": line.variant_id}
            line_items.append(item)
        payload = {
            "lineItems": line_items,
            # "totalPrice: number, // Required. Total price of the purchase. Must be positive."
            "totalPrice": common.require_amount(event.total, "total price", positive=True),
            "currencyCode": common.require_currency(event.currency),
            "provider": self.provider,
        }
        return [
            OutboundRequest(
                method="POST",
                url=f"{self.base_url}/rest/v1/browser-sessions/{session}/purchases",
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                body=common.json_body(payload),
            )
        ]

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """201 stored; 400 and 404 (no such browser session) final; 429 and 5xx retried."""
        return common.http_verdict("Octocom", status, headers, body)
