"""The demo storefront: search, product pages, the cart, sign-in and an order confirmation.

Every page carries the oct8ne widget through the same template helpers a Flask shop uses
(`oct8ne_widget`, `oct8ne_sale_notification`, ...), so the demo is also their example. Data comes
from the adapter's repository; the views hold no SQL. Sign-in and sign-out are in `account`,
the add-to-cart endpoint in `cart_api`, what the views share in `pages`.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

from flask import Response, abort, redirect, request, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from oct8ne_adapter.domain import Money, Product
from oct8ne_adapter.errors import AdapterError
from oct8ne_adapter.web.params import Presentation, parse_search
from oct8ne_adapter.web.pricing import display_price, format_money
from oct8ne_adapter_demo.customers import CUSTOMERS
from oct8ne_adapter_demo.pages import (
    asset_url,
    current_presentation,
    demo_blueprint,
    demo_state,
    render_page,
    signed_in_customer,
)

IMAGE_SIZE_DEFAULT = 400
IMAGE_SIZE_MIN = 16
IMAGE_SIZE_MAX = 1000
IMAGE_MAX_AGE = 86_400
PAGE_SIZE = 12
RELATED_SHOWN = 4
#: Orders looked at to find the signed-in customer's confirmation page.
ORDERS_SHOWN = 20
_PRODUCT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_SIZE = re.compile(r"[0-9]{1,4}")

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
    'viewBox="0 0 400 400" role="img" aria-label="Product {label}">'
    '<rect width="400" height="400" fill="hsl({hue}, 55%, {lightness}%)"/>'
    '<circle cx="200" cy="160" r="90" fill="hsl({hue}, 60%, {lightness_inner}%)"/>'
    '<text x="200" y="330" font-family="system-ui, sans-serif" font-size="{font_size}" '
    'font-weight="600" text-anchor="middle" fill="#ffffff">{label}</text>'
    "</svg>"
)

# (label, method, query string): links go through url_for, so a custom prefix still works.
FRAME_CALLS = (
    ("Adapter info", "getAdapterInfo", ""),
    ("Product info for 1001 and 1002", "productInfo", "?productIds=1001,1002"),
    ("Search for “jacket”", "search", "?search=jacket"),
    ("Search for “shoe” in Spanish, in euros", "search", "?search=shoe&locale=es-ES&currency=EUR"),
    ("Customer data (sign in first)", "customerData", ""),
    ("Related products of 1001", "productRelated", "?productId=1001"),
)


def _prices(product: Product, presentation: Presentation) -> tuple[str, str]:
    """The formatted price, and the previous price when the product is discounted."""
    shown = display_price(product, presentation.basis)
    if shown is None:
        return "", ""
    price, previous = shown
    locale = presentation.locale
    return (
        format_money(price, locale),
        format_money(previous, locale) if previous.amount > price.amount else "",
    )


def _card(product: Product, presentation: Presentation) -> dict[str, str]:
    price, previous = _prices(product, presentation)
    picture = product.medias[0] if product.medias else product.thumbnail
    return {
        "url": url_for(".product", product_id=product.id),
        "image": asset_url(picture or url_for(".image", product_id=product.id)),
        "title": product.title,
        "price": price,
        "previous": previous,
    }


@demo_blueprint.get("/")
def index() -> Response:
    """The shop's home: a search box and a grid of products, a page at a time."""
    args = request.args.copy()
    args.setdefault("pageSize", str(PAGE_SIZE))
    query, presentation = parse_search(args, demo_state().settings)
    result = demo_state().repository.search(query)
    shown = len(result.products)

    def page_url(offset: int) -> str:
        args: dict[str, Any] = {**request.args.to_dict(), "page": offset // query.limit + 1}
        return url_for(".index", **args)

    has_next = query.offset + shown < result.total
    return render_page(
        "index.html",
        presentation=presentation,
        search_text=query.text,
        total=result.total,
        first=query.offset + 1,
        last=query.offset + shown,
        cards=[_card(product, presentation) for product in result.products],
        previous_page=page_url(query.offset - query.limit) if query.offset > 0 else None,
        next_page=page_url(query.offset + query.limit) if has_next else None,
        calls=FRAME_CALLS,
        demo_customers=CUSTOMERS,
    )


@demo_blueprint.get("/product/<product_id>")
def product(product_id: str) -> Response:
    """A product page; it hands the product to the widget as `currentProduct`."""
    state = demo_state()
    presentation = current_presentation()
    products = state.repository.get_products([product_id], presentation.languages)
    if not products:
        abort(404, "There is no product with this id.")
    found = products[0]
    price, previous = _prices(found, presentation)
    related = state.repository.related_products(found.id, presentation.languages, RELATED_SHOWN)
    picture = found.medias[0] if found.medias else found.thumbnail
    return render_page(
        "product.html",
        presentation=presentation,
        current_product=found,
        product=found,
        price=price,
        previous=previous,
        image=asset_url(picture or url_for(".image", product_id=found.id)),
        # The product page's button posts to the endpoint the widget's addToCartUrl names.
        add_to_cart_url=(
            ""
            if found.has_variants or found.sold_out
            else url_for(".add_to_cart_endpoint", item_id=found.id)
        ),
        add_to_cart_verb=state.settings.widget.add_to_cart_http_verb,
        related=[_card(item, presentation) for item in related],
    )


@demo_blueprint.get("/cart")
def cart() -> Response:
    """The visitor's cart: the signed-in customer's, else the guest cart of the session."""
    state = demo_state()
    presentation = current_presentation()
    visitor = state.resolve_visitor(request)
    found = state.repository.get_cart(visitor, presentation.languages)
    lines = []
    totals: dict[str, Decimal] = {}
    for line in found.lines:
        shown = display_price(line.product, presentation.basis)
        unit = shown[0] if shown else None
        if unit is not None:
            totals[unit.currency] = totals.get(unit.currency, Decimal(0)) + (
                unit.amount * line.quantity
            )
        lines.append(
            {
                **_card(line.product, presentation),
                "image": asset_url(
                    line.product.thumbnail or url_for(".image", product_id=line.product.id)
                ),
                "quantity": line.quantity,
                "price": format_money(unit, presentation.locale) if unit else "",
                "total": (
                    format_money(
                        Money(unit.amount * line.quantity, unit.currency), presentation.locale
                    )
                    if unit
                    else ""
                ),
            }
        )
    # One total when every line is priced in one currency; none rather than a wrong sum.
    total = ""
    if len(totals) == 1:
        ((currency, amount),) = totals.items()
        total = format_money(Money(amount, currency), presentation.locale)
    return render_page(
        "cart.html",
        presentation=presentation,
        lines=lines,
        total=total,
        cart_items=sum(line.quantity for line in found.lines),
    )


@demo_blueprint.get("/checkout/success")
def checkout_success() -> BaseResponse:
    """The order confirmation page, with oct8ne's sale notification.

    The demo stores no new orders, so it confirms one of the signed-in customer's orders: the
    latest, or the one named by `reference`.
    """
    state = demo_state()
    presentation = current_presentation()
    customer = signed_in_customer()
    if customer is None:
        return redirect(url_for(".login", next="checkout_success"))
    orders = state.repository.list_orders(customer.email, presentation.languages, 0, ORDERS_SHOWN)
    wanted = request.args.get("reference") or (orders[0].reference if orders else "")
    if wanted not in {order.reference for order in orders}:
        abort(404, "You have no order with this reference.")
    details = state.repository.get_order(wanted, presentation.languages)
    if details is None:
        abort(404, "You have no order with this reference.")
    order = details.order
    return render_page(
        "checkout_success.html",
        presentation=presentation,
        customer=customer,
        order=order,
        total=format_money(order.total, presentation.locale),
        placed=order.placed_at.strftime("%d %B %Y"),
        lines=details.lines,
        other_orders=[other for other in orders if other.reference != order.reference],
        context_info={
            "source": "oct8ne-adapter demo",
            "items": sum(line.quantity for line in details.lines),
        },
    )


@demo_blueprint.get("/img/<product_id>.svg")
def image(product_id: str) -> Response:
    """A placeholder product picture: a colour derived from the id, with the id written on it."""
    if not _PRODUCT_ID.fullmatch(product_id):
        abort(404, "No image for this id.")
    size_text = request.args.get("size", str(IMAGE_SIZE_DEFAULT))
    size = int(size_text) if _SIZE.fullmatch(size_text) else 0
    if not IMAGE_SIZE_MIN <= size <= IMAGE_SIZE_MAX:
        abort(400, f"size must be a whole number from {IMAGE_SIZE_MIN} to {IMAGE_SIZE_MAX}.")
    variant = request.args.get("v", "")[:16]
    digest = hashlib.sha256(f"{product_id}:{variant}".encode()).digest()
    lightness = 38 + digest[1] % 20
    svg = _SVG.format(
        size=size,
        hue=int.from_bytes(digest[:2], "big") % 360,
        lightness=lightness,
        lightness_inner=lightness + 12,
        font_size=max(24, 320 // max(len(product_id), 4)),
        label=escape(product_id),
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    return response


def _error_page(status: int, heading: str, message: str) -> Response:
    # The layout shows the visitor and the cart, read from the database; an error page must not
    # depend on it (the error may be the database being down).
    return render_page(
        "error.html", status, customer=None, cart_items=0, heading=heading, message=message
    )


@demo_blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """HTTP errors of the demo pages as a short HTML page."""
    return _error_page(error.code or 500, error.name, error.description or "")


@demo_blueprint.errorhandler(AdapterError)
def adapter_error(error: AdapterError) -> Response:
    """Adapter errors (e.g. the database is down) as a short HTML page."""
    return _error_page(error.status, "Sorry", error.message)
