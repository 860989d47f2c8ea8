"""deploy/nginx/oct8ne.conf, run by Debian's nginx in front of `oct8ne-adapter serve` (issue 22).

The shipped file is used as it is, with only its ports, upstream, certificate and log paths
substituted (each substitution must match, so a changed file fails here rather than drift).
The adapter runs with the documented proxy setting, `proxy_fix_hops = 1`. One nginx and one
gunicorn serve the whole module: starting both takes about a second.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from requests.adapters import HTTPAdapter
from test_running import BIN, REPO_ROOT, free_port, running_server, server_environment

NGINX = Path("/usr/sbin/nginx")
SHIPPED_CONFIG = REPO_ROOT / "deploy" / "nginx" / "oct8ne.conf"
TOKEN = "nginx-test-token-5f1c9a"
EMAIL = "jane.doe@example.com"
#: search is limited per address; a low limit shows whose address the limiter counts. (The token
#: methods have no per-address limit since issue 17: failed token checks are limited instead.)
ORDERS_PER_MINUTE = 3
TIMEOUT = 10.0


@dataclass(frozen=True)
class Deployment:
    """nginx in front of the adapter: its URLs, the CA to trust, and every log file."""

    https_url: str
    http_url: str
    adapter_url: str
    ca_file: Path
    logs: tuple[Path, ...]

    def client(self, source_address: str = "127.0.0.1") -> requests.Session:
        """A session that trusts the test CA and connects from `source_address`."""
        session = requests.Session()
        # REQUESTS_CA_BUNDLE in the environment would win over `verify`, and a proxy variable
        # would send loopback traffic elsewhere: this session reads neither.
        session.trust_env = False
        session.verify = str(self.ca_file)
        session.mount("https://", SourceAddressAdapter(source_address))
        session.mount("http://", SourceAddressAdapter(source_address))
        return session


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen loopback address: two visitors as nginx sees them."""

    def __init__(self, source_address: str) -> None:
        self.source_address = source_address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source_address, 0)
        super().init_poolmanager(*args, **kwargs)


def substituted(text: str, replacements: dict[str, str]) -> str:
    """`text` with each key replaced; a key that is not in the text is an error."""
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/oct8ne.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return text


def nginx_config(
    directory: Path, *, http_port: int, https_port: int, app_port: int, cert: Path, key: Path
) -> Path:
    """The shipped server blocks with this run's ports and paths, inside a minimal nginx.conf."""
    shipped = SHIPPED_CONFIG.read_text()
    # The test's loopback has no guaranteed IPv6: the [::] listeners go.
    shipped = re.sub(r"^\s*listen \[::\]:\d+[^\n]*\n", "", shipped, flags=re.MULTILINE)
    site = substituted(
        shipped,
        {
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
            "/etc/ssl/certs/shop.example.com.pem": str(cert),
            "/etc/ssl/private/shop.example.com.key": str(key),
            "/var/log/nginx/oct8ne.access.log": str(directory / "oct8ne.access.log"),
            "/var/log/nginx/oct8ne.error.log": str(directory / "oct8ne.error.log"),
        },
    )
    (directory / "oct8ne.conf").write_text(site)
    temp = directory / "temp"
    temp.mkdir()
    # As root, nginx's workers would otherwise run as nobody, who cannot enter pytest's 0700
    # temporary directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/nginx.error.log warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        f"  include {directory}/oct8ne.conf;\n"
        "}\n"
    )
    return main


