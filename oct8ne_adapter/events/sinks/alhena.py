"""Alhena: cart and checkout events for its revenue attribution (spec/alhena-...txt).

`POST {https://app.alhena.ai | https://eu.alhena.ai}/analytics/cart_events` and
`/analytics/checkout_events`, JSON, each with the company key and both visitor fingerprints.

Alhena takes cart *changes* (ITEM_ADDED, QUANTITY_INCREASED, QUANTITY_DECREASED, ITEM_REMOVED,
`quantity` being the quantity after the change); the shop records cart *snapshots*, so the
changes are found by comparing a snapshot with the one recorded before it. Alhena checks the
history of each product (PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND,
PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND): a decrease must follow an increase. So a product
that first appears with quantity 3 is sent as ITEM_ADDED (quantity 1) then QUANTITY_INCREASED
(quantity 3): that history is valid however strictly Alhena reads it, and a later decrease to 2
is then accepted too, where a lone ITEM_ADDED of 3 followed by a decrease would be refused.

Answers, by the code in the body (whatever the HTTP status):
- ORDER_ALREADY_EXISTS: the order was recorded before (e.g. our earlier attempt did reach
  Alhena): delivered.
- MISSING_REQUIRED_FIELDS, COMPANY_NOT_FOUND: final, fix the payload or the company key.
- ACTIVE_TICKET_NOT_FOUND: the visitor never used the chat or the Product FAQs, and Alhena
  records events only for those who did ("Session requirement"). Asking again cannot change
  that past, so it is final (rejected, with that reason): not an error of the shop.
- PREVIOUS_..._EVENT_NOT_FOUND: final. The relay delivers one cart's snapshots to a vendor in
  the order they were recorded, each after the one before it is finished, so the earlier change
  Alhena misses was refused for good (typically ACTIVE_TICKET_NOT_FOUND before the visitor
  first chatted): waiting would only hold back the cart's later snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision

from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventContext,
    EventLine,
    OrderPlaced,
    VisitorIds,
)
from oct8ne_adapter.events.sinks import common
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Verdict

REGION_BASE_URLS = {"us": "https://app.alhena.ai", "eu": "https://eu.alhena.ai"}
CART_PATH = "/analytics/cart_events"
CHECKOUT_PATH = "/analytics/checkout_events"
#: The documented error codes, and what each means for the delivery.
ERROR_OUTCOMES = {
    "ORDER_ALREADY_EXISTS": Outcome.DELIVERED,
    "MISSING_REQUIRED_FIELDS": Outcome.REJECTED,
    "COMPANY_NOT_FOUND": Outcome.REJECTED,
    "ACTIVE_TICKET_NOT_FOUND": Outcome.REJECTED,
    "PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND": Outcome.REJECTED,
    "PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND": Outcome.REJECTED,
}
_REASONS = {
    "ORDER_ALREADY_EXISTS": "Alhena already has this order",
    "ACTIVE_TICKET_NOT_FOUND": (
        "the visitor never used Alhena's chat or FAQs, so Alhena records no events for them"
    ),
    "PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND": "an earlier change of this product was refused",
    "PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND": "an earlier change of this product was refused",
}


@dataclass(frozen=True)
class _ProductInCart:
    """One product's place in a cart: lines of several variants of it are added up."""

    name: str
    quantity: int
    unit_value: Decimal


