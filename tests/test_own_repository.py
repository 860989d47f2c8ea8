"""A shop's own repository keeps the adapter's own tables: events, relay, getCart, sales report.

The catalog, customers and orders come from the shop's repository (here the in-memory
reference repository); the outbox, the recorded carts and orders and the stored link-up live
in the configured `database_url`, exactly as they do beside our SQL catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import API_TOKEN, adapter_config, frame
from flask import Flask
from sqlalchemy import func, select

from oct8ne_adapter import create_app, record_event
from oct8ne_adapter.events.model import CartUpdated, EventLine, OrderPlaced, VisitorIds
from oct8ne_adapter.platform.credentials import PlatformCredentials
from oct8ne_adapter.sql.models import OutboxEvent, RecordedOrder
from oct8ne_adapter.sql.platform_link import save_link
from oct8ne_adapter.sql.reports import SqlReports
from oct8ne_adapter.testing import ADA, ADA_SESSION, InMemoryRepository
from oct8ne_adapter.web.state import adapter_state

SECRET = "own-repository-events-secret-0123456789abcdef"
NOW = datetime.now(UTC).replace(microsecond=0, tzinfo=None)


@pytest.fixture
def shop_app(adapter_tables_url: str) -> Iterator[Flask]:
    """The adapter over a shop's own repository, relaying events to one vendor."""
    config = adapter_config(
        adapter_tables_url,
        OCT8NE_EVENTS_SECRET=SECRET,
        OCT8NE_EVENT_SINKS={"octocom": {}},
    )
    config.pop("OCT8NE_DEMO", None)
    app = create_app(config, repository=InMemoryRepository())
    yield app
    database = adapter_state(app).database
    assert database is not None
    database.engine.dispose()


def stool_cart(cart_id: str, occurred_at: datetime) -> CartUpdated:
    """A cart of two stools (a product of the reference catalog) by Ada, in an oct8ne chat."""
    line = EventLine("1006", "Folding Camp Stool", 2, Decimal("40.00"))
    return CartUpdated(
        cart_id=cart_id,
        currency="USD",
        lines=(line,),
        subtotal=Decimal("80.00"),
        total=Decimal("72.00"),
        occurred_at=occurred_at,
        visitor=VisitorIds(oct8ne_session="OS-own"),
        customer_id=ADA.id,
        logged_in=True,
    )


def test_the_state_has_the_adapters_own_tables_beside_the_shops_repository(shop_app: Flask):
    state = adapter_state(shop_app)
    assert isinstance(state.repository, InMemoryRepository)
    assert state.database is not None
    assert isinstance(state.reports, SqlReports)
    assert state.events is not None
    assert shop_app.test_client().get("/oct8ne/health").get_json()["database"] == "ok"


def test_get_cart_and_the_sales_report_follow_recorded_events(shop_app: Flask):
    client = shop_app.test_client()
    client.set_cookie("shop_session", ADA_SESSION)
    # Before any event: the repository's own cart of the signed-in customer.
    assert [line["internalId"] for line in frame(client, "getCart")["cart"]] == ["1001", "1003"]
    with shop_app.test_request_context():
        assert record_event(stool_cart("Q-1", NOW)) is True
    client.set_cookie("oct8ne-session", "OS-own")
    recorded = frame(client, "getCart")
    assert [(line["internalId"], line["qty"]) for line in recorded["cart"]] == [("1006", 2)]
    assert recorded["totalItems"] == 2
    period = {
        "from": f"{NOW - timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}",
        "to": f"{NOW + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
    }
    assert frame(client, "getSalesReport", **period, apiToken="wrong") == []
    (row,) = frame(client, "getSalesReport", **period, apiToken=API_TOKEN)
    assert (row["quoteId"], row["orderId"], row["customerId"]) == ("Q-1", None, ADA.id)
    assert (row["sessionId"], row["itemsCount"], row["lastAction"]) == ("OS-own", 2, "C")


def test_an_order_posted_to_the_events_endpoint_reaches_the_report(shop_app: Flask):
    client = shop_app.test_client()
    order = {
        "order_id": "O-own",
        "cart_id": None,
        "currency": "USD",
        "lines": [{"product_id": "1002", "name": "Summit Tent", "quantity": 1, "unit_price": 300}],
        "subtotal": "300.00",
        "total": "300.00",
        "status": "paid",
        "occurred_at": NOW.isoformat() + "Z",
        "visitor": {"oct8ne_session": "OS-own"},
        "customer_id": ADA.id,
    }
    answer = client.post(
        "/oct8ne/events/order-placed", json=order, headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert answer.status_code == 202, answer.get_json()
    period = {"from": f"{NOW:%Y-%m-%d}", "to": f"{NOW + timedelta(days=1):%Y-%m-%d}"}
    rows = frame(client, "getSalesReport", **period, apiToken=API_TOKEN)
    assert [(row["orderId"], row["productsCount"]) for row in rows] == [("O-own", 1)]
    database = adapter_state(shop_app).database
    assert database is not None
    with database.session() as session:
        assert session.get(RecordedOrder, "O-own") is not None
        # The relay's queue: one outbox row per configured sink, in the adapter's tables.
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_an_order_recorded_in_python_is_relayed_once(shop_app: Flask):
    order = OrderPlaced(
        order_id="O-py",
        currency="USD",
        lines=(EventLine("1003", "Enamel Trail Mug", 1, Decimal("12.50")),),
        subtotal=Decimal("12.50"),
        total=Decimal("12.50"),
        status="paid",
        occurred_at=NOW,
        visitor=VisitorIds(oct8ne_session="OS-py"),
    )
    with shop_app.app_context():
        assert record_event(order) is True
        assert record_event(order) is False, "a duplicate"


def test_link_up_stored_in_the_adapters_tables_opens_the_token_methods(adapter_tables_url: str):
    config = adapter_config(adapter_tables_url, OCT8NE_API_TOKEN="")
    app = create_app(config, repository=InMemoryRepository())
    database = adapter_state(app).database
    assert database is not None
    with database.transaction() as session:
        credentials = PlatformCredentials("stored-token", "LIC-1", "eu1.oct8ne.test/", "cdn/")
        save_link(
            session, credentials, email="owner@example.com", platform="own", shop_url="https://x"
        )
    client = app.test_client()
    orders = frame(client, "getOrders", customerEmail=ADA.email, apiToken="stored-token")
    assert [order["reference"] for order in orders] == ["FK-0003", "FK-0002", "FK-0001"]
    assert frame(client, "getOrders", customerEmail=ADA.email, apiToken="other") == []
    database.engine.dispose()


def test_without_the_adapters_tables_the_sales_report_is_a_clear_503(tmp_path):
    """A shop that forgot `oct8ne-adapter init-db`: an honest outage, never a 500."""
    config = adapter_config(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    client = create_app(config, repository=InMemoryRepository()).test_client()
    answer = client.get(
        "/oct8ne/frame/getSalesReport",
        query_string={"apiToken": API_TOKEN, "from": "2026-01-01", "to": "2026-12-31"},
    )
    assert answer.status_code == 503
    assert "unavailable" in answer.get_json()["message"]
