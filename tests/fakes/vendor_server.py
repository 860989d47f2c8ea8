"""The shared base of the fake vendors: a real HTTP server on 127.0.0.1, a script, a record.

Each fake (one module per vendor in this package) checks every request field by field against
its vendor's document, answers as the vendor would (including its documented errors, from its
own state), and records what it received with the problems it found. A test can also make the
next answers a documented error (`fail_next`), a 429 with Retry-After (`throttle_next`), any
status (`answer_next`), a stall past the client's timeout (`stall_next`), an answer sent one
byte at a time (`drip_next`: each read is quick, the whole answer is not) or an endless body
(`flood_next`). `problems` lists
every rule a request broke: a correct client leaves it empty.

    with FakeOctocom() as octocom:
        octocom.add_session(SESSION)
        ... requests to octocom.base_url ...
        assert octocom.problems == []
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from babel.numbers import is_currency


@dataclass
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes
    #: The JSON body (floats as Decimal, so amounts compare exactly), when it is JSON.
    json: Any = None
    #: The form body with PHP brackets unfolded (`products[0][id]` -> {"products": [{"id"}]}).
    form: dict[str, Any] | None = None
    #: The rules of the vendor's document this request broke.
    problems: list[str] = field(default_factory=list)
    #: The status the fake answered with.
    status: int = 0
    #: Bytes of a dripped or flooded answer written before the client hung up.
    bytes_sent: int = 0


@dataclass(frozen=True)
class Reply:
    """An answer: status, JSON (or bytes) body, extra headers."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, default=str).encode()


@dataclass(frozen=True)
class _Scripted:
    reply: Reply | None
    stall_seconds: float = 0.0
    #: Send the answer one byte every this many seconds (0: at once).
    drip_seconds: float = 0.0
    #: With drip_seconds: send the status line and headers at once, drip only the body.
    headers_at_once: bool = False
    #: Answer 200 with a chunked body that never ends (until the client hangs up).
    flood: bool = False
    #: Only for a request whose path ends with this (None: the next request, whatever it is).
    path: str | None = None


def is_number(value: Any) -> bool:
    """A JSON number (parsed as int or Decimal), not a boolean or a string."""
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def is_currency_code(value: Any) -> bool:
    """An upper-case ISO 4217 code."""
    return (
        isinstance(value, str)
        and re.fullmatch(r"[A-Z]{3}", value) is not None
        and is_currency(value)
    )


