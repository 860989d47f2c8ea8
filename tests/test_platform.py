"""The oct8ne platform client, link-up and update notifications, against a fake backoffice.

The fake backoffice is a real HTTPS server on 127.0.0.1 in this process, with a certificate from a
throwaway CA (trustme): the client verifies TLS exactly as it does against oct8ne. No test
reaches the internet.
"""

from __future__ import annotations

import json
import logging
import ssl
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme
from click.testing import CliRunner
from conftest import adapter_config, frame, sign_in_demo
from sqlalchemy import create_engine, inspect, text

from oct8ne_adapter import create_app
from oct8ne_adapter.cli import cli
from oct8ne_adapter.errors import (
    PlatformBadAnswer,
    PlatformRejected,
    PlatformServerError,
    PlatformTimeout,
    PlatformUnreachable,
)
from oct8ne_adapter.platform.client import LinkupRequest, PlatformClient, UpdateNotifier
from oct8ne_adapter.platform.credentials import CredentialSource, PlatformCredentials
from oct8ne_adapter.settings import PlatformLinkSettings, Settings
from oct8ne_adapter_demo import create_demo_app

PASSWORD = "s3cret-Pa55word-never-stored"
TOKEN = "61958072EB8B476EBF5D6F77F66384AC"
LICENSE = "3BDFF5329C414EBCB116CCE1CE1AD807"
#: Spec: link-up answers `{apiToken, licenseId, server, urlStatic}`; the platform uses PascalCase.
LINKUP_SUCCESS = {
    "ApiToken": TOKEN,
    "LicenseId": LICENSE,
    "Server": "eu1.oct8ne.test/",
    "UrlStatic": "cdn-eu1.oct8ne.test/",
}
Reply = tuple[int, str, bytes]


@dataclass
class FakeBackoffice:
    """A scripted HTTPS backoffice that records what it receives."""

    port: int
    replies: dict[str, Callable[[], Reply]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}/"

    def answer(self, path: str, status: int, body: Any, content_type: str = "application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.replies[path] = lambda: (status, content_type, data)

    def stall(self, path: str, seconds: float | None = None) -> None:
        """Answer only after `seconds`, or never (until the test ends)."""

        def stalled() -> Reply:
            self.release.wait(seconds)
            return 200, "application/json", b"{}"

        self.replies[path] = stalled

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.received if request["path"] == path]


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(certificate_authority: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def backoffice(certificate_authority: trustme.CA) -> Iterator[FakeBackoffice]:
    fake = FakeBackoffice(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            fake.received.append(
                {
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "form": parse_qs(body),
                    "content_type": self.headers.get("Content-Type", ""),
                }
            )
            reply = fake.replies.get(url.path)
            status, content_type, data = reply() if reply else (404, "text/plain", b"nope")
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout): nothing to answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def client_for(
    backoffice: FakeBackoffice, ca_bundle: str
) -> Iterator[Callable[..., PlatformClient]]:
    """Makes clients of the fake backoffice, closed at the end of the test."""
    made: list[PlatformClient] = []

    def make(**options: Any) -> PlatformClient:
        client = PlatformClient(
            backoffice.host, timeout=1, verify=ca_bundle, backoff=0.01, **options
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def linkup_request() -> LinkupRequest:
    return LinkupRequest(
        email="shop@example.com",
        password=PASSWORD,
        platform="Custom",
        shop_url="https://shop.example",
        enabled=True,
    )


# -- the client --------------------------------------------------------------------------------


def test_linkup_posts_the_documented_form(backoffice, client_for):
    """Spec: `POST .../platformConnection/linkup`, `application/x-www-form-urlencoded`."""
    backoffice.answer("/platformConnection/linkup", 200, LINKUP_SUCCESS)
    credentials = client_for().linkup(linkup_request(), "us")
    assert credentials == PlatformCredentials(
        TOKEN, LICENSE, "eu1.oct8ne.test/", "cdn-eu1.oct8ne.test/"
    )
    (received,) = backoffice.requests_to("/platformConnection/linkup")
    assert received["content_type"] == "application/x-www-form-urlencoded"
    assert received["form"] == {
        "email": ["shop@example.com"],
        "pass": [PASSWORD],
        "platform": ["Custom"],
        "urlDomain": ["https://shop.example"],
        "statusPlatform": ["true"],
    }


@pytest.mark.parametrize(
    ("region", "server", "static"),
    [
        ("us", "backoffice.oct8ne.com/", "static.oct8ne.com/"),
        ("eu", "backoffice-eu.oct8ne.com/", "static-eu.oct8ne.com/"),
    ],
)
def test_missing_hosts_default_by_region(backoffice, client_for, region, server, static):
    backoffice.answer("/platformConnection/linkup", 200, {"apiToken": TOKEN, "licenseId": LICENSE})
    credentials = client_for().linkup(linkup_request(), region)
    assert (credentials.server, credentials.static_server) == (server, static)


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            200,
            {"Message": "Invalid email or password"},
            PlatformRejected,
            "Invalid email or password",
        ),
        (401, {"Message": "Unauthorized user"}, PlatformRejected, "Unauthorized user"),
        (200, {"ApiToken": TOKEN}, PlatformRejected, "without a reason"),
        (500, b"<html>oops</html>", PlatformServerError, "HTTP 500"),
        (200, b"<html>maintenance</html>", PlatformBadAnswer, "not JSON"),
        (200, [1, 2], PlatformBadAnswer, "not an object"),
        (
            200,
            {**LINKUP_SUCCESS, "UrlStatic": 'evil.example/"><script>'},
            PlatformBadAnswer,
            "UrlStatic",
        ),
        (200, {**LINKUP_SUCCESS, "ApiToken": "a b\nc"}, PlatformBadAnswer, "not plain text"),
    ],
)
def test_linkup_failures_raise_typed_errors(backoffice, client_for, status, body, error, message):
    backoffice.answer("/platformConnection/linkup", status, body)
    with pytest.raises(error, match=message):
        client_for().linkup(linkup_request(), "us")
    # Link-up is not idempotent: it is never retried, even on a 500.
    assert len(backoffice.requests_to("/platformConnection/linkup")) == 1


