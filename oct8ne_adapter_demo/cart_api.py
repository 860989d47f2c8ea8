"""The demo's AJAX add-to-cart: what productInfo's `addToCartUrl` points at in demo mode.

API 2.4, ProductInfo: "Absolute URL to which a request must be sent to add the product to the
shopping cart ... the widget will make an AJAX request to this address. By default, the HTTP
verb ... will be "POST"" (`addToCartHttpVerb` may make it GET). The demo's `add_to_cart_path`
is `/demo/cart/add/{id}` (`DEMO_ADD_TO_CART_PATH`), so the URL the frame hands out is this one.

oct8ne's widget cannot send a CSRF token, so a request the browser marks `Sec-Fetch-Site:
cross-site` is refused (403, JSON with the reason) unless its origin is in `cors_origins`; the
same origin, the same site and requests without the header (older browsers) are answered.
A same-site page on another origin gets CORS headers with credentials, so it can read the answer.
"""

from __future__ import annotations

import re

from flask import Response, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.sql.sessions import SESSION_LIFETIME, hash_token
from oct8ne_adapter.web.cross_site import request_origin
from oct8ne_adapter_demo.carts import add_to_cart, start_guest_session
from oct8ne_adapter_demo.pages import current_presentation, demo_blueprint, demo_state
from oct8ne_adapter_demo.security import cross_site

DEMO_ADD_TO_CART_PATH = "/demo/cart/add/{id}"
MAX_ID_LENGTH = 255
_QUANTITY = re.compile(r"[1-9][0-9]{0,1}")


def _answer(status: int, **body: object) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    origin = request_origin(request)
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if site == "same-site" and origin and request.headers.get("Origin"):
        # Another origin of the shop's own site (www. and shop.): let its page read the answer.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.vary.add("Origin")
    return response


def _refused(status: int, reason: str) -> Response:
    return _answer(status, result="false", reason=reason)


@demo_blueprint.route("/cart/add/<path:item_id>", methods=["GET", "POST"])
def add_to_cart_endpoint(item_id: str) -> BaseResponse:
    """Add the product (or variant) to the visitor's cart and answer JSON."""
    state = demo_state()
    settings = state.settings
    verb = settings.widget.add_to_cart_http_verb
    if request.method != verb:
        wrong_verb = _refused(405, f"Add to the cart with {verb} (add_to_cart_http_verb).")
        wrong_verb.headers["Allow"] = verb
        return wrong_verb
    if cross_site(request, settings):
        return _refused(403, "Requests from another site cannot add to this shop's cart.")
    if state.database is None:
        return _refused(404, "The demo's carts live in the adapter's own database.")
    quantity_text = request.values.get("quantity", "1").strip()
    if not _QUANTITY.fullmatch(quantity_text):
        return _refused(400, "quantity must be a whole number from 1 to 99.")
    presentation = current_presentation()
    if not item_id or len(item_id) > MAX_ID_LENGTH:
        return _refused(404, "There is no product with this id.")
    found = state.repository.get_products([item_id], presentation.languages)
    if not found:
        return _refused(404, "There is no product with this id.")
    if found[0].sold_out:
        return _refused(409, "This product is out of stock.")
    visitor = state.resolve_visitor(request)
    new_token = None
    if visitor.customer_id is None and not visitor.cart_key:
        # A first add: the guest's cart needs a shop session to belong to.
        new_token = start_guest_session(state.database)
        visitor = Visitor(customer_id=None, cart_key=hash_token(new_token))
    added = add_to_cart(state.database, visitor, item_id, int(quantity_text), presentation.currency)
    if added is None:
        return _refused(404, "There is no product with this id.")
    if request.values.get("return_to") == "cart":
        # The product page's own button: a form, so the visitor goes on to the cart.
        response: BaseResponse = redirect(url_for(".cart"), 303)
    else:
        response = _answer(
            200,
            result="true",
            productId=item_id,
            quantity=added.quantity,
            cartItems=added.cart_items,
        )
    if new_token is not None:
        response.set_cookie(
            settings.session_cookie,
            new_token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/",
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
