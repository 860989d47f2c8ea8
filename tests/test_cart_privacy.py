"""getCart answers a recorded cart only to the shop session that owns it (issue 16, item 1).

The attack: after a cart event for customer 1 with `oct8ne_session=victim-sess-123`, a request
carrying only `Cookie: oct8ne-session=victim-sess-123` (or the same id inside
`oct8ne-visitor-ids`) got that customer's cart. oct8ne's cookies are set by the visitor at will:
they only link rows for the sales report. A customer's cart goes to a session signed in as that
customer; an anonymous cart to the shop session it was recorded with (`shop_session`, the
resolver's `Visitor.cart_key`, stored hashed).
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from conftest import adapter_config
from flask import Flask
from sqlalchemy import select
from test_browser import serve

from oct8ne_adapter import Oct8neAdapter, Visitor, create_app
from oct8ne_adapter.events.model import CartUpdated, EventLine, VisitorIds
from oct8ne_adapter.extension import record_event
from oct8ne_adapter.sql.models import OutboxEvent, RecordedCart
from oct8ne_adapter.web.state import adapter_state

SECRET = "cart-privacy-events-secret-0123456789"
AUTH = {"Authorization": f"Bearer {SECRET}"}
VICTIM_SESSION = "victim-sess-123"
NOW = datetime.now(UTC).replace(microsecond=0)
NOW_PRICE = Decimal("3.00")


def cart_body(cart_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cart_id": cart_id,
        "currency": "EUR",
        "lines": [{"product_id": "P-1", "name": "Lamp", "quantity": 2, "unit_price": "12.50"}],
        "subtotal": "25.00",
        "total": "25.00",
        "occurred_at": NOW.isoformat(),
        "visitor": {"oct8ne_session": VICTIM_SESSION},
    }
    body.update(overrides)
    return body


@pytest.fixture
def shop(database_url: str) -> Iterator[Flask]:
    """The standalone adapter (demo database) with events on, served by a real HTTP server."""
    app = create_app(adapter_config(database_url, OCT8NE_EVENTS_SECRET=SECRET))
    yield app
    database = adapter_state(app).database
    assert database is not None
    database.engine.dispose()


def guest_session(app: Flask) -> tuple[str, str]:
    """A new guest shop session: its cookie value and its cart key (the cookie's SHA-256)."""
    token = adapter_state(app).repository.create_session(None)  # type: ignore[attr-defined]
    return token, hashlib.sha256(token.encode()).hexdigest()


def get(port: int, path: str, cookie: str | None = None, **headers: str) -> tuple[int, Any]:
    """A raw GET over a real socket, with exactly the Cookie header given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if cookie is not None:
            headers["Cookie"] = cookie
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def post(port: int, path: str, body: dict[str, Any]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {**AUTH, "Content-Type": "application/json"}
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.writes_database
def test_oct8ne_cookies_never_give_a_recorded_cart_end_to_end(shop: Flask):
    jane_token = adapter_state(shop).repository.create_session("1")  # type: ignore[attr-defined]
    guest_token, guest_key = guest_session(shop)
    server, thread = serve(shop)
    port = server.server_port
    try:
        assert post(port, "/oct8ne/events/cart-updated", cart_body("C-J", customer_id="1")) == 202
        guest_cart = cart_body("C-G", shop_session=guest_key, subtotal="9.00", total="9.00")
        assert post(port, "/oct8ne/events/cart-updated", guest_cart) == 202
        attacks = (
            f"oct8ne-session={VICTIM_SESSION}",
            f"oct8ne-visitor-ids=oct8ne_session={VICTIM_SESSION}",
            f"oct8ne-session={VICTIM_SESSION}; shop_session=forged",
        )
        for cookie in attacks:
            status, cart = get(port, "/oct8ne/frame/getCart", cookie)
            assert (status, cart["cart"], cart["totalItems"]) == (200, [], 0), cookie
        # The owners: Jane's session gets Jane's cart, the guest session its own cart only.
        _, jane = get(port, "/oct8ne/frame/getCart", f"shop_session={jane_token}")
        assert (jane["price"], jane["finalPrice"], jane["totalItems"]) == (25, 25, 2)
        _, guest = get(port, "/oct8ne/frame/getCart", f"shop_session={guest_token}")
        assert guest["finalPrice"] == 9
        other_token, _ = guest_session(shop)
        _, other = get(port, "/oct8ne/frame/getCart", f"shop_session={other_token}")
        assert other["finalPrice"] != 9
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.writes_database
def test_the_shop_session_is_stored_hashed_and_never_relayed(shop: Flask):
    _, guest_key = guest_session(shop)
    client = shop.test_client()
    response = client.post(
        "/oct8ne/events/cart-updated", json=cart_body("C-H", shop_session=guest_key), headers=AUTH
    )
    assert response.status_code == 202
    database = adapter_state(shop).database
    assert database is not None
    with database.session() as session:
        (payload,) = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.subject == "C-H")
        ).all()
        stored = session.scalars(
            select(RecordedCart.shop_session_hash).where(RecordedCart.cart_id == "C-H")
        ).one()
    assert guest_key not in payload and "shop_session" not in payload
    assert stored == hashlib.sha256(guest_key.encode()).hexdigest()


def test_a_too_long_shop_session_is_a_400(shop: Flask):
    response = shop.test_client().post(
        "/oct8ne/events/cart-updated", json=cart_body("C-L", shop_session="k" * 257), headers=AUTH
    )
    assert response.status_code == 400
    assert "shop_session" in response.get_json()["message"]


def test_record_event_in_a_request_takes_the_key_from_the_visitor_resolver(
    migrated_sqlite_file, tmp_path
):
    """A Flask shop's own resolver: the cart recorded in the visitor's request is theirs only."""
    path = tmp_path / "shop.db"
    path.write_bytes(migrated_sqlite_file.read_bytes())
    shop = Flask("shop")
    shop.config.update(adapter_config(f"sqlite:///{path}"))

    def resolver(incoming: Any) -> Visitor:
        return Visitor(cart_key=incoming.cookies.get("cart") or None)

    Oct8neAdapter(shop, customer_resolver=resolver)

    @shop.post("/add")
    def add() -> str:
        line = EventLine("P-1", "Lamp", 1, NOW_PRICE)
        event = CartUpdated(
            "C-R", "EUR", (line,), NOW_PRICE, NOW_PRICE, NOW, VisitorIds(VICTIM_SESSION)
        )
        return str(record_event(event))

    owner = shop.test_client()
    owner.set_cookie("cart", "cart-of-the-owner")
    assert owner.post("/add").get_data(as_text=True) == "True"
    assert owner.get("/oct8ne/frame/getCart").get_json()["finalPrice"] == 3
    stranger = shop.test_client()
    stranger.set_cookie("oct8ne-session", VICTIM_SESSION)
    assert stranger.get("/oct8ne/frame/getCart").get_json()["cart"] == []
    stranger.set_cookie("cart", "cart-of-someone-else")
    assert stranger.get("/oct8ne/frame/getCart").get_json()["cart"] == []
    adapter_state(shop).database.engine.dispose()  # type: ignore[union-attr]
