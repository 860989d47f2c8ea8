"""Small oct8ne adapters for the checker's tests: one correct, and copies each with one fault.

They are real WSGI apps (werkzeug) served on 127.0.0.1 in a thread, written independently of
the package's adapter so that the checker is shown to judge any implementation.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from checker_server import serving
from werkzeug.wrappers import Request, Response

__all__ = ["EMAIL", "TOKEN", "FakeAdapter", "Faults", "serving"]

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
    nosniff: bool = True
    reflect_callback: bool = False
    facet_count_one: bool = False
    drop_info_fields: tuple[str, ...] = ()
    null_on_bad_token: bool = False
    orders_without_token: bool = False  # a wrong token still gets the orders
    paging_500: bool = False
    slow_methods: tuple[str, ...] = ()
    delay: float = 0.0
    jsonp_error_status: int = 200  # the status of an error answered with a callback
    api_version: str = "2.4"
    enabled: Any = True
    numeric_ids: bool = False  # internalId as a JSON number in search results
    price_entity: bool = False  # "85.64 &#36;" as WooCommerce's connector sends it
    protocol_relative: bool = False  # URLs starting with //
    use_product_url_string: bool = False  # useProductUrl as "false"
    related_twice: bool = False
    empty_search_list: bool = False  # `[]` for a search that finds nothing
    past_end_without_results: bool = False
    ignore_start_count: bool = False
    ignore_filters: bool = False
    no_facets: bool = False
    active_group_offered: bool = False  # the applied filter's siblings stay in `available`
    open_state_changes: bool = False  # unlink/changeConfiguration done for anyone
    cart_amount_strings: bool = False
    serve_extras: bool = False  # getCart and getSalesReport
    report_to_exclusive: bool = False  # getSalesReport's `to` leaves out its own day
    redirect_to: str = ""  # every answer a redirect to this URL
    huge_body: bool = False  # getAdapterInfo streams more than the checker reads
    no_wishlist_method: bool = False  # addToWishList answers 200 with an empty body


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
        if self.faults.redirect_to:
            return Response("", 302, headers={"Location": self.faults.redirect_to + "?x=1"})
        if (
            callback
            and not self.faults.reflect_callback
            and not (len(callback) <= 128 and CALLBACK_NAME.fullmatch(callback))
        ):
            return self.render({"error": "invalid callback"}, None, 400)  # never reflected
        handler = getattr(self, f"do_{method}", None)
        if method in ("unlink", "changeconfiguration") and self.faults.open_state_changes:
            return self.render({"result": "ok"}, callback)
        if method in ("getcart", "getsalesreport") and not self.faults.serve_extras:
            handler = None
        if method == "addtowishlist" and self.faults.no_wishlist_method:
            return Response("", 200, content_type="text/html")
        if method == "getadapterinfo" and self.faults.huge_body:
            return Response((b" " * 65536 for _ in range(64)), content_type="application/json")
        if handler is None or not request.path.startswith("/oct8ne/frame/"):
            return self.error("unknown method", callback, 404)
        try:
            return self.render(handler(request.args), callback)
        except BadRequest as error:
            if self.faults.paging_500:
                return Response("<h1>Internal Server Error</h1>", 500, mimetype="text/html")
            return self.error(str(error), callback, 400)

    def error(self, message: str, callback: str | None, status: int) -> Response:
        """DESIGN §3: with a callback an error is a 200 whose payload is the error."""
        status = self.faults.jsonp_error_status if callback else status
        return self.render({"error": message}, callback, status)

    def render(self, payload: Any, callback: str | None, status: int = 200) -> Response:
        body = json.dumps(payload)
        if callback is None:
            response = Response(body, status, content_type=self.faults.json_type)
        else:
            script = f"/**/{callback}({body});"
            response = Response(script, status, content_type=self.faults.jsonp_type)
        if self.faults.nosniff:
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # -- formatting ---------------------------------------------------------------------

    def price(self, product: FakeProduct, args: Any) -> str:
        currency = "EUR" if args.get("currency") == "EUR" else "USD"
        amount = product.price * (EUR_PER_USD if currency == "EUR" else 1)
        locale = "es_ES" if args.get("locale") == "es-ES" else "en_US"
        if self.faults.price_entity:
            return f"{amount.quantize(Decimal('0.01'))} &#36;"
        return format_currency(amount.quantize(Decimal("0.01")), currency, locale=locale)

    def url(self, path: str) -> str:
        base = self.base.split(":", 1)[1] if self.faults.protocol_relative else self.base
        return f"{base}{path}"

    def summary(self, product: FakeProduct, args: Any) -> dict[str, Any]:
        price = self.price(product, args)
        return {
            "internalId": product.id[1:] if self.faults.numeric_ids else product.id,
            "title": product.title,
            "formattedPrice": price,
            "formattedPrevPrice": price,
            "productUrl": self.url(f"/p/{product.id}"),
            "thumbnail": self.url(f"/img/{product.id}.png"),
        }

    def info(self, product: FakeProduct, args: Any) -> dict[str, Any]:
        info = {
            **self.summary(product, args),
            "description": f"The {product.title}.",
            "addToCartUrl": self.url(f"/cart/add/{product.id}"),
            "useProductUrl": "false" if self.faults.use_product_url_string else False,
            "medias": [{"url": self.url(f"/img/{product.id}-large.png")}],
        }
        return {
            key: value for key, value in info.items() if key not in self.faults.drop_info_fields
        }

    def requested(self, args: Any) -> list[FakeProduct]:
        by_id = {product.id: product for product in PRODUCTS}
        ids = [part for part in args.get("productIds", "").split(",") if part]
        if self.faults.numeric_ids:  # ids are the digits: "7" (a number in search) is p7
            ids = [f"p{part}" if part.isdigit() else part for part in ids]
        return [by_id[product_id] for product_id in dict.fromkeys(ids) if product_id in by_id]

    # -- methods --------------------------------------------------------------------------

    def do_getadapterinfo(self, args: Any) -> Any:
        return {
            "platform": "Fake",
            "adapterName": "fake",
            "adapterVersion": "1",
            "developedBy": "tests",
            "supportUrl": "",
            "apiVersion": self.faults.api_version,
            "enabled": self.faults.enabled,
        }

    def do_productinfo(self, args: Any) -> Any:
        return [self.info(product, args) for product in self.requested(args)]

    def do_productsummary(self, args: Any) -> Any:
        return [self.summary(product, args) for product in self.requested(args)]

    def do_productrelated(self, args: Any) -> Any:
        asked = args.get("productId", "")
        asked = f"p{asked}" if self.faults.numeric_ids and asked.isdigit() else asked
        related = [product for product in PRODUCTS if product.id != asked][:2]
        if self.faults.related_twice:
            related = [related[0], *related]
        results = [self.summary(product, args) for product in related]
        return {"total": len(results), "results": results}

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
        found = matched
        applied = [(name, args[name]) for name in ("category", "color") if name in args]
        for name, value in [] if self.faults.ignore_filters else applied:
            matched = [product for product in matched if getattr(product, name) == value]
        if not matched and self.faults.empty_search_list:
            return []
        if args.get("orderby") in ("price", "name"):
            key: Callable[[FakeProduct], Any] = (
                (lambda p: p.price) if args["orderby"] == "price" else (lambda p: fold(p.title))
            )
            matched.sort(key=key, reverse=args.get("dir") == "desc")
        page = [self.summary(p, args) for p in matched[window]]
        if self.faults.numeric_ids:
            page = [{**item, "internalId": int(item["internalId"])} for item in page]
        if not page and matched and self.faults.past_end_without_results:
            return {"total": len(matched)}
        return {
            "total": len(matched),
            "results": page,
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
                "available": self.facets(matched, dict(applied), found),
            },
        }

    def facets(
        self, matched: list[FakeProduct], applied: dict[str, str], found: list[FakeProduct]
    ) -> list[Any]:
        available = []
        for name in () if self.faults.no_facets else ("category", "color"):
            if name in applied and not self.faults.active_group_offered:
                continue  # the active filter's whole group is left out
            counted = matched
            if name in applied:  # its siblings, counted as if the filter were not applied
                others = {key: value for key, value in applied.items() if key != name}
                counted = [p for p in found if all(getattr(p, k) == v for k, v in others.items())]
            counts: dict[str, int] = {}
            for product in counted:
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
            if "start" in args and "page" not in args and not self.faults.ignore_start_count:
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
        if not self.token_ok(args) and not self.faults.orders_without_token:
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

    def do_getcart(self, args: Any) -> Any:
        amount: Any = "0.00" if self.faults.cart_amount_strings else 0
        cart = {"price": amount, "finalPrice": amount, "currency": "USD", "totalItems": 0}
        return {**cart, "cart": []}

    def do_getsalesreport(self, args: Any) -> Any:
        if not self.token_ok(args):
            return []
        now = datetime.now(UTC)
        row = {
            "quoteId": "Q1",
            "orderId": None,
            "sessionId": "S1",
            "customerId": None,
            "price": 10.5,
            "finalPrice": 10.5,
            "currency": "USD",
            "productsCount": 1,
            "itemsCount": 1,
            "lastAction": "C",
            "utcCreated": now.strftime("%Y-%m-%d %H:%M:%S"),
            "utcLastUpdated": now.strftime("%Y-%m-%d %H:%M:%S"),
        }
        today = now.date().isoformat()
        excluded = self.faults.report_to_exclusive and args.get("to", "") <= today
        return [] if excluded else [row]
