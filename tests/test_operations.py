"""Operability: health endpoint, access log without secrets, security headers, ProxyFix."""

from __future__ import annotations

import logging

import pytest
from conftest import API_TOKEN, adapter_config
from flask.testing import FlaskClient

from oct8ne_adapter import create_app


def test_health_reports_the_database(client: FlaskClient):
    response = client.get("/oct8ne/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_away():
    app = create_app(adapter_config("postgresql+psycopg://postgres@127.0.0.1:9/none"))
    try:
        response = app.test_client().get("/oct8ne/health")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


@pytest.mark.parametrize(
    "path",
    [
        "/oct8ne/frame/getAdapterInfo",
        "/oct8ne/frame/getAdapterInfo?callback=cb",
        "/oct8ne/frame/nope",
        "/oct8ne/frame/search?page=-1",
        "/oct8ne/frame/x?callback=a;b",
    ],
)
def test_security_headers_on_every_answer(client: FlaskClient, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("method", "private"),
    [
        ("customerData", True),
        ("getOrders", True),
        ("getOrderDetails", True),
        ("getCart", True),
        ("addToWishList", True),
        ("getSalesReport", True),
        ("getSalesReport?callback=cb&apiToken=test-token-0123456789", True),
        ("getOrders?callback=cb&apiToken=test-token-0123456789&customerEmail=a@b.example", True),
        ("productInfo", False),
        ("search", False),
    ],
)
def test_answers_about_a_person_are_never_cached(client: FlaskClient, method, private):
    response = client.get(f"/oct8ne/frame/{method}")
    assert (response.headers.get("Cache-Control") == "private, no-store") is private


def test_access_log_has_one_line_per_call_and_no_secrets(signed_in_client: FlaskClient, caplog):
    caplog.set_level(logging.DEBUG)
    signed_in_client.get(
        "/oct8ne/frame/getOrders",
        query_string={"customerEmail": "jane.doe@example.com", "apiToken": API_TOKEN},
    )
    signed_in_client.get(
        "/oct8ne/frame/getOrderDetails",
        query_string={"reference": "JDX1001A", "apiToken": "wrong-guess"},
    )
    signed_in_client.get("/oct8ne/frame/customerData?callback=cb")
    access = [r.getMessage() for r in caplog.records if r.name == "oct8ne_adapter.access"]
    assert len(access) == 3
    assert access[0].startswith("frame method=getOrders status=200 duration_ms=")
    everything = caplog.text + "\n".join(access)
    for secret in (API_TOKEN, "wrong-guess", "jane.doe@example.com", "JDX1001A"):
        assert secret not in everything


@pytest.mark.parametrize(("hops", "expected"), [(0, "10.0.0.1"), (1, "198.51.100.7")])
def test_proxy_fix_trusts_the_configured_hops(database_file, hops, expected):
    app = create_app(
        adapter_config(
            f"sqlite:///{database_file}",
            OCT8NE_PROXY_FIX_HOPS=hops,
            OCT8NE_RATELIMITS={"search": "1/minute"},
        )
    )
    seen: list[str] = []

    @app.before_request
    def remember() -> None:
        from flask import request

        seen.append(request.remote_addr or "")

    try:
        app.test_client().get(
            "/oct8ne/frame/getAdapterInfo",
            headers={"X-Forwarded-For": "198.51.100.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        assert seen == [expected]
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://shop.example", True), ("https://evil.example", False), ("null", False)],
)
def test_cors_allows_only_the_configured_origins(database_file, origin, allowed):
    app = create_app(
        adapter_config(f"sqlite:///{database_file}", OCT8NE_CORS_ORIGINS=["https://shop.example"])
    )
    try:
        response = app.test_client().get("/oct8ne/frame/getAdapterInfo", headers={"Origin": origin})
        assert response.status_code == 200
        assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
        if allowed:
            assert response.headers["Access-Control-Allow-Credentials"] == "true"
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


def test_no_cors_headers_by_default(client: FlaskClient):
    response = client.get(
        "/oct8ne/frame/getAdapterInfo", headers={"Origin": "https://shop.example"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origins", [["*"], ["shop.example"], ["https://a.example/path"], 5])
def test_bad_cors_origins_are_config_errors(origins):
    from oct8ne_adapter.errors import ConfigError
    from oct8ne_adapter.settings import Settings

    with pytest.raises(ConfigError, match="OCT8NE_CORS_ORIGINS"):
        Settings.from_config({"OCT8NE_CORS_ORIGINS": origins})
