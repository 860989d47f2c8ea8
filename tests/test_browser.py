"""The demo storefront in headless Chromium: what the pages hand to oct8ne, and the widget's calls.

There is no internet, so the oct8ne CDN is stood in for by a second local HTTP server: the
adapter is configured with `oct8ne_static_server = "127.0.0.1:<cdn port>/"`, and that server
(this test's own WSGI app, not part of the package) answers `api/v2/oct8ne.js` with a stand-in
script. Like the real one, the stand-in reads its configuration from `window.oct8ne` (the script
element the page's snippet made); it copies it into `window.__oct8neSeen` for the test to read,
adds an `update()` method, and shows the "no agents" elements as oct8ne would. The test then
makes the calls the widget makes, JSONP through injected `<script>` tags, from the page.

Chromium and chromedriver are Debian's (`chromium`, `chromium-driver`); Selenium is given the
driver's path, so Selenium Manager never runs (and SE_OFFLINE forbids it any download). Missing
outside CI, the tests are skipped; under CI (`CI` set) they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import adapter_config
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from oct8ne_adapter_demo import create_demo_app
from oct8ne_adapter_demo.loader import JANE_CART

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
    "--lang=en-US",
)
LICENSE = "LIC-0123456789ABCDEF"
WAIT_SECONDS = 15.0


@contextmanager
def headless_chromium(
    profile: Path, configure: Callable[[Any], None] | None = None
) -> Iterator[Any]:
    """Debian's Chromium through its chromedriver, offline, with a fresh profile in `profile`.

    `configure` may add options (logging, preferences) to the ChromeOptions before the start.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if configure is not None:
        configure(options)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        browser = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
    browser.set_script_timeout(WAIT_SECONDS)
    browser.set_page_load_timeout(WAIT_SECONDS * 2)
    try:
        yield browser
    finally:
        browser.quit()


ON_CART = "demoHooks.cartChanged"
ON_WISHLIST = "demoHooks.wishlistChanged"

#: The stand-in for oct8ne's api/v2/oct8ne.js.
STAND_IN_SCRIPT = """
(function () {
  var o = window.oct8ne;
  var names = ["server", "license", "baseUrl", "checkoutUrl", "loginUrl", "checkoutSuccessUrl",
               "locale", "currencyCode", "apiVersion", "addToCartHttpVerb", "currentProduct"];
  var seen = {};
  for (var i = 0; i < names.length; i++) {
    seen[names[i]] = o[names[i]] === undefined ? null : o[names[i]];
  }
  seen.src = o.src;
  seen.isThisScript = document.currentScript === o;
  seen.onProductAddedToCart = typeof o.onProductAddedToCart;
  seen.onProductAddedToWishList = typeof o.onProductAddedToWishList;
  window.__oct8neSeen = seen;
  window.__oct8neUpdates = [];
  o.update = function (what) { window.__oct8neUpdates.push(what); };
  var off = document.querySelectorAll(".oct8ne-widget-off");
  for (var j = 0; j < off.length; j++) { off[j].style.display = "block"; }
})();
"""

#: The widget's add to cart: an AJAX request to addToCartUrl with addToCartHttpVerb. An opaque
#: answer (mode "no-cors", from another site) has no status to show.
FETCH_CALL = """
var url = arguments[0], verb = arguments[1], mode = arguments[2];
var done = arguments[arguments.length - 1];
fetch(url, {method: verb, mode: mode, credentials: "include"}).then(function (response) {
  if (response.type === "opaque") { done({status: null, body: null}); return; }
  return response.json().then(function (body) { done({status: response.status, body: body}); });
}).catch(function (error) { done({status: null, body: String(error)}); });
"""

#: Another site's page (`localhost` is another site than `127.0.0.1`).
OTHER_SITE_PAGE = (
    "<!doctype html><html><head><title>another site</title></head><body></body></html>"
)

