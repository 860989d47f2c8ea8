"""productInfo/productSummary answers are encoded once and reused until the catalog changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import adapter_app, adapter_config, rename_product
from flask import Flask
from flask.testing import FlaskClient

from oct8ne_adapter.domain import Product
from oct8ne_adapter.web.serializers.answers import AnswerCache
from oct8ne_adapter.web.state import adapter_state

IDS = "1001,1002"


@pytest.fixture
def cached_app(database_file: Path) -> Iterator[Flask]:
    """The adapter over a private copy of the demo shop (the log read on every call)."""
    with adapter_app(adapter_config(f"sqlite:///{database_file}")) as application:
        yield application


def body(client: FlaskClient, method: str, **params: Any) -> bytes:
    response = client.get(f"/oct8ne/frame/{method}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data()


def test_the_same_request_is_answered_from_the_cache(cached_app: Flask):
    client = cached_app.test_client()
    answers = adapter_state(cached_app).answers
    first = body(client, "productInfo", productIds=IDS)
    assert answers.hits == 0
    assert body(client, "productInfo", productIds=IDS) == first
    assert answers.hits == 1
    assert [item["internalId"] for item in orjson.loads(first)] == ["1001", "1002"]


@pytest.mark.parametrize(
    "other",
    [
        ("productSummary", {"productIds": IDS}),
        ("productInfo", {"productIds": "1002,1001"}),
        ("productInfo", {"productIds": IDS, "locale": "es-ES"}),
        ("productInfo", {"productIds": IDS, "currency": "EUR"}),
    ],
)
def test_each_method_order_locale_and_currency_has_its_own_answer(
    cached_app: Flask, other: tuple[str, dict[str, str]]
):
    client = cached_app.test_client()
    first = body(client, "productInfo", productIds=IDS)
    method, params = other
    different = body(client, method, **params)
    assert different != first
    assert adapter_state(cached_app).answers.hits == 0
    assert body(client, method, **params) == different  # and it is cached in its turn


@pytest.mark.writes_database
def test_a_catalog_change_is_seen_at_the_next_call(cached_app: Flask):
    client = cached_app.test_client()
    before = orjson.loads(body(client, "productInfo", productIds=IDS))
    rename_product(adapter_state(cached_app).database, "1001", "Quokkaflux parka")  # type: ignore[arg-type]
    after = orjson.loads(body(client, "productInfo", productIds=IDS))
    assert after[0]["title"] == "Quokkaflux parka" != before[0]["title"]
    assert after[1] == before[1]
    summary = orjson.loads(body(client, "productSummary", productIds="1001"))
    assert summary[0]["title"] == "Quokkaflux parka"


def test_jsonp_wraps_the_cached_answer(cached_app: Flask):
    client = cached_app.test_client()
    plain = body(client, "productInfo", productIds=IDS)
    script = body(client, "productInfo", productIds=IDS, callback="cb")
    assert script == b"/**/cb(" + plain + b");"
    assert adapter_state(cached_app).answers.hits == 1


def test_unknown_ids_and_no_ids_answer_an_empty_list(cached_app: Flask):
    client = cached_app.test_client()
    assert body(client, "productInfo", productIds="nope") == b"[]"
    assert body(client, "productInfo") == b"[]"


def product(product_id: str) -> Product:
    """A bare product (only identity matters to the cache)."""
    return Product(product_id, product_id, "", "", None, (), {})


def test_new_product_objects_are_never_answered_from_the_cache():
    cache = AnswerCache()
    built: list[int] = []

    def build(products: Any) -> Any:
        built.append(len(products))
        return [p.id for p in products]

    kept = [product("a")]
    assert cache.answer("k", kept, build).body == b'["a"]'
    cache.answer("k", kept, build)
    cache.answer("k", [product("a")], build)  # equal, but another object: the catalog moved
    assert built == [1, 1]
    assert cache.hits == 1


def test_the_cache_keeps_at_most_its_bound():
    cache = AnswerCache(max_answers=3)
    kept = [product("a")]
    for key in range(5):
        cache.answer(key, kept, lambda products: [])
    assert len(cache) == 3
