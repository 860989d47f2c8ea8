"""Small oct8ne adapters for the checker's tests: one correct, and copies each with one fault.

They are real WSGI apps (werkzeug) served on 127.0.0.1 in a thread, written independently of
the package's adapter so that the checker is shown to judge any implementation.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

TOKEN = "fake-token-123"
EMAIL = "ann@example.com"
CALLBACK_NAME = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")
NOUNS = ("Tent", "Boot", "Jacket", "Éclair Stove", "anorak", "Zip Bag")
ADJECTIVES = ("Alpine", "bright", "Córdoba", "Dune", "eager", "Fjord")
CATEGORIES = ("tents", "boots", "jackets")
COLORS = ("red", "blue", "green", "black")
EUR_PER_USD = Decimal("0.9")


@dataclass(frozen=True)
class Faults:
    """What this fake does wrong; the default is a correct adapter."""

    json_type: str = "application/json"
    jsonp_type: str = "application/javascript"
    reflect_callback: bool = False
    facet_count_one: bool = False
    drop_info_fields: tuple[str, ...] = ()
    null_on_bad_token: bool = False
    paging_500: bool = False
    slow_methods: tuple[str, ...] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class FakeProduct:
    id: str
    title: str
    price: Decimal
    category: str
    color: str


PRODUCTS = tuple(
    FakeProduct(
        id=f"p{number}",
        title=f"{ADJECTIVES[number % 6]} {NOUNS[(number // 6) % 6]} {number}",
        price=Decimal(5 + (number * 37) % 200) + Decimal("0.50"),
        category=CATEGORIES[number % 3],
        color=COLORS[number % 4],
    )
    for number in range(1, 31)
)
ORDERS = [
    {
        "date": f"2026-0{month}-01 10:00:00",
        "reference": f"REF{month}",
        "total": "$10.00",
        "currency": "USD",
        "labelState": "Delivered",
        "deliveryDate": "",
    }
    for month in (3, 2, 1)
]


class BadRequest(Exception):
    """Answered with a 400."""


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


class FakeAdapter:
    """A WSGI oct8ne adapter over `PRODUCTS`, with `faults`."""

    def __init__(self, faults: Faults = Faults()) -> None:
        self.faults = faults
        self.base = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        self.base = request.host_url.rstrip("/")
        method = request.path.rsplit("/", 1)[-1].lower()
        if method in self.faults.slow_methods:
            time.sleep(self.faults.delay)
        callback = request.args.get("callback") or None
        if (
            callback
            and not self.faults.reflect_callback
            and not (len(callback) <= 128 and CALLBACK_NAME.fullmatch(callback))
        ):
            return self.render({"error": "invalid callback"}, None, 400)
        handler = getattr(self, f"do_{method}", None)
        if handler is None or not request.path.startswith("/oct8ne/frame/"):
            return self.render({"error": "unknown method"}, callback, 404)
        try:
            return self.render(handler(request.args), callback)
        except BadRequest as error:
            if self.faults.paging_500:
                return Response("<h1>Internal Server Error</h1>", 500, mimetype="text/html")
            return self.render({"error": str(error)}, callback, 400)

    def render(self, payload: Any, callback: str | None, status: int = 200) -> Response:
        body = json.dumps(payload)
        if callback is None:
            response = Response(body, status, content_type=self.faults.json_type)
        else:
            script = f"/**/{callback}({body});"
            response = Response(script, status, content_type=self.faults.jsonp_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # -- formatting ---------------------------------------------------------------------

    def price(self, product: FakeProduct, args: Any) -> str:
        currency = "EUR" if args.get("currency") == "EUR" else "USD"
        amount = product.price * (EUR_PER_USD if currency == "EUR" else 1)
        locale = "es_ES" if args.get("locale") == "es-ES" else "en_US"
        return format_currency(amount.quantize(Decimal("0.01")), currency, locale=locale)

    def summary(self, product: FakeProduct, args: Any) -> dict[str, Any]:
        price = self.price(product, args)
        return {
            "internalId": product.id,
            "title": product.title,
            "formattedPrice": price,
            "formattedPrevPrice": price,
            "productUrl": f"{self.base}/p/{product.id}",
            "thumbnail": f"{self.base}/img/{product.id}.png",
        }

    def info(self, product: FakeProduct, args: Any) -> dict[str, Any]:
        info = {
            **self.summary(product, args),
            "description": f"The {product.title}.",
            "addToCartUrl": f"{self.base}/cart/add/{product.id}",
            "useProductUrl": False,
            "medias": [{"url": f"{self.base}/img/{product.id}-large.png"}],
        }
        return {
            key: value for key, value in info.items() if key not in self.faults.drop_info_fields
        }

    def requested(self, args: Any) -> list[FakeProduct]:
        by_id = {product.id: product for product in PRODUCTS}
        ids = [part for part in args.get("productIds", "").split(",") if part]
        return [by_id[product_id] for product_id in dict.fromkeys(ids) if product_id in by_id]

    # -- methods --------------------------------------------------------------------------

    def do_getadapterinfo(self, args: Any) -> Any:
        return {
            "platform": "Fake",
            "adapterName": "fake",
            "adapterVersion": "1",
            "developedBy": "tests",
            "supportUrl": "",
            "apiVersion": "2.4",
            "enabled": True,
        }

    def do_productinfo(self, args: Any) -> Any:
        return [self.info(product, args) for product in self.requested(args)]

    def do_productsummary(self, args: Any) -> Any:
        return [self.summary(product, args) for product in self.requested(args)]

    def do_productrelated(self, args: Any) -> Any:
        related = [product for product in PRODUCTS if product.id != args.get("productId")][:2]
        return {"total": 2, "results": [self.summary(product, args) for product in related]}

    def do_customerdata(self, args: Any) -> Any:
        return {
            "id": None,
            "firstName": None,
            "lastName": None,
            "email": None,
            "wishlist": [],
            "cart": [],
        }

    def do_addtowishlist(self, args: Any) -> Any:
        return {"result": "false"}

    def do_search(self, args: Any) -> Any:
        window = self.paging(args)
        words = fold(args.get("search", "")).split()
        matched = [p for p in PRODUCTS if all(word in fold(p.title) for word in words)]
        applied = [(name, args[name]) for name in ("category", "color") if name in args]
        for name, value in applied:
            matched = [product for product in matched if getattr(product, name) == value]
        if args.get("orderby") in ("price", "name"):
            key: Callable[[FakeProduct], Any] = (
                (lambda p: p.price) if args["orderby"] == "price" else (lambda p: fold(p.title))
            )
            matched.sort(key=key, reverse=args.get("dir") == "desc")
        return {
            "total": len(matched),
            "results": [self.summary(p, args) for p in matched[window]],
            "filters": {
                "applied": [
                    {
                        "param": name,
                        "paramLabel": name.title(),
                        "value": value,
                        "valueLabel": value.title(),
                    }
                    for name, value in applied
                ],
                "available": self.facets(matched, dict(applied)),
            },
        }

    def facets(self, matched: list[FakeProduct], applied: dict[str, str]) -> list[Any]:
        available = []
        for name in ("category", "color"):
            counts: dict[str, int] = {}
            for product in matched:
                counts[getattr(product, name)] = counts.get(getattr(product, name), 0) + 1
            options = [
                {
                    "value": value,
                    "valueLabel": value.title(),
                    "count": 1 if self.faults.facet_count_one else count,
                }
                for value, count in sorted(counts.items(), key=lambda item: -item[1])
                if applied.get(name) != value
            ]
            if options:
                available.append({"param": name, "paramLabel": name.title(), "options": options})
        return available

    def paging(self, args: Any) -> slice:
        """page/pageSize, or start/count; anything else is a 400 (or the fault's 500)."""
        try:
            if "start" in args and "page" not in args:
                offset, size = int(args["start"]), int(args.get("count", 10))
            else:
                page, size = int(args.get("page", 1)), int(args.get("pageSize", 10))
                offset = (page - 1) * size
        except ValueError:
            raise BadRequest("paging must be whole numbers") from None
        if offset < 0 or size < 1 or offset > 10_000:
            raise BadRequest("paging out of range")
        return slice(offset, offset + min(size, 50))

    def token_ok(self, args: Any) -> bool:
        return args.get("apiToken") == TOKEN

    def do_getorders(self, args: Any) -> Any:
        if not self.token_ok(args):
            return None if self.faults.null_on_bad_token else []
        if args.get("customerEmail") != EMAIL:
            return []
        return ORDERS[self.paging(args)]

    def do_getorderdetails(self, args: Any) -> Any:
        if not self.token_ok(args):
            return None if self.faults.null_on_bad_token else []
        order = next((o for o in ORDERS if o["reference"] == args.get("reference")), None)
        if order is None:
            return []
        return {
            **order,
            "carrier": "",
            "trackingNumber": "",
            "trackingUrl": "",
            "products": [{"quantity": "1", "name": "Tent"}],
            "comments": [],
        }


class QuietHandler(WSGIRequestHandler):
    """No access log on the test's output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serving(app: Callable[..., Any]) -> Iterator[str]:
    """Serve a WSGI app on a free port of 127.0.0.1 in a thread; yield its root URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
