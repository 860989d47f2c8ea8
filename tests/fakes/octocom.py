"""The fake Octocom: browser-session purchases, with its rate limit."""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict, deque
from typing import Any

from fakes.vendor_server import FakeVendor, Received, Reply, is_currency_code, is_number


class FakeOctocom(FakeVendor):
    """Octocom's browser-session purchases endpoint."""

    name = "octocom"
    documented_errors = {
        "invalid_body": Reply(400, {"success": False, "message": "Validation failed"}),
        "session_not_found": Reply(404, {"success": False, "message": "Browser session not found"}),
        "rate_limited": Reply(
            429, {"success": False, "message": "Too many requests, please try again later."}
        ),
        "server_error": Reply(500, {"success": False, "message": "Failed to store the purchase"}),
    }
    _PATH = re.compile(r"/rest/v1/browser-sessions/([^/]+)/purchases")

    def __init__(self, *, requests_per_minute: int | None = 100) -> None:
        super().__init__()
        self.sessions: set[str] = set()
        #: (browser session id, body) of each purchase stored, in order.
        self.purchases: list[tuple[str, Any]] = []
        # "Rate limit: Maximum 100 requests per minute per IP address."
        self.requests_per_minute = requests_per_minute
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def add_session(self, session_id: str) -> None:
        """A browser session the widget created (others get 404 Browser session not found)."""
        self.sessions.add(session_id)

    def handle(self, request: Received, *, store: bool) -> Reply:
        match = self._PATH.fullmatch(request.path)
        if request.method != "POST" or match is None:
            request.problems.append("not POST /rest/v1/browser-sessions/:id/purchases")
            return Reply(404, {"success": False, "message": "Not found"})
        if self.requests_per_minute is not None and self._over_limit("127.0.0.1"):
            return self.documented_errors["rate_limited"]
        body = self.read_json(request)
        self._check(request, body)
        if request.problems:
            return Reply(400, {"success": False, "message": "; ".join(request.problems)})
        session = match.group(1)
        if session not in self.sessions:
            return self.documented_errors["session_not_found"]
        if store:
            self.purchases.append((session, body))
        return Reply(
            201, {"success": True, "message": "Purchase recorded", "id": str(uuid.uuid4())}
        )

    def _over_limit(self, address: str) -> bool:
        now = time.monotonic()
        calls = self._calls[address]
        while calls and now - calls[0] >= 60:
            calls.popleft()
        calls.append(now)
        return len(calls) > (self.requests_per_minute or 0)

    @staticmethod
    def _check(request: Received, body: Any) -> None:
        problems = request.problems
        if not isinstance(body, dict):
            problems.append("the body is not a JSON object")
            return
        items = body.get("lineItems")
        # "lineItems must be an array. Each element represents one purchased item."
        if not isinstance(items, list):
            problems.append("lineItems is not an array")
            items = []
        for index, item in enumerate(items):
            where = f"lineItems[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where} is not an object")
                continue
            # "id: string, // Required. The purchased item's (product) ID."
            if not isinstance(item.get("id"), str) or not item["id"]:
                problems.append(f"{where}.id is not a non-empty string")
            # "quantity: number, // Required. Quantity purchased."
            if not is_number(item.get("quantity")) or item["quantity"] <= 0:
                problems.append(f"{where}.quantity is not a positive number")
            if "variant" in item:
                variant = item["variant"]
                # "variant?: { variantId: string }  Include only when the item is a variant."
                if not isinstance(variant, dict) or not isinstance(variant.get("variantId"), str):
                    problems.append(f"{where}.variant is not {{variantId: string}}")
        # "totalPrice: number, // Required. Total price of the purchase. Must be positive."
        if not is_number(body.get("totalPrice")) or body["totalPrice"] <= 0:
            problems.append("totalPrice is not a positive number")
        # "currencyCode: string, // Required. e.g. USD, EUR."
        if not is_currency_code(body.get("currencyCode")):
            problems.append("currencyCode is not an ISO 4217 code")
        # "provider?: string, // Optional."
        if "provider" in body and not isinstance(body["provider"], str):
            problems.append("provider is not a string")
