"""The fake PA: purchase events and the Price Beat mark-as-used call."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from fakes.vendor_server import FakeVendor, Received, Reply, is_currency_code, is_number, is_text

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def pa_validation_error(errors: dict[str, list[str]]) -> Reply:
    """PA's 400 answer, shaped as the document's example."""
    return Reply(
        400,
        {
            "errors": errors,
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "traceId": "00-fake-trace-00",
        },
        (("Content-Type", "application/problem+json"),),
    )


class FakePa(FakeVendor):
    """PA's purchases endpoint and the Price Beat mark-as-used call."""

    name = "pa"
    documented_errors = {
        "validation": pa_validation_error(
            {"events[0].Products[0].RefId": ["'Product Ref Id' must not be empty."]}
        ),
        "unauthorized": Reply(401, b"", (("WWW-Authenticate", "Bearer"),)),
        "server_error": Reply(500, {"title": "An error occurred while processing your request."}),
    }

    def __init__(self, access_token: str, client_id: str) -> None:
        super().__init__()
        self.access_token = access_token
        self.client_id = client_id
        self.purchases: list[dict[str, Any]] = []
        #: Price Beat codes marked as used, in order.
        self.marked: list[str] = []
        self._codes: set[str] = set()

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method == "POST" and request.path == "/3.0/events/purchases":
            return self._purchase(request, store)
        if request.method == "GET" and request.path == "/b2b/coupon/mark_as_used":
            return self._mark_as_used(request, store)
        request.problems.append("not POST /3.0/events/purchases or GET /b2b/coupon/mark_as_used")
        return Reply(404, b"")

    def _purchase(self, request: Received, store: bool) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            request.problems.append("Authorization is not Bearer <the access token>")
            return self.documented_errors["unauthorized"]
        body = self.read_json(request)
        errors: dict[str, list[str]] = {}
        self._check(body, errors)
        for name, messages in errors.items():
            request.problems.extend(f"{name}: {message}" for message in messages)
        if errors:
            return pa_validation_error(errors)
        if store:
            self.purchases.append(body)
            self._codes.update(
                entry["Code"]
                for event in body["events"]
                for entry in event.get("PriceBeatPromotionCodes", [])
            )
        return Reply(202, {"transactionId": str(uuid.uuid4()), "status": "Accepted"})

    @staticmethod
    def _check(body: Any, errors: dict[str, list[str]]) -> None:
        def fail(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        if not isinstance(body, dict):
            fail("$", "The JSON value could not be converted.")
            return
        # customerId: GUID, sessionId: GUID (from the Config API).
        for name in ("customerId", "sessionId"):
            if not isinstance(body.get(name), str) or not _GUID.fullmatch(body[name]):
                fail(name, f"'{name}' must be a GUID.")
        events = body.get("events")
        if not isinstance(events, list) or not events:
            fail("events", "'Events' must not be empty.")
            return
        for index, event in enumerate(events):
            where = f"events[{index}]"
            if not isinstance(event, dict):
                fail(where, "The JSON value could not be converted.")
                continue
            # eventTime: dateTime, "UTC timestamp of when the purchase occurred".
            moment = event.get("eventTime")
            if not isinstance(moment, str) or not moment.endswith("Z"):
                fail(f"{where}.EventTime", "'Event Time' must be a UTC timestamp.")
            else:
                try:
                    datetime.fromisoformat(moment.replace("Z", "+00:00"))
                except ValueError:
                    fail(f"{where}.EventTime", "'Event Time' is not a date.")
            if not is_text(event.get("orderNumber")):
                fail(f"{where}.OrderNumber", "'Order Number' must not be empty.")
            for name in ("subTotal", "totalPrice", "deliveryFee", "taxAmount"):
                if name in event and (not is_number(event[name]) or event[name] < 0):
                    fail(f"{where}.{name[0].upper()}{name[1:]}", f"'{name}' must be a decimal.")
            for name in ("subTotal", "totalPrice", "currencyCode"):
                if name not in event:
                    fail(f"{where}.{name[0].upper()}{name[1:]}", f"'{name}' must not be empty.")
            # currencyCode: "3-letter ISO currency code"
            if "currencyCode" in event and not is_currency_code(event["currencyCode"]):
                fail(f"{where}.CurrencyCode", "'Currency Code' must be a 3-letter ISO code.")
            if "currentUrl" in event and not (
                isinstance(event["currentUrl"], str) and event["currentUrl"].startswith("http")
            ):
                fail(f"{where}.CurrentUrl", "'Current Url' must be a URL.")
            products = event.get("products")
            # "At least one product's information is required."
            if not isinstance(products, list) or not products:
                fail(f"{where}.Products", "'Products' must not be empty.")
                products = []
            for number, product in enumerate(products):
                place = f"{where}.Products[{number}]"
                if not isinstance(product, dict):
                    fail(place, "The JSON value could not be converted.")
                    continue
                if not is_text(product.get("refId")):
                    fail(f"{place}.RefId", "'Product Ref Id' must not be empty.")
                quantity = product.get("quantity")
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                    fail(f"{place}.Quantity", "'Quantity' must be a positive integer.")
                for name in ("unitPrice", "totalPrice"):
                    if not is_number(product.get(name)):
                        fail(f"{place}.{name[0].upper()}{name[1:]}", f"'{name}' must be a decimal.")
                if (
                    isinstance(quantity, int)
                    and is_number(product.get("unitPrice"))
                    and is_number(product.get("totalPrice"))
                    and product["totalPrice"] != product["unitPrice"] * quantity
                ):
                    fail(f"{place}.TotalPrice", "'Total Price' must be quantity x unit price.")
                if "isOnSale" in product and not isinstance(product["isOnSale"], bool):
                    fail(f"{place}.IsOnSale", "'Is On Sale' must be a boolean.")
                if "discount" in product and not is_number(product["discount"]):
                    fail(f"{place}.Discount", "'Discount' must be a decimal.")
                if "couponCode" in product and not isinstance(product["couponCode"], str):
                    fail(f"{place}.CouponCode", "'Coupon Code' must be a string.")
            codes = event.get("PriceBeatPromotionCodes", [])
            if not isinstance(codes, list):
                fail(f"{where}.PriceBeatPromotionCodes", "must be an array.")
                codes = []
            for number, code in enumerate(codes):
                place = f"{where}.PriceBeatPromotionCodes[{number}]"
                if not isinstance(code, dict) or not is_text(code.get("Code")):
                    fail(f"{place}.Code", "'Code' must not be empty.")
                elif not is_number(code.get("Value")):
                    fail(f"{place}.Value", "'Value' must be a number.")

    def _mark_as_used(self, request: Received, store: bool) -> Reply:
        code = request.query.get("code", [""])[0]
        client = request.query.get("client", [""])[0]
        if not code or not client:
            request.problems.append("code or client is missing")
            return Reply(400, {"message": "code and client are required"})
        if client != self.client_id:
            request.problems.append(f"client {client!r} is not the shop's client website id")
            return Reply(404, {"message": "Unknown client"})
        # "After recording a purchase with Price Beat promotion codes, ... mark the coupon".
        if code not in self._codes:
            request.problems.append(f"code {code!r} marked before a purchase carrying it")
        if store:
            self.marked.append(code)
        return Reply(200, {"success": True})