def test_slow_answer_is_a_timeout(backoffice, client_for):
    backoffice.stall("/platformConnection/linkup", seconds=3)
    started = time.monotonic()
    with pytest.raises(PlatformTimeout, match="within 1s"):
        client_for().linkup(linkup_request(), "us")
    assert time.monotonic() - started < 2.5


def test_tls_is_verified(backoffice):
    """Without our CA the self-made certificate is refused: verification is on."""
    backoffice.answer("/platformConnection/linkup", 200, LINKUP_SUCCESS)
    client = PlatformClient(backoffice.host, timeout=1, verify=False)
    with pytest.raises(PlatformUnreachable, match="cannot reach"):
        client.linkup(linkup_request(), "us")
    client.close()
    assert backoffice.received == []


def test_unreachable_host():
    with pytest.raises(PlatformUnreachable):
        PlatformClient("127.0.0.1:9/", timeout=1, backoff=0.01).update("v1", "cart")


def test_update_is_retried_with_backoff_on_5xx(backoffice, client_for):
    """Spec: `POST .../platformConnection/update?visitor=3847&what=cart`."""
    replies = iter(
        [(503, "text/plain", b"busy"), (502, "text/plain", b"busy"), (200, "application/json", b"")]
    )
    backoffice.replies["/platformConnection/update"] = lambda: next(replies)
    client_for().update("3847", "cart")
    received = backoffice.requests_to("/platformConnection/update")
    assert len(received) == 3
    assert received[-1]["query"] == {"visitor": ["3847"], "what": ["cart"]}


def test_update_gives_up_after_bounded_retries(backoffice, client_for):
    backoffice.answer("/platformConnection/update", 500, b"down", "text/plain")
    with pytest.raises(PlatformServerError):
        client_for(retries=2).update("3847", "user")
    assert len(backoffice.requests_to("/platformConnection/update")) == 3


@pytest.mark.parametrize("what", ["", "orders", "CART", "cart;x"])
def test_update_topics_are_checked(what):
    with pytest.raises(ValueError):
        PlatformClient("backoffice.oct8ne.com/", timeout=1).update("v", what)


# -- the notifier ------------------------------------------------------------------------------


