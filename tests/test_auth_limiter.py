"""The failed-authentication limiter (issue 17, item 4): failures counted per address, shared by
every worker (Redis or the SQL database), a valid token always answered."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from conftest import API_TOKEN, adapter_config, schema_differences
from flask import Flask
from test_running import BIN, REPO_ROOT, free_port, running_server, server_environment

from oct8ne_adapter import create_app
from oct8ne_adapter.errors import ConfigError, TooManyFailures
from oct8ne_adapter.sql.auth_failures import SqlFailureCounter
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import AuthFailure
from oct8ne_adapter.web.auth_limiter import (
    AuthLimiter,
    MemoryFailureCounter,
    NoLimit,
    RedisFailureCounter,
    auth_limiter,
)
from oct8ne_adapter.web.state import adapter_state

REDIS_URL = "redis://127.0.0.1:6379"
JANE = "jane.doe@example.com"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_failures_are_refused_past_the_limit_until_the_window_ends() -> None:
    clock = Clock(1_000_020.5)  # 20.5 s into a minute window (1,000,020 = 16,667 x 60 + 0)
    limiter = AuthLimiter(3, 60, MemoryFailureCounter(), clock)
    for _ in range(3):
        limiter.verdict("203.0.113.9", valid=False)
    with pytest.raises(TooManyFailures) as refused:
        limiter.verdict("203.0.113.9", valid=False)
    window_end = (int(clock.now) // 60 + 1) * 60
    assert refused.value.retry_after == window_end - int(clock.now)
    assert refused.value.status == 429
    limiter.verdict("203.0.113.9", valid=True)  # a valid token is always answered
    limiter.verdict("198.51.100.1", valid=False)  # another address has its own count
    clock.now = window_end + 0.1
    limiter.verdict("203.0.113.9", valid=False)  # a new window


def test_a_broken_counter_store_refuses_nobody(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def failures(self, address: str, window_start: int) -> int:
            raise OSError("store down")

        def add_failure(self, address: str, window_start: int) -> None:
            raise OSError("store down")

    limiter = AuthLimiter(1, 60, Broken())
    for _ in range(3):
        limiter.verdict("203.0.113.9", valid=False)
    assert "failed-authentication counter" in caplog.text


def test_the_sql_counter_is_shared_and_forgets_past_windows(events_database: Database) -> None:
    """Two Database objects over one database: two workers, or two hosts."""
    other = Database(events_database.engine.engine)
    first, second = SqlFailureCounter(events_database), SqlFailureCounter(other)
    for counter in (first, second, first):
        counter.add_failure("203.0.113.9", 600)
    second.add_failure("2001:db8::1", 600)
    assert first.failures("203.0.113.9", 600) == second.failures("203.0.113.9", 600) == 3
    assert first.failures("2001:db8::1", 600) == 1
    assert first.failures("203.0.113.9", 660) == 0
    first.add_failure("203.0.113.9", 660)
    with events_database.session() as session:
        rows = session.query(AuthFailure.address, AuthFailure.window_start).all()
    assert sorted(rows) == [("203.0.113.9", 660)]  # past windows deleted with the write


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis on 127.0.0.1:6379, a random database index, cleaned afterwards."""
    probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        probe.ping()
    except redis.RedisError as error:
        if __import__("os").environ.get("CI"):
            pytest.fail(f"Redis is not reachable under CI: {error}")
        pytest.skip(f"Redis is not reachable: {error}")
    finally:
        probe.close()
    url = f"{REDIS_URL}/{1 + secrets.randbelow(14)}"
    yield url
    cleanup = redis.Redis.from_url(url)
    for key in cleanup.scan_iter("oct8ne:authfail*"):
        cleanup.delete(key)
    cleanup.close()


def test_the_redis_counter_is_shared_and_expires(redis_url: str) -> None:
    first, second = RedisFailureCounter(redis_url, 60), RedisFailureCounter(redis_url, 60)
    address = f"203.0.113.{secrets.randbelow(250)}"
    first.add_failure(address, 600)
    second.add_failure(address, 600)
    assert first.failures(address, 600) == second.failures(address, 600) == 2
    ttl = first.client.ttl(RedisFailureCounter.key(address, 600))
    assert 0 < ttl <= 61


def make_app(database_file: Path, **overrides: Any) -> Flask:
    return create_app(adapter_config(f"sqlite:///{database_file}", **overrides))


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["oct8ne"].database.engine.dispose()


def test_the_storage_follows_the_settings(database_file: Path, redis_url: str, apps) -> None:
    sql = make_app(database_file)
    shared = make_app(database_file, OCT8NE_RATELIMIT_STORAGE=redis_url)
    off = make_app(database_file, OCT8NE_RATELIMIT_ENABLED=False)
    apps.extend([sql, shared, off])
    assert isinstance(adapter_state(sql).auth.counter, SqlFailureCounter)  # type: ignore[attr-defined]
    assert isinstance(adapter_state(shared).auth.counter, RedisFailureCounter)  # type: ignore[attr-defined]
    assert isinstance(adapter_state(off).auth, NoLimit)
    without_database = auth_limiter(adapter_state(sql).settings, None)
    assert isinstance(without_database.counter, MemoryFailureCounter)  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["often", "10", 10])
def test_a_bad_failure_limit_is_refused_at_start_up(database_file: Path, value: object) -> None:
    with pytest.raises(ConfigError, match="OCT8NE_AUTH_FAILURE_LIMIT"):
        make_app(database_file, OCT8NE_AUTH_FAILURE_LIMIT=value)


