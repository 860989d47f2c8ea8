"""Checks of the products themselves: ids, URLs, text fields, and prices per locale/currency."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from oct8ne_adapter.checker.context import UNKNOWN_PRODUCT, Context
from oct8ne_adapter.checker.http import shorten
from oct8ne_adapter.checker.results import Check, Fault, Level, NotApplicable, Verdict, passed

#: Fields the widget shows as text; `description` is left out: the document's own example
#: holds markup ("This is the <b>product description</b>").
TEXT_FIELDS = ("title", "formattedPrice", "formattedPrevPrice")
URL_FIELDS = ("productUrl", "thumbnail", "addToCartUrl")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.IGNORECASE)
_MARKUP = re.compile(r"<\s*/?\s*[a-z][^>]*>", re.IGNORECASE)


def _ids(payload: Any) -> list[str]:
    items = payload if isinstance(payload, list) else []
    return [str(item.get("internalId")) for item in items if isinstance(item, dict)]


def product_ids(ctx: Context) -> Verdict:
    """productInfo/productSummary keep the requested order and skip unknown ids."""
    known = list(ctx.product_ids())
    asked = [*reversed(known[:2]), UNKNOWN_PRODUCT]
    if len(known) == 1:
        asked = [UNKNOWN_PRODUCT, known[0]]
    expected = [product for product in asked if product != UNKNOWN_PRODUCT]
    for method in ("productInfo", "productSummary"):
        answer = ctx.call(method, [("productIds", ",".join(asked))])
        got = _ids(ctx.payload(answer))
        if got != expected:
            raise Fault(f"{answer.request}: answered ids {got}, expected {expected}")
    return passed(f"asked {','.join(asked)}: got {','.join(expected)} in that order")


def _urls(product: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for name in URL_FIELDS:
        yield name, product.get(name)
    medias = product.get("medias")
    if isinstance(medias, list):
        for number, media in enumerate(medias):
            if isinstance(media, dict):
                yield f"medias[{number}].url", media.get("url")


def product_urls(ctx: Context) -> Verdict:
    """ProductInfo URLs are absolute (with a scheme), addToCartUrl when it is needed."""
    ids = ",".join(ctx.product_ids())
    # Missing fields and wrong types are productInfo.json's to report: only URLs matter here.
    answer = ctx.call("productInfo", [("productIds", ids)])
    products = [item for item in ctx.payload(answer) or [] if isinstance(item, dict)]
    if not products:
        raise NotApplicable(f"{answer.request} found no product: give --product-ids")
    for product in products:
        where = f"{answer.request}: product {product.get('internalId')}"
        if product.get("useProductUrl") is False and not product.get("addToCartUrl"):
            raise Fault(f"{where}: useProductUrl is false but addToCartUrl is empty")
        for field, url in _urls(product):
            if not isinstance(url, str) or not url:
                continue
            if url.startswith("//"):
                # The document asks for an "Absolute URL" (its examples' `//myserver.com` are
                # what official modules copied); oct8ne's servers and e-mails have no page
                # whose scheme it could borrow.
                ctx.flag(
                    f"{where}: {field} {shorten(url)} is protocol-relative: give the scheme",
                    level=Level.COMPATIBILITY,
                    key=("protocol-relative url",),
                )
            elif not re.match(r"^https?://[^/\s]", url, re.IGNORECASE):
                ctx.flag(
                    f"{where}: {field} {shorten(url)} is not an absolute URL (the 2.4 "
                    'document: "Absolute URL to the product details page")',
                    key=("relative url",),
                )
        if product.get("medias") == []:
            ctx.flag(
                f"{where}: medias is empty (the document asks for at least one)",
                level=Level.COMPATIBILITY,
                key=("no medias",),
            )
    return passed(f"{len(products)} products: absolute URLs, addToCartUrl where needed")


def _text_problem(value: str) -> str:
    entity = _ENTITY.search(value)
    if entity and html.unescape(entity.group(0)) != entity.group(0):
        return f"an HTML entity {entity.group(0)!r} (the widget shows it as written)"
    markup = _MARKUP.search(value)
    if markup:
        return f"markup {markup.group(0)!r} (the widget shows text, not HTML)"
    return ""


def product_text(ctx: Context) -> Verdict:
    """Titles and prices are plain text: no HTML entities or markup."""
    ids = ",".join(ctx.product_ids())
    answer = ctx.call("productSummary", [("productIds", ids)])
    items = [item for item in ctx.payload(answer) or [] if isinstance(item, dict)]
    try:
        items += [item for item in ctx.searched_products()["results"] if isinstance(item, dict)]
    except (NotApplicable, Fault):
        pass  # the search's own checks report it; productSummary's products are checked
    checked = 0
    for item in items:
        for field in TEXT_FIELDS:
            value = item.get(field)
            if not isinstance(value, str):
                continue
            checked += 1
            problem = _text_problem(value)
            if problem:
                raise Fault(
                    f"{answer.request}: product {item.get('internalId')}: {field} "
                    f"{shorten(value)} holds {problem}",
                    key=("html in text", field),
                )
    return passed(f"{checked} titles and prices of {len(items)} products are plain text")


def _prices(ctx: Context, *presentation: tuple[str, str]) -> list[Any]:
    ids = ",".join(ctx.product_ids())
    products = ctx.valid_json("productSummary", [("productIds", ids), *presentation])
    return [product.get("formattedPrice") for product in products if isinstance(product, dict)]


def _format_difference(ctx: Context, what: str, first: str, second: str, fixed: str) -> Verdict:
    one = _prices(ctx, (what, first), *([("locale", fixed)] if fixed else []))
    other = _prices(ctx, (what, second), *([("locale", fixed)] if fixed else []))
    pairs = [(a, b) for a, b in zip(one, other, strict=False) if a is not None and b is not None]
    if not pairs:
        raise NotApplicable("none of the products has a price: give --product-ids")
    different = [(a, b) for a, b in pairs if a != b]
    if not different:
        raise Fault(
            f"productSummary?{what}={second} formats prices as {what}={first} does: "
            f"{shorten(pairs[0][0])}",
            level=Level.HARDENING,
        )
    a, b = different[0]
    return passed(f"{what}={first} {a} → {what}={second} {b}")


def locale_format(ctx: Context) -> Verdict:
    """Prices follow the locale: en-US and es-ES format differently."""
    return _format_difference(ctx, "locale", "en-US", "es-ES", "")


def currency_format(ctx: Context) -> Verdict:
    """Prices follow the currency: USD and EUR differ (unless the shop refuses EUR)."""
    return _format_difference(ctx, "currency", "USD", "EUR", "en-US")


CHECKS: list[Check] = [
    Check.documented("products.ids", product_ids),
    Check.documented("products.urls", product_urls),
    Check.documented("products.text", product_text),
    Check.documented("locale.format", locale_format),
    Check.documented("currency.format", currency_format),
]