@pytest.mark.parametrize("visitor", [None, "", "x" * 300, "bad\x00"])
def test_no_visitor_cookie_sends_nothing(visitor):
    notifier = UpdateNotifier(lambda: pytest.fail("no client may be made"))
    assert notifier.notify(visitor, "cart") is None
    notifier.shutdown()


def test_notifier_logs_failures_instead_of_raising(backoffice, client_for, caplog):
    backoffice.answer("/platformConnection/update", 404, b"no", "text/plain")
    client = client_for()
    notifier = UpdateNotifier(lambda: client)
    future = notifier.notify("v1", "wishlist")
    assert future is not None
    future.result(timeout=10)
    assert "oct8ne update (wishlist) failed" in caplog.text
    notifier.shutdown()


def test_notifier_drops_when_too_many_are_pending(backoffice, client_for, caplog):
    backoffice.stall("/platformConnection/update")
    client = client_for()
    notifier = UpdateNotifier(lambda: client, workers=1, max_pending=2)
    futures = [notifier.notify("v1", "cart") for _ in range(5)]
    assert sum(future is not None for future in futures) == 2
    assert "dropped" in caplog.text
    backoffice.release.set()
    notifier.shutdown(wait=True)


# -- stored credentials ------------------------------------------------------------------------


def test_credential_source_rereads_the_store_after_its_ttl():
    stored: list[PlatformCredentials | None] = [None]
    now = [0.0]
    source = CredentialSource(
        PlatformLinkSettings(), lambda: stored[0], ttl=5, clock=lambda: now[0]
    )
    assert source.current().license_id == ""
    stored[0] = PlatformCredentials(TOKEN, LICENSE, "eu1.oct8ne.test/", "cdn.oct8ne.test/")
    now[0] = 4.9
    assert source.current().license_id == ""
    now[0] = 5.0
    assert source.current().license_id == LICENSE


def test_configuration_overrides_stored_credentials():
    stored = PlatformCredentials(TOKEN, LICENSE, "eu1.oct8ne.test/", "cdn.oct8ne.test/")
    settings = Settings(
        link=PlatformLinkSettings(api_tokens=("from-env",), oct8ne_static_server="static.example/")
    )
    current = CredentialSource(settings.link, lambda: stored).current()
    assert current == PlatformCredentials(
        "from-env", LICENSE, "eu1.oct8ne.test/", "static.example/"
    )


# -- the command line --------------------------------------------------------------------------


def write_config(
    tmp_path: Path, database_file: Path, backoffice: FakeBackoffice, ca_bundle: str
) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'database_url = "sqlite:///{database_file}"\n'
        f'oct8ne_server = "{backoffice.host}"\n'
        f'platform_ca_bundle = "{ca_bundle}"\n'
        "platform_timeout = 1\n",
        encoding="utf-8",
    )
    return path


def run_linkup(config: Path, *extra: str) -> Any:
    return CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "linkup",
            "--email",
            "shop@example.com",
            "--url",
            "https://shop.example",
            *extra,
        ],
        input=PASSWORD + "\n",
    )


def test_linkup_then_orders_and_widget_use_the_stored_values(
    backoffice, ca_bundle, database_file, tmp_path
):
    backoffice.answer("/platformConnection/linkup", 200, LINKUP_SUCCESS)
    config = write_config(tmp_path, database_file, backoffice, ca_bundle)
    result = run_linkup(config, "--region", "eu")
    assert result.exit_code == 0, result.output
    assert f"license {LICENSE}" in result.output
    assert TOKEN not in result.output and TOKEN[-4:] in result.output

    app = create_app(adapter_config(f"sqlite:///{database_file}", OCT8NE_API_TOKEN=""))
    try:
        credentials = app.extensions["oct8ne"].credentials()
        assert credentials.license_id == LICENSE
        assert credentials.static_server == "cdn-eu1.oct8ne.test/"
        with app.test_request_context("/"):
            widget = str(app.jinja_env.globals["oct8ne_widget"](locale="en-US", currency="USD"))
        assert f'"{LICENSE}"' in widget
        assert '"cdn-eu1.oct8ne.test/api/v2/oct8ne.js?"' in widget
        assert '"eu1.oct8ne.test/"' in widget
        client = app.test_client()
        orders = frame(client, "getOrders", customerEmail="jane.doe@example.com", apiToken=TOKEN)
        assert len(orders) == 5
        assert (
            frame(client, "getOrders", customerEmail="jane.doe@example.com", apiToken="wrong") == []
        )
    finally:
        app.extensions["oct8ne"].database.engine.dispose()

    status = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert status.exit_code == 0
    assert LICENSE in status.output and TOKEN not in status.output
    assert "[link-up]" in status.output
    unlink = CliRunner().invoke(cli, ["--config", str(config), "unlink"])
    assert unlink.exit_code == 0 and "unlinked" in unlink.output
    status = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert "not linked" in status.output


