"""Every frame method over the in-memory InMemoryRepository and its own catalog (tests/fakes/).

The demo-specific tests of `test_frame.py` have their equivalents here, over the fake's data;
the ones that hold for any repository run there on `[memory]` too. Nothing here needs SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema
import pytest
from conftest import API_TOKEN, adapter_config, frame
from flask import Flask
from flask.testing import FlaskClient

from oct8ne_adapter import create_app, domain
from oct8ne_adapter.repository import (
    AdapterRepository,
    ReportRepository,
    SessionRepository,
)
from oct8ne_adapter.testing import ADA, ADA_SESSION, GUEST_SESSION, InMemoryRepository
from oct8ne_adapter.web.methods import FRAME_METHODS
from oct8ne_adapter.web.openapi import METHODS, SCHEMAS

ADA_ORDERS = {"customerEmail": ADA.email, "apiToken": API_TOKEN}


def memory_config(adapter_tables_url: str, **overrides: Any) -> dict[str, Any]:
    """The tests' configuration: the fake is the catalog, the database holds only the adapter's
    own tables (recorded carts and orders, outbox, link-up)."""
    config = adapter_config(adapter_tables_url, **overrides)
    config.pop("OCT8NE_DEMO", None)
    return config


@pytest.fixture
def fake() -> InMemoryRepository:
    return InMemoryRepository()


@pytest.fixture
def memory_app(fake: InMemoryRepository, adapter_tables_url: str) -> Flask:
    return create_app(memory_config(adapter_tables_url), repository=fake)


@pytest.fixture
def client(memory_app: Flask) -> FlaskClient:
    return memory_app.test_client()


@pytest.fixture
def ada(client: FlaskClient) -> FlaskClient:
    """A client signed in as the fake's customer, through the shop session cookie."""
    client.set_cookie("shop_session", ADA_SESSION)
    return client


def test_the_fake_implements_every_repository_protocol(fake: InMemoryRepository):
    assert isinstance(fake, AdapterRepository)
    assert isinstance(fake, SessionRepository)
    assert isinstance(fake, ReportRepository)


#: Parameters under which every method gives a real (not empty) answer over the fake.
REAL_PARAMS: dict[str, dict[str, str]] = {
    "productInfo": {"productIds": "1001,1002"},
    "productSummary": {"productIds": "1001"},
    "productRelated": {"productId": "1001"},
    "search": {"search": "tent"},
    "addToWishList": {"productIds": "1004"},
    "getOrders": ADA_ORDERS,
    "getOrderDetails": {"reference": "FK-0001", "apiToken": API_TOKEN},
    "getSalesReport": {"apiToken": API_TOKEN},
}


@pytest.mark.parametrize("method", [method.name for method in FRAME_METHODS])
def test_create_app_with_the_fake_serves_every_frame_method(ada: FlaskClient, method: str):
    """Every method of the table answers 200 with what the OpenAPI document describes."""
    answer = frame(ada, method, **REAL_PARAMS.get(method, {}))
    _, _, schema = METHODS[method]
    jsonschema.Draft202012Validator({**schema, "components": {"schemas": SCHEMAS}}).validate(answer)
    if method != "getSalesReport":  # a shop's own repository has no report (a later issue's)
        assert answer


# -- productInfo / productSummary -------------------------------------------------------------


def test_product_info_structure(client: FlaskClient):
    jacket, tent = frame(client, "productInfo", productIds="1001,1002")
    assert jacket["internalId"] == "1001"
    assert (jacket["formattedPrice"], jacket["formattedPrevPrice"]) == ("$120.00", "$150.00")
    assert jacket["useProductUrl"] is True and tent["useProductUrl"] is False
    assert jacket["productUrl"] == "https://shop.example/shop/1001"
    assert jacket["addToCartUrl"] == "https://shop.example/cart/add/1001"
    assert jacket["thumbnail"] == "https://shop.example/img/1001.jpg"
    assert jacket["medias"] == [
        {"url": "https://shop.example/img/1001-a.jpg"},
        {"url": "https://shop.example/img/1001-b.jpg"},
    ]
    assert jacket["description"] == "Taped seams.<br/>Packs into its pocket."
    assert tent["description"] == "<p>Two people, <b>three</b> seasons.</p>"
    assert tent["medias"] == [{"url": "https://shop.example/img/1002.jpg"}]


def test_previous_price_equals_price_without_discount(client: FlaskClient):
    (tent,) = frame(client, "productInfo", productIds="1002")
    assert tent["formattedPrice"] == tent["formattedPrevPrice"] == "$300.00"