class AlhenaSink:
    """Cart changes and checkouts, for visitors with Alhena fingerprints."""

    name = "alhena"
    requests_per_minute: int | None = None

    def __init__(self, *, company_key: str, base_url: str, source: str = "CUSTOM") -> None:
        self.company_key = company_key
        self.base_url = base_url.rstrip("/")
        self.source = source

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AlhenaSink:
        """Options: `company_key` (required), `region` us|eu (default us), `source`, `base_url`."""
        read = common.SinkOptions(cls.name, options, known=("company_key", "region", "source"))
        region = read.choice("region", tuple(REGION_BASE_URLS), "us")
        return cls(
            company_key=read.text("company_key"),
            base_url=read.base_url(REGION_BASE_URLS[region]),
            source=read.text("source", "CUSTOM"),
        )

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """Cart events from the change since the previous snapshot; a checkout per order."""
        if isinstance(event, CartUpdated):
            return [self._request(CART_PATH, body) for body in self._cart_events(event, context)]
        if isinstance(event, OrderPlaced):
            return [self._request(CHECKOUT_PATH, self._checkout(event))]
        return []

    def _identity(self, visitor_ids: VisitorIds) -> dict[str, Any]:
        return {
            "company_key": self.company_key,
            "user_fingerprint": common.require_text(
                visitor_ids.alhena_fingerprint, "Alhena fingerprint"
            ),
            "user_faq_fingerprint": common.require_text(
                visitor_ids.alhena_faq_fingerprint, "Alhena FAQ fingerprint"
            ),
        }

    def _cart_events(self, cart: CartUpdated, context: EventContext) -> list[dict[str, Any]]:
        identity = self._identity(cart.visitor)
        currency = common.require_currency(cart.currency)
        now = _products(cart.lines, currency)
        previous = context.previous_cart
        before = _products(previous.lines, previous.currency) if previous else {}
        changes: list[tuple[str, str, _ProductInCart, int]] = []
        for product_id, product in now.items():
            earlier = before.get(product_id)
            if earlier is None:
                # ITEM_ADDED then QUANTITY_INCREASED: a history every later change fits (above).
                changes.append(("ITEM_ADDED", product_id, product, 1))
                if product.quantity > 1:
                    changes.append(("QUANTITY_INCREASED", product_id, product, product.quantity))
            elif product.quantity > earlier.quantity:
                changes.append(("QUANTITY_INCREASED", product_id, product, product.quantity))
            elif product.quantity < earlier.quantity:
                changes.append(("QUANTITY_DECREASED", product_id, product, product.quantity))
        for product_id, product in before.items():
            if product_id not in now:
                changes.append(("ITEM_REMOVED", product_id, product, 0))
        return [
            {
                **identity,
                "type": kind,
                "product_id": product_id,
                "product_name": product.name,
                # "value: Price after discounts": the unit price, beside the quantity.
                "value": product.unit_value,
                "currency": currency,
                "quantity": quantity,
                "source": self.source,
            }
            for kind, product_id, product, quantity in changes
        ]

    def _checkout(self, order: OrderPlaced) -> dict[str, Any]:
        identity = self._identity(order.visitor)
        currency = common.require_currency(order.currency)
        if not order.lines:
            raise InvalidPayload(f"order {order.order_id} has no lines: nothing was purchased")
        order_id = common.require_text(order.order_id, "order id")
        line_items = [
            {
                "product_id": common.require_text(line.product_id, f"line {index} product id"),
                "product_name": common.require_text(line.name, f"line {index} product name"),
                "quantity": common.require_quantity(line.quantity, f"line {index} quantity"),
                "value": common.require_amount(line.total, f"line {index} value"),
                "currency": currency,
            }
            for index, line in enumerate(order.lines, start=1)
        ]
        return {
            **identity,
            "value": common.require_amount(order.total, "order value"),
            "currency": currency,
            # The field table and the payload example say `orderId`; the curl example says
            # `order_id`. Both carry the same value: Alhena finds the order id whichever it
            # reads, and ORDER_ALREADY_EXISTS keeps protecting us from a second copy after a
            # retry. (The examples show Alhena takes fields beyond its table, e.g. `source`.)
            "orderId": order_id,
            "order_id": order_id,
            "line_items": line_items,
        }

    def _request(self, path: str, payload: Mapping[str, Any]) -> OutboundRequest:
        return OutboundRequest(
            method="POST",
            url=self.base_url + path,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=common.json_body(payload),
        )

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """By Alhena's error code when the answer carries one, else by the HTTP status."""
        code = _error_code(body)
        if code is not None:
            reason = f"Alhena: {code}" + (f" ({_REASONS[code]})" if code in _REASONS else "")
            return Verdict(ERROR_OUTCOMES[code], reason)
        if 200 <= status < 300:
            answer = common.json_answer(body)
            if isinstance(answer, Mapping) and answer.get("status") not in (None, "success"):
                return Verdict(Outcome.REJECTED, f"Alhena answered {common.answer_text(body)}")
        return common.http_verdict("Alhena", status, headers, body)


def _products(lines: Iterable[EventLine], currency: str) -> dict[str, _ProductInCart]:
    """A cart's products in order of first appearance, with the quantities of their variants."""
    grouped: dict[str, list[EventLine]] = {}
    for index, line in enumerate(lines, start=1):
        common.require_quantity(line.quantity, f"cart line {index} quantity")
        common.require_amount(line.unit_price, f"cart line {index} price")
        product_id = common.require_text(line.product_id, f"cart line {index} product id")
        grouped.setdefault(product_id, []).append(line)
    products: dict[str, _ProductInCart] = {}
    for product_id, group in grouped.items():
        quantity = sum(line.quantity for line in group)
        prices = {line.unit_price for line in group}
        if len(prices) == 1:
            unit_value = prices.pop()
        else:
            # Variants at different prices: their mean, to the currency's minor unit.
            exponent = Decimal(1).scaleb(-get_currency_precision(currency))
            unit_value = (sum((line.total for line in group), Decimal(0)) / quantity).quantize(
                exponent
            )
        name = common.require_text(group[0].name, f"name of product {product_id}")
        products[product_id] = _ProductInCart(name, quantity, unit_value)
    return products


def _error_code(body: bytes) -> str | None:
    """The first documented error code in the answer (its JSON strings, or its plain text)."""
    answer = common.json_answer(body)
    texts = list(_strings(answer)) if answer is not None else [common.answer_text(body)]
    for text in texts:
        for code in ERROR_OUTCOMES:
            if code in text:
                return code
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