def require_nginx() -> None:
    """Skip without nginx; under CI, fail (.ci/run installs it)."""
    if NGINX.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("/usr/sbin/nginx is missing (.ci/run installs Debian's nginx)")
    pytest.skip("Debian's nginx is not installed (apt-get install nginx)")


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (bounded) until nginx accepts connections on `port`."""
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}:\n{log.read_text()}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1, allow_redirects=False)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                pytest.fail(f"nginx did not listen on {port}:\n{log.read_text()}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def deployment(
    seeded_database_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The demo shop served by gunicorn on a free port, behind nginx with the shipped file."""
    require_nginx()
    directory = tmp_path_factory.mktemp("nginx")
    database = directory / "demo.db"
    shutil.copy(seeded_database_file, database)
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca_file = directory / "cert.pem", directory / "key.pem", directory / "ca.pem"
    certificate.private_key_and_cert_chain_pem.write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca_file))
    config = directory / "adapter.toml"
    config.write_text(
        f'database_url = "sqlite:///{database}"\n'
        "demo = true\n"
        "proxy_fix_hops = 1\n"
        f'[ratelimits]\nsearch = "{ORDERS_PER_MINUTE}/minute"\n'
    )
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    main = nginx_config(
        directory,
        http_port=http_port,
        https_port=https_port,
        app_port=app_port,
        cert=cert,
        key=key,
    )
    command = [
        str(BIN / "oct8ne-adapter"),
        "--config",
        str(config),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(app_port),
        "--workers",
        "1",
    ]
    env = server_environment(directory, OCT8NE_API_TOKEN=TOKEN)
    gunicorn_log = directory / "gunicorn.log"
    checked = subprocess.run(
        [
            str(NGINX),
            "-t",
            "-p",
            str(directory),
            "-e",
            str(directory / "startup.log"),
            "-c",
            str(main),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    with running_server(command, cwd=directory, env=env, port=app_port, log=gunicorn_log) as url:
        nginx_log = directory / "nginx.out"
        with nginx_log.open("wb") as output:
            nginx = subprocess.Popen(
                [
                    str(NGINX),
                    "-p",
                    str(directory),
                    "-e",
                    str(directory / "startup.log"),
                    "-c",
                    str(main),
                    "-g",
                    "daemon off;",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(https_port, nginx, nginx_log)
            yield Deployment(
                https_url=f"https://127.0.0.1:{https_port}",
                http_url=f"http://127.0.0.1:{http_port}",
                adapter_url=url,
                ca_file=ca_file,
                logs=(
                    gunicorn_log,
                    nginx_log,
                    directory / "startup.log",
                    directory / "nginx.error.log",
                    directory / "oct8ne.access.log",
                    directory / "oct8ne.error.log",
                ),
            )
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)


def frame(session: requests.Session, deployment: Deployment, method: str, **params: Any) -> Any:
    """One frame call through nginx; the JSON answer."""
    response = session.get(
        f"{deployment.https_url}/oct8ne/frame/{method}", params=params, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_shipped_file_passes_nginx_t(deployment: Deployment) -> None:
    # The fixture ran `nginx -t` on it; here nginx answers with the shipped TLS settings.
    response = deployment.client().get(f"{deployment.https_url}/oct8ne/health", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Server"] == "nginx"  # server_tokens off: no version


def test_the_frame_methods_answer_through_nginx(deployment: Deployment) -> None:
    session = deployment.client()
    assert frame(session, deployment, "getAdapterInfo")["apiVersion"] == "2.4"
    products = frame(session, deployment, "productInfo", productIds="1001,1002")
    assert [product["internalId"] for product in products] == ["1001", "1002"]
    summary = frame(session, deployment, "productSummary", productIds="1002")
    assert summary[0]["formattedPrice"] == "$1,500.00"
    found = frame(session, deployment, "search", search="jacket", pageSize=2)
    assert found["total"] >= 1 and len(found["results"]) <= 2
    assert frame(session, deployment, "customerData")["email"] is None
    jsonp = session.get(
        f"{deployment.https_url}/oct8ne/frame/getAdapterInfo",
        params={"callback": "cb"},
        timeout=TIMEOUT,
    )
    assert jsonp.headers["Content-Type"].startswith("application/javascript")
    assert jsonp.headers["X-Content-Type-Options"] == "nosniff"
    assert jsonp.text.startswith("/**/cb(")


def test_orders_need_the_token_through_nginx(deployment: Deployment) -> None:
    session = deployment.client("127.0.0.5")
    orders = frame(session, deployment, "getOrders", customerEmail=EMAIL, apiToken=TOKEN)
    assert orders and all("reference" in order for order in orders)
    assert frame(session, deployment, "getOrders", customerEmail=EMAIL, apiToken="wrong") == []


def test_two_visitors_are_limited_apart(deployment: Deployment) -> None:
    first, second = deployment.client("127.0.0.2"), deployment.client("127.0.0.3")
    url = f"{deployment.https_url}/oct8ne/frame/search"
    params = {"search": "jacket"}
    statuses = [
        first.get(url, params=params, timeout=TIMEOUT).status_code
        for _ in range(ORDERS_PER_MINUTE + 1)
    ]
    assert statuses == [200] * ORDERS_PER_MINUTE + [429]
    # A forged X-Forwarded-For does not buy the first visitor a fresh bucket: nginx appends the
    # real address, and proxy_fix_hops = 1 trusts only that last entry.
    forged = first.get(
        url, params=params, headers={"X-Forwarded-For": "198.51.100.7"}, timeout=TIMEOUT
    )
    assert forged.status_code == 429
    assert "Retry-After" in forged.headers
    # The second visitor, on another address, has a bucket of its own.
    assert second.get(url, params=params, timeout=TIMEOUT).status_code == 200


def test_plain_http_is_redirected_to_https(deployment: Deployment) -> None:
    response = deployment.client().get(
        f"{deployment.http_url}/oct8ne/frame/getAdapterInfo?callback=cb",
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 301
    assert (
        response.headers["Location"] == "https://127.0.0.1/oct8ne/frame/getAdapterInfo?callback=cb"
    )


def sign_in(session: requests.Session, login_url: str) -> requests.Response:
    """Sign in as Jane through the demo's form: its CSRF token, and the cookie that matches it."""
    form = session.get(login_url, timeout=TIMEOUT).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found, "the sign-in page has no CSRF token"
    return session.post(
        login_url,
        data={"email": EMAIL, "csrf_token": found.group(1)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def test_demo_cookies_are_secure_and_redirects_stay_on_https(deployment: Deployment) -> None:
    session = deployment.client("127.0.0.4")
    response = sign_in(session, f"{deployment.https_url}/demo/login")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") or location.startswith("https://"), location
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie
    # The cookie works over https: the frame now knows the visitor.
    assert frame(session, deployment, "customerData")["email"] == EMAIL
    home = session.get(f"{deployment.https_url}/", timeout=TIMEOUT)
    assert home.status_code == 200
    assert all(step.url.startswith("https://") for step in [*home.history, home])
    # Straight to gunicorn, without nginx's X-Forwarded-Proto, the same sign-in is not Secure:
    # it is the scheme nginx forwards that makes it so.
    direct = sign_in(requests.Session(), f"{deployment.adapter_url}/demo/login")
    assert "Secure" not in direct.headers["Set-Cookie"]


def test_nginx_refuses_what_the_locations_do_not_take(deployment: Deployment) -> None:
    session = deployment.client()
    posted = session.post(f"{deployment.https_url}/oct8ne/frame/search", timeout=TIMEOUT)
    assert posted.status_code == 403
    too_large = session.post(
        f"{deployment.https_url}/oct8ne/events/cart-updated",
        data=b"{" + b" " * (400 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert too_large.status_code == 413
    # Within nginx's limit the adapter answers (events are off without a secret: 403 JSON).
    small = session.post(
        f"{deployment.https_url}/oct8ne/events/cart-updated",
        json={},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=TIMEOUT,
    )
    assert small.status_code == 403
    assert small.headers["Content-Type"].startswith("application/json")


def test_no_log_holds_a_token_or_an_email(deployment: Deployment) -> None:
    # Runs last in the module: every request above (tokens and e-mails in query strings, a
    # sign-in form, a forged header) has been made by now; make sure of the worst one here.
    session = deployment.client("127.0.0.6")
    frame(session, deployment, "getOrderDetails", reference="X", apiToken=TOKEN)
    time.sleep(0.2)  # gunicorn writes its access line after the answer
    text = "\n".join(log.read_text(errors="replace") for log in deployment.logs if log.exists())
    assert "/oct8ne/frame/getOrderDetails" in text  # the requests were logged, paths only
    for secret in (TOKEN, EMAIL, "jane.doe%40example.com", "apiToken", "customerEmail"):
        assert secret not in text