@pytest.mark.parametrize(
    ("setting", "extra", "sent"),
    [
        ("", (), "Custom"),
        ('platform = "Shopware 6"\n', (), "Shopware 6"),
        ('platform = "Shopware 6"\n', ("--platform", "Magento"), "Magento"),
    ],
)
def test_linkup_sends_the_configured_platform_name(
    backoffice, ca_bundle, database_file, tmp_path, setting, extra, sent
):
    """Issue 17: the name link-up sends is the one the widget snippet sets (`platform`)."""
    backoffice.answer("/platformConnection/linkup", 200, LINKUP_SUCCESS)
    config = write_config(tmp_path, database_file, backoffice, ca_bundle)
    config.write_text(config.read_text(encoding="utf-8") + setting, encoding="utf-8")
    result = run_linkup(config, *extra)
    assert result.exit_code == 0, result.output
    (received,) = backoffice.requests_to("/platformConnection/linkup")
    assert received["form"]["platform"] == [sent]


def test_the_password_is_never_logged_stored_or_an_argument(
    backoffice, ca_bundle, database_file, tmp_path, caplog
):
    backoffice.answer("/platformConnection/linkup", 200, LINKUP_SUCCESS)
    config = write_config(tmp_path, database_file, backoffice, ca_bundle)
    caplog.set_level(logging.DEBUG)
    result = run_linkup(config)
    assert result.exit_code == 0, result.output
    # It was sent (over TLS) ...
    assert backoffice.received[0]["form"]["pass"] == [PASSWORD]
    # ... but is in no log line, no output, no table, and no byte of the database files.
    assert PASSWORD not in caplog.text
    assert PASSWORD not in result.output
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert PASSWORD not in " ".join(map(str, row)), table
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for path in database_file.parent.glob(database_file.name + "*"):
        assert PASSWORD.encode() not in path.read_bytes(), path
    # There is no way to give it as an argument.
    help_text = CliRunner().invoke(cli, ["linkup", "--help"]).output
    assert "--pass" not in help_text


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, {"Message": "Invalid email or password"}, "Invalid email or password"),
        (500, b"error", "HTTP 500"),
        (200, b"<html>", "not JSON"),
    ],
)
def test_linkup_errors_are_one_line_and_store_nothing(
    backoffice, ca_bundle, database_file, tmp_path, status, body, message
):
    backoffice.answer(
        "/platformConnection/linkup",
        status,
        body,
        "application/json" if isinstance(body, dict) else "text/html",
    )
    config = write_config(tmp_path, database_file, backoffice, ca_bundle)
    result = run_linkup(config)
    assert result.exit_code == 1
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("Error: ") and message in last_line
    assert "Traceback" not in result.output
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM platform_link")).scalar() == 0
    engine.dispose()


def test_linkup_timeout_and_unreachable_are_one_line(
    backoffice, ca_bundle, database_file, tmp_path
):
    backoffice.stall("/platformConnection/linkup", seconds=3)
    config = write_config(tmp_path, database_file, backoffice, ca_bundle)
    result = run_linkup(config)
    assert result.exit_code == 1 and "did not answer within 1s" in result.output
    config.write_text(config.read_text().replace(backoffice.host, "127.0.0.1:9/"))
    result = run_linkup(config)
    assert result.exit_code == 1 and "cannot reach https://127.0.0.1:9/" in result.output


