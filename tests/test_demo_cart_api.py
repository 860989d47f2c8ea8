"""The demo's AJAX add-to-cart (issue 17 item 6): productInfo's addToCartUrl adds to the cart.

API 2.4, ProductInfo: addToCartUrl is the "Absolute URL to which a request must be sent to add
the product to the shopping cart ... the widget will make an AJAX request to this address. By
default, the HTTP verb to be used in the AJAX request will be “POST”." The writes are SQL, so
the cart tests run on every backend; the browser's view is tests/test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import test_variants
from conftest import adapter_app, adapter_config, frame
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from oct8ne_adapter_demo.loader import JANE_CART

#: In stock, without sizes or colours: the widget adds it with one click (useProductUrl false).
TENT = "1002"
BOTTLE = "1004"
SOLD_OUT = "1026"
SITE = "https://shop.example"

pytestmark = pytest.mark.writes_database

# A database with a feed whose rows are variants of one product (tests/test_variants.py).
config = test_variants.config
imported = test_variants.imported


def add_to_cart_url(client: FlaskClient, product_id: str) -> str:
    """The path of the addToCartUrl productInfo gives for a product, checked absolute."""
    (info,) = frame(client, "productInfo", productIds=product_id)
    url = urlsplit(info["addToCartUrl"])
    assert f"{url.scheme}://{url.netloc}" == SITE
    return url.path


def add(client: FlaskClient, product_id: str, **headers: str) -> TestResponse:
    """The widget's call: POST to the addToCartUrl from productInfo."""
    return client.post(add_to_cart_url(client, product_id), headers=headers)


def cart_of(client: FlaskClient) -> list[tuple[str, int]]:
    """(product id, quantity) of the visitor's cart, as getCart answers it."""
    return [(line["internalId"], line["qty"]) for line in frame(client, "getCart")["cart"]]


