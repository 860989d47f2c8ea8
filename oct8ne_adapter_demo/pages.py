"""What every demo view shares: the blueprint, the adapter's state, the visitor, the page layout."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from oct8ne_adapter.domain import Customer
from oct8ne_adapter.web.params import Presentation, parse_presentation
from oct8ne_adapter.web.pricing import locale_tag
from oct8ne_adapter.web.state import AdapterState, adapter_state
from oct8ne_adapter_demo.security import CSRF_FIELD, csrf_token, new_nonce

demo_blueprint = Blueprint("oct8ne_demo", __name__, url_prefix="/demo", template_folder="templates")


def demo_state() -> AdapterState:
    """The adapter's state of the current app."""
    return adapter_state(current_app)


def current_presentation() -> Presentation:
    """The locale and currency asked for in the query string (the shop's and the widget's)."""
    return parse_presentation(request.args, demo_state().settings)


def signed_in_customer() -> Customer | None:
    """The customer of the visitor's shop session, if signed in."""
    state = demo_state()
    customer_id = state.resolve_visitor(request).customer_id
    return state.repository.get_customer(customer_id) if customer_id else None


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """A demo page: the layout's context (visitor, cart size, widget) and the page's own."""
    state = demo_state()
    presentation: Presentation = context.pop("presentation", None) or current_presentation()
    if "customer" not in context:
        context["customer"] = signed_in_customer()
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
        # The sign-out button (and the sign-in forms) post the token; the nonce lets the
        # page's inline script through the Content-Security-Policy.
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(),
        csp_nonce=new_nonce(),
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def asset_url(url: str) -> str:
    """A catalog URL for this server's pages: shop-root paths follow the mount point."""
    if url.startswith("/") and not url.startswith("//"):
        return request.script_root + url
    return url