def test_token_methods_cannot_get_a_per_address_limit(database_file: Path) -> None:
    with pytest.raises(ConfigError, match="getorders.*auth_failure_limit"):
        make_app(database_file, OCT8NE_RATELIMITS={"getorders": "10/minute"})


def orders(client: Any, token: str, address: str = "203.0.113.5", **extra: str) -> Any:
    return client.get(
        "/oct8ne/frame/getOrders",
        query_string={"customerEmail": JANE, "apiToken": token, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def test_every_token_check_reports_to_the_limiter(database_file: Path, apps) -> None:
    app = make_app(
        database_file,
        OCT8NE_AUTH_FAILURE_LIMIT="4/minute",
        OCT8NE_EVENTS_SECRET="a-strong-events-secret-0123456789abcdefXYZ",
    )
    apps.append(app)
    client = app.test_client()
    address = {"REMOTE_ADDR": "203.0.113.7"}
    # Four failed checks, one per kind of check: the fifth is refused whatever its kind.
    assert orders(client, "wrong", "203.0.113.7").get_json() == []
    details = client.get(
        "/oct8ne/frame/getOrderDetails?reference=JDX1001A&apiToken=x", environ_base=address
    )
    assert details.get_json() == []
    report = client.get("/oct8ne/frame/getSalesReport?apiToken=x", environ_base=address)
    assert report.get_json() == []
    event = client.post(
        "/oct8ne/events/cart-updated",
        json={},
        headers={"Authorization": "Bearer wrong"},
        environ_base=address,
    )
    assert event.status_code == 401
    refused = [
        orders(client, "wrong", "203.0.113.7"),
        client.get("/oct8ne/frame/getSalesReport?apiToken=x", environ_base=address),
        client.post("/oct8ne/events/cart-updated", json={}, environ_base=address),
    ]
    for answer in refused:
        assert answer.status_code == 429
        body = answer.get_json()
        assert body["error"] == "rate_limited"
        assert answer.headers["Retry-After"] == str(body["retryAfter"])
        assert 1 <= body["retryAfter"] <= 60
    # JSONP: the error inside the callback, 200, and no Retry-After header.
    jsonp = orders(client, "wrong", "203.0.113.7", callback="cb")
    assert jsonp.status_code == 200 and "Retry-After" not in jsonp.headers
    assert jsonp.get_data(as_text=True).startswith('/**/cb({"error":"rate_limited"')
    # The valid token is still answered from that address, and other addresses are not touched.
    assert orders(client, API_TOKEN, "203.0.113.7").get_json()
    assert orders(client, "wrong", "203.0.113.8").get_json() == []


def test_token_methods_have_no_per_address_limit(database_file: Path, apps) -> None:
    app = make_app(database_file, OCT8NE_RATELIMIT_DEFAULT="2/minute")
    apps.append(app)
    client = app.test_client()
    answers = [orders(client, API_TOKEN) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert all(answer.get_json() for answer in answers)


def gunicorn(port: int) -> list[str]:
    """A one-worker gunicorn command serving wsgi:app."""
    return [
        str(BIN / "gunicorn"),
        "--chdir",
        str(REPO_ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--no-control-socket",
        "wsgi:app",
    ]


def test_valid_tokens_are_answered_across_gunicorn_workers(
    database_file: Path, tmp_path: Path
) -> None:
    """The issue's proof: 200 valid-token getOrders calls from one address are all answered
    while its failed tokens are refused, the counters shared by two gunicorn workers (in the
    SQL database: no Redis configured). The two workers are two gunicorn servers on one
    database, so that the test, not the kernel, chooses which worker takes each call (one
    gunicorn with two sync workers gives nearly every quick call to the same worker)."""
    config = tmp_path / "adapter.toml"
    config.write_text('auth_failure_limit = "5/hour"\n')
    env = server_environment(
        tmp_path,
        OCT8NE_CONFIG=str(config),
        OCT8NE_DATABASE_URL=f"sqlite:///{database_file}",
        OCT8NE_API_TOKEN=API_TOKEN,
    )
    first_port, second_port = free_port(), free_port()
    with (
        running_server(
            gunicorn(first_port),
            cwd=tmp_path,
            env=env,
            port=first_port,
            log=tmp_path / "first.log",
        ) as first,
        running_server(
            gunicorn(second_port),
            cwd=tmp_path,
            env=env,
            port=second_port,
            log=tmp_path / "second.log",
        ) as second,
    ):

        def call(worker: str, token: str) -> requests.Response:
            return requests.get(
                f"{worker}/oct8ne/frame/getOrders",
                params={"customerEmail": JANE, "apiToken": token},
                timeout=10,
            )

        # Failures alternate between the workers: the limit of 5 holds for their sum.
        failed = [call((first, second)[n % 2], "wrong").status_code for n in range(12)]
        valid = [call((first, second)[n % 2], API_TOKEN) for n in range(200)]
        after = [call(worker, "wrong").status_code for worker in (first, second)]
    assert failed == [200] * 5 + [429] * 7
    assert [answer.status_code for answer in valid] == [200] * 200
    assert all(answer.json() for answer in valid)
    assert after == [429, 429]


def test_the_migration_creates_exactly_the_table_of_the_model(empty_database_url: str) -> None:
    assert schema_differences(empty_database_url, "auth_failures") == []
