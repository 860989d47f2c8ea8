"""The three ways to run the adapter (DESIGN §1), each proved end to end.

1. Mounted in a Flask shop: `Oct8neAdapter(app, ...)` or `init_app`.
2. Mounted in any other WSGI stack through werkzeug's DispatcherMiddleware.
3. Standalone: `gunicorn wsgi:app`, and the `oct8ne-adapter demo` command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import adapter_config, frame, sign_in_demo
from flask import Flask, Request
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Response

from oct8ne_adapter import Oct8neAdapter, Visitor, create_app
from oct8ne_adapter.cli.demo import configured_app
from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter_demo import create_demo_app

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
JANE = {
    "id": "1",
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane.doe@example.com",
}
NOBODY = {"id": None, "firstName": None, "lastName": None, "email": None}


def dispose(app: Flask) -> None:
    """Close the adapter's database connections."""
    database = adapter_state(app).database
    if database is not None:
        database.engine.dispose()


def header_resolver(request: Request) -> str | None:
    """A host shop's resolver: the signed-in customer id travels in a header here."""
    return request.headers.get("X-Customer")


def host_app(database_file: Path) -> Flask:
    """A host shop with a page of its own and the adapter's settings in its config."""
    app = Flask("host_shop")
    app.config.update(adapter_config(f"sqlite:///{database_file}"))

    @app.get("/")
    def home() -> str:
        return "host shop home"

    return app


def customer(data: dict[str, Any]) -> dict[str, Any]:
    """The customer fields of a CustomerData answer."""
    return {key: data[key] for key in ("id", "firstName", "lastName", "email")}


# -- 1. mounted in a Flask shop ------------------------------------------------------------------

REGISTRATIONS: dict[str, Callable[[Flask, Any], Oct8neAdapter]] = {
    "constructor": lambda app, resolver: Oct8neAdapter(app, customer_resolver=resolver),
    "init_app": lambda app, resolver: _init_app(app, resolver),
}


def _init_app(app: Flask, resolver: Any) -> Oct8neAdapter:
    extension = Oct8neAdapter(customer_resolver=resolver)
    extension.init_app(app)
    return extension


@pytest.fixture(params=sorted(REGISTRATIONS))
def mounted(request: pytest.FixtureRequest, database_file: Path) -> Iterator[Flask]:
    """A host shop with the adapter registered one way or the other, resolving by header."""
    app = host_app(database_file)
    REGISTRATIONS[request.param](app, header_resolver)
    yield app
    dispose(app)


def test_the_host_keeps_its_routes_and_gains_the_frame(mounted: Flask) -> None:
    client = mounted.test_client()
    assert client.get("/").get_data(as_text=True) == "host shop home"
    info = frame(client, "getAdapterInfo")
    assert info["apiVersion"] == "2.4"
    assert info["enabled"] is True
    assert client.get("/demo/").status_code == 404  # demo pages only when asked for


def test_the_host_resolver_decides_who_the_customer_is(mounted: Flask) -> None:
    client = mounted.test_client()
    signed_in = client.get("/oct8ne/frame/customerData", headers={"X-Customer": "1"}).get_json()
    assert customer(signed_in) == JANE
    assert [item["internalId"] for item in signed_in["wishlist"]] == ["1002", "1005", "1006"]
    assert {item["internalId"]: item["qty"] for item in signed_in["cart"]} == {
        "1001": 2,
        "1003": 1,
        "1007": 1,
    }
    anonymous = frame(client, "customerData")
    assert customer(anonymous) == NOBODY
    assert anonymous["wishlist"] == []


def test_a_customer_id_unknown_to_the_catalog_is_anonymous(mounted: Flask) -> None:
    client = mounted.test_client()
    data = client.get("/oct8ne/frame/customerData", headers={"X-Customer": "999"}).get_json()
    assert customer(data) == NOBODY


