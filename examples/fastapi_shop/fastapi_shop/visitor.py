"""Who is calling the adapter: the visitor of the Starlette session of this very request.

FastAPI's session is Starlette's `SessionMiddleware`: a signed cookie, decoded (and its signature
checked) by the middleware into `scope["session"]` before any route or mount runs. The adapter is
mounted through a2wsgi, which hands the ASGI scope to the WSGI app as `environ["asgi.scope"]`, so
the adapter reads the session the middleware already verified: no second decoding, no secret
shared with the adapter. A request that did not pass the middleware has no session: anonymous.
"""

from __future__ import annotations

from flask import Request

from oct8ne_adapter import Visitor

#: Keys this shop keeps in the session: the signed-in customer and the guest cart.
CUSTOMER_KEY = "customer_id"
CART_KEY = "cart_key"


def starlette_session_visitor(request: Request) -> Visitor:
    """The signed-in customer and the guest cart key from the request's Starlette session."""
    scope = request.environ.get("asgi.scope") or {}
    session = scope.get("session") or {}
    customer_id = session.get(CUSTOMER_KEY)
    cart_key = session.get(CART_KEY)
    return Visitor(
        customer_id=str(customer_id) if isinstance(customer_id, int) else None,
        cart_key=cart_key if isinstance(cart_key, str) and cart_key else None,
    )
