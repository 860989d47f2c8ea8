"""The demo shop's pages: a start page, sign-in as a demo customer, product pages, images."""

from __future__ import annotations

import hashlib
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template_string,
    request,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..domain import Money
from ..errors import AdapterError
from ..extension import AdapterState, adapter_state
from ..pricing import format_money, parse_locale
from ..sql.demo_loader import JANE, end_demo_session, sign_in_demo_customer
from ..sql.sessions import SESSION_LIFETIME

demo_blueprint = Blueprint("oct8ne_demo", __name__, url_prefix="/demo")

IMAGE_SIZE_DEFAULT = 400
IMAGE_SIZE_MIN = 16
IMAGE_SIZE_MAX = 1000
IMAGE_MAX_AGE = 86_400
_PRODUCT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_SIZE = re.compile(r"[0-9]{1,4}")

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · oct8ne-adapter demo</title>
<style>
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
         background: #f5f7fa; margin: 0; }
  main { max-width: 46rem; margin: 2.5rem auto; padding: 2rem 2.5rem; background: #fff;
         border-radius: 12px; box-shadow: 0 1px 4px rgba(0, 0, 0, .08); }
  h1 { font-size: 1.6rem; margin-top: 0; }
  h2 { font-size: 1.1rem; margin-top: 2rem; }
  a { color: #0b69a3; }
  code { background: #eef2f6; padding: .1rem .35rem; border-radius: 4px; font-size: .9em; }
  ul { padding-left: 1.2rem; }
  li { margin: .3rem 0; }
  .status { padding: .6rem .9rem; border-radius: 8px; background: #eef6ee; }
  .status.anonymous { background: #fdf6e3; }
  .price { font-size: 1.4rem; font-weight: 600; }
  .previous { color: #7b8794; text-decoration: line-through; margin-left: .5rem; }
  img { border-radius: 8px; }
</style>
</head>
<body><main>{{ body }}</main></body>
</html>"""

_INDEX = """
<h1>oct8ne-adapter demo shop</h1>
<p>This server runs the adapter on a generated fashion and outdoor catalog, with two demo
customers. oct8ne's widget calls the adapter at
<code>{{ url_for('oct8ne.frame', method='') }}&lt;method&gt;</code>;
the links below make the same calls so you can read the answers.</p>
{% if customer_id %}
<p class="status">Signed in as customer <strong>{{ customer_id }}</strong>.
<a href="{{ url_for('.logout') }}">Sign out</a></p>
{% else %}
<p class="status anonymous">You are not signed in.
<a href="{{ url_for('.login') }}">Sign in as {{ jane_name }}</a></p>
{% endif %}
<h2>Customers</h2>
<ul>
  <li><a href="{{ url_for('.login') }}">Sign in as {{ jane_name }}</a>
      ({{ jane_email }}: a cart, a wishlist and five orders)</li>
  <li><a href="{{ url_for('.login', email='john.smith@example.com') }}">Sign in as John Smith</a>
      (one order)</li>
  <li><a href="{{ url_for('.logout') }}">Sign out</a></li>
</ul>
<h2>Frame calls</h2>
<ul>
{%- for label, method, query in calls %}
  <li><a href="{{ url_for('oct8ne.frame', method=method) }}{{ query }}">{{ label }}</a>
      <code>{{ method }}{{ query }}</code></li>
{%- endfor %}
</ul>
<h2>Products</h2>
<ul>
  <li><a href="{{ url_for('.product', product_id='1001') }}">1001</a>: on sale, with sizes</li>
  <li><a href="{{ url_for('.product', product_id='1002') }}">1002</a>: no discount,
      no variants</li>
</ul>
<p>Orders (<code>getOrders</code>, <code>getOrderDetails</code>) need the configured
<code>apiToken</code>, so they are not linked here.</p>
"""

_PRODUCT = """
<p><a href="{{ url_for('.index') }}">← Demo home</a></p>
<h1>{{ product.title }}</h1>
<img src="{{ image }}" width="240" height="240" alt="">
<p>
  <span class="price">{{ price }}</span>
  {% if previous %}<span class="previous">{{ previous }}</span>{% endif %}
</p>
<p>{{ product.description }}</p>
<p>Product id <code>{{ product.id }}</code>{% if product.stock is not none %},
{{ product.stock }} in stock{% endif %}.</p>
"""

_ERROR = """
<h1>{{ heading }}</h1>
<p>{{ message }}</p>
<p><a href="{{ url_for('.index') }}">Back to the demo</a></p>
"""

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


def _page(title: str, body_template: str, status: int = 200, **context: object) -> Response:
    # The body was rendered with autoescaping on, so it is safe to embed as it is.
    body = Markup(render_template_string(body_template, **context))
    html = render_template_string(_LAYOUT, title=title, body=body)
    return Response(html, status=status, mimetype="text/html")


def _state() -> AdapterState:
    return adapter_state(current_app)


@demo_blueprint.get("/")
def index() -> Response:
    """The demo's start page."""
    visitor = _state().resolve_visitor(request)
    return _page(
        "Demo",
        _INDEX,
        customer_id=visitor.customer_id,
        jane_name=f"{JANE.first_name} {JANE.last_name}",
        jane_email=JANE.email,
        calls=FRAME_CALLS,
    )


@demo_blueprint.get("/login")
def login() -> BaseResponse:
    """Sign in as a demo customer (Jane by default) and go back to the start page."""
    database = _state().database
    if database is None:
        abort(404, "The demo customers live in the adapter's own database, which is not in use.")
    token = sign_in_demo_customer(database, request.args.get("email", JANE.email))
    if token is None:
        abort(404, "There is no customer with this email address.")
    response = redirect(url_for(".index"))
    response.set_cookie(
        _state().settings.session_cookie,
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


@demo_blueprint.get("/product/<product_id>")
def product(product_id: str) -> Response:
    """A minimal product page, read through the adapter's repository."""
    state = _state()
    settings = state.settings
    products = state.repository.get_products([product_id], ("en",))
    if not products:
        abort(404, "There is no product with this id.")
    found = products[0]
    currency = (
        settings.default_currency
        if settings.default_currency in found.prices
        else next(iter(sorted(found.prices)), None)
    )
    price = previous = ""
    if currency is not None:
        locale = parse_locale(settings.default_locale, "en-US")
        entry = found.prices[currency]
        price = format_money(Money(entry.amount, currency), locale)
        if entry.previous_amount is not None and entry.previous_amount > entry.amount:
            previous = format_money(Money(entry.previous_amount, currency), locale)
    return _page(
        found.title,
        _PRODUCT,
        product=found,
        price=price,
        previous=previous,
        image=found.medias[0] if found.medias else url_for(".image", product_id=found.id),
    )


@demo_blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """HTTP errors of the demo pages as a short HTML page."""
    status = error.code or 500
    return _page(error.name, _ERROR, status, heading=error.name, message=error.description)


@demo_blueprint.errorhandler(AdapterError)
def adapter_error(error: AdapterError) -> Response:
    """Adapter errors (e.g. the database is down) as a short HTML page."""
    return _page("Unavailable", _ERROR, error.status, heading="Sorry", message=error.message)