#: Calls a frame method with JSONP as the widget does: a <script> tag and a global callback.
JSONP_CALL = """
var url = arguments[0], done = arguments[arguments.length - 1];
var name = "oct8neTest" + Math.random().toString(36).slice(2);
var tag = document.createElement("script");
window[name] = function (data) { delete window[name]; done({ok: true, data: data}); };
tag.onerror = function () { done({ok: false, data: null}); };
tag.src = url + (url.indexOf("?") < 0 ? "?" : "&") + "callback=" + name;
document.head.appendChild(tag);
"""


class QuietHandler(WSGIRequestHandler):
    """Keeps request lines (and the sale notification's failed https attempt) out of the log."""

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


@dataclass
class FakeCdn:
    """The stand-in oct8ne CDN; remembers the query string of every oct8ne.js request."""

    script_queries: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/api/v2/oct8ne.js":
            self.script_queries.append(request.query_string.decode())
            response = Response(STAND_IN_SCRIPT, mimetype="application/javascript")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)


def serve(app: Callable[..., Any]) -> tuple[BaseWSGIServer, threading.Thread]:
    """Serve a WSGI app on a free port of 127.0.0.1 from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@dataclass
class Shop:
    """The demo shop as the browser reaches it."""

    base_url: str
    cdn: FakeCdn
    cdn_host: str
    #: (method, path, Sec-Fetch-Site, status) of every request the shop answered.
    answers: list[tuple[str, str, str, int]] = field(default_factory=list)

    def url(self, path: str) -> str:
        """An absolute URL of the shop."""
        return self.base_url + path


def require_browser() -> None:
    """Skip when Chromium, chromedriver or Selenium is missing; under CI, fail instead."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    reason = f"missing {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run installs them")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def shop(seeded_database_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The demo shop and the stand-in CDN, each on a real HTTP server on 127.0.0.1.

    `/` is the demo with the widget loaded at once; `/delayed` is the same shop with delayed load.
    """
    require_browser()
    database_file = tmp_path_factory.mktemp("browser") / "shop.db"
    shutil.copyfile(seeded_database_file, database_file)
    cdn = FakeCdn()
    cdn_server, cdn_thread = serve(cdn)
    cdn_host = f"127.0.0.1:{cdn_server.server_port}/"
    apps: dict[str, Any] = {}
    answers: list[tuple[str, str, str, int]] = []

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def record(status: str, headers: Any, *args: Any) -> Any:
            request = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
            answers.append((*request, environ.get("HTTP_SEC_FETCH_SITE", ""), int(status[:3])))
            return start_response(status, headers, *args)

        return apps["root"](environ, record)

    shop_server, shop_thread = serve(dispatch)
    base_url = f"http://127.0.0.1:{shop_server.server_port}"

    def demo(shop_url: str, **overrides: Any) -> Any:
        return create_demo_app(
            adapter_config(
                f"sqlite:///{database_file}",
                OCT8NE_SHOP_URL=shop_url,
                OCT8NE_LICENSE=LICENSE,
                OCT8NE_OCT8NE_SERVER=cdn_host,
                OCT8NE_OCT8NE_STATIC_SERVER=cdn_host,
                OCT8NE_LOGIN_PATH="/demo/login",
                OCT8NE_CHECKOUT_PATH="/demo/cart",
                OCT8NE_CHECKOUT_SUCCESS_PATH="/demo/checkout/success",
                OCT8NE_ON_PRODUCT_ADDED_TO_CART=ON_CART,
                OCT8NE_ON_PRODUCT_ADDED_TO_WISHLIST=ON_WISHLIST,
                **overrides,
            )
        )

    immediate = demo(base_url)
    delayed = demo(
        base_url + "/delayed", OCT8NE_WIDGET_DELAYED_LOAD=True, OCT8NE_WIDGET_DELAY_MS=600_000
    )
    apps["root"] = DispatcherMiddleware(immediate, {"/delayed": delayed})
    try:
        yield Shop(base_url=base_url, cdn=cdn, cdn_host=cdn_host, answers=answers)
    finally:
        for server, thread in ((shop_server, shop_thread), (cdn_server, cdn_thread)):
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        for app in (immediate, delayed):
            app.extensions["oct8ne"].database.engine.dispose()


@pytest.fixture(scope="module")
def driver(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium driven by Debian's chromedriver, with a fresh profile."""

    def configure(options: Any) -> None:
        # The console, where Chromium reports what a Content-Security-Policy blocked.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})

    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), configure) as browser:
        yield browser


