"""Every frame method over the demo shop, as JSON and JSONP, with hostile and malformed input.

Tests marked `any_repository` (with `frame_client`) hold for any repository: they run over the
demo database on each backend and over the in-memory InMemoryRepository (`[memory]`);
`test_frame_memory.py` has the demo-specific ones' equivalents over the fake's own catalog.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from backends import BACKENDS
from conftest import API_TOKEN, adapter_config, frame
from flask.testing import FlaskClient
from sqlalchemy import select, update

from oct8ne_adapter import create_app
from oct8ne_adapter.sql.models import Cart, CartLine, Product, ProductTranslation
from oct8ne_adapter.sql.sessions import create_session, hash_token
from oct8ne_adapter.testing import InMemoryRepository

PRODUCT_INFO_FIELDS = {
    "internalId",
    "title",
    "description",
    "formattedPrice",
    "formattedPrevPrice",
    "productUrl",
    "addToCartUrl",
    "useProductUrl",
    "thumbnail",
    "medias",
}
PRODUCT_SUMMARY_FIELDS = {
    "internalId",
    "title",
    "formattedPrice",
    "formattedPrevPrice",
    "productUrl",
    "thumbnail",
}
ORDER_FIELDS = {"date", "reference", "total", "currency", "labelState", "deliveryDate"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

#: (method, params) for every method, each answerable by an anonymous visitor.
EVERY_METHOD = [
    ("productInfo", {"productIds": "1001,1002"}),
    ("productSummary", {"productIds": "1001"}),
    ("productRelated", {"productId": "1001"}),
    ("search", {"search": "jacket"}),
    ("customerData", {}),
    ("addToWishList", {"productIds": "1001"}),
    ("getCart", {}),
    ("getAdapterInfo", {}),
    ("getOrders", {"customerEmail": "jane.doe@example.com", "apiToken": API_TOKEN}),
    ("getOrderDetails", {"reference": "JDX1001A", "apiToken": API_TOKEN}),
]


#: Marks a test that holds for any repository: it runs on every backend and in memory.
any_repository = pytest.mark.parametrize("backend", [*BACKENDS, "memory"], indirect=True)


def memory_app_config(adapter_tables_url: str) -> dict[str, Any]:
    """The tests' configuration over a shop's own repository: the database holds only the
    adapter's own tables."""
    config = adapter_config(adapter_tables_url)
    config.pop("OCT8NE_DEMO", None)
    return config


@pytest.fixture
def frame_client(backend: str, request: pytest.FixtureRequest) -> FlaskClient:
    """A client of the adapter over the demo database of the backend, or in memory."""
    if backend == "memory":
        config = memory_app_config(request.getfixturevalue("adapter_tables_url"))
        return create_app(config, repository=InMemoryRepository()).test_client()
    client: FlaskClient = request.getfixturevalue("client")
    return client


def jsonp_payload(body: str, callback: str) -> object:
    """The JSON inside `/**/callback(...);`, asserting that exact shape."""
    prefix = f"/**/{callback}("
    assert body.startswith(prefix) and body.endswith(");"), body[:80]
    return json.loads(body[len(prefix) : -2])


