"""The demo storefront's pages: search, product, cart, sign-in, order confirmation, the widget.

These run on SQLite only: the pages read through the repository, whose answers on PostgreSQL and
MariaDB are proved identical by the frame and search tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import adapter_app, adapter_config, sign_in_demo
from flask import Flask
from flask.testing import FlaskClient
from test_snippets import Elements, current_product, properties

from oct8ne_adapter_demo import create_demo_app

LICENSE = "DEMO-LICENSE-0001"
#: Every page a visitor can open without signing in.
PAGES = ["/demo/", "/demo/?search=jacket", "/demo/product/1001", "/demo/cart", "/demo/login"]


@pytest.fixture
def demo_app(database_file: Path) -> Iterator[Flask]:
    """The standalone adapter with the demo pages and a license, over a copy of the demo shop."""
    config = adapter_config(f"sqlite:///{database_file}", OCT8NE_LICENSE=LICENSE)
    with adapter_app(config, demo=True) as app:
        yield app


@pytest.fixture
def visitor(demo_app: Flask) -> FlaskClient:
    """A visitor of the demo shop, not signed in."""
    return demo_app.test_client()


@pytest.fixture
def jane(visitor: FlaskClient) -> FlaskClient:
    """The visitor, signed in as Jane Doe through the sign-in form."""
    assert sign_in_demo(visitor).status_code == 303
    return visitor


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    """GET an HTML page, asserting its status, and return its text."""
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def widget(html: str) -> str:
    """The page's widget snippet, asserting there is exactly one."""
    start = html.index('<script type="text/javascript" id="oct8ne-widget-snippet"')
    assert html.count('id="oct8ne-widget-snippet"') == 1
    return html[start : html.index("</script>", start) + len("</script>")]


def classes(html: str) -> list[str]:
    """The class attribute of every element of the page, in order."""
    return [attributes.get("class") or "" for _, attributes in Elements(html).tags]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_widget_the_pin_and_the_agent_elements(
    visitor: FlaskClient, path: str
) -> None:
    html = page(visitor, path)
    assert properties(widget(html))["license"] == LICENSE
    found = classes(html)
    assert "oct8ne-phone pin" in found
    assert "oct8ne-widget-on agents" in found
    assert "oct8ne-widget-off agents" in found


def test_only_the_product_page_names_the_current_product(visitor: FlaskClient) -> None:
    product_page = widget(page(visitor, "/demo/product/1001"))
    assert current_product(product_page) == {
        "id": "1001",
        "thumbnail": "https://shop.example/demo/img/1001.svg?size=120",
    }
    assert current_product(widget(page(visitor, "/demo/"))) is None


def test_the_widget_follows_the_locale_and_currency_asked_for(visitor: FlaskClient) -> None:
    html = page(visitor, "/demo/product/1001?locale=es-ES&currency=EUR")
    found = properties(widget(html))
    assert (found["locale"], found["currencyCode"]) == ("es-ES", "EUR")
    assert '<html lang="es">' in html
    assert "Zapatilla" in html  # the Spanish title


def test_without_a_license_the_pages_say_how_to_switch_the_widget_on(database_file: Path) -> None:
    app = create_demo_app(adapter_config(f"sqlite:///{database_file}"))
    html = page(app.test_client(), "/demo/")
    app.extensions["oct8ne"].database.engine.dispose()
    assert "oct8ne-widget-snippet" not in html
    assert "<!-- oct8ne: no license configured" in html
    assert "OCT8NE_LICENSE" in html


def test_the_home_page_lists_the_catalog_a_page_at_a_time(visitor: FlaskClient) -> None:
    first = page(visitor, "/demo/")
    assert "276 products, showing 1–12." in first
    assert first.count('<li class="card">') == 12
    assert 'href="/demo/?page=2"' in first and "← Previous" not in first
    last = page(visitor, "/demo/?page=23")
    assert "showing 265–276" in last and "Next →" not in last


def test_the_search_box_searches_the_catalog(visitor: FlaskClient) -> None:
    html = page(visitor, "/demo/?search=down+jacket")
    assert "Results for “down jacket”" in html
    assert "Insulated Down Jacket" in html
    assert 'value="down jacket"' in html
    assert "$249.00" in html and "$299.00" in html  # price and price before the discount
    assert "Nothing matches" in page(visitor, "/demo/?search=zzzzqqq")


def test_search_text_is_escaped_in_the_page(visitor: FlaskClient) -> None:
    html = page(visitor, '/demo/?search="><script>alert(1)</script>')
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("query", ["page=x", "page=1.5", "pageSize=abc"])
def test_bad_paging_is_a_400_page(visitor: FlaskClient, query: str) -> None:
    html = page(visitor, f"/demo/?{query}", 400)
    assert "Sorry" in html


def test_an_unknown_product_is_a_404_page(visitor: FlaskClient) -> None:
    html = page(visitor, "/demo/product/nope", 404)
    assert "There is no product with this id." in html
    assert "oct8ne-widget-snippet" in html  # the error page is a shop page too


