"""Per-IP rate limits: strict on token-checked methods, JSON/JSONP 429s, shared through Redis."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from conftest import adapter_config
from flask import Flask

from oct8ne_adapter import create_app

REDIS_URL = "redis://127.0.0.1:6379"


def make_app(database_file: Path, **overrides: Any) -> Flask:
    return create_app(adapter_config(f"sqlite:///{database_file}", **overrides))


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """Apps made by a test, their engines closed afterwards."""
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["oct8ne"].database.engine.dispose()


def orders(client: Any, **extra: str) -> Any:
    return client.get(
        "/oct8ne/frame/getOrders",
        query_string={"customerEmail": "jane.doe@example.com", "apiToken": "guess", **extra},
    )


def test_token_guessing_trips_the_strict_limit(database_file, apps):
    app = make_app(database_file, OCT8NE_RATELIMITS={"getorders": "3/minute"})
    apps.append(app)
    client = app.test_client()
    assert [orders(client).status_code for _ in range(3)] == [200, 200, 200]
    blocked = orders(client)
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/json"
    assert blocked.get_json()["error"] == "rate_limited"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    jsonp = orders(client, callback="cb")
    assert jsonp.status_code == 429 and jsonp.mimetype == "application/javascript"
    body = jsonp.get_data(as_text=True)
    assert body.startswith("/**/cb(") and json.loads(body[7:-2])["error"] == "rate_limited"
    # A hostile callback is still never reflected, even in a 429.
    hostile = orders(client, callback="alert(1)//")
    assert hostile.status_code == 429 and "alert" not in hostile.get_data(as_text=True)
    # The catalog is a separate, generous bucket: still served.
    assert client.get("/oct8ne/frame/getAdapterInfo").status_code == 200


def test_each_limited_method_has_its_own_bucket(database_file, apps):
    app = make_app(
        database_file,
        OCT8NE_RATELIMITS={"getorders": "2/minute", "getorderdetails": "2/minute"},
        OCT8NE_RATELIMIT_DEFAULT="4/minute",
    )
    apps.append(app)
    client = app.test_client()
    assert [orders(client).status_code for _ in range(3)] == [200, 200, 429]
    details = "/oct8ne/frame/getOrderDetails?reference=JDX1001A&apiToken=x"
    assert [client.get(details).status_code for _ in range(3)] == [200, 200, 429]
    catalog = [
        "/oct8ne/frame/productInfo?productIds=1001",
        "/oct8ne/frame/search",
        "/oct8ne/frame/customerData",
        "/oct8ne/frame/getAdapterInfo",
        "/oct8ne/frame/productSummary?productIds=1001",
    ]
    assert [client.get(url).status_code for url in catalog] == [200, 200, 200, 200, 429]


def test_clients_are_counted_separately(database_file, apps):
    app = make_app(database_file, OCT8NE_RATELIMITS={"getorders": "1/minute"})
    apps.append(app)
    client = app.test_client()
    first = {"REMOTE_ADDR": "203.0.113.1"}
    second = {"REMOTE_ADDR": "203.0.113.2"}
    url = "/oct8ne/frame/getOrders?apiToken=x"
    assert client.get(url, environ_base=first).status_code == 200
    assert client.get(url, environ_base=first).status_code == 429
    assert client.get(url, environ_base=second).status_code == 200


def test_limits_can_be_switched_off(database_file, apps):
    app = make_app(
        database_file, OCT8NE_RATELIMITS={"getorders": "1/minute"}, OCT8NE_RATELIMIT_ENABLED=False
    )
    apps.append(app)
    client = app.test_client()
    assert {orders(client).status_code for _ in range(5)} == {200}


def test_the_health_endpoint_is_not_limited(database_file, apps):
    app = make_app(database_file, OCT8NE_RATELIMIT_DEFAULT="1/minute")
    apps.append(app)
    client = app.test_client()
    assert {client.get("/oct8ne/health").status_code for _ in range(3)} == {200}


@pytest.fixture
def redis_storage() -> Iterator[str]:
    """The real Redis on 127.0.0.1:6379, under a database index cleaned after the test."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        connection.ping()
    except redis.RedisError as error:
        if __import__("os").environ.get("CI"):
            pytest.fail(f"Redis is not reachable under CI: {error}")
        pytest.skip(f"Redis is not reachable: {error}")
    database = 1 + secrets.randbelow(14)
    connection.close()
    url = f"{REDIS_URL}/{database}"
    yield url
    cleanup = redis.Redis.from_url(url)
    for key in cleanup.scan_iter("LIMITS:oct8ne*"):
        cleanup.delete(key)
    cleanup.close()


def test_limits_are_shared_through_redis(database_file, apps, redis_storage):
    """Two app instances (two workers, or two machines) count in the same Redis buckets."""
    limits = {
        "OCT8NE_RATELIMITS": {"getorders": f"3/{5 + secrets.randbelow(50)} minutes"},
        "OCT8NE_RATELIMIT_STORAGE": redis_storage,
    }
    first, second = make_app(database_file, **limits), make_app(database_file, **limits)
    apps.extend([first, second])
    statuses = [
        orders(first.test_client()).status_code,
        orders(second.test_client()).status_code,
        orders(first.test_client()).status_code,
        orders(second.test_client()).status_code,
    ]
    assert statuses == [200, 200, 200, 429]


def test_an_unreachable_limit_store_does_not_refuse_visitors(database_file, apps, caplog):
    app = make_app(
        database_file,
        OCT8NE_RATELIMIT_STORAGE="redis://127.0.0.1:9",
        OCT8NE_RATELIMITS={"getorders": "1/minute"},
    )
    apps.append(app)
    client = app.test_client()
    assert orders(client).status_code == 200