@pytest.mark.parametrize(("method", "params"), EVERY_METHOD)
@any_repository
def test_every_method_answers_json_without_callback(frame_client: FlaskClient, method, params):
    """Spec: "If the parameter callback is not present, the data must be returned using raw
    JSON"."""
    response = frame_client.get(f"/oct8ne/frame/{method}", query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize(("method", "params"), EVERY_METHOD)
@any_repository
def test_every_method_answers_jsonp_with_callback(frame_client: FlaskClient, method, params):
    """Spec: "<callbackFunction>( <jsonData> )", "always with the content-type
    application/javascript"."""
    plain = frame_client.get(f"/oct8ne/frame/{method}", query_string=params).get_json()
    response = frame_client.get(
        f"/oct8ne/frame/{method}", query_string={**params, "callback": "jQuery36_17000"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert jsonp_payload(response.get_data(as_text=True), "jQuery36_17000") == plain


@pytest.mark.parametrize(
    "spelling", ["productInfo", "productinfo", "PRODUCTINFO", "ProductInfo", "pRoDuCtInFo"]
)
@any_repository
def test_method_names_are_case_insensitive(frame_client: FlaskClient, spelling):
    """Spec: "They must be 'case insensitive'"."""
    assert frame(frame_client, spelling, productIds="1001")[0]["internalId"] == "1001"


@pytest.mark.parametrize("method", ["nope", "productInfos", "getSalesReportX", "x" * 300])
@any_repository
def test_unknown_method_is_a_json_404(frame_client: FlaskClient, method):
    plain = frame_client.get(f"/oct8ne/frame/{method}")
    assert plain.status_code == 404
    assert plain.get_json()["error"] == "unknown_method"
    # Issue 17: with a valid callback the error is inside it, with 200: a browser runs no
    # script served with a 404, and the widget's callback would never be called.
    response = frame_client.get(f"/oct8ne/frame/{method}?callback=cb")
    assert response.status_code == 200
    assert response.get_json() is None  # wrapped in the (valid) callback
    payload = jsonp_payload(response.get_data(as_text=True), "cb")
    assert payload["error"] == "unknown_method"
    assert len(response.get_data()) < 300


@pytest.mark.parametrize(
    "callback",
    [
        "alert(1)//",
        "a;b",
        "x" * 5000,
        "café",
        "</script><script>alert(1)",
        "a..b",
        "1abc",
        "a b",
        "a\nb",
        "a.b(",
        "eval",
        "a-b",
    ],
)
@any_repository
def test_hostile_callbacks_are_refused_and_never_reflected(frame_client: FlaskClient, callback):
    response = frame_client.get("/oct8ne/frame/getAdapterInfo", query_string={"callback": callback})
    if callback == "eval":
        # A plain identifier is a valid name; it is only ever called with our JSON.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "invalid_callback"
    assert callback not in response.get_data(as_text=True)


@pytest.mark.writes_database
def test_line_separators_are_escaped_in_jsonp(client: FlaskClient, app):
    """U+2028/U+2029 are valid in JSON but end a line in older JavaScript."""
    with app.extensions["oct8ne"].database.transaction() as session:
        session.execute(
            update(ProductTranslation)
            .where(ProductTranslation.language == "en")
            .values(title="Line\u2028Para\u2029End")
        )
    body = client.get("/oct8ne/frame/productSummary?productIds=1001&callback=cb").get_data()
    assert "\u2028".encode() not in body and "\u2029".encode() not in body
    assert b"Line\\u2028Para\\u2029End" in body


# -- productInfo / productSummary -------------------------------------------------------------


def test_product_info_structure(client: FlaskClient):
    """ProductInfo fields and types as the 2.4 document lists them."""
    shoe, tent = frame(client, "productInfo", productIds="1001,1002")
    assert set(shoe) == PRODUCT_INFO_FIELDS
    assert shoe["internalId"] == "1001"
    assert shoe["formattedPrice"] == "$89.90"
    assert shoe["formattedPrevPrice"] == "$99.90"
    assert shoe["useProductUrl"] is True  # sizes/colors must be chosen on the product page
    assert tent["useProductUrl"] is False
    assert shoe["productUrl"] == "https://shop.example/demo/product/1001"
    assert shoe["addToCartUrl"] == "https://shop.example/demo/cart/add/1001"  # the demo cart
    assert shoe["thumbnail"].startswith("https://shop.example/")
    assert shoe["medias"] and all(set(media) == {"url"} for media in shoe["medias"])
    assert all(media["url"].startswith("https://") for media in shoe["medias"])


def test_previous_price_equals_price_without_discount(client: FlaskClient):
    """Spec: "If the product does not have a discount, it contains the same value as the price"."""
    (tent,) = frame(client, "productInfo", productIds="1002")
    assert tent["formattedPrice"] == tent["formattedPrevPrice"] == "$1,500.00"


@pytest.mark.parametrize(
    ("locale", "currency", "price", "previous"),
    [
        ("en-US", "USD", "$1,500.00", "$1,500.00"),
        ("es-ES", "EUR", "1.500,00\xa0€", "1.500,00\xa0€"),
        ("es_ES", "eur", "1.500,00\xa0€", "1.500,00\xa0€"),
        ("de-DE", "USD", "1.500,00\xa0$", "1.500,00\xa0$"),
        ("en-US", "GBP", "£1,200.00", "£1,200.00"),  # converted at the configured 0.80
        ("xx-YY", "ZZZ", "$1,500.00", "$1,500.00"),  # unknown: the defaults, never an error
        ("", "", "$1,500.00", "$1,500.00"),
        ("en-US'--", "US D", "$1,500.00", "$1,500.00"),
    ],
)
def test_prices_follow_locale_and_currency(client: FlaskClient, locale, currency, price, previous):
    (tent,) = frame(client, "productSummary", productIds="1002", locale=locale, currency=currency)
    assert (tent["formattedPrice"], tent["formattedPrevPrice"]) == (price, previous)


@any_repository
def test_texts_follow_the_locale_with_fallback(frame_client: FlaskClient):
    (english,) = frame(frame_client, "productSummary", productIds="1001", locale="en-US")
    (spanish,) = frame(frame_client, "productSummary", productIds="1001", locale="es-MX")
    (french,) = frame(frame_client, "productSummary", productIds="1001", locale="fr-FR")
    assert english["title"] != spanish["title"]
    assert french["title"] == english["title"]  # no French text: the default language


@any_repository
def test_product_summary_structure_and_order(frame_client: FlaskClient):
    products = frame(frame_client, "productSummary", productIds="1003,1001,1002")
    assert [product["internalId"] for product in products] == ["1003", "1001", "1002"]
    assert all(set(product) == PRODUCT_SUMMARY_FIELDS for product in products)


@pytest.mark.parametrize(
    ("product_ids", "expected"),
    [
        ("", []),
        ("   ", []),
        (",,,", []),
        ("999999", []),
        ("1001,999999,1002", ["1001", "1002"]),
        ("1002,1001,1002,1001", ["1002", "1001"]),
        (" 1001 , 1002 ", ["1001", "1002"]),
        ("x" * 5000, []),
        ("'; DROP TABLE products; --", []),
        ("1001\u0000", []),
    ],
)
@any_repository
def test_product_ids_are_cleaned_not_refused(frame_client: FlaskClient, product_ids, expected):
    for method in ("productInfo", "productSummary"):
        products = frame(frame_client, method, productIds=product_ids)
        assert [product["internalId"] for product in products] == expected


@any_repository
def test_more_than_100_product_ids_is_a_400_with_reason(frame_client: FlaskClient):
    ids = ",".join(str(1000 + n) for n in range(101))
    response = frame_client.get("/oct8ne/frame/productInfo", query_string={"productIds": ids})
    assert response.status_code == 400
    assert "at most 100" in response.get_json()["message"]
    assert frame(frame_client, "productInfo", productIds=",".join(ids.split(",")[:100]))


@any_repository
def test_product_related(frame_client: FlaskClient):
    related = frame(frame_client, "productRelated", productId="1001")
    assert related["total"] == len(related["results"]) > 0
    assert all(set(product) == PRODUCT_SUMMARY_FIELDS for product in related["results"])
    assert "1001" not in [product["internalId"] for product in related["results"]]
    assert frame(frame_client, "productRelated", productId="nope") == {"total": 0, "results": []}
    assert frame(frame_client, "productRelated") == {"total": 0, "results": []}


# -- customer, wishlist, cart ------------------------------------------------------------------


@any_repository
def test_customer_data_for_an_anonymous_visitor(frame_client: FlaskClient):
    """Spec: id, firstName, lastName, email are "null if they have not been authenticated"."""
    data = frame(frame_client, "customerData")
    assert data == {
        "id": None,
        "firstName": None,
        "lastName": None,
        "email": None,
        "wishlist": [],
        "cart": [],
    }


def test_customer_data_for_jane(signed_in_client: FlaskClient):
    data = frame(signed_in_client, "customerData", locale="es-ES", currency="EUR")
    assert (data["id"], data["firstName"], data["lastName"], data["email"]) == (
        "1",
        "Jane",
        "Doe",
        "jane.doe@example.com",
    )
    assert [item["internalId"] for item in data["wishlist"]] == ["1002", "1005", "1006"]
    assert [(line["internalId"], line["qty"]) for line in data["cart"]] == [
        ("1001", 2),
        ("1003", 1),
        ("1007", 1),
    ]
    assert all(set(line) == PRODUCT_SUMMARY_FIELDS | {"qty"} for line in data["cart"])
    assert data["cart"][0]["formattedPrice"] == "84,90\xa0€"


@pytest.mark.writes_database
def test_anonymous_guest_keeps_a_cart(client: FlaskClient, app):
    """A guest session (no customer) still has its cart in customerData and getCart."""
    with app.extensions["oct8ne"].database.transaction() as session:
        token = create_session(session, None)
        cart = Cart(session_key=hash_token(token), currency="USD", updated_at=datetime(2026, 1, 1))
        session.add(cart)
        session.flush()
        pk = session.scalars(select(Product.pk).where(Product.external_id == "1002")).one()
        session.add(
            CartLine(cart_pk=cart.pk, item_id="1002", product_pk=pk, quantity=3, position=0)
        )
    client.set_cookie("shop_session", token)
    data = frame(client, "customerData")
    assert data["id"] is None and data["email"] is None
    assert [(line["internalId"], line["qty"]) for line in data["cart"]] == [("1002", 3)]
    cart_payload = frame(client, "getCart")
    assert cart_payload["totalItems"] == 3
    assert (cart_payload["price"], cart_payload["finalPrice"]) == (4500, 4500)


@any_repository
def test_unknown_or_forged_session_cookie_is_anonymous(frame_client: FlaskClient):
    for token in ("forged", "x" * 1000, "'; DROP TABLE shop_sessions; --"):
        frame_client.set_cookie("shop_session", token)
        assert frame(frame_client, "customerData")["id"] is None


@pytest.mark.writes_database
def test_add_to_wishlist_without_duplicates(signed_in_client: FlaskClient):
    """Spec: "it is up to the developer to check if the products existed previously"."""
    result = frame(signed_in_client, "addToWishList", productIds="1010,1002,1010,999999")
    assert result == {"result": "true"}
    frame(signed_in_client, "addToWishList", productIds="1010")
    wishlist = frame(signed_in_client, "customerData")["wishlist"]
    assert [item["internalId"] for item in wishlist] == ["1002", "1005", "1006", "1010"]


@any_repository
def test_add_to_wishlist_when_nobody_is_signed_in(frame_client: FlaskClient):
    assert frame(frame_client, "addToWishList", productIds="1001") == {"result": "false"}


def test_get_cart_for_jane(signed_in_client: FlaskClient):
    cart = frame(signed_in_client, "getCart")
    assert set(cart) == {"price", "finalPrice", "currency", "totalItems", "cart"}
    assert cart["currency"] == "USD"
    assert cart["totalItems"] == 4
    lines = {line["internalId"]: line for line in cart["cart"]}
    assert lines["1001"] == {
        "internalId": "1001",
        "title": "Trail Running Shoe",
        "qty": 2,
        "price": 89.9,
    }
    # As the platform adapters send them (DESIGN §3): JSON numbers; `price` the lines at the
    # prices charged, `finalPrice` after cart-level discounts, which our carts table has none of.
    charged = sum(Decimal(str(line["price"])) * line["qty"] for line in cart["cart"])
    assert Decimal(str(cart["price"])) == charged
    assert cart["finalPrice"] == cart["price"]


# -- adapter info ------------------------------------------------------------------------------


@any_repository
def test_get_adapter_info(frame_client: FlaskClient):
    info = frame(frame_client, "getAdapterInfo")
    assert info["apiVersion"] == "2.4"
    assert info["enabled"] is True
    for required in ("platform", "adapterVersion", "developedBy", "apiVersion"):
        assert isinstance(info[required], str) and info[required]


# -- orders ------------------------------------------------------------------------------------


def test_get_orders_with_the_token(client: FlaskClient):
    orders = frame(client, "getOrders", customerEmail="Jane.Doe@Example.com", apiToken=API_TOKEN)
    assert [order["reference"] for order in orders] == [
        "JDX1005E",
        "JDX1004D",
        "JDX1003C",
        "JDX1002B",
        "JDX1001A",
    ]
    assert all(set(order) == ORDER_FIELDS for order in orders)
    assert all(DATE.match(order["date"]) for order in orders)
    assert orders[0]["total"] == "$1,500.00" and orders[0]["currency"] == "USD"
    assert orders[0]["deliveryDate"] == ""
    delivered = orders[-1]
    assert delivered["labelState"] == "Delivered" and DATE.match(delivered["deliveryDate"])
    assert len({order["labelState"] for order in orders}) == 5


def test_get_orders_paging_and_locale(client: FlaskClient):
    params = {"customerEmail": "jane.doe@example.com", "apiToken": API_TOKEN}
    first = frame(client, "getOrders", page=1, pageSize=2, **params)
    second = frame(client, "getOrders", page=2, pageSize=2, **params)
    third = frame(client, "getOrders", page=3, pageSize=2, **params)
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    assert not {o["reference"] for o in first} & {o["reference"] for o in second}
    spanish = frame(client, "getOrders", locale="es-ES", **params)
    eur = next(order for order in spanish if order["reference"] == "JDX1004D")
    assert eur["total"] == "142,89\xa0€" and eur["currency"] == "EUR"
    assert spanish[-1]["labelState"] == "Entregado"


@pytest.mark.parametrize(
    "token",
    [None, "", "wrong", API_TOKEN[:-1], API_TOKEN + "x", API_TOKEN.upper(), " " + API_TOKEN],
)
@any_repository
def test_orders_need_the_exact_token(frame_client: FlaskClient, token):
    """Spec: "If the apiToken received is not correct, this method must return an empty array"."""
    params = {} if token is None else {"apiToken": token}
    assert frame(frame_client, "getOrders", customerEmail="jane.doe@example.com", **params) == []
    assert frame(frame_client, "getOrderDetails", reference="JDX1001A", **params) == []


def test_orders_are_closed_when_no_token_is_configured(database_url: str):
    app = create_app(adapter_config(database_url, OCT8NE_API_TOKEN=""))
    try:
        client = app.test_client()
        for token in ("", API_TOKEN):
            params = {"customerEmail": "jane.doe@example.com", "apiToken": token}
            assert frame(client, "getOrders", **params) == []
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


@pytest.mark.parametrize(
    "email", ["nobody@example.com", "", "jane.doe", "' OR 1=1 --", "jane.doe@example.com\x00"]
)
@any_repository
def test_unknown_customer_gets_no_orders(frame_client: FlaskClient, email):
    assert frame(frame_client, "getOrders", customerEmail=email, apiToken=API_TOKEN) == []


def test_get_order_details(client: FlaskClient):
    details = frame(client, "getOrderDetails", reference="JDX1001A", apiToken=API_TOKEN)
    assert set(details) == ORDER_FIELDS | {
        "carrier",
        "trackingNumber",
        "trackingUrl",
        "products",
        "comments",
    }
    assert details["reference"] == "JDX1001A"
    assert details["total"] == "$119.70"
    assert details["carrier"] == "UPS" and details["trackingNumber"]
    assert details["products"][0] == {"quantity": "1", "name": "Trail Running Shoe"}
    assert details["comments"] == [
        {"message": "Please leave the parcel with the concierge.", "customer": True},
        {"message": "Delivered to the concierge as requested.", "customer": False},
    ]


@pytest.mark.parametrize("reference", ["NOPE", "", "x" * 500, "JDX1001A' --", "JDX1001A\x00"])
@any_repository
def test_unknown_reference_gets_an_empty_array(frame_client: FlaskClient, reference):
    assert frame(frame_client, "getOrderDetails", reference=reference, apiToken=API_TOKEN) == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"page": "abc"}, "page"),
        ({"pageSize": "1e3"}, "pageSize"),
    ],
)
@any_repository
def test_bad_order_paging_is_a_400_with_reason(frame_client: FlaskClient, params, reason):
    response = frame_client.get(
        "/oct8ne/frame/getOrders",
        query_string={"customerEmail": "jane.doe@example.com", "apiToken": API_TOKEN, **params},
    )
    assert response.status_code == 400
    assert reason in response.get_json()["message"]


