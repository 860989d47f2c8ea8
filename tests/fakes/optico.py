"""The fake Optico: customer carts and orders as PHP-style forms (upserts by id)."""

from __future__ import annotations

import re
from typing import Any

from fakes.vendor_server import FakeVendor, Received, Reply, is_currency_code, unfold_form

_INTEGER = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def optico_error(message: str) -> Reply:
    """Optico's error envelope: always HTTP 200 ("Branch on the status field")."""
    return Reply(200, {"status": "error", "message": message})


class FakeOptico(FakeVendor):
    """Optico's customer-cart and customer-order endpoints (upserts by id)."""

    name = "optico"
    documented_errors = {
        "invalid_key": optico_error("Invalid API key"),
        "missing_parameter": optico_error("Missing required parameter"),
        "invalid_products": optico_error("Invalid products format"),
        "unknown_visit": optico_error("Unknown visit_id"),
        "server_error": Reply(503, b"Service Unavailable", (("Content-Type", "text/plain"),)),
    }
    _REQUIRED = {
        "/api/customer-cart": ("key", "id", "currency", "visit_id", "products", "is_logged_in"),
        "/api/customer-order": (
            "key",
            "id",
            "cart_id",
            "currency",
            "visit_id",
            "products",
            "status",
        ),
    }

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.visits: set[str] = set()
        #: The stored carts and orders by id: upserted, as Optico does ("idempotent on your id").
        self.carts: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}

    def add_visit(self, visit_id: str) -> None:
        """A visit the Optico tracking service knows (others get Unknown visit_id)."""
        self.visits.add(visit_id)

    def handle(self, request: Received, *, store: bool) -> Reply:
        required = self._REQUIRED.get(request.path)
        if request.method != "POST" or required is None:
            request.problems.append("not POST /api/customer-cart or /api/customer-order")
            return Reply(404, b"Not Found", (("Content-Type", "text/html"),))
        # "Content-Type application/x-www-form-urlencoded"
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            request.problems.append(f"Content-Type is {content_type!r}")
        form = unfold_form(request.body.decode("utf-8", "replace"))
        request.form = form
        if form.get("key") != self.key:
            if not form.get("key"):
                request.problems.append("key is missing")
            return self.documented_errors["invalid_key"]
        missing = [name for name in required if form.get(name) in (None, "", [], {})]
        if missing:
            request.problems.append(f"missing required parameters: {', '.join(missing)}")
            return self.documented_errors["missing_parameter"]
        products = form["products"]
        if not isinstance(products, list) or not self._products_valid(request, products):
            return self.documented_errors["invalid_products"]
        # "currency: ISO 4217 currency code"
        if not is_currency_code(form["currency"]):
            request.problems.append(f"currency {form['currency']!r} is not ISO 4217")
            return self.documented_errors["missing_parameter"]
        # "is_logged_in: integer, 1 if the buyer is authenticated, 0 otherwise."
        if "is_logged_in" in required and form["is_logged_in"] not in ("0", "1"):
            request.problems.append(f"is_logged_in is {form['is_logged_in']!r}, not 1 or 0")
            return self.documented_errors["missing_parameter"]
        unexpected = set(form) - set(required) - {"call_id", "agent"}
        if unexpected:
            request.problems.append(f"parameters the document does not define: {unexpected}")
        if form["visit_id"] not in self.visits:
            return self.documented_errors["unknown_visit"]
        if store:
            records = self.carts if request.path == "/api/customer-cart" else self.orders
            records[form["id"]] = form
        return Reply(200, {"status": "success"})

    @staticmethod
    def _products_valid(request: Received, products: list[Any]) -> bool:
        for index, product in enumerate(products):
            where = f"products[{index}]"
            if not isinstance(product, dict):
                request.problems.append(f"{where} is not an object")
                continue
            # id: mixed, name: string, quantity: integer, price: float; details: optional.
            for name, pattern in (
                ("id", None),
                ("name", None),
                ("quantity", _INTEGER),
                ("price", _FLOAT),
            ):
                value = product.get(name)
                if not isinstance(value, str) or not value:
                    request.problems.append(f"{where}[{name}] is missing")
                elif pattern is not None and not pattern.fullmatch(value):
                    request.problems.append(f"{where}[{name}] is {value!r}")
            if "quantity" in product and _INTEGER.fullmatch(str(product["quantity"])):
                if int(product["quantity"]) < 1:
                    request.problems.append(f"{where}[quantity] is {product['quantity']}")
            unexpected = set(product) - {"id", "name", "quantity", "price", "details"}
            if unexpected:
                request.problems.append(
                    f"{where} has fields the document does not define: {unexpected}"
                )
        return not request.problems
