"""The cross-site guard of customerData, addToWishList and getCart (issue 16, item 2).

The attack: with Jane's cookie and `Sec-Fetch-Site: cross-site`, `customerData?callback=steal`
returned her name, e-mail, wishlist and cart, and `addToWishList?productIds=1010,1011` (with
`Sec-Fetch-Mode: navigate`) added both products. The browser-level proof (a page on another
site in headless Chromium) is tests/test_browser_cross_site.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import adapter_app, adapter_config
from flask import Flask
from flask.testing import FlaskClient

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.methods import FRAME_METHODS

CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/page"}
SHOP_ORIGIN = "https://shop.example"


@pytest.fixture
def shop(database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    overrides = getattr(request, "param", {})
    with adapter_app(adapter_config(database_url, **overrides), demo=True) as application:
        yield application


@pytest.fixture
def jane(shop: Flask) -> FlaskClient:
    client = shop.test_client()
    client.set_cookie("shop_session", shop.extensions["oct8ne"].repository.create_session("1"))
    return client


def jsonp(client: FlaskClient, method: str, headers: dict[str, str], **params: str) -> Any:
    response = client.get(
        f"/oct8ne/frame/{method}", query_string={**params, "callback": "steal"}, headers=headers
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("/**/steal(") and body.endswith(");")
    return json.loads(body[len("/**/steal(") : -2])


def test_the_guarded_methods_are_exactly_those_answering_from_the_shop_cookie():
    guarded = {method.name for method in FRAME_METHODS if method.same_site}
    assert guarded == {"customerData", "addToWishList", "getCart"}


@pytest.mark.writes_database
def test_a_cross_site_call_gets_the_anonymous_answer(jane: FlaskClient):
    data = jsonp(jane, "customerData", CROSS_SITE)
    assert (data["id"], data["email"], data["wishlist"], data["cart"]) == (None, None, [], [])
    cart = jsonp(jane, "getCart", CROSS_SITE)
    assert (cart["cart"], cart["totalItems"]) == ([], 0)
    navigate = {**CROSS_SITE, "Sec-Fetch-Mode": "navigate"}
    assert jsonp(jane, "addToWishList", navigate, productIds="1010,1011") == {"result": "false"}
    wishlist = jsonp(jane, "customerData", {"Sec-Fetch-Site": "same-origin"})["wishlist"]
    assert not {"1010", "1011"} & {item["internalId"] for item in wishlist}


@pytest.mark.writes_database
@pytest.mark.parametrize(
    "headers",
    [
        {},  # a browser without the header, or a server
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
    ],
)
def test_same_site_calls_and_calls_without_the_header_get_the_visitor(jane, headers):
    assert jsonp(jane, "customerData", headers)["email"] == "jane.doe@example.com"
    assert jsonp(jane, "getCart", headers)["totalItems"] > 0
    assert jsonp(jane, "addToWishList", headers, productIds="1010") == {"result": "true"}


@pytest.mark.parametrize(
    "shop", [{"OCT8NE_CORS_ORIGINS": [SHOP_ORIGIN, "https://Other.example"]}], indirect=True
)
@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": SHOP_ORIGIN},
        {"Sec-Fetch-Site": "cross-site", "Referer": f"{SHOP_ORIGIN}/product/1?x=1"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "https://other.example/"},
    ],
)
def test_the_cors_origins_are_trusted(jane, headers):
    assert jsonp(jane, "customerData", headers)["email"] == "jane.doe@example.com"


@pytest.mark.parametrize("shop", [{"OCT8NE_CORS_ORIGINS": [SHOP_ORIGIN]}], indirect=True)
def test_an_origin_not_listed_is_refused_even_with_a_trusted_referer(jane):
    headers = {**CROSS_SITE, "Origin": "https://evil.example", "Referer": f"{SHOP_ORIGIN}/"}
    assert jsonp(jane, "customerData", headers)["email"] is None


@pytest.mark.parametrize("shop", [{"OCT8NE_CROSS_SITE_GUARD": False}], indirect=True)
def test_the_guard_can_be_switched_off(jane):
    assert jsonp(jane, "customerData", CROSS_SITE)["email"] == "jane.doe@example.com"


def test_the_first_refusal_per_worker_is_logged_once_naming_the_settings(
    jane: FlaskClient, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING, logger="oct8ne_adapter.web.cross_site"):
        for method in ("customerData", "getCart", "customerData"):
            jsonp(jane, method, CROSS_SITE)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "customerData" in message and "https://evil.example" in message
    assert "cors_origins" in message and "cross_site_guard = false" in message
    assert "jane" not in message.lower()


def test_the_setting_is_a_boolean():
    assert Settings.from_config({}).cross_site_guard is True
    with pytest.raises(ConfigError, match="OCT8NE_CROSS_SITE_GUARD must be true or false"):
        Settings.from_config({"OCT8NE_CROSS_SITE_GUARD": "maybe"})
