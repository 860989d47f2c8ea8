"""Optico: carts and orders upserted for its call-centre view (spec/optico-cart-api.txt).

`POST {base}/api/customer-cart` and `/api/customer-order`, form-urlencoded with PHP-style
brackets (`products[0][id]`, `products[0][details][dimensions][width]`), the API `key` as a
field, a 5 second timeout. Both are idempotent on our `id`, so a repeated request is harmless.
Optico answers 200 to everything: `{"status": "success"}`, or `{"status": "error", "message"}`,
which is final ("Do not retry on a JSON {"status":"error"} body"); timeouts and 5xx are retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventContext,
    EventLine,
    OrderPlaced,
    OrderStatusChanged,
)
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Verdict
from oct8ne_adapter.events.sinks.common import (
    SinkOptions,
    answer_text,
    form_body,
    http_verdict,
    json_answer,
    require_amount,
    require_currency,
    require_quantity,
    require_text,
)

DEFAULT_BASE_URL = "https://www.optico.fr"
CART_PATH = "/api/customer-cart"
ORDER_PATH = "/api/customer-order"
#: "Use a 5-second client timeout."
TIMEOUT_SECONDS = 5.0


class OpticoSink:
    """Every cart snapshot, order and order status change, for visitors with an Optico visit id."""

    name = "optico"
    requests_per_minute: int | None = None

    def __init__(self, *, key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> OpticoSink:
        """Options: `key` (required, the API key), `base_url`."""
        read = SinkOptions(cls.name, options, known=("key",))
        return cls(key=read.text("key"), base_url=read.base_url(DEFAULT_BASE_URL))

    def __repr__(self) -> str:
        return f"OpticoSink(base_url={self.base_url!r}, key='***')"

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """The cart, or the whole order (again, with its new status on a status change)."""
        if isinstance(event, CartUpdated):
            if not event.lines:
                # `products` is required and a form cannot carry an empty array: Optico has no
                # way to hear of an emptied cart, so there is nothing to send.
                return []
            fields = [
                ("key", self.key),
                ("id", require_text(event.cart_id, "cart id")),
                ("currency", require_currency(event.currency)),
                ("visit_id", require_text(event.visitor.optico_visit, "Optico visit id")),
                ("is_logged_in", 1 if event.logged_in else 0),
                ("products", _products(event.lines)),
            ]
            return [self._request(CART_PATH, fields)]
        if isinstance(event, OrderStatusChanged):
            if context.order is None or context.order.order_id != event.order_id:
                raise InvalidPayload(
                    f"order {event.order_id} was never recorded: Optico needs the whole order"
                )
            return [
                self._request(ORDER_PATH, self._order(replace(context.order, status=event.status)))
            ]
        return [self._request(ORDER_PATH, self._order(event))]

    def _order(self, order: OrderPlaced) -> list[tuple[str, Any]]:
        if not order.lines:
            raise InvalidPayload(f"order {order.order_id} has no lines: nothing was purchased")
        return [
            ("key", self.key),
            ("id", require_text(order.order_id, "order id")),
            ("cart_id", require_text(order.cart_id, "cart id of the order")),
            ("currency", require_currency(order.currency)),
            ("visit_id", require_text(order.visitor.optico_visit, "Optico visit id")),
            ("status", require_text(order.status, "order status")),
            ("products", _products(order.lines)),
        ]

    def _request(self, path: str, fields: Sequence[tuple[str, Any]]) -> OutboundRequest:
        return OutboundRequest(
            method="POST",
            url=self.base_url + path,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            body=form_body(fields),
            timeout_seconds=TIMEOUT_SECONDS,
        )

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """The envelope's `status` decides; an answer without the envelope is retried."""
        if not 200 <= status < 300:
            return http_verdict("Optico", status, headers, body)
        answer = json_answer(body)
        state = answer.get("status") if isinstance(answer, Mapping) else None
        if state == "success":
            return Verdict(Outcome.DELIVERED)
        if state == "error":
            message = answer.get("message") if isinstance(answer, Mapping) else None
            return Verdict(Outcome.REJECTED, f"Optico: {message or 'error without a message'}")
        # A 200 that is not Optico's envelope (a proxy's or maintenance page): ask again later.
        return Verdict(
            Outcome.RETRY, f"Optico answered without its status envelope: {answer_text(body)}"
        )


def _products(lines: Sequence[EventLine]) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for index, line in enumerate(lines, start=1):
        product: dict[str, Any] = {
            "id": require_text(line.product_id, f"line {index} product id"),
            "name": require_text(line.name, f"line {index} product name"),
            "quantity": require_quantity(line.quantity, f"line {index} quantity"),
            # "price: float, Unit price"
            "price": require_amount(line.unit_price, f"line {index} price"),
        }
        if line.details:
            product["details"] = line.details
        products.append(product)
    return products
