"""The demo storefront: search, product pages, the cart, sign-in and an order confirmation.

Every page carries the oct8ne widget through the same template helpers a Flask shop uses
(`oct8ne_widget`, `oct8ne_sale_notification`, ...), so the demo is also their example. Data comes
from the adapter's repository and the demo loader's sign-in helpers; the views hold no SQL.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from oct8ne_adapter.domain import Customer, Money, Product
from oct8ne_adapter.errors import AdapterError
from oct8ne_adapter.sql.sessions import SESSION_LIFETIME
from oct8ne_adapter.web.params import Presentation, parse_presentation, parse_search
from oct8ne_adapter.web.pricing import display_price, format_money, locale_tag
from oct8ne_adapter.web.state import AdapterState, adapter_state
from oct8ne_adapter_demo.loader import JANE, end_demo_session, sign_in_demo_customer

demo_blueprint = Blueprint("oct8ne_demo", __name__, url_prefix="/demo", template_folder="templates")

IMAGE_SIZE_DEFAULT = 400
IMAGE_SIZE_MIN = 16
IMAGE_SIZE_MAX = 1000
IMAGE_MAX_AGE = 86_400
PAGE_SIZE = 12
RELATED_SHOWN = 4
#: Orders looked at to find the signed-in customer's confirmation page.
ORDERS_SHOWN = 20
#: Pages that sign-in may return to (`next`), by endpoint: never an arbitrary URL.
RETURN_PAGES = frozenset({"index", "cart", "checkout_success"})
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


def _state() -> AdapterState:
    return adapter_state(current_app)


def _presentation() -> Presentation:
    # `locale` and `currency` in the query string change the shop's (and the widget's) locale.
    return parse_presentation(request.args, _state().settings)


def _signed_in_customer() -> Customer | None:
    state = _state()
    customer_id = state.resolve_visitor(request).customer_id
    return state.repository.get_customer(customer_id) if customer_id else None


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """A demo page: the layout's context (visitor, cart size, widget) and the page's own."""
    state = _state()
    presentation: Presentation = context.pop("presentation", None) or _presentation()
    if "customer" not in context:
        context["customer"] = _signed_in_customer()
    if "cart_items" not in context:
        cart = state.repository.get_cart(state.resolve_visitor(request), presentation.languages)
        context["cart_items"] = sum(line.quantity for line in cart.lines)
    credentials = state.credentials()
    html = render_template(
        f"oct8ne_demo/{template}",
        language=presentation.locale.language,
        locale_tag=locale_tag(presentation.locale),
        currency=presentation.currency,
        search_text=context.pop("search_text", ""),
        current_product=context.pop("current_product", None),
        widget_licensed=bool(credentials.license_id),
        static_host=credentials.static_server,
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def _asset_url(url: str) -> str:
    """A catalog URL for this server's pages: shop-root paths follow the mount point."""
    if url.startswith("/") and not url.startswith("//"):
        return request.script_root + url
    return url


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
        "image": _asset_url(picture or url_for(".image", product_id=product.id)),
        "title": product.title,
        "price": price,
        "previous": previous,
    }


@demo_blueprint.get("/")
def index() -> Response:
    """The shop's home: a search box and a grid of products, a page at a time."""
    args = request.args.copy()
    args.setdefault("pageSize", str(PAGE_SIZE))
    query, presentation = parse_search(args, _state().settings)
    result = _state().repository.search(query)
    shown = len(result.products)

    def page_url(offset: int) -> str:
        args: dict[str, Any] = {**request.args.to_dict(), "page": offset // query.limit + 1}
        return url_for(".index", **args)

    has_next = query.offset + shown < result.total
    return _page(
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
        jane_name=f"{JANE.first_name} {JANE.last_name}",
        jane_email=JANE.email,
    )


@demo_blueprint.get("/product/<product_id>")
def product(product_id: str) -> Response:
    """A product page; it hands the product to the widget as `currentProduct`."""
    state = _state()
    presentation = _presentation()
    products = state.repository.get_products([product_id], presentation.languages)
    if not products:
        abort(404, "There is no product with this id.")
    found = products[0]
    price, previous = _prices(found, presentation)
    related = state.repository.related_products(found.id, presentation.languages, RELATED_SHOWN)
    picture = found.medias[0] if found.medias else found.thumbnail
    return _page(
        "product.html",
        presentation=presentation,
        current_product=found,
        product=found,
        price=price,
        previous=previous,
        image=_asset_url(picture or url_for(".image", product_id=found.id)),
        related=[_card(item, presentation) for item in related],
    )


@demo_blueprint.get("/cart")
def cart() -> Response:
    """The visitor's cart: the signed-in customer's, else the guest cart of the session."""
    state = _state()
    presentation = _presentation()
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
                "image": _asset_url(
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
    return _page(
        "cart.html",
        presentation=presentation,
        lines=lines,
        total=total,
        cart_items=sum(line.quantity for line in found.lines),
    )


def _return_url() -> str:
    page = request.args.get("next", "")
    return url_for(f".{page}" if page in RETURN_PAGES else ".index")


@demo_blueprint.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    """The sign-in page; a posted (or linked `?email=`) address signs that demo customer in."""
    state = _state()
    database = state.database
    if database is None:
        abort(404, "The demo customers live in the adapter's own database, which is not in use.")
    email = request.form.get("email") or request.args.get("email")
    next_page = request.args.get("next", "")
    if email is None:
        return _page(
            "login.html",
            email=JANE.email,
            error="",
            next_page=next_page if next_page in RETURN_PAGES else "",
            jane_name=f"{JANE.first_name} {JANE.last_name}",
            jane_email=JANE.email,
        )
    token = sign_in_demo_customer(database, email)
    if token is None:
        return _page(
            "login.html",
            404,
            email=email,
            error="There is no customer with this email address.",
            next_page=next_page if next_page in RETURN_PAGES else "",
            jane_name=f"{JANE.first_name} {JANE.last_name}",
            jane_email=JANE.email,
        )
    response = redirect(_return_url(), 303 if request.method == "POST" else 302)
    response.set_cookie(
        state.settings.session_cookie,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@demo_blueprint.get("/logout")
def logout() -> BaseResponse:
    """Sign out: forget the shop session and delete its cookie."""
    state = _state()
    cookie_name = state.settings.session_cookie
    token = request.cookies.get(cookie_name)
    if token and state.database is not None:
        end_demo_session(state.database, token)
    response = redirect(url_for(".index"))
    response.delete_cookie(cookie_name, path="/", httponly=True, samesite="Lax")
    return response


@demo_blueprint.get("/checkout/success")
def checkout_success() -> BaseResponse:
    """The order confirmation page, with oct8ne's sale notification.

    The demo stores no new orders, so it confirms one of the signed-in customer's orders: the
    latest, or the one named by `reference`.
    """
    state = _state()
    presentation = _presentation()
    customer = _signed_in_customer()
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
    return _page(
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
    return _page(
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
