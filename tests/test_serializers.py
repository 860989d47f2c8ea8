"""serializers.py: the shortcuts of absolute_url give exactly what urljoin gives."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings, strategies as st

from oct8ne_adapter.web.serializers import absolute_url

BASES = [
    "https://shop.example/",
    "http://shop.example/store/",
    "https://shop.example:8443/a/b/",
    "https://user:pw@shop.example/",
    "//shop.example/",
    "HTTPS://Shop.example/",
    "https://shop.example/a?b#c",
    "https:///",
]
#: Pieces that urljoin treats specially: delimiters, dot segments, doubled slashes, blanks.
PIECES = [*"aZ09-._~%!$&'()*+,;=:@/?#[] \t\n", "é", "\u2028", "..", "/./", "/../", "//", "."]
STARTS = ["https://", "http://", "HTTP://", "ftp://", "https://cdn.example", "/", "//", "", "../"]


def joined(base: str, url: str) -> str:
    """urljoin's answer, or the error it raises."""
    try:
        return urljoin(base, url)
    except ValueError as error:
        return f"ValueError: {error}"


def shortcut(base: str, url: str) -> str:
    try:
        return absolute_url(base, url)
    except ValueError as error:
        return f"ValueError: {error}"


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("https://shop.example/", "https://cdn.example/img/1.jpg", "https://cdn.example/img/1.jpg"),
        ("https://shop.example/store/", "/cart/add/P1", "https://shop.example/cart/add/P1"),
        ("https://shop.example/store/", "p/1", "https://shop.example/store/p/1"),
        ("https://shop.example/", "/a/../b", "https://shop.example/b"),
        ("https://shop.example/", "/a/./b/", "https://shop.example/a/b/"),
        ("https://shop.example/", "https://cdn.example/x?", "https://cdn.example/x"),
    ],
)
def test_absolute_url(base: str, url: str, expected: str) -> None:
    assert absolute_url(base, url) == expected


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(BASES),
    st.builds(
        lambda start, pieces: start + "".join(pieces),
        st.sampled_from(STARTS),
        st.lists(st.sampled_from(PIECES), max_size=16),
    ),
)
def test_absolute_url_is_urljoin(base: str, url: str) -> None:
    assert shortcut(base, url) == joined(base, url)


def test_product_info_is_built_once_per_product_object_and_presentation():
    """The memo answers only for the same product object, settings and presentation."""
    from dataclasses import replace
    from decimal import Decimal

    from werkzeug.datastructures import MultiDict

    from oct8ne_adapter.domain import Product, ProductPrice
    from oct8ne_adapter.settings import Settings
    from oct8ne_adapter.web.params import parse_presentation
    from oct8ne_adapter.web.serializers import ProductInfoMemo, Serializer

    shop = Settings(currencies=("EUR",))
    english = parse_presentation(MultiDict({"locale": "en-US", "currency": "USD"}), shop)
    spanish = parse_presentation(MultiDict({"locale": "es-ES", "currency": "EUR"}), shop)
    product = Product(
        id="1001",
        title="Shoe",
        description="Light",
        url="/p/1001",
        thumbnail=None,
        medias=("/img/1001.jpg",),
        prices={"USD": ProductPrice(Decimal("1500")), "EUR": ProductPrice(Decimal("1400"))},
    )
    memo = ProductInfoMemo()
    first = Serializer(shop, english, memo).product_info(product)
    assert Serializer(shop, english, memo).product_info(product) is first
    assert first["formattedPrice"] == "$1,500.00"
    spanish_info = Serializer(shop, spanish, memo).product_info(product)
    assert spanish_info["formattedPrice"] == "1.400,00\xa0€"
    renamed = replace(product, title="Boot")  # what a catalog change hands out: a new object
    assert Serializer(shop, english, memo).product_info(renamed)["title"] == "Boot"
    other_shop = Settings(shop_url="https://other.example")
    moved = Serializer(other_shop, english, memo).product_info(product)
    assert moved["productUrl"] == "https://other.example/p/1001"
    # Without a memo every payload is built afresh; a memo belongs to one app, never shared.
    assert Serializer(shop, english).product_info(product) is not first
    assert Serializer(shop, english, ProductInfoMemo()).product_info(product) is not first
    assert len(memo) == 4