def test_the_product_page_shows_the_product_and_related_ones(visitor: FlaskClient) -> None:
    html = page(visitor, "/demo/product/1001")
    assert "<h1>Trail Running Shoe</h1>" in html
    assert "$89.90" in html and "$99.90" in html
    assert "You may also like" in html
    related = visitor.get("/oct8ne/frame/productRelated?productId=1001").get_json()["results"]
    shown = re.findall(r'<li class="card"><a href="/demo/product/(\d+)">', html)
    assert shown == [item["internalId"] for item in related][:4] and shown


def test_the_cart_page_shows_the_signed_in_customers_cart(jane: FlaskClient) -> None:
    html = page(jane, "/demo/cart")
    rows = re.findall(r'<a href="/demo/product/(\d+)">([^<]+)</a>', html)
    assert rows == [
        ("1001", "Trail Running Shoe"),
        ("1003", "Waterproof Rain Jacket"),
        ("1007", "Wool Beanie"),
    ]
    assert "$179.80" in html  # 2 × $89.90
    assert '<td class="number">$353.79</td>' in html
    assert "Cart (4)" in html and "Jane Doe" in html


def test_the_cart_page_of_a_guest_asks_to_sign_in(visitor: FlaskClient) -> None:
    html = page(visitor, "/demo/cart")
    assert "You are not signed in." in html
    assert "Your cart is empty." in html
    assert 'href="/demo/login?next=cart"' in html


def test_the_sign_in_page_signs_in_and_returns_to_the_page_asked_for(visitor: FlaskClient) -> None:
    form = page(visitor, "/demo/login?next=cart")
    assert form.count('action="/demo/login?next=cart"') == 2  # a button per demo customer
    response = sign_in_demo(visitor, "JANE.DOE@example.com ", next_page="cart")
    assert (response.status_code, response.headers["Location"]) == (303, "/demo/cart")
    assert "Jane Doe" in page(visitor, "/demo/")


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example", "image", ""])
def test_sign_in_never_returns_outside_the_demo_pages(visitor: FlaskClient, next_page: str) -> None:
    response = sign_in_demo(visitor, next_page=next_page)
    assert response.headers["Location"] == "/demo/"


def test_an_unknown_email_shows_the_form_again(visitor: FlaskClient) -> None:
    response = sign_in_demo(visitor, "nobody@example.com")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Only the demo customers below can sign in here." in html
    assert "nobody@example.com" not in html  # nothing echoed
    assert "shop_session" not in response.headers.get("Set-Cookie", "")


def test_the_order_confirmation_needs_a_signed_in_customer(visitor: FlaskClient) -> None:
    response = visitor.get("/demo/checkout/success")
    assert response.status_code == 302
    assert response.headers["Location"] == "/demo/login?next=checkout_success"


def sale_notification_of(html: str) -> dict[str, str]:
    """The query parameters of the page's sale-notification script, asserting there is one."""
    tags = [
        attrs for tag, attrs in Elements(html).tags if attrs.get("id") == "oct8ne-sale-notification"
    ]
    assert len(tags) == 1
    src = tags[0]["src"]
    assert src is not None and src.startswith(
        "https://static.oct8ne.com/api/source/js/ext/sale-notification.js?"
    )
    return {name: values[0] for name, values in parse_qs(urlsplit(src).query).items()}


@pytest.mark.parametrize(
    ("query", "reference", "value", "currency", "items"),
    [
        ("", "JDX1005E", "$1,500.00", "USD", 1),
        ("?reference=JDX1001A", "JDX1001A", "$119.70", "USD", 3),
        ("?reference=JDX1004D&locale=es-ES", "JDX1004D", "142,89\xa0€", "EUR", 2),
    ],
)
def test_the_order_confirmation_carries_the_sale_notification(
    jane: FlaskClient, query: str, reference: str, value: str, currency: str, items: int
) -> None:
    html = page(jane, f"/demo/checkout/success{query}")
    assert f"<strong>{reference}</strong>" in html
    parameters = sale_notification_of(html)
    assert json.loads(parameters.pop("contextInfo")) == {
        "source": "oct8ne-adapter demo",
        "items": items,
    }
    assert parameters == {
        "license": LICENSE,
        "CurrencyCode": currency,
        "locale": "es-ES" if "es-ES" in query else "en-US",
        "value": value,
        "reference": reference,
        "customerId": "1",
    }


@pytest.mark.parametrize("reference", ["JSM2001A", "NOPE", "JDX1005E'"])
def test_another_customers_order_is_not_confirmed(jane: FlaskClient, reference: str) -> None:
    html = page(jane, f"/demo/checkout/success?reference={reference}", 404)
    assert "oct8ne-sale-notification" not in html


def test_other_pages_carry_no_sale_notification(jane: FlaskClient) -> None:
    for path in PAGES:
        assert "oct8ne-sale-notification" not in page(jane, path)
