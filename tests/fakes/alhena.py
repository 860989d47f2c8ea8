"""The fake Alhena: cart and checkout events, with per-visitor product histories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.vendor_server import FakeVendor, Received, Reply, is_currency_code, is_number, is_text

CART_EVENT_TYPES = ("ITEM_ADDED", "QUANTITY_INCREASED", "QUANTITY_DECREASED", "ITEM_REMOVED")


def alhena_error(code: str, status: int = 400) -> Reply:
    """How the fake Alhena answers a documented error code."""
    return Reply(status, {"status": "error", "error_code": code, "message": code})


@dataclass
class _AlhenaProduct:
    quantity: int
    increased: bool = False


class FakeAlhena(FakeVendor):
    """Alhena's cart and checkout event endpoints, with per-visitor product histories.

    The history rules are the strictest reading of the error codes: every change of a product
    needs an ITEM_ADDED before it (PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND), and a decrease needs an
    increase before it (PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND).
    """

    name = "alhena"
    documented_errors = {
        code: alhena_error(code, 409 if code == "ORDER_ALREADY_EXISTS" else 400)
        for code in (
            "MISSING_REQUIRED_FIELDS",
            "COMPANY_NOT_FOUND",
            "ACTIVE_TICKET_NOT_FOUND",
            "PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND",
            "PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND",
            "ORDER_ALREADY_EXISTS",
        )
    } | {"server_error": Reply(502, b"Bad Gateway", (("Content-Type", "text/html"),))}

    def __init__(self, company_key: str) -> None:
        super().__init__()
        self.company_key = company_key
        #: Fingerprints of visitors who used the chat or FAQs ("Session requirement").
        self.active: set[str] = set()
        self.cart_events: list[dict[str, Any]] = []
        self.checkouts: list[dict[str, Any]] = []
        self._order_ids: set[str] = set()
        self._carts: dict[tuple[str, str], _AlhenaProduct] = {}

    def add_active_visitor(self, fingerprint: str) -> None:
        """A visitor who interacted with the chat widget or Product FAQs."""
        self.active.add(fingerprint)

    def quantities(self, fingerprint: str) -> dict[str, int]:
        """The cart Alhena believes the visitor has, from the events it accepted."""
        return {
            product: state.quantity
            for (visitor, product), state in self._carts.items()
            if visitor == fingerprint and state.quantity > 0
        }

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method == "POST" and request.path == "/analytics/cart_events":
            return self._cart_event(request, store)
        if request.method == "POST" and request.path == "/analytics/checkout_events":
            return self._checkout_event(request, store)
        request.problems.append("not POST /analytics/cart_events or /analytics/checkout_events")
        return Reply(404, {"detail": "Not Found"})

    def _common(
        self, request: Received, body: Any, fields: dict[str, Callable[[Any], bool]]
    ) -> Reply | None:
        """The checks both endpoints share; the refusal, or None to go on."""
        if not isinstance(body, dict):
            request.problems.append("the body is not a JSON object")
            return alhena_error("MISSING_REQUIRED_FIELDS")
        missing = [name for name in fields if body.get(name) in (None, "")]
        wrong = [
            name for name, valid in fields.items() if name not in missing and not valid(body[name])
        ]
        for name in missing:
            request.problems.append(f"{name} is missing")
        for name in wrong:
            request.problems.append(f"{name} is {body[name]!r}")
        if missing or wrong:
            return alhena_error("MISSING_REQUIRED_FIELDS")
        if body["company_key"] != self.company_key:
            return alhena_error("COMPANY_NOT_FOUND", 404)
        if body["user_fingerprint"] not in self.active:
            return alhena_error("ACTIVE_TICKET_NOT_FOUND", 404)
        return None

    def _cart_event(self, request: Received, store: bool) -> Reply:
        body = self.read_json(request)
        refusal = self._common(
            request,
            body,
            {
                "company_key": is_text,
                "user_fingerprint": is_text,
                "user_faq_fingerprint": is_text,
                "type": lambda value: value in CART_EVENT_TYPES,
                "product_id": is_text,
                "product_name": is_text,
                # "value: number, Price after discounts"
                "value": lambda value: is_number(value) and value >= 0,
                "currency": is_currency_code,
                # "quantity: number, Quantity after this event"
                "quantity": lambda value: is_number(value) and value >= 0,
            },
        )
        if refusal is not None:
            return refusal
        key = (body["user_fingerprint"], body["product_id"])
        state = self._carts.get(key)
        kind, quantity = body["type"], body["quantity"]
        if kind != "ITEM_ADDED" and (state is None or state.quantity == 0):
            return alhena_error("PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND")
        if kind == "QUANTITY_DECREASED" and state is not None and not state.increased:
            return alhena_error("PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND")
        current = state.quantity if state is not None else 0
        expected = {
            "ITEM_ADDED": quantity >= 1 and current == 0,
            "QUANTITY_INCREASED": quantity > current,
            "QUANTITY_DECREASED": 1 <= quantity < current,
            "ITEM_REMOVED": quantity == 0,
        }[kind]
        if not expected:
            request.problems.append(f"{kind} to quantity {quantity} from {current}")
        if store:
            if kind == "ITEM_ADDED" or state is None:
                state = _AlhenaProduct(quantity=int(quantity))
                self._carts[key] = state
            state.quantity = int(quantity)
            state.increased = state.increased or kind == "QUANTITY_INCREASED"
            if kind == "ITEM_REMOVED":
                del self._carts[key]
            self.cart_events.append(body)
        return Reply(200, {"status": "success", "event_type": "CART_EVENT_RECORDED"})

    def _checkout_event(self, request: Received, store: bool) -> Reply:
        body = self.read_json(request)
        refusal = self._common(
            request,
            body,
            {
                "company_key": is_text,
                "user_fingerprint": is_text,
                "user_faq_fingerprint": is_text,
                # "value: number, Total order value after discounts/taxes"
                "value": lambda value: is_number(value) and value >= 0,
                "currency": is_currency_code,
                "line_items": lambda value: isinstance(value, list) and len(value) > 0,
            },
        )
        if refusal is not None:
            return refusal
        for index, item in enumerate(body["line_items"]):
            where = f"line_items[{index}]"
            if not isinstance(item, dict):
                request.problems.append(f"{where} is not an object")
                continue
            for name, valid in (
                ("product_id", is_text),
                ("product_name", is_text),
                ("quantity", lambda value: is_number(value) and value > 0),
                # "value: Line-item total (price x quantity)"
                ("value", lambda value: is_number(value) and value >= 0),
                ("currency", lambda value: value == body["currency"]),
            ):
                if not valid(item.get(name)):
                    request.problems.append(f"{where}.{name} is {item.get(name)!r}")
        # The field table says `orderId` (optional); the curl example says `order_id`.
        ids = {body[name] for name in ("orderId", "order_id") if name in body}
        if len(ids) > 1:
            request.problems.append(f"orderId and order_id differ: {sorted(ids)}")
        if request.problems:
            return alhena_error("MISSING_REQUIRED_FIELDS")
        order_id = ids.pop() if ids else None
        if order_id is not None and order_id in self._order_ids:
            return self.documented_errors["ORDER_ALREADY_EXISTS"]
        if store:
            self.checkouts.append(body)
            if order_id is not None:
                self._order_ids.add(order_id)
        return Reply(200, {"status": "success", "event_type": "CHECKOUT_EVENT_RECORDED"})
