"""A small Flask tea shop with its own SQLAlchemy models, serving the oct8ne adapter.

The shop keeps its catalog, customers, baskets and orders in its own tables (`models`). It hands
the adapter three things of its own: `TeaShopRepository` (products, customers, baskets,
wishlists, orders: no search), `TeaCatalogSource` (its items as product records and their
revisions: the adapter's index searches them, with exact facets) and `visitor_resolver` (who is
signed in, from its own session cookie). The adapter keeps its own tables (events, recorded
carts and orders for getCart and getSalesReport) in a database of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html import escape

from flask import Flask, Request, abort, redirect, request
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from oct8ne_adapter import Oct8neAdapter, Visitor, record_event
from oct8ne_adapter.events.model import CartUpdated, EventLine
from teashop.catalog import TeaCatalogSource
from teashop.models import BasketLine, Customer, Item
from teashop.repository import CURRENCY, TeaShopRepository

SESSION_COOKIE = "teashop_session"


class VisitorResolver:
    """Who the visitor is: the customer whose session token the shop's cookie holds."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def __call__(self, request: Request) -> Visitor:
        """The signed-in customer, else an anonymous visitor."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return Visitor()
        with self.sessions() as session:
            customer_id = session.scalar(select(Customer.id).where(Customer.session_token == token))
        return Visitor(customer_id=str(customer_id)) if customer_id is not None else Visitor()


def create_shop(
    shop_engine: Engine,
    adapter_database_url: str,
    *,
    shop_url: str,
    api_token: str,
    poll_ms: int = 500,
) -> Flask:
    """The shop app, with the adapter under /oct8ne; its index looks for changes every poll_ms."""
    app = Flask("teashop")
    app.config.update(
        OCT8NE_DATABASE_URL=adapter_database_url,
        OCT8NE_API_TOKEN=api_token,
        OCT8NE_SHOP_URL=shop_url,
        OCT8NE_DEFAULT_CURRENCY=CURRENCY,
        # Prices are kept in euros only; visitors who ask for these see them converted.
        OCT8NE_EXCHANGE_RATES={"USD": "1.08", "GBP": "0.85"},
        OCT8NE_DEFAULT_LOCALE="en-IE",
        OCT8NE_PLATFORM="Teashop",
        OCT8NE_ADD_TO_CART_PATH="/cart/add/{id}",
        OCT8NE_SEARCH_INDEX_POLL_MS=poll_ms,
    )
    sessions = sessionmaker(shop_engine, expire_on_commit=False)
    Oct8neAdapter(
        app,
        repository=TeaShopRepository(sessions),
        catalog_source=TeaCatalogSource(sessions),
        customer_resolver=VisitorResolver(sessions),
    )
    resolve = VisitorResolver(sessions)

    @app.get("/")
    def home() -> str:
        with sessions() as session:
            items = session.scalars(select(Item).where(Item.listed).order_by(Item.sku)).all()
            links = "".join(
                f'<li><a href="/items/{escape(item.sku)}">{escape(item.name_en)}</a> '
                f"{item.price_eur} {CURRENCY}</li>"
                for item in items
            )
        return f"<!doctype html><title>Tea shop</title><h1>Tea shop</h1><ul>{links}</ul>"

    @app.get("/items/<sku>")
    def item_page(sku: str) -> str:
        with sessions() as session:
            item = session.scalar(select(Item).where(Item.sku == sku, Item.listed))
            if item is None:
                abort(404)
            return (
                f"<!doctype html><title>{escape(item.name_en)}</title>"
                f"<h1>{escape(item.name_en)}</h1><p>{escape(item.blurb_en)}</p>"
                f'<form method="post" action="/cart/add/{escape(item.sku)}">'
                f"<button>Add to basket</button></form>"
            )

    @app.get("/static/items/<name>.svg")
    def item_image(name: str) -> Response:
        label = escape(name.upper()[:12])
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">'
            f'<rect width="240" height="240" fill="#8a9a5b"/><text x="20" y="130">{label}</text>'
            "</svg>"
        )
        return Response(svg, mimetype="image/svg+xml")

    @app.post("/cart/add/<sku>")
    def add_to_basket(sku: str) -> Response:
        visitor = resolve(request)
        if visitor.customer_id is None:
            return redirect("/")  # this small shop keeps baskets for signed-in customers only
        with sessions.begin() as session:
            item = session.scalar(select(Item).where(Item.sku == sku, Item.listed))
            if item is None:
                abort(404)
            customer_id = int(visitor.customer_id)
            line = session.scalar(
                select(BasketLine).where(
                    BasketLine.customer_id == customer_id, BasketLine.item_id == item.id
                )
            )
            if line is None:
                session.add(BasketLine(customer_id=customer_id, item_id=item.id, quantity=1))
            else:
                line.quantity += 1
            session.flush()
            event = basket_event(session, customer_id)
        # The adapter records the basket for getCart and getSalesReport (and any event sinks).
        record_event(event)
        return redirect(f"/items/{sku}")

    return app


def basket_event(session: Session, customer_id: int) -> CartUpdated:
    """The customer's whole basket as a commerce event."""
    lines = session.scalars(
        select(BasketLine).where(BasketLine.customer_id == customer_id).order_by(BasketLine.id)
    ).all()
    event_lines = tuple(
        EventLine(line.item.sku, line.item.name_en, line.quantity, line.item.price_eur)
        for line in lines
    )
    total = sum((line.total for line in event_lines), Decimal(0))
    return CartUpdated(
        cart_id=f"basket-{customer_id}",
        currency=CURRENCY,
        lines=event_lines,
        subtotal=total,
        total=total,
        occurred_at=datetime.now(UTC).replace(tzinfo=None),
        customer_id=str(customer_id),
        logged_in=True,
    )


def shop_engine(url: str) -> Engine:
    """The engine of the shop's own database."""
    return create_engine(url)
