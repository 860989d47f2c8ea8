"""PA: purchase events, and Price Beat coupons marked as used (spec/pa-purchase-event.txt).

`POST {endpoint}/3.0/events/purchases` with `Authorization: Bearer <token>` and the purchase as
JSON (customerId, sessionId, events[...]). 202 Accepted is stored; 400 carries validation
`errors` (final: the reason lists them). When the order carries Price Beat promotion codes and
the shop gave its PA `client_id`, each code is then marked as used,
`GET {mark_as_used_base}/b2b/coupon/mark_as_used?code=..&client=..`, as separate requests of the
same delivery, after the purchase. Shops whose confirmation page runs PA's JavaScript tag leave
`client_id` out: the tag marks the coupons itself ("you don't need to make the additional API
call").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from oct8ne_adapter.events.model import CommerceEvent, EventContext, OrderPlaced
from oct8ne_adapter.events.sinks import common
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Verdict

PURCHASES_PATH = "/3.0/events/purchases"
MARK_AS_USED_PATH = "/b2b/coupon/mark_as_used"
DEFAULT_MARK_AS_USED_BASE = "https://extension.api.similarinc.com"


class PaSink:
    """Placed orders as PA purchase events, then their Price Beat codes marked as used."""

    name = "pa"
    requests_per_minute: int | None = None

    def __init__(
        self,
        *,
        endpoint: str,
        access_token: str,
        client_id: str | None = None,
        mark_as_used_base: str = DEFAULT_MARK_AS_USED_BASE,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.access_token = access_token
        self.client_id = client_id
        self.mark_as_used_base = mark_as_used_base.rstrip("/")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PaSink:
        """Options: `endpoint` and `access_token` (required), `client_id`, `mark_as_used_base`.

        `base_url` replaces both hosts (the endpoint and the mark-as-used host).
        """
        read = common.SinkOptions(
            cls.name,
            options,
            known=("endpoint", "access_token", "client_id", "mark_as_used_base"),
        )
        override = read.url("base_url") if options.get("base_url") is not None else None
        return cls(
            endpoint=override or read.url("endpoint"),
            access_token=read.text("access_token"),
            client_id=read.optional_text("client_id"),
            mark_as_used_base=override or read.url("mark_as_used_base", DEFAULT_MARK_AS_USED_BASE),
        )

    def __repr__(self) -> str:
        return f"PaSink(endpoint={self.endpoint!r}, access_token='***')"

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """The purchase, then one mark-as-used per Price Beat code (with a `client_id`)."""
        if not isinstance(event, OrderPlaced):
            return []
        requests = [
            OutboundRequest(
                method="POST",
                url=self.endpoint + PURCHASES_PATH,
                headers={
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Authorization": f"Bearer {self.access_token}",
                },
                body=common.json_body(self._purchase(event)),
            )
        ]
        if self.client_id:
            for promotion in event.promotion_codes:
                query = urlencode({"code": promotion.code, "client": self.client_id})
                requests.append(
                    OutboundRequest(
                        method="GET", url=f"{self.mark_as_used_base}{MARK_AS_USED_PATH}?{query}"
                    )
                )
        return requests

    def _purchase(self, order: OrderPlaced) -> dict[str, Any]:
        if not order.lines:
            # "At least one product's information is required."
            raise InvalidPayload(f"order {order.order_id} has no lines: PA needs one product")
        products: list[dict[str, Any]] = []
        for index, line in enumerate(order.lines, start=1):
            product: dict[str, Any] = {
                "refId": common.require_text(line.product_id, f"line {index} product id"),
                "quantity": common.require_quantity(line.quantity, f"line {index} quantity"),
                "unitPrice": common.require_amount(line.unit_price, f"line {index} unit price"),
                # "Total price for this product (quantity × unit price)."
                "totalPrice": line.total,
                "isOnSale": line.on_sale,
            }
            if line.discount is not None:
                product["discount"] = common.require_amount(line.discount, f"line {index} discount")
            if line.coupon_code:
                product["couponCode"] = line.coupon_code
            products.append(product)
        purchase: dict[str, Any] = {}
        if order.page_url:
            purchase["currentUrl"] = order.page_url
        purchase.update(
            {
                "eventTime": common.utc_timestamp(order.occurred_at),
                "orderNumber": common.require_text(order.order_id, "order number"),
                "subTotal": common.require_amount(order.subtotal, "subtotal"),
                "totalPrice": common.require_amount(order.total, "total price"),
                "currencyCode": common.require_currency(order.currency),
                "deliveryFee": common.require_amount(order.delivery_fee, "delivery fee"),
                "taxAmount": common.require_amount(order.tax, "tax amount"),
                "products": products,
            }
        )
        if order.promotion_codes:
            purchase["PriceBeatPromotionCodes"] = [
                {
                    "Code": common.require_text(promotion.code, "Price Beat code"),
                    "Value": common.require_amount(promotion.value, "Price Beat value"),
                }
                for promotion in order.promotion_codes
            ]
        return {
            # customerId and sessionId are GUIDs issued by PA's Config API.
            "customerId": common.require_uuid(order.visitor.pa_customer, "PA customerId"),
            "sessionId": common.require_uuid(order.visitor.pa_session, "PA sessionId"),
            "events": [purchase],
        }

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """202 stored; 400 final with PA's validation messages; 401/403, 429, 5xx retried."""
        if urlsplit(request.url).path.endswith(MARK_AS_USED_PATH):
            return common.http_verdict("PA mark-as-used", status, headers, body)
        if 200 <= status < 300:
            return Verdict(Outcome.DELIVERED)
        if status in (401, 403):
            # A token that expired or was replaced: the events are fine, so they wait (until the
            # relay's attempt limit) for the shop to configure a working one.
            return Verdict(
                Outcome.RETRY,
                f"PA refused the access token (HTTP {status})",
                common.retry_after_seconds(headers),
            )
        if status == 400:
            return Verdict(Outcome.REJECTED, "PA: " + _validation_errors(body))
        return common.http_verdict("PA", status, headers, body)


def _validation_errors(body: bytes) -> str:
    """`field: message; ...` from PA's problem answer, or the answer's text."""
    answer = common.json_answer(body)
    errors = answer.get("errors") if isinstance(answer, Mapping) else None
    if isinstance(errors, Mapping) and errors:
        parts = []
        for field, messages in errors.items():
            texts = messages if isinstance(messages, list) else [messages]
            parts.append(f"{field}: {' '.join(str(text) for text in texts)}")
        return "; ".join(parts)[:500]
    title = answer.get("title") if isinstance(answer, Mapping) else None
    return str(title) if title else common.answer_text(body) or "HTTP 400 without a reason"
