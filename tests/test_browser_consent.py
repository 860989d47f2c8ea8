"""Consent (consent_required) in headless Chromium: nothing loaded, read or set before consent.

A page of a real adapter app (served on 127.0.0.1) carries `oct8ne_widget()` (the widget snippet
and the visitor-ids script); the oct8ne CDN is the stand-in of tests/test_browser.py, on its own
local server, which also sets an `oct8ne-session` cookie as the real widget does. Another
vendor's ids are there before our scripts run: an Optico cookie and an Alhena widget whose
getFingerprint() counts its calls. Every request the page makes is read from the browser's
Resource Timing entries and from the CDN server's own log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import adapter_config
from flask import render_template_string, request
from jinja2 import ChoiceLoader, DictLoader
from test_browser import (
    STAND_IN_SCRIPT,
    FakeCdn,
    headless_chromium,
    require_browser,
    serve,
    wait_for,
)
from werkzeug.wrappers import Request, Response

from oct8ne_adapter import create_app

#: oct8ne.js as the stand-in serves it, plus the cookie the real widget sets.
WIDGET_SCRIPT = STAND_IN_SCRIPT + '\ndocument.cookie = "oct8ne-session=S-1; path=/";\n'

#: A TCF v2 CMP as the page would have it: answers addEventListener now and on every change.
FAKE_TCF = """<script>
  window.__tcfListeners = [];
  window.__tcfData = {eventStatus: "tcloaded", gdprApplies: true,
                      purpose: {consents: {{ stored|tojson }}}};
  window.__tcfapi = function (command, version, callback) {
    if (command !== "addEventListener" || version !== 2) { return; }
    window.__tcfListeners.push(callback);
    callback(window.__tcfData, true);
  };
  window.__tcfAnswer = function (consents, status) {
    window.__tcfData = {eventStatus: status, gdprApplies: true, purpose: {consents: consents}};
    for (var i = 0; i < window.__tcfListeners.length; i++) {
      window.__tcfListeners[i](window.__tcfData, true);
    }
  };
</script>
"""

PAGE = """<!doctype html><html><head><title>shop</title>
<script>
  document.cookie = "optico_visitId=V-1; path=/";
  window.__alhenaCalls = 0;
  window.gleenWidget = {getFingerprint: function () { window.__alhenaCalls++; return "FP-1"; }};
</script>
{% if tcf %}{% include "fake_tcf.html" %}{% endif %}
</head><body><p>shop page</p>
{{ oct8ne_widget() }}
</body></html>"""


class ConsentCdn(FakeCdn):
    """The stand-in CDN whose oct8ne.js also sets the cookie the real widget sets."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path != "/api/v2/oct8ne.js":
            return Response("not found", status=404)(environ, start_response)
        self.script_queries.append(request.query_string.decode())
        response = Response(WIDGET_SCRIPT, mimetype="application/javascript")
        return response(environ, start_response)


@dataclass
class Site:
    """The page's address and the CDN it loads oct8ne.js from."""

    page_url: str
    cdn: ConsentCdn
    script_url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The adapter with consent required (TCF purposes 1 and 3) and the CDN, on real servers."""
    require_browser()
    cdn = ConsentCdn()
    cdn_server, cdn_thread = serve(cdn)
    cdn_host = f"127.0.0.1:{cdn_server.server_port}/"
    database = tmp_path_factory.mktemp("consent") / "shop.db"
    app = create_app(
        adapter_config(
            f"sqlite:///{database}",
            OCT8NE_LICENSE="LIC-CONSENT",
            OCT8NE_OCT8NE_SERVER=cdn_host,
            OCT8NE_OCT8NE_STATIC_SERVER=cdn_host,
            OCT8NE_EVENT_SINKS={"octocom": {}},
            OCT8NE_CONSENT_REQUIRED=True,
            OCT8NE_CONSENT_PURPOSES=[1, 3],
        )
    )
    app.jinja_loader = ChoiceLoader([DictLoader({"fake_tcf.html": FAKE_TCF}), app.jinja_loader])

    @app.get("/page")
    def page() -> str:
        # ?tcf=stored: the consent manager already holds consent to purposes 1 and 3.
        tcf = request.args.get("tcf")
        stored = {"1": True, "3": True} if tcf == "stored" else {}
        return render_template_string(PAGE, tcf=tcf, stored=stored)

    shop_server, shop_thread = serve(app)
    try:
        yield Site(
            page_url=f"http://127.0.0.1:{shop_server.server_port}/page",
            cdn=cdn,
            script_url=f"http://{cdn_host}api/v2/oct8ne.js",
        )
    finally:
        for server, thread in ((shop_server, shop_thread), (cdn_server, cdn_thread)):
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        app.extensions["oct8ne"].database.engine.dispose()


@pytest.fixture(scope="module")
def driver(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium driven by Debian's chromedriver, with a fresh profile."""
    with headless_chromium(tmp_path_factory.mktemp("chromium-consent")) as browser:
        yield browser


@pytest.fixture
def browser(driver: Any, site: Site) -> Any:
    """The browser with no cookies of the site, and the CDN's log empty."""
    driver.get(site.page_url + "?tcf=none")
    driver.delete_all_cookies()
    site.cdn.script_queries.clear()
    return driver


def state(browser: Any) -> dict[str, Any]:
    """Cookies, the requests the page made (besides itself), and Alhena's call count."""
    found: dict[str, Any] = browser.execute_script(
        """
        return {
          cookies: document.cookie.split("; ").filter(Boolean).sort(),
          requests: performance.getEntriesByType("resource").map(function (e) {
            return e.name.split("?")[0];
          }),
          alhenaCalls: window.__alhenaCalls,
          loaded: !!window.__oct8neSeen
        };
        """
    )
    return found


