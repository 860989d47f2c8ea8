"""`GET /oct8ne/metrics` in one process (web/metrics.py, web/prometheus.py, events/stats.py).

The scrape of a real 2-worker `oct8ne-adapter serve` is in tests/test_metrics_serve.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import API_TOKEN, adapter_app, adapter_config, rename_product
from fakes.vendors import OPTICO_KEY, order, running_vendors
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from test_events_end_to_end import relay_worker_once

from oct8ne_adapter import record_event
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.web.state import adapter_state

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
EVENTS_SECRET = "metrics-test-secret-7Hq2Lp9Zx4Vb6Nm3"


def metrics_app(database_url: str, **overrides: Any) -> Any:
    """The adapter with metrics on (from 127.0.0.1 unless `metrics_allow` says otherwise)."""
    return adapter_app(adapter_config(database_url, OCT8NE_METRICS_ENABLED=True, **overrides))


def scrape(client: FlaskClient, address: str = "127.0.0.1") -> Samples:
    """Every sample of one scrape, by name and labels."""
    response = client.get("/oct8ne/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the scrape has no such sample."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def client(database_url: str) -> Iterator[FlaskClient]:
    with metrics_app(database_url) as app:
        yield app.test_client()


def test_metrics_are_off_by_default_and_the_url_does_not_exist(database_file: Path) -> None:
    with adapter_app(adapter_config(f"sqlite:///{database_file}")) as app:
        client = app.test_client()
        assert client.get("/oct8ne/metrics").status_code == 404
        # Counting is off too: nothing listens to the app's requests.
        assert client.get("/oct8ne/frame/getAdapterInfo").status_code == 200


@pytest.mark.parametrize(
    ("allow", "address", "proxied_for", "status"),
    [
        (["127.0.0.1", "::1"], "127.0.0.1", None, 200),
        (["127.0.0.1", "::1"], "::1", None, 200),
        (["127.0.0.1", "::1"], "192.0.2.10", None, 403),
        (["10.0.0.0/8"], "10.20.30.40", None, 200),
        (["10.0.0.0/8"], "::ffff:10.20.30.40", None, 200),
        (["10.0.0.0/8"], "127.0.0.1", None, 403),
        # Behind one proxy the client's address is the forwarded one, not the proxy's.
        (["127.0.0.1"], "127.0.0.1", "192.0.2.10", 403),
        (["192.0.2.0/24"], "127.0.0.1", "192.0.2.10", 200),
    ],
)
def test_only_addresses_in_the_allow_list_read_the_metrics(
    database_file: Path, allow: list[str], address: str, proxied_for: str | None, status: int
) -> None:
    hops = 1 if proxied_for else 0
    config = {"OCT8NE_METRICS_ALLOW": allow, "OCT8NE_PROXY_FIX_HOPS": hops}
    with metrics_app(f"sqlite:///{database_file}", **config) as app:
        headers = {"X-Forwarded-For": proxied_for} if proxied_for else {}
        response = app.test_client().get(
            "/oct8ne/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers
        )
    assert response.status_code == status
    if status == 403:
        assert response.get_json()["error"] == "forbidden"
        assert "oct8ne_frame" not in response.get_data(as_text=True)


@pytest.mark.parametrize("allow", [["not-an-address"], ["10.0.0.0/33"], "10.0.0.1, x"])
def test_a_malformed_allow_list_is_refused_at_start(allow: Any) -> None:
    with pytest.raises(ConfigError, match="OCT8NE_METRICS_ALLOW"):
        Settings.from_config({"OCT8NE_METRICS_ALLOW": allow})


def test_frame_calls_are_counted_by_method_and_status(client: FlaskClient) -> None:
    for _ in range(3):
        assert client.get("/oct8ne/frame/getAdapterInfo").status_code == 200
    assert (
        client.get("/oct8ne/frame/PRODUCTINFO", query_string={"productIds": "1001"}).status_code
        == 200
    )
    assert client.get("/oct8ne/frame/search", query_string={"page": "x"}).status_code == 400
    assert client.get("/oct8ne/frame/no-such-method-xyz").status_code == 404
    client.get("/oct8ne/health")  # not a frame call
    samples = scrape(client)
    requests = "oct8ne_frame_requests_total"
    assert value(samples, requests, method="getAdapterInfo", status="200") == 3
    # Counted under the table's spelling, whatever case the caller used.
    assert value(samples, requests, method="productInfo", status="200") == 1
    assert value(samples, requests, method="search", status="400") == 1
    # An unknown name is one label value: callers cannot grow the label set.
    assert value(samples, requests, method="unknown", status="404") == 1
    assert not any("no-such-method" in str(labels) for _name, labels in samples)
    assert sum(v for (name, _), v in samples.items() if name == requests) == 6
    histogram = "oct8ne_frame_request_duration_seconds"
    assert value(samples, f"{histogram}_count", method="getAdapterInfo", status="200") == 3
    assert (
        value(samples, f"{histogram}_bucket", method="getAdapterInfo", status="200", le="+Inf") == 3
    )
    assert 0 < value(samples, f"{histogram}_sum", method="getAdapterInfo", status="200") < 30


def test_rate_limit_refusals_are_counted(database_file: Path) -> None:
    limits = {"OCT8NE_RATELIMITS": {"getadapterinfo": "2/minute"}}
    with metrics_app(f"sqlite:///{database_file}", **limits) as app:
        client = app.test_client()
        statuses = [client.get("/oct8ne/frame/getAdapterInfo").status_code for _ in range(4)]
        assert statuses == [200, 200, 429, 429]
        samples = scrape(client)
    assert value(samples, "oct8ne_ratelimit_refusals_total", method="getAdapterInfo") == 2
    assert value(samples, "oct8ne_frame_requests_total", method="getAdapterInfo", status="429") == 2


def test_failed_authentications_are_counted(database_file: Path) -> None:
    with metrics_app(f"sqlite:///{database_file}", OCT8NE_EVENTS_SECRET=EVENTS_SECRET) as app:
        client = app.test_client()
        email = "jane.doe@example.com"
        assert client.get(  # the right token: not a failure
            "/oct8ne/frame/getOrders", query_string={"apiToken": API_TOKEN, "customerEmail": email}
        ).get_json()
        wrong = {"apiToken": "wrong", "customerEmail": email}
        assert client.get("/oct8ne/frame/getOrders", query_string=wrong).get_json() == []
        assert (
            client.get("/oct8ne/frame/getOrderDetails", query_string={"reference": "x"}).get_json()
            == []
        )
        assert (
            client.get("/oct8ne/frame/getSalesReport", query_string={"apiToken": "w"}).get_json()
            == []
        )
        assert client.post("/oct8ne/events/order-placed", json={}).status_code == 401
        bearer = {"Authorization": "Bearer wrong-secret"}
        assert (
            client.post("/oct8ne/events/order-placed", json={}, headers=bearer).status_code == 401
        )
        samples = scrape(client)
    failures = "oct8ne_failed_authentications_total"
    assert value(samples, failures, credential="api_token") == 3
    assert value(samples, failures, credential="events_secret") == 2


def test_failed_authentications_are_not_counted_for_another_app(database_file: Path) -> None:
    """Two apps in one process count their own calls (the signals are sent by each app)."""
    url = f"sqlite:///{database_file}"
    with metrics_app(url) as first, metrics_app(url) as second:
        first.test_client().get("/oct8ne/frame/getOrders", query_string={"apiToken": "bad"})
        assert (
            value(
                scrape(second.test_client()),
                "oct8ne_failed_authentications_total",
                credential="api_token",
            )
            == 0
        )
        assert (
            value(
                scrape(first.test_client()),
                "oct8ne_failed_authentications_total",
                credential="api_token",
            )
            == 1
        )


@pytest.mark.writes_database
def test_the_index_lag_moves_when_a_product_changes(database_url: str) -> None:
    with metrics_app(database_url) as app:
        client = app.test_client()
        database = adapter_state(app).database
        assert database is not None
        before = scrape(client)
        # No search yet: no index, so no lag to tell (only the change log's head).
        assert ("oct8ne_search_index_lag", frozenset()) not in before
        client.get("/oct8ne/frame/search", query_string={"search": "shoe"})
        caught_up = scrape(client)
        assert value(caught_up, "oct8ne_search_index_lag") == 0
        head = value(caught_up, "oct8ne_catalog_change_seq")
        assert value(caught_up, "oct8ne_search_index_change_seq") == head
        rename_product(database, "1001", "Trail Running Shoe II")
        changed = scrape(client)
        assert value(changed, "oct8ne_catalog_change_seq") > head
        assert value(changed, "oct8ne_search_index_lag") >= 1
        # The next search applies the change, and the lag is gone.
        client.get("/oct8ne/frame/search", query_string={"search": "shoe"})
        assert value(scrape(client), "oct8ne_search_index_lag") == 0


def test_the_relay_figures_move_when_an_event_is_delivered(
    events_database: Database, empty_database_url: str, tmp_path: Path
) -> None:
    with running_vendors() as vendors:
        sinks = vendors.sink_options("optico")
        with metrics_app(empty_database_url, OCT8NE_EVENT_SINKS=sinks) as app:
            client = app.test_client()
            empty = scrape(client)
            assert value(empty, "oct8ne_outbox_pending_events") == 0
            assert value(empty, "oct8ne_outbox_oldest_pending_age_seconds") == 0
            assert record_event(order(order_id="ORD-1", cart_id="cart-1"), app=app)
            waiting = scrape(client)
            assert value(waiting, "oct8ne_relay_deliveries", vendor="optico", state="pending") == 1
            assert value(waiting, "oct8ne_outbox_pending_events") == 1
            assert value(waiting, "oct8ne_outbox_oldest_pending_age_seconds") >= 0
            config = tmp_path / "relay.toml"
            config.write_text(
                f'database_url = "{empty_database_url}"\n'
                f'[event_sinks.optico]\nkey = "{OPTICO_KEY}"\n'
                f'base_url = "{vendors.optico.base_url}"\n',
                encoding="utf-8",
            )
            assert "processed 1 deliveries" in relay_worker_once(config)
            delivered = scrape(client)
        assert list(vendors.optico.orders) == ["ORD-1"]
    assert value(delivered, "oct8ne_relay_deliveries", vendor="optico", state="delivered") == 1
    assert value(delivered, "oct8ne_relay_deliveries", vendor="optico", state="pending") == 0
    assert value(delivered, "oct8ne_outbox_pending_events") == 0
    assert value(delivered, "oct8ne_outbox_oldest_pending_age_seconds") == 0
    assert value(delivered, "oct8ne_metrics_database_up") == 1


def test_a_scrape_answers_while_the_database_is_down(tmp_path: Path) -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    with metrics_app(unreachable, OCT8NE_DATABASE_CONNECT_TIMEOUT=1) as app:
        client = app.test_client()
        client.get("/oct8ne/frame/getAdapterInfo")
        samples = scrape(client)
    assert value(samples, "oct8ne_metrics_database_up") == 0
    assert value(samples, "oct8ne_frame_requests_total", method="getAdapterInfo", status="200") == 1
    assert ("oct8ne_outbox_pending_events", frozenset()) not in samples
