"""Database outages: 503 within a second while the server is gone, recovery without a restart.

The connection to the real PostgreSQL or MariaDB server runs through a TCP proxy in this process;
cutting the proxy drops every open connection and refuses new ones, as a stopped server does,
without disturbing the other tests that share the server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from oct8ne_adapter import create_app

#: What the issue asks: answer within one second while the database is away.
OUTAGE_DEADLINE = 1.0


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server; `cut()` drops everything, `restore()` reopens."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        """Listen again (on the same port once one was chosen)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._listener is not None:
            # shutdown() first: a thread blocked in accept() keeps a closed socket listening.
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=3)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.close()
                except OSError:
                    pass


@pytest.fixture(params=["postgresql", "mariadb"])
def server_database(request: pytest.FixtureRequest) -> str:
    """The URL of the run's demo-seeded database on a real server (read, never written)."""
    url: str = request.getfixturevalue(f"seeded_{request.param}_url")
    return url


@pytest.fixture
def proxied(server_database: str) -> Iterator[tuple[FlaskClient, TcpProxy]]:
    """A client of an adapter whose database connections all go through a TcpProxy."""
    url = make_url(server_database)
    proxy = TcpProxy(url.port or 0)
    through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    # Read the change log on every request: with the default 1 s poll, products cached in the
    # last second would still be served during the outage (staleness bounded by the poll). The
    # index is built inside the request: a background build cut off mid-stream would leave a
    # half-read result open on the server until the proxy goes.
    app = create_app(
        {
            "TESTING": True,
            "OCT8NE_DATABASE_URL": through_proxy,
            "OCT8NE_SEARCH_INDEX_POLL_MS": 0,
            "OCT8NE_SEARCH_INDEX_BACKGROUND": False,
        }
    )
    try:
        yield app.test_client(), proxy
    finally:
        proxy.cut()
        app.extensions["oct8ne"].database.engine.dispose()


def timed_get(client: FlaskClient, url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True), time.monotonic() - started


@pytest.mark.parametrize(
    "path",
    [
        "/oct8ne/frame/productInfo?productIds=1001&callback=cb",
        "/oct8ne/frame/search?search=jacket&callback=cb",
        "/oct8ne/frame/productRelated?productId=1001&callback=cb",
    ],
)
def test_outage_is_a_quick_503_and_recovers_without_restart(proxied, path):
    client, proxy = proxied
    status, before, _ = timed_get(client, path)
    assert status == 200

    proxy.cut()
    for _ in range(3):
        status, body, elapsed = timed_get(client, path)
        # Issue 17: with a callback the 503's error is inside it with 200 (a browser runs no
        # script served with a 503); the plain JSON call keeps its 503 (the test below).
        assert status == 200
        assert elapsed < OUTAGE_DEADLINE, f"the answer took {elapsed:.2f}s"
        assert body.startswith("/**/cb(") and body.endswith(");")
        payload = json.loads(body[len("/**/cb(") : -2])
        assert payload["error"] == "unavailable"
    # Methods that need no database keep answering during the outage.
    assert client.get("/oct8ne/frame/getAdapterInfo").status_code == 200

    proxy.restore()
    status, after, _ = timed_get(client, path)
    assert status == 200
    assert after == before


def test_outage_without_callback_is_plain_json(proxied):
    client, proxy = proxied
    proxy.cut()
    response = client.get("/oct8ne/frame/getOrders?customerEmail=a@b.c&apiToken=x")
    # A wrong token never touches the database: still the empty answer.
    assert response.status_code == 200 and response.get_json() == []
    response = client.get("/oct8ne/frame/productSummary?productIds=1001")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "unavailable"
