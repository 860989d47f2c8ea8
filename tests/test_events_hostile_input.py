"""Hostile bodies at POST /oct8ne/events/<kind> (issue 16, item 7).

The attacks: `occurred_at: "0001-01-01T00:00:00+05:00"` (or `"9999-12-31T23:00:00-05:00"`)
answered 500 with a traceback (OverflowError converting to UTC), and an authenticated 60 MB
chunked body (no Content-Length) was read whole before the 256 KB check.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_config
from test_events_recording import AUTH, SECRET, cart_json
from werkzeug.test import EnvironBuilder, run_wsgi_app

from oct8ne_adapter import create_app
from oct8ne_adapter.events.http_api import MAX_BODY_BYTES
from oct8ne_adapter.web.state import adapter_state


@pytest.fixture
def client(database_file: Path) -> Any:
    app = create_app(adapter_config(f"sqlite:///{database_file}", OCT8NE_EVENTS_SECRET=SECRET))
    yield app.test_client()
    adapter_state(app).database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:00:00-05:00",  # after year 9999 in UTC
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",
    ],
)
def test_a_time_out_of_range_is_a_400_not_a_500(client: Any, moment: str):
    response = client.post(
        "/oct8ne/events/cart-updated", json=cart_json(occurred_at=moment), headers=AUTH
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["message"] == "occurred_at must be between 1970 and 8999"


class CountingStream(io.RawIOBase):
    """A 60 MB request body that counts how much of it the server read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.size - self.consumed)
        buffer[:count] = b"[" * count
        self.consumed += count
        return count


def test_a_chunked_body_is_read_only_up_to_the_limit(client: Any):
    body = CountingStream(60 * 1024 * 1024)
    environ = EnvironBuilder(
        path="/oct8ne/events/cart-updated",
        method="POST",
        content_type="application/json",
        headers={**AUTH, "Transfer-Encoding": "chunked"},
    ).get_environ()
    # What a WSGI server hands over for a chunked body: the stream, and no Content-Length.
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BufferedReader(body, buffer_size=8192)
    environ["wsgi.input_terminated"] = True
    app_iter, status, _headers = run_wsgi_app(client.application, environ)
    b"".join(app_iter)
    assert status.startswith("413")
    assert body.consumed <= MAX_BODY_BYTES + 64 * 1024, body.consumed
