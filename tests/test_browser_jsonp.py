"""Issue 17 in headless Chromium: every JSONP error reaches the widget's callback.

A browser does not run a script served with a non-2xx status: the `<script>` tag fires `onerror`
and the callback never runs, so the widget waits for an answer that never comes. Each case below
is loaded as a `<script>` tag from a page, as the widget loads it, and the test records
that the callback ran and what it was given: recoverable input (the defaults, as the official
PHP adapters answer) and every class of error that cannot be recovered (unknown method, invalid
request, a public rate limit, failed authentications, a database outage).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import test_browser
from conftest import adapter_config
from test_browser import JSONP_CALL, serve
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from oct8ne_adapter import create_app

# The demo shop and the browser of tests/test_browser.py (module-scoped: a shop of our own).
shop = test_browser.shop
driver = test_browser.driver
browser = test_browser.browser

#: A PostgreSQL URL whose server refuses connections: a real outage, not a stand-in.
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/test"


@pytest.fixture(scope="module")
def adapters(seeded_database_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Adapters on another origin (as the widget's calls are): a tight public limit at
    `/limited`, two failed authentications per window at `/auth`, a database that is down at
    `/down`. Yields the base URL."""
    database_file = tmp_path_factory.mktemp("jsonp") / "shop.db"
    shutil.copyfile(seeded_database_file, database_file)
    url = f"sqlite:///{database_file}"
    limited = create_app(adapter_config(url, OCT8NE_RATELIMIT_DEFAULT="2/minute"))
    auth = create_app(adapter_config(url, OCT8NE_AUTH_FAILURE_LIMIT="2/minute"))
    down = create_app(adapter_config(UNREACHABLE_DATABASE))
    root: Callable[..., Any] = Response("not found", status=404)
    server, thread = serve(
        DispatcherMiddleware(root, {"/limited": limited, "/auth": auth, "/down": down})
    )
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        for app in (limited, auth, down):
            app.extensions["oct8ne"].database.engine.dispose()


#: A page of its own for the calls: the demo's pages let scripts in only from their shop URL and
#: oct8ne's servers (their Content-Security-Policy), not from these adapters.
BLANK_PAGE = "<!doctype html><html><head><title>a page</title></head><body></body></html>"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """A blank HTML page on 127.0.0.1, another origin than the adapters'."""

    def blank(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return Response(BLANK_PAGE, mimetype="text/html")(environ, start_response)

    server, thread = serve(blank)
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def script_call(browser: Any, url: str) -> dict[str, Any]:
    """Load `url` with a callback as a `<script>` tag; `{ok, data}`: ok if the callback ran."""
    answer: dict[str, Any] = browser.execute_async_script(JSONP_CALL, url)
    return answer


def test_every_answer_reaches_the_callback(browser: Any, page_url: str, adapters: str) -> None:
    browser.get(page_url)
    frame = f"{adapters}/limited/oct8ne/frame"
    limited_calls = {
        # Recoverable input falls back to the defaults.
        "page=0": f"{frame}/search?page=0",
        "orderby=date": f"{frame}/search?orderby=date",
    }
    answers = {name: script_call(browser, url) for name, url in limited_calls.items()}
    # The third call of the minute is over the public limit of 2.
    answers["rate limit"] = script_call(browser, f"{frame}/search?page=10000")
    assert {name: answer["ok"] for name, answer in answers.items()} == dict.fromkeys(answers, True)
    assert answers["page=0"]["data"]["results"]
    assert answers["orderby=date"]["data"]["results"]
    limit = answers["rate limit"]["data"]
    assert limit["error"] == "rate_limited" and 1 <= limit["retryAfter"] <= 60

    frame = f"{adapters}/auth/oct8ne/frame"
    cases = {
        "past the end": f"{frame}/search?page=10000",
        "unknown method": f"{frame}/noSuchMethod",
        "not a number": f"{frame}/search?page=abc",
        "too many ids": f"{frame}/productInfo?productIds=" + ",".join(map(str, range(101))),
        "wrong token 1": f"{frame}/getOrders?apiToken=wrong&customerEmail=jane.doe@example.com",
        "wrong token 2": f"{frame}/getOrders?apiToken=wrong&customerEmail=jane.doe@example.com",
        "failed auth limit": f"{frame}/getSalesReport?apiToken=wrong",
        "outage": f"{adapters}/down/oct8ne/frame/search?search=shoe",
    }
    answers = {name: script_call(browser, url) for name, url in cases.items()}
    assert {name: answer["ok"] for name, answer in answers.items()} == dict.fromkeys(cases, True)
    data = {name: answer["data"] for name, answer in answers.items()}
    assert data["past the end"]["results"] == [] and data["past the end"]["total"] > 0
    assert data["unknown method"]["error"] == "unknown_method"
    assert data["not a number"]["error"] == "invalid_parameter"
    assert data["too many ids"]["error"] == "invalid_parameter"
    assert data["wrong token 1"] == data["wrong token 2"] == []
    assert data["failed auth limit"]["error"] == "rate_limited"
    assert data["failed auth limit"]["retryAfter"] >= 1
    assert data["outage"]["error"] == "unavailable"