def test_the_add_to_cart_url_adds_to_a_guests_cart(client: FlaskClient) -> None:
    assert add_to_cart_url(client, TENT) == f"/demo/cart/add/{TENT}"
    response = add(client, TENT)
    assert response.status_code == 200
    assert response.get_json() == {
        "result": "true",
        "productId": TENT,
        "quantity": 1,
        "cartItems": 1,
    }
    assert response.headers["Cache-Control"] == "private, no-store"
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("shop_session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert add(client, TENT).get_json()["quantity"] == 2
    add(client, BOTTLE)
    assert cart_of(client) == [(TENT, 2), (BOTTLE, 1)]
    html = client.get("/demo/cart").get_data(as_text=True)
    rows = re.findall(
        r'<a href="/demo/product/(\d+)">[^<]+</a></td>\s*<td[^>]*>[^<]*</td>'
        r'\s*<td class="number">(\d+)</td>',
        html,
    )
    assert rows == [(TENT, "2"), (BOTTLE, "1")]
    assert "Cart (3)" in html


def test_a_guests_cart_is_the_guests_alone(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    add(first, TENT)
    assert cart_of(second) == []


def test_a_signed_in_customer_adds_to_her_cart(signed_in_client: FlaskClient) -> None:
    response = add(signed_in_client, TENT)
    assert response.get_json()["cartItems"] == sum(quantity for _, quantity in JANE_CART) + 1
    assert cart_of(signed_in_client) == [*JANE_CART, (TENT, 1)]
    assert not any(c.startswith("shop_session=") for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # a browser (or a client) that does not send the header
        ({"Sec-Fetch-Site": "same-origin", "Origin": SITE}, True),
        ({"Sec-Fetch-Site": "same-site", "Origin": "https://www.shop.example"}, True),
        ({"Sec-Fetch-Site": "none"}, True),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
    ],
)
def test_another_site_cannot_add_to_the_cart(
    signed_in_client: FlaskClient, headers: dict[str, str], allowed: bool
) -> None:
    response = add(signed_in_client, TENT, **headers)
    if allowed:
        assert response.status_code == 200
        assert cart_of(signed_in_client) == [*JANE_CART, (TENT, 1)]
    else:
        assert response.status_code == 403
        assert response.get_json() == {
            "result": "false",
            "reason": "Requests from another site cannot add to this shop's cart.",
        }
        assert cart_of(signed_in_client) == list(JANE_CART)


def test_a_same_site_page_may_read_the_answer(client: FlaskClient) -> None:
    response = add(
        client, TENT, **{"Sec-Fetch-Site": "same-site", "Origin": "https://www.shop.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.shop.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]
    same_origin = add(client, TENT, **{"Sec-Fetch-Site": "same-origin", "Origin": SITE})
    assert "Access-Control-Allow-Origin" not in same_origin.headers


def test_a_site_listed_in_cors_origins_is_trusted(database_file: Path) -> None:
    demo_config = adapter_config(
        f"sqlite:///{database_file}", OCT8NE_CORS_ORIGINS=["https://other.example"]
    )
    with adapter_app(demo_config, demo=True) as app:
        client = app.test_client()
        trusted = add(
            client, TENT, **{"Sec-Fetch-Site": "cross-site", "Origin": "https://other.example"}
        )
        assert trusted.status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/demo/cart/add/999999", 404, "There is no product with this id."),
        (f"/demo/cart/add/{SOLD_OUT}", 409, "This product is out of stock."),
        (f"/demo/cart/add/{TENT}?quantity=0", 400, "quantity must be a whole number from 1 to 99."),
        (f"/demo/cart/add/{TENT}?quantity=x", 400, "quantity must be a whole number from 1 to 99."),
        ("/demo/cart/add/" + "9" * 300, 404, "There is no product with this id."),
    ],
)
def test_what_cannot_be_added_is_a_json_4xx(
    client: FlaskClient, path: str, status: int, reason: str
) -> None:
    response = client.post(path)
    assert response.status_code == status
    assert response.get_json() == {"result": "false", "reason": reason}
    assert cart_of(client) == []


def test_a_sold_out_product_has_no_add_to_cart_url(client: FlaskClient) -> None:
    (info,) = frame(client, "productInfo", productIds=SOLD_OUT)
    assert info["addToCartUrl"] == ""


def test_another_verb_than_the_widgets_is_refused(client: FlaskClient) -> None:
    refused = client.get(f"/demo/cart/add/{TENT}")
    assert (refused.status_code, refused.headers["Allow"]) == (405, "POST")
    assert refused.get_json()["result"] == "false"
    assert cart_of(client) == []


def test_with_add_to_cart_http_verb_get_a_get_adds(database_file: Path) -> None:
    demo_config = adapter_config(f"sqlite:///{database_file}", OCT8NE_ADD_TO_CART_HTTP_VERB="GET")
    with adapter_app(demo_config, demo=True) as app:
        by_get = app.test_client()
        assert by_get.get(add_to_cart_url(by_get, TENT)).status_code == 200
        assert by_get.post(f"/demo/cart/add/{TENT}").status_code == 405
        assert cart_of(by_get) == [(TENT, 1)]


def test_the_product_pages_button_adds_and_shows_the_cart(client: FlaskClient) -> None:
    html = client.get(f"/demo/product/{TENT}").get_data(as_text=True)
    (form,) = re.findall(r'<form method="post" action="([^"]+)">', html)
    assert form == f"/demo/cart/add/{TENT}"
    response = client.post(form, data={"return_to": "cart"})
    assert (response.status_code, response.headers["Location"]) == (303, "/demo/cart")
    assert cart_of(client) == [(TENT, 1)]


def test_an_explicit_add_to_cart_path_wins_over_the_demos(database_file: Path) -> None:
    demo_config = adapter_config(
        f"sqlite:///{database_file}", OCT8NE_ADD_TO_CART_PATH="/basket/{id}"
    )
    with adapter_app(demo_config, demo=True) as app:
        (info,) = frame(app.test_client(), "productInfo", productIds=TENT)
    assert info["addToCartUrl"] == f"{SITE}/basket/{TENT}"


def test_a_variant_is_added_under_its_own_id(imported: str) -> None:
    # The jacket's rows are variants of one product: each row's id adds that size and colour.
    with adapter_app(adapter_config(imported), demo=True) as app:
        client = app.test_client()
        assert client.post("/demo/cart/add/STORM-RED-L").get_json()["quantity"] == 1
        assert client.post("/demo/cart/add/STORM-BLUE-L").status_code == 200
        sold_out = client.post("/demo/cart/add/STORM-BLUE-M")
        assert (sold_out.status_code, sold_out.get_json()["reason"]) == (
            409,
            "This product is out of stock.",
        )
        assert cart_of(client) == [("STORM-RED-L", 1), ("STORM-BLUE-L", 1)]