@pytest.fixture
def browser(driver: Any, shop: Shop) -> Any:
    """The browser, signed out, with no cookies from an earlier test."""
    driver.get(shop.url("/demo/img/1001.svg?size=16"))  # a page of the shop, to reach its cookies
    driver.delete_all_cookies()
    shop.cdn.script_queries.clear()
    driver.get_log("browser")  # an earlier test's console messages are not this test's
    return driver


def wait_for(browser: Any, script: str) -> Any:
    """Run `script` until it returns something other than null, within WAIT_SECONDS."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: driver.execute_script(script))


def seen_by_oct8ne(browser: Any) -> dict[str, Any]:
    """What the stand-in oct8ne.js found on `window.oct8ne`, once it has run."""
    seen: dict[str, Any] = wait_for(browser, "return window.__oct8neSeen || null;")
    return seen


def jsonp(browser: Any, method: str, **params: str) -> Any:
    """Call a frame method from the page as the widget does, and return the decoded answer."""
    base_url = browser.execute_script("return window.oct8ne.baseUrl;")
    query = "&".join(f"{name}={value}" for name, value in params.items())
    answer = browser.execute_async_script(
        JSONP_CALL, f"{base_url}/oct8ne/frame/{method}" + (f"?{query}" if query else "")
    )
    assert answer["ok"], f"the JSONP call to {method} failed to load"
    return answer["data"]


def test_the_product_page_hands_its_configuration_to_oct8ne(
    browser: Any, shop: Shop, tmp_path: Path
) -> None:
    started = time.monotonic()
    browser.get(shop.url("/demo/product/1001"))
    seen = seen_by_oct8ne(browser)

    assert seen == {
        "server": shop.cdn_host,
        "license": LICENSE,
        "baseUrl": shop.base_url,
        "checkoutUrl": shop.url("/demo/cart"),
        "loginUrl": shop.url("/demo/login"),
        "checkoutSuccessUrl": shop.url("/demo/checkout/success"),
        "locale": "en-US",
        "currencyCode": "USD",
        "apiVersion": "2.4",
        "addToCartHttpVerb": "POST",
        "currentProduct": {
            "id": "1001",
            "thumbnail": shop.url("/demo/img/1001.svg?size=120"),
        },
        "src": seen["src"],
        "isThisScript": True,
        "onProductAddedToCart": "function",
        "onProductAddedToWishList": "function",
    }
    # The script URL is the document's: protocol of the page, static host, a day number.
    src = urlsplit(seen["src"])
    assert (src.scheme, src.netloc + "/", src.path) == ("http", shop.cdn_host, "/api/v2/oct8ne.js")
    day = round(time.time() * 1000 / 86_400_000)
    assert int(src.query) in {day - 1, day, day + 1}
    assert shop.cdn.script_queries == [src.query]  # fetched exactly once

    screenshot = tmp_path / "demo-product-page.png"
    browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot} ({time.monotonic() - started:.1f}s)")


def test_pages_without_a_product_have_no_current_product(browser: Any, shop: Shop) -> None:
    browser.get(shop.url("/demo/?search=jacket"))
    assert seen_by_oct8ne(browser)["currentProduct"] is None


def test_the_hooks_call_the_shop_functions_and_update_reaches_the_widget(
    browser: Any, shop: Shop
) -> None:
    browser.get(shop.url("/demo/product/1002"))
    seen_by_oct8ne(browser)
    calls = browser.execute_script(
        """
        var calls = [];
        function record(kind) {
          return function (id) { calls.push([kind, id, this === window.demoHooks]); };
        }
        window.demoHooks = { cartChanged: record("cart"), wishlistChanged: record("wishlist") };
        window.oct8ne.onProductAddedToCart("1002");
        window.oct8ne.onProductAddedToWishList("1005");
        return calls;
        """
    )
    assert calls == [["cart", "1002", True], ["wishlist", "1005", True]]
    assert browser.execute_script("return window.oct8neUpdate('cart');") is True
    assert browser.execute_script("return window.__oct8neUpdates;") == ["cart"]


def test_product_info_and_search_through_jsonp(browser: Any, shop: Shop) -> None:
    browser.get(shop.url("/demo/product/1001"))
    seen_by_oct8ne(browser)

    products = jsonp(browser, "productInfo", productIds="1001,1002", locale="en-US", currency="USD")
    assert [product["internalId"] for product in products] == ["1001", "1002"]
    assert products[0]["formattedPrice"] == "$89.90"
    assert products[0]["productUrl"] == shop.url("/demo/product/1001")

    found = jsonp(browser, "search", search="jacket", pageSize="5", locale="es-ES", currency="EUR")
    assert found["total"] > 5
    assert len(found["results"]) == 5
    assert all("€" in result["formattedPrice"] for result in found["results"])
    assert {item["param"] for item in found["filters"]["available"]} >= {"category", "brand"}


def test_customer_data_after_signing_in_has_her_cart(browser: Any, shop: Shop) -> None:
    browser.get(shop.url("/demo/product/1001"))
    seen_by_oct8ne(browser)
    anonymous = jsonp(browser, "customerData")
    assert anonymous["id"] is None and anonymous["cart"] == []

    sign_in_as_jane(browser, shop)
    wait_for(browser, "return document.querySelector('nav.account .who') ? true : null;")
    seen_by_oct8ne(browser)
    signed_in = jsonp(browser, "customerData", locale="en-US", currency="USD")
    assert (signed_in["id"], signed_in["email"]) == ("1", "jane.doe@example.com")
    assert [(item["internalId"], item["qty"]) for item in signed_in["cart"]] == list(JANE_CART)


def sign_in_as_jane(browser: Any, shop: Shop, next_page: str = "") -> None:
    """Sign in as Jane with the sign-in page's first button (a POST with the page's token)."""
    from selenium.webdriver.common.by import By

    browser.get(shop.url("/demo/login" + (f"?next={next_page}" if next_page else "")))
    browser.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]").click()


def test_the_order_confirmation_carries_the_sale_notification(browser: Any, shop: Shop) -> None:
    sign_in_as_jane(browser, shop, "checkout_success")
    wait_for(browser, "return document.getElementById('oct8ne-sale-notification');")
    src = browser.execute_script(
        "return document.getElementById('oct8ne-sale-notification').getAttribute('src');"
    )
    url = urlsplit(src)
    assert (url.scheme, url.netloc + "/", url.path) == (
        "https",
        shop.cdn_host,
        "/api/source/js/ext/sale-notification.js",
    )
    params = {name: values[0] for name, values in parse_qs(url.query, strict_parsing=True).items()}
    assert json.loads(params.pop("contextInfo")) == {"source": "oct8ne-adapter demo", "items": 1}
    assert params == {
        "license": LICENSE,
        "CurrencyCode": "USD",
        "locale": "en-US",
        "value": "$1,500.00",
        "reference": "JDX1005E",
        "customerId": "1",
    }


@pytest.mark.parametrize("with_room_cookie", [False, True])
def test_delayed_load_waits_for_a_first_interaction_unless_a_chat_is_open(
    browser: Any, shop: Shop, with_room_cookie: bool
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    if with_room_cookie:
        browser.add_cookie({"name": "oct8ne-room", "value": "room-1", "path": "/"})
    browser.get(shop.url("/delayed/demo/product/1001"))
    assert browser.execute_script("return typeof window.oct8neUpdate;") == "function"
    if not with_room_cookie:
        time.sleep(0.5)  # long enough for a script inserted at once to have arrived
        assert browser.execute_script("return window.__oct8neSeen || null;") is None
        assert shop.cdn.script_queries == []
        ActionChains(browser).send_keys("x").perform()
    seen = seen_by_oct8ne(browser)
    assert seen["currentProduct"]["id"] == "1001"
    assert len(shop.cdn.script_queries) == 1


def test_the_demo_pages_load_everything_their_security_policy_allows(
    browser: Any, shop: Shop
) -> None:
    # The policy is fitted to what the pages load: the widget snippet (inline, with its nonce),
    # oct8ne.js from the static host, JSONP from the shop, the sale notification, the images.
    sign_in_as_jane(browser, shop, "checkout_success")
    wait_for(browser, "return document.getElementById('oct8ne-sale-notification');")
    for path in ("/demo/", "/demo/product/1001", "/demo/cart", "/delayed/demo/product/1002"):
        browser.get(shop.url(path))
        if path.startswith("/delayed"):
            from selenium.webdriver.common.action_chains import ActionChains

            ActionChains(browser).send_keys("x").perform()
        seen_by_oct8ne(browser)
        jsonp(browser, "productInfo", productIds="1001")
        assert browser.execute_script(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);"
        )
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == []
    # ...and it does block what it does not list: an inline script without the nonce.
    browser.get(shop.url("/demo/"))
    browser.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__injected = 1;';"
        "document.body.appendChild(s);"
    )
    assert browser.execute_script("return window.__injected || null;") is None
    assert any("Content Security Policy" in e["message"] for e in browser.get_log("browser"))


@pytest.fixture(scope="module")
def other_site() -> Iterator[str]:
    """A blank page on `localhost`: another site than the shop on `127.0.0.1`."""

    def page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return Response(OTHER_SITE_PAGE, mimetype="text/html")(environ, start_response)

    server, thread = serve(page)
    try:
        yield f"http://localhost:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def cart_rows(browser: Any, shop: Shop) -> list[tuple[str, str]]:
    """(product id, quantity) of the rows of the demo's cart page."""
    from selenium.webdriver.common.by import By

    browser.get(shop.url("/demo/cart"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    found = []
    for row in rows:
        link = row.find_element(By.CSS_SELECTOR, "a").get_attribute("href")
        quantity = row.find_elements(By.CSS_SELECTOR, "td.number")[1].text
        found.append((link.rsplit("/", 1)[1], quantity))
    return found


def test_the_widgets_add_to_cart_fills_the_cart_and_another_site_cannot(
    browser: Any, shop: Shop, other_site: str
) -> None:
    browser.get(shop.url("/demo/product/1002"))
    verb = seen_by_oct8ne(browser)["addToCartHttpVerb"]
    (tent,) = jsonp(browser, "productInfo", productIds="1002", locale="en-US", currency="USD")
    assert tent["useProductUrl"] is False
    assert tent["addToCartUrl"] == shop.url("/demo/cart/add/1002")
    added = browser.execute_async_script(FETCH_CALL, tent["addToCartUrl"], verb, "cors")
    assert added == {
        "status": 200,
        "body": {"result": "true", "productId": "1002", "quantity": 1, "cartItems": 1},
    }
    assert cart_rows(browser, shop) == [("1002", "1")]
    assert browser.find_element("css selector", "nav.account").text.count("Cart (1)") == 1

    # Another site's page makes the same request: the browser says cross-site, the shop refuses.
    shop.answers.clear()
    browser.get(other_site)
    browser.execute_async_script(FETCH_CALL, tent["addToCartUrl"], verb, "no-cors")
    assert shop.answers == [(verb, "/demo/cart/add/1002", "cross-site", 403)]
    assert cart_rows(browser, shop) == [("1002", "1")]