@pytest.mark.parametrize(
    ("product_id", "locale", "currency", "price"),
    [
        ("1002", "en-US", "USD", "$300.00"),
        ("1002", "es-ES", "EUR", "280,00\xa0€"),
        ("1002", "de-DE", "USD", "300,00\xa0$"),
        ("1002", "en-US", "GBP", "£240.00"),  # converted at the configured 0.80
        ("1002", "xx-YY", "ZZZ", "$300.00"),  # unknown: the defaults, never an error
        ("1005", "en-US", "EUR", "$18.00"),  # no EUR price and no rate: the shop's price
    ],
)
def test_prices_follow_locale_and_currency(client, product_id, locale, currency, price):
    (found,) = frame(
        client, "productSummary", productIds=product_id, locale=locale, currency=currency
    )
    assert (found["formattedPrice"], found["formattedPrevPrice"]) == (price, price)


def test_product_related_keeps_the_known_products_in_order(client: FlaskClient):
    related = frame(client, "productRelated", productId="1001")
    assert [product["internalId"] for product in related["results"]] == ["1004", "1005"]
    assert related["total"] == 2


# -- search ------------------------------------------------------------------------------------


def test_search_filters_and_counts_over_the_fake(client: FlaskClient):
    found = frame(client, "search", search="jacket")
    assert found["total"] == 1 and found["results"][0]["internalId"] == "1001"
    green = frame(client, "search", color="green", orderby="price", dir="desc")
    assert [product["internalId"] for product in green["results"]] == ["1002", "1004", "1006"]
    assert green["filters"]["applied"] == [
        {"param": "color", "paramLabel": "Color", "value": "green", "valueLabel": "green"}
    ]
    available = {facet["param"]: facet for facet in green["filters"]["available"]}
    assert set(available) == {"category", "brand"}  # the applied group is left out
    assert {o["value"]: o["count"] for o in available["category"]["options"]} == {
        "bags": 1,
        "camping": 2,
    }
    spanish = frame(client, "search", search="taza", locale="es-ES")
    assert [product["title"] for product in spanish["results"]] == ["Taza esmaltada"]


# -- customer, wishlist, cart ------------------------------------------------------------------