@pytest.mark.parametrize(
    "result",
    [Visitor(customer_id="1"), "1"],
    ids=["a Visitor", "a customer id"],
)
def test_a_resolver_may_return_a_visitor_or_an_id(
    database_file: Path, result: Visitor | str
) -> None:
    app = host_app(database_file)
    Oct8neAdapter(app, customer_resolver=lambda _request: result)
    try:
        assert customer(frame(app.test_client(), "customerData")) == JANE
    finally:
        dispose(app)


@pytest.mark.parametrize("second", sorted(REGISTRATIONS))
def test_a_second_registration_is_refused(mounted: Flask, second: str) -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        REGISTRATIONS[second](mounted, header_resolver)


def test_the_same_extension_instance_is_refused_twice_on_one_app(database_file: Path) -> None:
    app = host_app(database_file)
    extension = Oct8neAdapter()
    extension.init_app(app)
    try:
        with pytest.raises(RuntimeError):
            extension.init_app(app)
    finally:
        dispose(app)


def test_one_extension_serves_several_apps(database_file: Path, tmp_path: Path) -> None:
    # The application-factory pattern: init_app keeps state per app, never `self.app`.
    extension = Oct8neAdapter(customer_resolver=header_resolver)
    first, second = host_app(database_file), host_app(database_file)
    second.config["OCT8NE_ENABLED"] = False
    extension.init_app(first)
    extension.init_app(second)
    try:
        assert not hasattr(extension, "app")
        assert frame(first.test_client(), "getAdapterInfo")["enabled"] is True
        assert frame(second.test_client(), "getAdapterInfo")["enabled"] is False
        assert adapter_state(first) is not adapter_state(second)
    finally:
        dispose(first)
        dispose(second)


def test_create_app_accepts_a_customer_resolver(database_file: Path) -> None:
    app = create_app(
        adapter_config(f"sqlite:///{database_file}"),
        customer_resolver=header_resolver,
    )
    try:
        client = app.test_client()
        data = client.get("/oct8ne/frame/customerData", headers={"X-Customer": "1"}).get_json()
        assert customer(data) == JANE
    finally:
        dispose(app)


# -- 2. mounted in another WSGI stack ------------------------------------------------------------


def other_wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Stands in for Django, Pyramid, ...: any WSGI application."""
    response = Response(f"other app at {environ.get('PATH_INFO')}", mimetype="text/plain")
    return response(environ, start_response)


@pytest.fixture
def dispatched(database_file: Path) -> Iterator[Client]:
    """The demo app mounted at /shop next to another WSGI app, behind a WSGI test client."""
    adapter = create_demo_app(adapter_config(f"sqlite:///{database_file}"))
    stack = DispatcherMiddleware(other_wsgi_app, {"/shop": adapter})
    yield Client(stack)
    dispose(adapter)


def test_the_adapter_answers_under_its_mount_point(dispatched: Client) -> None:
    response = dispatched.get("/shop/oct8ne/frame/getAdapterInfo")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["apiVersion"] == "2.4"


def test_jsonp_and_case_insensitive_methods_work_when_mounted(dispatched: Client) -> None:
    response = dispatched.get("/shop/oct8ne/frame/PRODUCTINFO?productIds=1001&callback=cb")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.get_data().startswith(b'/**/cb([{"internalId":"1001"')


def test_the_other_app_still_answers(dispatched: Client) -> None:
    for path in ("/", "/oct8ne/frame/getAdapterInfo", "/shopping"):
        response = dispatched.get(path)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == f"other app at {path}"


def test_demo_sign_in_redirects_inside_the_mount_point(dispatched: Client) -> None:
    response = sign_in_demo(dispatched, prefix="/shop")
    assert response.status_code == 303
    assert response.headers["Location"] == "/shop/demo/"


def test_the_demo_home_redirects_inside_the_mount_point(dispatched: Client) -> None:
    response = dispatched.get("/shop/")
    assert response.status_code in (301, 302, 303, 307, 308)
    assert response.headers["Location"] == "/shop/demo/"


def test_create_app_never_serves_the_demo_pages(database_file: Path) -> None:
    # The production package knows nothing of the demo: the flag is read by the CLI alone.
    app = create_app(adapter_config(f"sqlite:///{database_file}", OCT8NE_DEMO=True))
    client = app.test_client()
    assert client.get("/demo/").status_code == 404
    assert client.get("/").status_code == 404
    assert frame(client, "getAdapterInfo")["apiVersion"] == "2.4"
    dispose(app)


@pytest.mark.parametrize("demo", [True, False])
def test_the_configured_app_has_the_demo_pages_when_the_configuration_says_so(
    database_file: Path, demo: bool
) -> None:
    app = configured_app(adapter_config(f"sqlite:///{database_file}", OCT8NE_DEMO=demo))
    client = app.test_client()
    assert client.get("/demo/").status_code == (200 if demo else 404)
    home = client.get("/")
    if demo:
        assert home.status_code in (301, 302, 303, 307, 308)
        assert home.headers["Location"] == "/demo/"
    else:
        assert home.status_code == 404
    dispose(app)


# -- 3. standalone processes ---------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(home: Path, **variables: str) -> dict[str, str]:
    """The test's environment (without OCT8NE_*), a private HOME, and these variables."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("OCT8NE_")
    }
    # gunicorn keeps a control socket under $HOME: keep it out of the real one.
    environment.update(HOME=str(home), PYTHONUNBUFFERED="1", **variables)
    return environment


