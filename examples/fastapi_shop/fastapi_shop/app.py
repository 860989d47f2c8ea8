"""The FastAPI shop: a few storefront routes, Starlette's session, the adapter at /oct8ne.

The adapter is a WSGI (Flask) app; a2wsgi's WSGIMiddleware bridges it into ASGI. a2wsgi rather
than Starlette's own bridge: `starlette.middleware.wsgi` is deprecated (importing it warns and
points to a2wsgi), and a2wsgi hands the ASGI scope to the WSGI app, which is how the adapter sees
the session that SessionMiddleware decoded (see visitor.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from html import escape
from typing import Annotated

from a2wsgi import WSGIMiddleware
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.middleware.sessions import SessionMiddleware

from fastapi_shop.adapter import adapter_app, record_cart
from fastapi_shop.models import Cart, CartLine, Customer, Product, shop_sessions
from fastapi_shop.visitor import CART_KEY, CUSTOMER_KEY
from oct8ne_adapter import Visitor

SESSIONS = shop_sessions()


def database() -> Iterator[Session]:
    """A session of the shop's database for one request, committed if the route succeeds."""
    with SESSIONS.begin() as session:
        yield session


Database = Annotated[Session, Depends(database)]

app = FastAPI(title="fastapi_shop", docs_url=None, redoc_url=None)


def _secret_key() -> str:
    key = os.environ.get("SHOP_SECRET_KEY", "")
    if not key:
        raise RuntimeError("set SHOP_SECRET_KEY (run.sh makes one for each start)")
    return key


# Lax: other sites' pages cannot send the visitor's session along with a <script> tag or a form
# (the adapter answers customerData from it; see the adapter's docs/running.md).
app.add_middleware(SessionMiddleware, secret_key=_secret_key(), same_site="lax")
ADAPTER = adapter_app()
app.mount("/oct8ne", WSGIMiddleware(ADAPTER))  # type: ignore[arg-type]


def _title(product: Product) -> str:
    return next((text.title for text in product.texts if text.language == "en"), product.sku)


@app.get("/", response_class=HTMLResponse)
def home(request: Request, session: Database) -> str:
    """Every product, and who is signed in."""
    products = session.scalars(
        select(Product).where(Product.active).options(selectinload(Product.texts))
    )
    rows = "".join(
        f"<li><a href='/product/{escape(p.sku)}'>{escape(_title(p))}</a></li>" for p in products
    )
    who = request.session.get(CUSTOMER_KEY)
    return f"<!doctype html><title>fastapi_shop</title><p>customer: {who}</p><ul>{rows}</ul>"


def _active_product(session: Session, sku: str) -> Product:
    product = session.scalar(
        select(Product)
        .where(Product.sku == sku, Product.active)
        .options(selectinload(Product.texts))
    )
    if product is None:
        raise HTTPException(404, "no such product")
    return product


@app.get("/product/{sku}", response_class=HTMLResponse)
def product_page(sku: str, session: Database) -> str:
    """A product page (the adapter's productUrl)."""
    product = _active_product(session, sku)
    title = escape(_title(product))
    return f"<!doctype html><title>{title}</title><h1>{title}</h1>"


@app.get("/product/{sku}/image.svg")
def product_image(sku: str, session: Database) -> Response:
    """A drawn picture of the product (the adapter's thumbnail)."""
    product = _active_product(session, sku)
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='120'><rect width='120' "
        f"height='120' fill='#ded'/><text x='10' y='65'>{escape(product.sku)}</text></svg>"
    )
    return Response(svg, media_type="image/svg+xml")


class SignIn(BaseModel):
    """Demo sign-in by e-mail alone (a real shop checks a password or a token)."""

    email: str


@app.post("/login")
def login(body: SignIn, request: Request, session: Database) -> dict[str, str]:
    """Sign in: the customer's id goes into the session; a guest cart becomes theirs."""
    customer = session.scalar(select(Customer).where(Customer.email == body.email.strip().lower()))
    if customer is None:
        raise HTTPException(400, "no customer has this e-mail")
    guest_key = request.session.pop(CART_KEY, None)
    owned = session.scalar(select(Cart).where(Cart.customer_id == customer.id))
    guest = session.scalar(select(Cart).where(Cart.guest_key == guest_key)) if guest_key else None
    if guest is not None and owned is None:
        guest.customer_id, guest.guest_key = customer.id, None
    request.session[CUSTOMER_KEY] = customer.id
    return {"signedIn": customer.email}


@app.post("/logout")
def logout(request: Request) -> dict[str, str]:
    """Sign out: the session is emptied, so the adapter sees an anonymous visitor."""
    request.session.clear()
    return {"signedIn": ""}


@app.post("/cart/add/{sku}")
def add_to_cart(sku: str, request: Request, session: Database) -> RedirectResponse:
    """Add one of a product to the visitor's cart (the adapter's addToCartUrl)."""
    product = _active_product(session, sku)
    customer_id = request.session.get(CUSTOMER_KEY)
    if isinstance(customer_id, int):
        cart = session.scalar(select(Cart).where(Cart.customer_id == customer_id))
        cart = cart or Cart(customer_id=customer_id)
        visitor = Visitor(customer_id=str(customer_id))
    else:
        key = request.session.setdefault(CART_KEY, secrets.token_urlsafe(24))
        cart = session.scalar(select(Cart).where(Cart.guest_key == key)) or Cart(guest_key=key)
        visitor = Visitor(cart_key=key)
    session.add(cart)
    line = next((line for line in cart.lines if line.product_id == product.id), None)
    if line is None:
        cart.lines.append(CartLine(product=product, quantity=1))
    else:
        line.quantity += 1
    session.commit()  # the snapshot below reads the cart as stored
    record_cart(ADAPTER, f"fastapi-cart-{cart.id}", visitor, request.cookies)
    return RedirectResponse("/", status_code=303)