@pytest.mark.parametrize(
    ("option", "value"), [("--email", "not-an-email"), ("--url", "shop.example")]
)
def test_linkup_refuses_bad_arguments(tmp_path, database_file, option, value):
    config = tmp_path / "c.toml"
    config.write_text(f'database_url = "sqlite:///{database_file}"\n')
    arguments = {"--email": "shop@example.com", "--url": "https://shop.example", option: value}
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "linkup", *[x for kv in arguments.items() for x in kv]],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 2 and option in result.output


# -- updates from the adapter ------------------------------------------------------------------


@pytest.fixture
def linked_app(backoffice, ca_bundle, database_file):
    # The demo app: its sign-in page starts the customer's session.
    app = create_demo_app(
        adapter_config(
            f"sqlite:///{database_file}",
            OCT8NE_OCT8NE_SERVER=backoffice.host,
            OCT8NE_PLATFORM_CA_BUNDLE=ca_bundle,
            OCT8NE_PLATFORM_TIMEOUT=1,
        )
    )
    yield app
    backoffice.release.set()  # let stalled updates end before their connections close
    app.extensions["oct8ne"].platform.close(wait=True)
    app.extensions["oct8ne"].database.engine.dispose()


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def signed_in(app: Any) -> Any:
    client = app.test_client()
    assert sign_in_demo(client).status_code == 303
    return client


def test_add_to_wishlist_notifies_the_chatting_visitor(linked_app, backoffice):
    backoffice.answer("/platformConnection/update", 200, b"", "text/plain")
    client = signed_in(linked_app)
    client.set_cookie("oct8ne-visitor", "3847")
    assert frame(client, "addToWishList", productIds="1010") == {"result": "true"}
    assert wait_for(lambda: bool(backoffice.requests_to("/platformConnection/update")))
    (update,) = backoffice.requests_to("/platformConnection/update")
    assert update["query"] == {"visitor": ["3847"], "what": ["wishlist"]}


def test_no_update_without_the_visitor_cookie(linked_app, backoffice):
    backoffice.answer("/platformConnection/update", 200, b"", "text/plain")
    client = signed_in(linked_app)
    assert frame(client, "addToWishList", productIds="1011") == {"result": "true"}
    time.sleep(0.3)
    assert backoffice.requests_to("/platformConnection/update") == []


def test_a_stalled_oct8ne_does_not_slow_the_shop(linked_app, backoffice):
    """The update runs off the request path: a backoffice that never answers adds < 50 ms."""
    backoffice.stall("/platformConnection/update")
    client = signed_in(linked_app)

    def timed_add(product_id: str, visitor: str | None) -> float:
        if visitor:
            client.set_cookie("oct8ne-visitor", visitor)
        else:
            client.delete_cookie("oct8ne-visitor")
        started = time.monotonic()
        assert frame(client, "addToWishList", productIds=product_id) == {"result": "true"}
        return time.monotonic() - started

    baseline = statistics.median(timed_add(str(1100 + n), None) for n in range(5))
    stalled = statistics.median(timed_add(str(1200 + n), f"v{n}") for n in range(5))
    assert wait_for(lambda: bool(backoffice.requests_to("/platformConnection/update")))
    assert stalled - baseline < 0.050, (baseline, stalled)


def test_host_shops_notify_through_the_flask_helper(linked_app, backoffice):
    from oct8ne_adapter import notify_update

    backoffice.answer("/platformConnection/update", 200, b"", "text/plain")
    with linked_app.test_request_context("/cart", headers={"Cookie": "oct8ne-visitor=77"}):
        future = notify_update("cart")
    assert future is not None
    future.result(timeout=10)
    with linked_app.test_request_context("/cart"):
        assert notify_update("user") is None
    (update,) = backoffice.requests_to("/platformConnection/update")
    assert update["query"] == {"visitor": ["77"], "what": ["cart"]}


def test_nothing_stored_means_defaults(database_file):
    """Before any link-up the widget hosts come from the region."""
    app = create_app(adapter_config(f"sqlite:///{database_file}", OCT8NE_REGION="eu"))
    try:
        credentials = app.extensions["oct8ne"].credentials()
        assert (credentials.server, credentials.static_server) == (
            "backoffice-eu.oct8ne.com/",
            "static-eu.oct8ne.com/",
        )
        assert credentials.license_id == ""
    finally:
        app.extensions["oct8ne"].database.engine.dispose()
