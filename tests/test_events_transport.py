"""events.transport on its own: the total deadline over TLS, and kept-alive connections.

The relay-level cases (plain HTTP, dripped headers or body, endless and compressed bodies) are in
test_events_hostile_vendors.py; here the watchdog cuts a TLS connection, which vendors use.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from oct8ne_adapter.events import transport

ANSWER = b'{"ok": true}'


class Server:
    """A TLS server on 127.0.0.1: drips its status line when `drip` is set, else answers."""

    def __init__(self, ca: trustme.CA) -> None:
        self.drip = threading.Event()
        self.stopping = threading.Event()
        self.connections: set[tuple[str, int]] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.connections.add(self.client_address)
                try:
                    if server.drip.is_set():
                        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
                            if server.stopping.wait(0.5):
                                return
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        return
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(ANSWER)))
                    self.end_headers()
                    self.wfile.write(ANSWER)
                except OSError:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/purchases"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server = Server(ca)
    yield server, str(bundle)
    server.close()


def _session(bundle: str) -> Any:
    session = transport.watched_session()
    session.verify = bundle
    # requests lets REQUESTS_CA_BUNDLE (set on these machines) override session.verify.
    session.trust_env = False
    return session


def _send(session: Any, url: str, deadline: float = 1.0) -> transport.Answer:
    return transport.send(
        session, "POST", url, headers={}, body=b"{}", deadline=deadline, max_body=1_000
    )


def test_dripped_tls_headers_are_cut_at_the_deadline(tls):
    server, bundle = tls
    session = _session(bundle)
    server.drip.set()
    started = time.monotonic()
    with pytest.raises(transport.AnswerTooSlow, match="no complete answer within 1s"):
        _send(session, server.url)
    assert time.monotonic() - started < 1.8
    # The session still works afterwards: the cut connection is not reused.
    server.drip.clear()
    assert _send(session, server.url).body == ANSWER
    session.close()


def test_answers_within_the_deadline_keep_their_connection(tls):
    """The watchdog does not cut a connection that went back to the pool after its answer."""
    server, bundle = tls
    session = _session(bundle)
    for _ in range(3):
        answer = _send(session, server.url, deadline=0.2)
        assert (answer.status, answer.body) == (200, ANSWER)
        assert answer.headers["content-length"] == str(len(ANSWER))
    time.sleep(0.4)  # every watchdog's deadline has passed
    assert _send(session, server.url).status == 200
    assert len(server.connections) == 1, "one kept-alive connection for all four requests"
    session.close()
