"""Another site's page cannot read a customer through JSONP, in headless Chromium (issue 16, 2).

The shop (the adapter with its demo pages) runs on `127.0.0.1`; the attacker's page on
`localhost` (ports alone do not make sites differ: another host name does). The shop's session
cookie is set `SameSite=None; Secure` (as many shops set it, and as Chromium sends it to
`127.0.0.1`, a secure context), so the browser does send it along with the attacker's `<script>`
tag: the same adapter with `cross_site_guard = false` hands Jane over, which shows the attack
is real and the guard is what stops it. The shop's own page still reads her. The profile
allows third-party cookies, as Chrome's default profile does for most users (Debian's Chromium
blocks them by default, which would hide the attack rather than show the guard).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_config
from test_browser import (
    JSONP_CALL,
    headless_chromium,
    require_browser,
    serve,
)
from werkzeug.wrappers import Response

from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter_demo import create_demo_app

ATTACKER_PAGE = "<!doctype html><html><head><title>cute cats</title></head><body></body></html>"


@dataclass
class Sites:
    """The guarded shop, the same shop unguarded, one trusting the attacker, and the attacker."""

    guarded: str
    unguarded: str
    trusting: str
    attacker: str
    token: str


def attacker(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Another site: an empty page from which the test injects script tags."""
    return Response(ATTACKER_PAGE, mimetype="text/html")(environ, start_response)


@pytest.fixture(scope="module")
def shop(seeded_database_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """Three adapters over one demo database on 127.0.0.1, and the attacker on localhost."""
    require_browser()
    database_file = tmp_path_factory.mktemp("cross-site") / "shop.db"
    shutil.copyfile(seeded_database_file, database_file)
    attacker_server, attacker_thread = serve(attacker)
    attacker_url = f"http://localhost:{attacker_server.server_port}"
    url = f"sqlite:///{database_file}"
    apps = [
        create_demo_app(adapter_config(url)),
        create_demo_app(adapter_config(url, OCT8NE_CROSS_SITE_GUARD=False)),
        create_demo_app(adapter_config(url, OCT8NE_CORS_ORIGINS=[attacker_url])),
    ]
    servers = [serve(app) for app in apps]
    token = adapter_state(apps[0]).repository.create_session("1")  # type: ignore[attr-defined]
    try:
        guarded, unguarded, trusting = (
            f"http://127.0.0.1:{server.server_port}" for server, _ in servers
        )
        yield Sites(guarded, unguarded, trusting, attacker_url, token)
    finally:
        for server, thread in [*servers, (attacker_server, attacker_thread)]:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        for app in apps:
            adapter_state(app).database.engine.dispose()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def driver(shop: Sites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium whose profile sends third-party cookies (as Chrome's default does)."""

    def configure(options: Any) -> None:
        options.add_experimental_option(
            "prefs",
            {"profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": False},
        )

    with headless_chromium(tmp_path_factory.mktemp("chromium-cross-site"), configure) as browser:
        yield browser


@pytest.fixture
def browser(driver: Any, shop: Sites) -> Any:
    """Chromium with Jane's shop cookie for 127.0.0.1, sent cross-site (SameSite=None; Secure)."""
    driver.delete_all_cookies()
    driver.execute_cdp_cmd(
        "Network.setCookie",
        {
            "name": "shop_session",
            "value": shop.token,
            "domain": "127.0.0.1",
            "path": "/",
            "secure": True,
            "sameSite": "None",
            "httpOnly": True,
        },
    )
    return driver


def jsonp_from_page(browser: Any, page: str, adapter: str, method: str, query: str = "") -> Any:
    """Open `page`, then call `method` of `adapter` from it with a script tag, as JSONP."""
    browser.get(page)
    url = f"{adapter}/oct8ne/frame/{method}" + (f"?{query}" if query else "")
    answer = browser.execute_async_script(JSONP_CALL, url)
    assert answer["ok"], f"the JSONP call to {url} failed to load"
    return answer["data"]


def test_another_site_cannot_read_the_customer_but_the_shop_can(browser: Any, shop: Sites):
    evil = shop.attacker + "/"
    # Without the guard the attack works: Chromium sends Jane's cookie to the other site's tag.
    stolen = jsonp_from_page(browser, evil, shop.unguarded, "customerData")
    assert stolen["email"] == "jane.doe@example.com"
    refused = jsonp_from_page(browser, evil, shop.guarded, "customerData")
    assert (refused["email"], refused["firstName"], refused["cart"]) == (None, None, [])
    cart = jsonp_from_page(browser, evil, shop.guarded, "getCart")
    assert (cart["cart"], cart["totalItems"]) == ([], 0)
    added = jsonp_from_page(browser, evil, shop.guarded, "addToWishList", "productIds=1010,1011")
    assert added == {"result": "false"}
    # The shop's own page (same site as the adapter) reads her, and sees nothing was added.
    own = jsonp_from_page(browser, shop.guarded + "/demo/", shop.guarded, "customerData")
    assert own["email"] == "jane.doe@example.com"
    assert not {"1010", "1011"} & {item["internalId"] for item in own["wishlist"]}
    # A site listed in cors_origins is trusted (Chromium sends its origin as the Referer).
    trusted = jsonp_from_page(browser, evil, shop.trusting, "customerData")
    assert trusted["email"] == "jane.doe@example.com"