def unfold_form(body: str) -> dict[str, Any]:
    """A PHP-style form (`a[0][b]=1`) as nested dicts, with 0..n-1 keyed dicts as lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if match is None:
            root[key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        indexes = sorted(int(key) for key in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(index)] for index in indexes]
    return converted


class FakeVendor:
    """A vendor on 127.0.0.1: the HTTP server, the script of forced answers, the record."""

    name = "vendor"
    #: What `fail_next(error)` answers for each documented error.
    documented_errors: dict[str, Reply] = {}

    def __init__(self) -> None:
        self.received: list[Received] = []
        #: The requests whose content the vendor stored (answered 2xx, not scripted), in order.
        self.accepted: list[Received] = []
        self._script: deque[_Scripted] = deque()
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------------------

    def start(self) -> FakeVendor:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add 40 ms to every answer on a kept-alive connection.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                request = Received(
                    method=self.command,
                    path=unquote(url.path),
                    query=parse_qs(url.query, keep_blank_values=True),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                )
                reply, scripted = fake._dispatch(request)
                data = reply.encoded()
                try:
                    if scripted is not None and scripted.flood:
                        self._flood(request)
                        return
                    content_type = "application/json" if reply.body is not None else "text/plain"
                    headers = list(reply.headers)
                    if not any(name.lower() == "content-type" for name, _ in headers):
                        headers.append(("Content-Type", content_type))
                    headers.append(("Content-Length", str(len(data))))
                    if scripted is not None and scripted.drip_seconds:
                        self._drip(request, scripted, reply.status, headers, data)
                        return
                    self.send_response(reply.status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the client gave up (a stall): nobody to answer

            def _drip(
                self,
                request: Received,
                scripted: _Scripted,
                status: int,
                headers: list[tuple[str, str]],
                data: bytes,
            ) -> None:
                lines = [f"HTTP/1.1 {status} {self.responses[status][0]}"]
                lines += [f"{name}: {value}" for name, value in headers]
                head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                if scripted.headers_at_once:
                    self.wfile.write(head)
                    self.wfile.flush()
                    head = b""
                for byte in head + data:
                    if fake._release.wait(scripted.drip_seconds):
                        break  # the fake is stopping
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    with fake._lock:
                        request.bytes_sent += 1
                self.close_connection = True

            def _flood(self, request: Received) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b" " * 65_536
                while not fake._release.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    with fake._lock:
                        request.bytes_sent += len(chunk)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - the http.server API

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one interval
            name=f"fake-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: what the sink's `base_url` option points at."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- scripting -------------------------------------------------------------------------

    def answer_next(
        self,
        status: int,
        body: Any = None,
        headers: Iterable[tuple[str, str]] = (),
        times: int = 1,
        path: str | None = None,
    ) -> None:
        """The next `times` requests (to `path`) get this answer: checked, recorded, not stored."""
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(Reply(status, body, tuple(headers)), path=path))

    def fail_next(self, error: str, times: int = 1, path: str | None = None) -> None:
        """The next `times` requests (to `path`) get this documented error."""
        reply = self.documented_errors[error]
        self.answer_next(reply.status, reply.body, reply.headers, times, path)

    def throttle_next(self, retry_after: str | int = 1, times: int = 1) -> None:
        """The next `times` requests get 429 Too Many Requests with this Retry-After."""
        self.answer_next(
            429, {"message": "Too many requests"}, [("Retry-After", str(retry_after))], times
        )

    def drip_next(self, seconds_per_byte: float, *, headers_at_once: bool = False) -> None:
        """The next request is stored and gets its answer one byte every `seconds_per_byte`.

        Each read the client makes succeeds within its timeout; the whole answer takes
        minutes. `headers_at_once`: the status line and headers go at once, only the body drips.
        """
        with self._lock:
            self._script.append(
                _Scripted(None, drip_seconds=seconds_per_byte, headers_at_once=headers_at_once)
            )

    def flood_next(self) -> None:
        """The next request is stored, then gets 200 and a chunked body that never ends."""
        with self._lock:
            self._script.append(_Scripted(None, flood=True))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests hang for `seconds`, then get 504 (nothing stored)."""
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(Reply(504, {"message": "stalled"}), seconds))

    # --- the record ------------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Every rule any request broke, as `METHOD path: problem`."""
        with self._lock:
            return [
                f"{request.method} {request.path}: {problem}"
                for request in self.received
                for problem in request.problems
            ]

    def accepted_twice(self) -> list[str]:
        """Idempotency-Key values (the relay sends one per request) stored more than once."""
        with self._lock:
            keys = [request.headers.get("idempotency-key", "") for request in self.accepted]
        return sorted(key for key, count in Counter(keys).items() if key and count > 1)

    def requests_to(self, path_suffix: str) -> list[Received]:
        """The requests whose path ends with this."""
        with self._lock:
            return [request for request in self.received if request.path.endswith(path_suffix)]

    # --- behaviour ---------------------------------------------------------------------------

    def _dispatch(self, request: Received) -> tuple[Reply, _Scripted | None]:
        with self._lock:
            self.received.append(request)
            scripted = next(
                (
                    entry
                    for entry in self._script
                    if entry.path is None or request.path.endswith(entry.path)
                ),
                None,
            )
            if scripted is not None:
                self._script.remove(scripted)
        if scripted is not None and scripted.stall_seconds:
            self._release.wait(scripted.stall_seconds)
        with self._lock:
            # A dripped or flooded answer is the vendor's own: it stored the request first.
            reply = self.handle(request, store=scripted is None or scripted.reply is None)
            if scripted is not None and scripted.reply is not None:
                reply = scripted.reply
            elif 200 <= reply.status < 300:
                self.accepted.append(request)
            request.status = reply.status
            return reply, scripted

    def handle(self, request: Received, *, store: bool) -> Reply:
        """Check the request, and answer (storing what it carries only if `store`)."""
        raise NotImplementedError

    @staticmethod
    def read_json(request: Received) -> Any:
        if not request.headers.get("content-type", "").startswith("application/json"):
            request.problems.append(
                f"Content-Type is {request.headers.get('content-type')!r}, not application/json"
            )
        try:
            request.json = json.loads(request.body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            request.problems.append("the body is not JSON")
            return None
        return request.json


def is_text(value: Any) -> bool:
    """A string with something in it besides spaces."""
    return isinstance(value, str) and value.strip() != ""
