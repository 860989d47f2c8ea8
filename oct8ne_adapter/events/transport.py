"""The relay's HTTP: a total deadline for each request to a vendor, and a cap on its answer.

`requests`' timeout bounds each read from the socket, not the request: a vendor that sends one
byte every two seconds never trips a three-second timeout, and can hold a delivery past its
lease (when another worker may claim it and send it again) for as long as it likes. Here a
watchdog cuts the connection (shuts its socket down) when the deadline passes, whether the
request is still waiting for the status line, reading the headers or reading the body; the body
is read in chunks and abandoned past `max_body` bytes (after decompression: a small gzip answer
can inflate to gigabytes).

The watchdog finds the connection through the pool classes of the session's adapter: each
connection, when it sends a request, registers itself with the watch of the calling thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from oct8ne_adapter.errors import Oct8neError

#: Bytes read from the socket (or the decoder) at a time.
_CHUNK = 16_384

_current = threading.local()


class VendorAnswerError(Oct8neError):
    """A vendor's answer broke the relay's bounds: the delivery is retried."""


class AnswerTooSlow(VendorAnswerError):
    """The whole answer did not arrive within the request's deadline."""


class AnswerTooLarge(VendorAnswerError):
    """The answer's body is longer than the cap."""


@dataclass(frozen=True)
class Answer:
    """A vendor's complete answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class _Watch:
    """One request's deadline: cuts the connection the request is using when it passes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._finished = False
        self.fired = False

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            fired = self.fired
        if fired:
            # The deadline passed while the connection was being chosen: do not start.
            raise AnswerTooSlow("the deadline passed before the request was sent")

    def fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
            connection = self._connection
        sock = getattr(connection, "sock", None) if connection is not None else None
        if sock is not None:
            try:
                # socket.socket's own shutdown, also for TLS: it unblocks the reading thread
                # without touching the TLS object that thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: nothing is waiting on it

    def finish(self) -> None:
        """The answer is complete: from now on the connection may go back to the pool."""
        with self._lock:
            self._finished = True


def _register(connection: HTTPConnection) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through a proxy) can be cut by a watch."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def watched_session() -> requests.Session:
    """A requests session whose requests `send` can cut at their deadline."""
    session = requests.Session()
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    deadline: float,
    max_body: int,
) -> Answer:
    """Send one request and read its whole answer within `deadline` seconds, at most `max_body`.

    Raises AnswerTooSlow, AnswerTooLarge, or requests' own errors (connection refused ...).
    `session` should come from `watched_session()`: another session's requests are bounded
    between reads only, not while waiting for the headers.
    """
    started = time.monotonic()
    watch = _Watch()
    timer = threading.Timer(deadline, watch.fire)
    timer.daemon = True
    _current.watch = watch
    timer.start()
    response: requests.Response | None = None
    try:
        try:
            response = session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                # Each connect and each read is bounded too: the watchdog is the backstop.
                timeout=deadline,
                allow_redirects=False,
                stream=True,
            )
            announced = response.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) > max_body:
                raise AnswerTooLarge(f"the answer announces {announced} bytes")
            content = bytearray()
            for chunk in response.iter_content(_CHUNK):
                content += chunk
                if len(content) > max_body:
                    raise AnswerTooLarge(f"the answer is longer than {max_body} bytes")
                if time.monotonic() - started > deadline:
                    raise AnswerTooSlow(f"no complete answer within {deadline:g}s")
        except requests.RequestException:
            if watch.fired:
                raise AnswerTooSlow(f"no complete answer within {deadline:g}s") from None
            raise
        watch.finish()
        if watch.fired:
            # Cut while reading a body that ends with the connection: it may be truncated.
            raise AnswerTooSlow(f"no complete answer within {deadline:g}s")
        return Answer(response.status_code, CaseInsensitiveDict(response.headers), bytes(content))
    finally:
        timer.cancel()
        _current.watch = None
        if response is not None:
            # Back to the pool only when read to the end (urllib3 discards it otherwise).
            response.close()