#: What a page shows before consent: the other vendor's cookie, and nothing of ours.
NOTHING = {"cookies": ["optico_visitId=V-1"], "requests": [], "alhenaCalls": 0, "loaded": False}


def settle(browser: Any) -> None:
    """Give the page's timers a moment: whatever would load or be set has had its chance."""
    browser.execute_async_script("setTimeout(arguments[arguments.length - 1], 500);")


def wait_until_loaded(browser: Any) -> None:
    """Until oct8ne.js ran and the visitor-ids cookie is set."""
    wait_for(
        browser,
        "return (window.__oct8neSeen && document.cookie.indexOf('oct8ne-visitor-ids=') >= 0)"
        " || null;",
    )


def assert_everything_loaded(browser: Any, site: Site) -> None:
    wait_until_loaded(browser)
    after = state(browser)
    assert after["requests"] == [site.script_url]
    assert len(site.cdn.script_queries) == 1
    assert after["alhenaCalls"] >= 1
    assert "oct8ne-session=S-1" in after["cookies"]
    ids = next(c for c in after["cookies"] if c.startswith("oct8ne-visitor-ids="))
    assert "optico_visit=V-1" in ids and "alhena_fingerprint=FP-1" in ids


def test_nothing_before_grant_everything_after_and_revoke_removes_our_cookies(
    browser: Any, site: Site
):
    browser.get(site.page_url)
    settle(browser)
    assert state(browser) == NOTHING
    assert site.cdn.script_queries == []
    # Collecting by hand before consent reads and sets nothing either.
    assert browser.execute_script("return window.oct8neVisitorIds.collect();") == ""

    browser.execute_script("window.oct8neConsent.grant();")
    assert_everything_loaded(browser, site)

    browser.execute_script("window.oct8neConsent.revoke();")
    calls = state(browser)["alhenaCalls"]
    browser.execute_script(
        "window.oct8neVisitorIds.collect(); document.dispatchEvent(new Event('visibilitychange'));"
    )
    settle(browser)
    revoked = state(browser)
    assert revoked["cookies"] == ["optico_visitId=V-1"]  # the other vendor's cookie is not ours
    assert revoked["alhenaCalls"] == calls  # nothing read after the revoke

    # The next page without a grant: nothing again (consent is never stored by us).
    site.cdn.script_queries.clear()
    browser.get(site.page_url)
    settle(browser)
    assert state(browser) == NOTHING and site.cdn.script_queries == []


def test_a_tcf_consent_manager_answers_for_the_configured_purposes(browser: Any, site: Site):
    browser.get(site.page_url + "?tcf=asked")
    settle(browser)
    assert state(browser) == NOTHING
    # Purpose 1 alone is not enough: purposes 1 and 3 are configured.
    browser.execute_script('window.__tcfAnswer({"1": true, "3": false}, "useractioncomplete");')
    settle(browser)
    assert state(browser) == NOTHING and site.cdn.script_queries == []
    browser.execute_script('window.__tcfAnswer({"1": true, "3": true}, "useractioncomplete");')
    assert_everything_loaded(browser, site)
    # Withdrawn in the consent manager: our cookies go.
    browser.execute_script('window.__tcfAnswer({"1": false, "3": true}, "useractioncomplete");')
    settle(browser)
    assert state(browser)["cookies"] == ["optico_visitId=V-1"]
    assert browser.execute_script("return window.oct8neConsent.granted();") is False


def test_consent_the_consent_manager_already_holds_loads_at_once(browser: Any, site: Site):
    browser.get(site.page_url + "?tcf=stored")
    assert_everything_loaded(browser, site)


# -- without a browser: what the snippets render, and the settings ---------------------------


def test_the_gate_comes_first_with_the_nonce_and_only_when_consent_is_required():
    from oct8ne_adapter.platform.credentials import PlatformCredentials
    from oct8ne_adapter.settings import Settings
    from oct8ne_adapter.web.snippets import visitor_ids_script, widget_script

    credentials = PlatformCredentials(
        api_token="",
        license_id="LIC",
        server="backoffice.oct8ne.com/",
        static_server="static.oct8ne.com/",
    )
    required = Settings.from_config(
        {"OCT8NE_CONSENT_REQUIRED": "yes", "OCT8NE_CONSENT_PURPOSES": "3, 1"}
    )
    gated = str(widget_script(credentials, required, locale="en-US", currency="USD", nonce="n1"))
    assert gated.startswith('<script id="oct8ne-consent" nonce="n1">')
    assert "var PURPOSES = [1, 3]" in gated
    assert "window.oct8neConsent.whenGranted(start);" in gated
    plain = str(widget_script(credentials, Settings(), locale="en-US", currency="USD"))
    assert "oct8neConsent" not in plain and plain.rstrip().endswith("insert();\n})();\n</script>")
    assert "oct8neConsent" not in visitor_ids_script()
    assert "whenGranted(start, stop)" in visitor_ids_script(consent_purposes=(1,))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([], "must be a list"),
        ([0], "from 1 to 11"),
        (["x"], "from 1 to 11"),
        ([True], "1 to 11"),
        ("1,12", "from 1 to 11"),
        (7, "must be a list"),
    ],
)
def test_consent_purposes_are_tcf_purpose_numbers(raw: object, reason: str):
    from oct8ne_adapter.errors import ConfigError
    from oct8ne_adapter.settings import Settings

    with pytest.raises(ConfigError, match=reason):
        Settings.from_config({"OCT8NE_CONSENT_PURPOSES": raw})
