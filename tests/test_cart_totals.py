"""getCart and getSalesReport as the platform adapters send them, on every backend (issue 17).

DESIGN §3: getCart `{price, finalPrice, currency, totalItems, cart}` with "amounts as JSON
numbers as the platform adapters send them: `price` the subtotal, `finalPrice` the grand total";
getSalesReport rows with "times as UTC `YYYY-MM-DD HH:MM:SS` like the platform adapters".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import API_TOKEN, adapter_config
from flask import Flask
from flask.testing import FlaskClient
from test_events_recording import AUTH, SECRET, cart_json, order_json

from oct8ne_adapter import create_app
from oct8ne_adapter.sql.database import Database

CART_TIME = "2026-01-15T10:00:00+00:00"
ORDER_TIME = "2026-01-15T10:05:00+00:00"


@pytest.fixture
def reports_app(events_database: Database) -> Iterator[Flask]:
    """The standalone adapter recording commerce events into a new database of the backend."""
    url = events_database.engine.url.render_as_string(hide_password=False)
    app = create_app(adapter_config(url, OCT8NE_EVENTS_SECRET=SECRET))
    yield app
    app.extensions["oct8ne"].database.engine.dispose()


def record(client: FlaskClient, kind: str, body: dict[str, Any]) -> None:
    response = client.post(f"/oct8ne/events/{kind}", json=body, headers=AUTH)
    assert response.status_code == 202, response.get_json()


def test_an_empty_cart_is_zero(client: FlaskClient) -> None:
    assert client.get("/oct8ne/frame/getCart").get_json() == {
        "price": 0,
        "finalPrice": 0,
        "currency": "USD",
        "totalItems": 0,
        "cart": [],
    }
    # Numbers in the text itself, not strings a JavaScript reader would have to parse.
    assert b'"price":0.0' in client.get("/oct8ne/frame/getCart").data


def test_a_recorded_cart_and_the_sales_report_as_the_platform_adapters_send_them(
    reports_app: Flask,
) -> None:
    client = reports_app.test_client()
    token = reports_app.extensions["oct8ne"].repository.create_session(None)
    key = hashlib.sha256(token.encode()).hexdigest()  # the guest's cart key, standalone
    record(
        client,
        "cart-updated",
        cart_json(customer_id=None, shop_session=key, occurred_at=CART_TIME),
    )
    client.set_cookie("shop_session", token)
    cart = client.get("/oct8ne/frame/getCart").get_json()
    # The subtotal of the lines (2 x 12.50 + 5) and the total after the cart's 3.00 discount.
    assert (cart["price"], cart["finalPrice"], cart["currency"]) == (30, 27, "EUR")
    assert [(line["internalId"], line["price"]) for line in cart["cart"]] == [
        ("P-1", 12.5),
        ("P-2", 5),
    ]
    assert all(isinstance(cart[name], float) for name in ("price", "finalPrice"))
    order = {**order_json(), "occurred_at": ORDER_TIME}
    record(client, "order-placed", order)
    period = {"from": "2026-01-15", "to": "2026-01-15", "apiToken": API_TOKEN}
    rows = client.get("/oct8ne/frame/getSalesReport", query_string=period).get_json()
    assert rows == [
        {
            "quoteId": "C-1",
            "orderId": "O-1",
            "sessionId": "OS-1",
            "customerId": None,
            "price": 25,
            "finalPrice": 30.25,
            "currency": "EUR",
            "productsCount": 1,
            "itemsCount": 2,
            "lastAction": "C",
            "utcCreated": "2026-01-15 10:00:00",
            "utcLastUpdated": "2026-01-15 10:05:00",
        }
    ]
    assert all(isinstance(rows[0][name], float) for name in ("price", "finalPrice"))