def test_customer_data_for_the_signed_in_customer(ada: FlaskClient):
    data = frame(ada, "customerData", locale="es-ES", currency="EUR")
    assert (data["id"], data["firstName"], data["lastName"], data["email"]) == (
        "c-7",
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert [item["internalId"] for item in data["wishlist"]] == ["1002"]
    assert [(line["internalId"], line["qty"]) for line in data["cart"]] == [
        ("1001", 2),
        ("1003", 1),
    ]
    assert data["cart"][0]["title"] == "Chaqueta de lluvia Harbour"
    assert data["cart"][0]["formattedPrice"] == "110,00\xa0€"


def test_anonymous_guest_keeps_a_cart(client: FlaskClient):
    client.set_cookie("shop_session", GUEST_SESSION)
    data = frame(client, "customerData")
    assert data["id"] is None and data["email"] is None
    assert [(line["internalId"], line["qty"]) for line in data["cart"]] == [("1002", 3)]
    cart = frame(client, "getCart")
    assert (cart["totalItems"], cart["price"], cart["finalPrice"]) == (3, 900, 900)


def test_add_to_wishlist_without_duplicates(ada: FlaskClient, fake: InMemoryRepository):
    assert frame(ada, "addToWishList", productIds="1004,1002,1004,999999") == {"result": "true"}
    frame(ada, "addToWishList", productIds="1004")
    wishlist = frame(ada, "customerData")["wishlist"]
    assert [item["internalId"] for item in wishlist] == ["1002", "1004"]
    assert fake.wishlists[ADA.id] == ["1002", "1004"]


def test_get_cart_for_the_signed_in_customer(ada: FlaskClient):
    # As the platform adapters send it: numbers; `price` the sum of the lines at the prices
    # charged (2 x 120.00 + 12.50, not the 150.00 before the jacket's sale), `finalPrice` after
    # the cart's 20.00 coupon.
    cart = frame(ada, "getCart")
    assert cart == {
        "price": 252.5,
        "finalPrice": 232.5,
        "currency": "USD",
        "totalItems": 3,
        "cart": [
            {"internalId": "1001", "title": "Harbour Rain Jacket", "qty": 2, "price": 120},
            {"internalId": "1003", "title": "Enamel Trail Mug", "qty": 1, "price": 12.5},
        ],
    }
    assert all(type(cart[name]) is float for name in ("price", "finalPrice"))
    # The totals are what the shop charges, in the cart's currency: never converted.
    assert frame(ada, "getCart", currency="EUR") == cart


class UntotalledRepository(InMemoryRepository):
    """A shop repository whose carts carry no totals and no unit prices."""

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        cart = super().get_cart(visitor, languages)
        lines = tuple(domain.CartLine(line.product, line.quantity) for line in cart.lines)
        return domain.Cart(lines, cart.currency)


def test_get_cart_without_the_repositorys_totals_sums_the_lines_in_the_requested_currency(
    adapter_tables_url: str,
):
    app = create_app(memory_config(adapter_tables_url), repository=UntotalledRepository())
    ada = app.test_client()
    ada.set_cookie("shop_session", ADA_SESSION)
    # The lines at the catalog's EUR prices (2 x 110.00 + 11.50); no cart-level discount known.
    cart = frame(ada, "getCart", currency="EUR")
    assert (cart["currency"], cart["price"], cart["finalPrice"]) == ("EUR", 231.5, 231.5)
    assert [line["price"] for line in cart["cart"]] == [110, 11.5]


def test_an_empty_cart_is_zero(client: FlaskClient):
    assert frame(client, "getCart") == {
        "price": 0,
        "finalPrice": 0,
        "currency": "USD",
        "totalItems": 0,
        "cart": [],
    }


@pytest.fixture
def reports_client(fake: InMemoryRepository, adapter_tables_url: str) -> FlaskClient:
    """A client of an app that reads recorded carts and reports from the fake, not from SQL."""
    app = create_app(memory_config(adapter_tables_url), repository=fake, reports=fake)
    return app.test_client()


def test_get_cart_and_the_sales_report_go_through_the_report_repository(
    reports_client: FlaskClient,
):
    # oct8ne's session cookie is no identity: only the guest session that owns the cart gets it.
    reports_client.set_cookie("oct8ne-session", "oct8ne-session-1")
    assert frame(reports_client, "getCart")["cart"] == []
    reports_client.set_cookie("shop_session", GUEST_SESSION)
    assert frame(reports_client, "getCart") == {
        "price": 80,
        "finalPrice": 72,
        "currency": "USD",
        "totalItems": 2,
        "cart": [{"internalId": "1006", "title": "Folding Camp Stool", "qty": 2, "price": 40}],
    }
    period = {"from": "2026-05-01", "to": "2026-05-03"}
    assert frame(reports_client, "getSalesReport", **period, apiToken="wrong") == []
    (row,) = frame(reports_client, "getSalesReport", **period, apiToken=API_TOKEN)
    assert row == {
        "quoteId": "rc-1",
        "orderId": None,
        "sessionId": "oct8ne-session-1",
        "customerId": None,
        "price": 80,
        "finalPrice": 72,
        "currency": "USD",
        "productsCount": 1,
        "itemsCount": 2,
        "lastAction": "C",
        "utcCreated": "2026-05-02 10:00:00",
        "utcLastUpdated": "2026-05-02 10:30:00",
    }
    later = {"from": "2026-05-02T10:15:00Z", "to": "2026-05-03", "apiToken": API_TOKEN}
    assert frame(reports_client, "getSalesReport", **later)[0]["lastAction"] == "U"


# -- orders ------------------------------------------------------------------------------------


def test_get_orders_with_the_token(client: FlaskClient):
    orders = frame(client, "getOrders", customerEmail="Ada@Example.com", apiToken=API_TOKEN)
    assert [order["reference"] for order in orders] == ["FK-0003", "FK-0002", "FK-0001"]
    assert orders[0] == {
        "date": "2026-05-01 08:00:00",
        "reference": "FK-0003",
        "total": "$300.00",
        "currency": "USD",
        "labelState": "Payment accepted",
        "deliveryDate": "",
    }
    assert orders[-1]["labelState"] == "Delivered"
    assert orders[-1]["deliveryDate"] == "2026-03-05 14:00:00"


def test_get_orders_paging_and_locale(client: FlaskClient):
    first = frame(client, "getOrders", page=1, pageSize=2, **ADA_ORDERS)
    second = frame(client, "getOrders", page=2, pageSize=2, **ADA_ORDERS)
    assert [o["reference"] for o in first + second] == ["FK-0003", "FK-0002", "FK-0001"]
    spanish = frame(client, "getOrders", locale="es-ES", **ADA_ORDERS)
    eur = next(order for order in spanish if order["reference"] == "FK-0002")
    assert (eur["total"], eur["currency"]) == ("75,00\xa0€", "EUR")
    assert spanish[-1]["labelState"] == "Entregado"


def test_get_order_details(client: FlaskClient):
    details = frame(client, "getOrderDetails", reference="FK-0001", apiToken=API_TOKEN)
    assert details["total"] == "$132.50"
    assert (details["carrier"], details["trackingNumber"], details["trackingUrl"]) == (
        "Parcel Co",
        "PC123456",
        "",
    )
    assert details["products"] == [
        {"quantity": "1", "name": "Harbour Rain Jacket"},
        {"quantity": "1", "name": "Enamel Trail Mug"},
    ]
    assert details["comments"] == [{"message": "Ring twice, please.", "customer": True}]


def test_orders_are_closed_when_no_token_is_configured(adapter_tables_url: str):
    app = create_app(
        memory_config(adapter_tables_url, OCT8NE_API_TOKEN=""), repository=InMemoryRepository()
    )
    client = app.test_client()
    for token in ("", API_TOKEN):
        assert frame(client, "getOrders", customerEmail=ADA.email, apiToken=token) == []