# Issue 17: the PHP adapters answer out-of-range paging and unknown sorts with their defaults
# (200), and so must we: the widget calls by JSONP, where an error status never reaches it.
@pytest.mark.parametrize(
    ("fallback", "same_as"),
    [
        ({"page": "0"}, {"page": "1"}),
        ({"page": "-7"}, {"page": "1"}),
        ({"pageSize": "0"}, {"pageSize": "10"}),
        ({"pageSize": "-1", "page": "2"}, {"pageSize": "10", "page": "2"}),
        ({"pageSize": "100000"}, {"pageSize": "100"}),
        ({"orderby": "date"}, {}),
        ({"orderBy": "popularity", "dir": "sideways"}, {}),
        ({"orderby": "price", "dir": "up"}, {"orderby": "price", "dir": "asc"}),
    ],
)
@any_repository
def test_out_of_range_search_input_falls_back_to_the_defaults(
    frame_client: FlaskClient, fallback, same_as
):
    expected = frame(frame_client, "search", search="shirt", **same_as)
    assert frame(frame_client, "search", search="shirt", **fallback) == expected


@pytest.mark.parametrize(
    "paging",
    [
        {"page": "10000"},
        {"page": "1001", "pageSize": "100"},
        {"page": "9" * 40},
        {"start": "100001"},
    ],
)
@any_repository
def test_a_page_past_the_end_has_no_results_and_the_true_total(frame_client: FlaskClient, paging):
    total = frame(frame_client, "search")["total"]
    assert total > 0
    past = frame(frame_client, "search", **paging)
    assert (past["total"], past["results"]) == (total, [])


@any_repository
def test_order_paging_falls_back_too(frame_client: FlaskClient, backend: str):
    email = "ada@example.com" if backend == "memory" else "jane.doe@example.com"
    params = {"customerEmail": email, "apiToken": API_TOKEN}
    first = frame(frame_client, "getOrders", **params)
    assert first and frame(frame_client, "getOrders", page="0", pageSize="-3", **params) == first
    assert frame(frame_client, "getOrders", page="9" * 30, **params) == []


@any_repository
def test_token_is_never_echoed(frame_client: FlaskClient):
    for method in ("getOrders", "getOrderDetails"):
        response = frame_client.get(
            f"/oct8ne/frame/{method}",
            query_string={
                "apiToken": API_TOKEN,
                "customerEmail": "jane.doe@example.com",
                "reference": "JDX1001A",
                "page": "x",
            },
        )
        assert API_TOKEN not in response.get_data(as_text=True)