@contextmanager
def running_server(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, log: Path
) -> Iterator[str]:
    """Start a server process, wait (bounded) until it answers, yield its base URL, stop it."""
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
                try:
                    requests.get(f"{base_url}/oct8ne/frame/getAdapterInfo", timeout=1)
                    break
                except requests.ConnectionError:
                    pass
                except requests.Timeout:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not answer in {STARTUP_TIMEOUT}s:\n{log.read_text()}")
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def test_gunicorn_serves_wsgi_app(database_file: Path, tmp_path: Path) -> None:
    port = free_port()
    command = [
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
    env = server_environment(tmp_path, OCT8NE_DATABASE_URL=f"sqlite:///{database_file}")
    with running_server(
        command, cwd=tmp_path, env=env, port=port, log=tmp_path / "gunicorn.log"
    ) as base_url:
        response = requests.get(
            f"{base_url}/oct8ne/frame/getAdapterInfo",
            params={"callback": "cb"},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.text.startswith("/**/cb({")
        assert response.text.endswith("});")
        assert '"apiVersion":"2.4"' in response.text

        # It serves the database named by OCT8NE_DATABASE_URL.
        products = requests.get(
            f"{base_url}/oct8ne/frame/productInfo",
            params={"productIds": "1001,1002"},
            timeout=REQUEST_TIMEOUT,
        ).json()
        assert [item["internalId"] for item in products] == ["1001", "1002"]
        assert products[1]["formattedPrice"] == "$1,500.00"


def test_the_demo_command_serves_the_demo_shop(tmp_path: Path) -> None:
    port = free_port()
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    command = [
        str(BIN / "oct8ne-adapter"),
        "demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = server_environment(tmp_path, OCT8NE_API_TOKEN="t")
    with running_server(
        command, cwd=workdir, env=env, port=port, log=tmp_path / "demo.log"
    ) as base_url:
        assert (workdir / "oct8ne.db").exists()  # the default SQLite file, in the working dir

        products = requests.get(
            f"{base_url}/oct8ne/frame/productInfo",
            params={"productIds": "1001"},
            timeout=REQUEST_TIMEOUT,
        ).json()
        assert [item["internalId"] for item in products] == ["1001"]
        assert products[0]["formattedPrice"] == "$89.90"
        assert products[0]["formattedPrevPrice"] == "$99.90"
        assert products[0]["productUrl"].startswith(base_url)

        orders = requests.get(
            f"{base_url}/oct8ne/frame/getOrders",
            params={"apiToken": "t", "customerEmail": "jane.doe@example.com"},
            timeout=REQUEST_TIMEOUT,
        ).json()
        assert isinstance(orders, list) and orders
        assert all("reference" in order for order in orders)

        refused = requests.get(
            f"{base_url}/oct8ne/frame/getOrders",
            params={"apiToken": "wrong", "customerEmail": "jane.doe@example.com"},
            timeout=REQUEST_TIMEOUT,
        ).json()
        assert refused == []


def test_serve_with_demo_in_the_configuration_serves_the_demo_pages(
    database_file: Path, tmp_path: Path
) -> None:
    port = free_port()
    config = tmp_path / "shop.toml"
    config.write_text(f'database_url = "sqlite:///{database_file}"\ndemo = true\n')
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with running_server(
        command, cwd=tmp_path, env=server_environment(tmp_path), port=port, log=tmp_path / "s.log"
    ) as base_url:
        page = requests.get(f"{base_url}/demo/product/1001", timeout=REQUEST_TIMEOUT)
        assert page.status_code == 200
        assert "Trail Running Shoe" in page.text
        home = requests.get(f"{base_url}/", timeout=REQUEST_TIMEOUT, allow_redirects=False)
        assert home.status_code in (301, 302, 303, 307, 308)
        assert home.headers["Location"].endswith("/demo/")


# -- what the servers the CLI starts write (issue 14: no token or e-mail in any log) ---------------

SECRET_TOKEN = "secret-tok-7f3a9c"
SECRET_EMAIL = "jane.doe@example.com"


def hide_gunicorn(directory: Path) -> Path:
    """A PYTHONPATH entry on which `import gunicorn` fails, so the CLI falls back to werkzeug."""
    package = directory / "gunicorn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    return directory


@pytest.mark.parametrize("server", ["gunicorn", "development"])
@pytest.mark.parametrize("command_name", ["serve", "demo"])
def test_servers_started_by_the_cli_log_no_query_string(
    command_name: str, server: str, database_file: Path, tmp_path: Path
) -> None:
    port = free_port()
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    variables = {"OCT8NE_API_TOKEN": SECRET_TOKEN}
    if command_name == "serve":
        variables["OCT8NE_DATABASE_URL"] = f"sqlite:///{database_file}"
    if server == "development":
        paths = [str(hide_gunicorn(tmp_path / "no-gunicorn")), os.environ.get("PYTHONPATH", "")]
        variables["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    command = [str(BIN / "oct8ne-adapter"), command_name, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    log = tmp_path / "server.log"
    with running_server(
        command, cwd=workdir, env=server_environment(tmp_path, **variables), port=port, log=log
    ) as base_url:
        calls = [
            ("/oct8ne/frame/getOrders", {"customerEmail": SECRET_EMAIL, "apiToken": SECRET_TOKEN}),
            ("/oct8ne/frame/getOrderDetails", {"reference": "JDX1005E", "apiToken": SECRET_TOKEN}),
            ("/oct8ne/frame/getSalesReport", {"apiToken": SECRET_TOKEN, "from": "2026-01-01"}),
            ("/demo/login", {"email": SECRET_EMAIL}),
        ]
        for path, params in calls:
            requests.get(
                f"{base_url}{path}",
                params=params,
                headers={"Referer": f"{base_url}/account?email={SECRET_EMAIL}"},
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
            )
        orders = requests.get(
            f"{base_url}/oct8ne/frame/getOrders",
            params={"customerEmail": SECRET_EMAIL, "apiToken": SECRET_TOKEN},
            timeout=REQUEST_TIMEOUT,
        ).json()
        assert orders, "the token must work, or the calls above proved nothing"
    written = log.read_text(errors="replace")
    # The access log is on: each call is there by its path...
    assert "/oct8ne/frame/getOrders" in written
    assert "/oct8ne/frame/getSalesReport" in written
    if server == "development":
        assert "gunicorn is not installed" in written
    # ...and nothing of its query string.
    assert SECRET_TOKEN not in written
    assert SECRET_EMAIL not in written
    assert "jane.doe%40example.com" not in written
