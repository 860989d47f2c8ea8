"""Fake vendor servers: real HTTP servers on 127.0.0.1 that behave as each vendor's document says.

One per vendor (oct8ne, Octocom, Alhena, Optico, PA). Each checks every request field by field
against the vendor's document, answers as the vendor would (including its documented errors,
from its own state: unknown sessions, fingerprints without a chat, repeated orders, events out
of order, unknown keys), and records what it received with the problems it found. A test can
also make the next answers a documented error (`fail_next`), a 429 with Retry-After
(`throttle_next`), any status (`answer_next`), or a stall past the client's timeout
(`stall_next`). `problems` lists every rule a request broke: a correct client leaves it empty.

    with FakeOctocom() as octocom:
        octocom.add_session(SESSION)
        ... requests to octocom.base_url ...
        assert octocom.problems == []
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from babel.numbers import is_currency

from oct8ne_adapter.events.model import CartUpdated, EventLine, OrderPlaced, VisitorIds

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_INTEGER = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


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
                reply = fake._dispatch(request)
                data = reply.encoded()
                try:
                    self.send_response(reply.status)
                    content_type = "application/json" if reply.body is not None else "text/plain"
                    if not any(name.lower() == "content-type" for name, _ in reply.headers):
                        self.send_header("Content-Type", content_type)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the client gave up (a stall): nobody to answer

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

    def _dispatch(self, request: Received) -> Reply:
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
            reply = self.handle(request, store=scripted is None)
            if scripted is not None and scripted.reply is not None:
                reply = scripted.reply
            elif 200 <= reply.status < 300:
                self.accepted.append(request)
            request.status = reply.status
            return reply

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


# --- oct8ne ---------------------------------------------------------------------------------


class FakeOct8ne(FakeVendor):
    """The oct8ne backoffice's update call (API 2.4, "Real-time update of the oct8ne widget")."""

    name = "oct8ne"
    documented_errors = {"server_error": Reply(500, {"Message": "An error has occurred."})}

    def __init__(self) -> None:
        super().__init__()
        #: (visitor, what) of each update accepted, in order.
        self.updates: list[tuple[str, str]] = []

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method != "POST" or request.path != "/platformConnection/update":
            request.problems.append("not POST /platformConnection/update")
            return Reply(404, {"Message": "No HTTP resource was found"})
        visitor = request.query.get("visitor", [""])
        what = request.query.get("what", [""])
        # "Identifier of the user's oct8ne session, available in the oct8ne-visitor cookie."
        if len(visitor) != 1 or not visitor[0]:
            request.problems.append("visitor is missing")
        # "What you wish to update: cart, wishlist or user."
        if len(what) != 1 or what[0] not in ("cart", "wishlist", "user"):
            request.problems.append(f"what is {what!r}, not cart, wishlist or user")
        if request.problems:
            return Reply(400, {"Message": "The request is invalid."})
        if store:
            self.updates.append((visitor[0], what[0]))
        # "This method does not return any value."
        return Reply(200)


# --- Octocom --------------------------------------------------------------------------------


class FakeOctocom(FakeVendor):
    """Octocom's browser-session purchases endpoint."""

    name = "octocom"
    documented_errors = {
        "invalid_body": Reply(400, {"success": False, "message": "Validation failed"}),
        "session_not_found": Reply(404, {"success": False, "message": "Browser session not found"}),
        "rate_limited": Reply(
            429, {"success": False, "message": "Too many requests, please try again later."}
        ),
        "server_error": Reply(500, {"success": False, "message": "Failed to store the purchase"}),
    }
    _PATH = re.compile(r"/rest/v1/browser-sessions/([^/]+)/purchases")

    def __init__(self, *, requests_per_minute: int | None = 100) -> None:
        super().__init__()
        self.sessions: set[str] = set()
        #: (browser session id, body) of each purchase stored, in order.
        self.purchases: list[tuple[str, Any]] = []
        # "Rate limit: Maximum 100 requests per minute per IP address."
        self.requests_per_minute = requests_per_minute
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def add_session(self, session_id: str) -> None:
        """A browser session the widget created (others get 404 Browser session not found)."""
        self.sessions.add(session_id)

    def handle(self, request: Received, *, store: bool) -> Reply:
        match = self._PATH.fullmatch(request.path)
        if request.method != "POST" or match is None:
            request.problems.append("not POST /rest/v1/browser-sessions/:id/purchases")
            return Reply(404, {"success": False, "message": "Not found"})
        if self.requests_per_minute is not None and self._over_limit("127.0.0.1"):
            return self.documented_errors["rate_limited"]
        body = self.read_json(request)
        self._check(request, body)
        if request.problems:
            return Reply(400, {"success": False, "message": "; ".join(request.problems)})
        session = match.group(1)
        if session not in self.sessions:
            return self.documented_errors["session_not_found"]
        if store:
            self.purchases.append((session, body))
        return Reply(
            201, {"success": True, "message": "Purchase recorded", "id": str(uuid.uuid4())}
        )

    def _over_limit(self, address: str) -> bool:
        now = time.monotonic()
        calls = self._calls[address]
        while calls and now - calls[0] >= 60:
            calls.popleft()
        calls.append(now)
        return len(calls) > (self.requests_per_minute or 0)

    @staticmethod
    def _check(request: Received, body: Any) -> None:
        problems = request.problems
        if not isinstance(body, dict):
            problems.append("the body is not a JSON object")
            return
        items = body.get("lineItems")
        # "lineItems must be an array. Each element represents one purchased item."
        if not isinstance(items, list):
            problems.append("lineItems is not an array")
            items = []
        for index, item in enumerate(items):
            where = f"lineItems[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where} is not an object")
                continue
            # "id: string, // Required. The purchased item's (product) ID."
            if not isinstance(item.get("id"), str) or not item["id"]:
                problems.append(f"{where}.id is not a non-empty string")
            # "quantity: number, // Required. Quantity purchased."
            if not is_number(item.get("quantity")) or item["quantity"] <= 0:
                problems.append(f"{where}.quantity is not a positive number")
            if "variant" in item:
                variant = item["variant"]
                # "variant?: { variantId: string }  Include only when the item is a variant."
                if not isinstance(variant, dict) or not isinstance(variant.get("variantId"), str):
                    problems.append(f"{where}.variant is not {{variantId: string}}")
        # "totalPrice: number, // Required. Total price of the purchase. Must be positive."
        if not is_number(body.get("totalPrice")) or body["totalPrice"] <= 0:
            problems.append("totalPrice is not a positive number")
        # "currencyCode: string, // Required. e.g. USD, EUR."
        if not is_currency_code(body.get("currencyCode")):
            problems.append("currencyCode is not an ISO 4217 code")
        # "provider?: string, // Optional."
        if "provider" in body and not isinstance(body["provider"], str):
            problems.append("provider is not a string")


# --- Alhena ---------------------------------------------------------------------------------

CART_EVENT_TYPES = ("ITEM_ADDED", "QUANTITY_INCREASED", "QUANTITY_DECREASED", "ITEM_REMOVED")


def alhena_error(code: str, status: int = 400) -> Reply:
    """How the fake Alhena answers a documented error code."""
    return Reply(status, {"status": "error", "error_code": code, "message": code})


@dataclass
class _AlhenaProduct:
    quantity: int
    increased: bool = False


class FakeAlhena(FakeVendor):
    """Alhena's cart and checkout event endpoints, with per-visitor product histories.

    The history rules are the strictest reading of the error codes: every change of a product
    needs an ITEM_ADDED before it (PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND), and a decrease needs an
    increase before it (PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND).
    """

    name = "alhena"
    documented_errors = {
        code: alhena_error(code, 409 if code == "ORDER_ALREADY_EXISTS" else 400)
        for code in (
            "MISSING_REQUIRED_FIELDS",
            "COMPANY_NOT_FOUND",
            "ACTIVE_TICKET_NOT_FOUND",
            "PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND",
            "PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND",
            "ORDER_ALREADY_EXISTS",
        )
    } | {"server_error": Reply(502, b"Bad Gateway", (("Content-Type", "text/html"),))}

    def __init__(self, company_key: str) -> None:
        super().__init__()
        self.company_key = company_key
        #: Fingerprints of visitors who used the chat or FAQs ("Session requirement").
        self.active: set[str] = set()
        self.cart_events: list[dict[str, Any]] = []
        self.checkouts: list[dict[str, Any]] = []
        self._order_ids: set[str] = set()
        self._carts: dict[tuple[str, str], _AlhenaProduct] = {}

    def add_active_visitor(self, fingerprint: str) -> None:
        """A visitor who interacted with the chat widget or Product FAQs."""
        self.active.add(fingerprint)

    def quantities(self, fingerprint: str) -> dict[str, int]:
        """The cart Alhena believes the visitor has, from the events it accepted."""
        return {
            product: state.quantity
            for (visitor, product), state in self._carts.items()
            if visitor == fingerprint and state.quantity > 0
        }

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method == "POST" and request.path == "/analytics/cart_events":
            return self._cart_event(request, store)
        if request.method == "POST" and request.path == "/analytics/checkout_events":
            return self._checkout_event(request, store)
        request.problems.append("not POST /analytics/cart_events or /analytics/checkout_events")
        return Reply(404, {"detail": "Not Found"})

    def _common(
        self, request: Received, body: Any, fields: dict[str, Callable[[Any], bool]]
    ) -> Reply | None:
        """The checks both endpoints share; the refusal, or None to go on."""
        if not isinstance(body, dict):
            request.problems.append("the body is not a JSON object")
            return alhena_error("MISSING_REQUIRED_FIELDS")
        missing = [name for name in fields if body.get(name) in (None, "")]
        wrong = [
            name for name, valid in fields.items() if name not in missing and not valid(body[name])
        ]
        for name in missing:
            request.problems.append(f"{name} is missing")
        for name in wrong:
            request.problems.append(f"{name} is {body[name]!r}")
        if missing or wrong:
            return alhena_error("MISSING_REQUIRED_FIELDS")
        if body["company_key"] != self.company_key:
            return alhena_error("COMPANY_NOT_FOUND", 404)
        if body["user_fingerprint"] not in self.active:
            return alhena_error("ACTIVE_TICKET_NOT_FOUND", 404)
        return None

    def _cart_event(self, request: Received, store: bool) -> Reply:
        body = self.read_json(request)
        refusal = self._common(
            request,
            body,
            {
                "company_key": _is_text,
                "user_fingerprint": _is_text,
                "user_faq_fingerprint": _is_text,
                "type": lambda value: value in CART_EVENT_TYPES,
                "product_id": _is_text,
                "product_name": _is_text,
                # "value: number, Price after discounts"
                "value": lambda value: is_number(value) and value >= 0,
                "currency": is_currency_code,
                # "quantity: number, Quantity after this event"
                "quantity": lambda value: is_number(value) and value >= 0,
            },
        )
        if refusal is not None:
            return refusal
        key = (body["user_fingerprint"], body["product_id"])
        state = self._carts.get(key)
        kind, quantity = body["type"], body["quantity"]
        if kind != "ITEM_ADDED" and (state is None or state.quantity == 0):
            return alhena_error("PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND")
        if kind == "QUANTITY_DECREASED" and state is not None and not state.increased:
            return alhena_error("PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND")
        current = state.quantity if state is not None else 0
        expected = {
            "ITEM_ADDED": quantity >= 1 and current == 0,
            "QUANTITY_INCREASED": quantity > current,
            "QUANTITY_DECREASED": 1 <= quantity < current,
            "ITEM_REMOVED": quantity == 0,
        }[kind]
        if not expected:
            request.problems.append(f"{kind} to quantity {quantity} from {current}")
        if store:
            if kind == "ITEM_ADDED" or state is None:
                state = _AlhenaProduct(quantity=int(quantity))
                self._carts[key] = state
            state.quantity = int(quantity)
            state.increased = state.increased or kind == "QUANTITY_INCREASED"
            if kind == "ITEM_REMOVED":
                del self._carts[key]
            self.cart_events.append(body)
        return Reply(200, {"status": "success", "event_type": "CART_EVENT_RECORDED"})

    def _checkout_event(self, request: Received, store: bool) -> Reply:
        body = self.read_json(request)
        refusal = self._common(
            request,
            body,
            {
                "company_key": _is_text,
                "user_fingerprint": _is_text,
                "user_faq_fingerprint": _is_text,
                # "value: number, Total order value after discounts/taxes"
                "value": lambda value: is_number(value) and value >= 0,
                "currency": is_currency_code,
                "line_items": lambda value: isinstance(value, list) and len(value) > 0,
            },
        )
        if refusal is not None:
            return refusal
        for index, item in enumerate(body["line_items"]):
            where = f"line_items[{index}]"
            if not isinstance(item, dict):
                request.problems.append(f"{where} is not an object")
                continue
            for name, valid in (
                ("product_id", _is_text),
                ("product_name", _is_text),
                ("quantity", lambda value: is_number(value) and value > 0),
                # "value: Line-item total (price x quantity)"
                ("value", lambda value: is_number(value) and value >= 0),
                ("currency", lambda value: value == body["currency"]),
            ):
                if not valid(item.get(name)):
                    request.problems.append(f"{where}.{name} is {item.get(name)!r}")
        # The field table says `orderId` (optional); the curl example says `order_id`.
        ids = {body[name] for name in ("orderId", "order_id") if name in body}
        if len(ids) > 1:
            request.problems.append(f"orderId and order_id differ: {sorted(ids)}")
        if request.problems:
            return alhena_error("MISSING_REQUIRED_FIELDS")
        order_id = ids.pop() if ids else None
        if order_id is not None and order_id in self._order_ids:
            return self.documented_errors["ORDER_ALREADY_EXISTS"]
        if store:
            self.checkouts.append(body)
            if order_id is not None:
                self._order_ids.add(order_id)
        return Reply(200, {"status": "success", "event_type": "CHECKOUT_EVENT_RECORDED"})


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


# --- Optico ---------------------------------------------------------------------------------


def optico_error(message: str) -> Reply:
    """Optico's error envelope: always HTTP 200 ("Branch on the status field")."""
    return Reply(200, {"status": "error", "message": message})


class FakeOptico(FakeVendor):
    """Optico's customer-cart and customer-order endpoints (upserts by id)."""

    name = "optico"
    documented_errors = {
        "invalid_key": optico_error("Invalid API key"),
        "missing_parameter": optico_error("Missing required parameter"),
        "invalid_products": optico_error("Invalid products format"),
        "unknown_visit": optico_error("Unknown visit_id"),
        "server_error": Reply(503, b"Service Unavailable", (("Content-Type", "text/plain"),)),
    }
    _REQUIRED = {
        "/api/customer-cart": ("key", "id", "currency", "visit_id", "products", "is_logged_in"),
        "/api/customer-order": (
            "key",
            "id",
            "cart_id",
            "currency",
            "visit_id",
            "products",
            "status",
        ),
    }

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.visits: set[str] = set()
        #: The stored carts and orders by id: upserted, as Optico does ("idempotent on your id").
        self.carts: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}

    def add_visit(self, visit_id: str) -> None:
        """A visit the Optico tracking service knows (others get Unknown visit_id)."""
        self.visits.add(visit_id)

    def handle(self, request: Received, *, store: bool) -> Reply:
        required = self._REQUIRED.get(request.path)
        if request.method != "POST" or required is None:
            request.problems.append("not POST /api/customer-cart or /api/customer-order")
            return Reply(404, b"Not Found", (("Content-Type", "text/html"),))
        # "Content-Type application/x-www-form-urlencoded"
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            request.problems.append(f"Content-Type is {content_type!r}")
        form = unfold_form(request.body.decode("utf-8", "replace"))
        request.form = form
        if form.get("key") != self.key:
            if not form.get("key"):
                request.problems.append("key is missing")
            return self.documented_errors["invalid_key"]
        missing = [name for name in required if form.get(name) in (None, "", [], {})]
        if missing:
            request.problems.append(f"missing required parameters: {', '.join(missing)}")
            return self.documented_errors["missing_parameter"]
        products = form["products"]
        if not isinstance(products, list) or not self._products_valid(request, products):
            return self.documented_errors["invalid_products"]
        # "currency: ISO 4217 currency code"
        if not is_currency_code(form["currency"]):
            request.problems.append(f"currency {form['currency']!r} is not ISO 4217")
            return self.documented_errors["missing_parameter"]
        # "is_logged_in: integer, 1 if the buyer is authenticated, 0 otherwise."
        if "is_logged_in" in required and form["is_logged_in"] not in ("0", "1"):
            request.problems.append(f"is_logged_in is {form['is_logged_in']!r}, not 1 or 0")
            return self.documented_errors["missing_parameter"]
        unexpected = set(form) - set(required) - {"call_id", "agent"}
        if unexpected:
            request.problems.append(f"parameters the document does not define: {unexpected}")
        if form["visit_id"] not in self.visits:
            return self.documented_errors["unknown_visit"]
        if store:
            records = self.carts if request.path == "/api/customer-cart" else self.orders
            records[form["id"]] = form
        return Reply(200, {"status": "success"})

    @staticmethod
    def _products_valid(request: Received, products: list[Any]) -> bool:
        for index, product in enumerate(products):
            where = f"products[{index}]"
            if not isinstance(product, dict):
                request.problems.append(f"{where} is not an object")
                continue
            # id: mixed, name: string, quantity: integer, price: float; details: optional.
            for name, pattern in (
                ("id", None),
                ("name", None),
                ("quantity", _INTEGER),
                ("price", _FLOAT),
            ):
                value = product.get(name)
                if not isinstance(value, str) or not value:
                    request.problems.append(f"{where}[{name}] is missing")
                elif pattern is not None and not pattern.fullmatch(value):
                    request.problems.append(f"{where}[{name}] is {value!r}")
            if "quantity" in product and _INTEGER.fullmatch(str(product["quantity"])):
                if int(product["quantity"]) < 1:
                    request.problems.append(f"{where}[quantity] is {product['quantity']}")
            unexpected = set(product) - {"id", "name", "quantity", "price", "details"}
            if unexpected:
                request.problems.append(
                    f"{where} has fields the document does not define: {unexpected}"
                )
        return not request.problems


# --- PA -------------------------------------------------------------------------------------


def pa_validation_error(errors: dict[str, list[str]]) -> Reply:
    """PA's 400 answer, shaped as the document's example."""
    return Reply(
        400,
        {
            "errors": errors,
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "traceId": "00-fake-trace-00",
        },
        (("Content-Type", "application/problem+json"),),
    )


class FakePa(FakeVendor):
    """PA's purchases endpoint and the Price Beat mark-as-used call."""

    name = "pa"
    documented_errors = {
        "validation": pa_validation_error(
            {"events[0].Products[0].RefId": ["'Product Ref Id' must not be empty."]}
        ),
        "unauthorized": Reply(401, b"", (("WWW-Authenticate", "Bearer"),)),
        "server_error": Reply(500, {"title": "An error occurred while processing your request."}),
    }

    def __init__(self, access_token: str, client_id: str) -> None:
        super().__init__()
        self.access_token = access_token
        self.client_id = client_id
        self.purchases: list[dict[str, Any]] = []
        #: Price Beat codes marked as used, in order.
        self.marked: list[str] = []
        self._codes: set[str] = set()

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method == "POST" and request.path == "/3.0/events/purchases":
            return self._purchase(request, store)
        if request.method == "GET" and request.path == "/b2b/coupon/mark_as_used":
            return self._mark_as_used(request, store)
        request.problems.append("not POST /3.0/events/purchases or GET /b2b/coupon/mark_as_used")
        return Reply(404, b"")

    def _purchase(self, request: Received, store: bool) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            request.problems.append("Authorization is not Bearer <the access token>")
            return self.documented_errors["unauthorized"]
        body = self.read_json(request)
        errors: dict[str, list[str]] = {}
        self._check(body, errors)
        for name, messages in errors.items():
            request.problems.extend(f"{name}: {message}" for message in messages)
        if errors:
            return pa_validation_error(errors)
        if store:
            self.purchases.append(body)
            self._codes.update(
                entry["Code"]
                for event in body["events"]
                for entry in event.get("PriceBeatPromotionCodes", [])
            )
        return Reply(202, {"transactionId": str(uuid.uuid4()), "status": "Accepted"})

    @staticmethod
    def _check(body: Any, errors: dict[str, list[str]]) -> None:
        def fail(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        if not isinstance(body, dict):
            fail("$", "The JSON value could not be converted.")
            return
        # customerId: GUID, sessionId: GUID (from the Config API).
        for name in ("customerId", "sessionId"):
            if not isinstance(body.get(name), str) or not _GUID.fullmatch(body[name]):
                fail(name, f"'{name}' must be a GUID.")
        events = body.get("events")
        if not isinstance(events, list) or not events:
            fail("events", "'Events' must not be empty.")
            return
        for index, event in enumerate(events):
            where = f"events[{index}]"
            if not isinstance(event, dict):
                fail(where, "The JSON value could not be converted.")
                continue
            # eventTime: dateTime, "UTC timestamp of when the purchase occurred".
            moment = event.get("eventTime")
            if not isinstance(moment, str) or not moment.endswith("Z"):
                fail(f"{where}.EventTime", "'Event Time' must be a UTC timestamp.")
            else:
                try:
                    datetime.fromisoformat(moment.replace("Z", "+00:00"))
                except ValueError:
                    fail(f"{where}.EventTime", "'Event Time' is not a date.")
            if not _is_text(event.get("orderNumber")):
                fail(f"{where}.OrderNumber", "'Order Number' must not be empty.")
            for name in ("subTotal", "totalPrice", "deliveryFee", "taxAmount"):
                if name in event and (not is_number(event[name]) or event[name] < 0):
                    fail(f"{where}.{name[0].upper()}{name[1:]}", f"'{name}' must be a decimal.")
            for name in ("subTotal", "totalPrice", "currencyCode"):
                if name not in event:
                    fail(f"{where}.{name[0].upper()}{name[1:]}", f"'{name}' must not be empty.")
            # currencyCode: "3-letter ISO currency code"
            if "currencyCode" in event and not is_currency_code(event["currencyCode"]):
                fail(f"{where}.CurrencyCode", "'Currency Code' must be a 3-letter ISO code.")
            if "currentUrl" in event and not (
                isinstance(event["currentUrl"], str) and event["currentUrl"].startswith("http")
            ):
                fail(f"{where}.CurrentUrl", "'Current Url' must be a URL.")
            products = event.get("products")
            # "At least one product's information is required."
            if not isinstance(products, list) or not products:
                fail(f"{where}.Products", "'Products' must not be empty.")
                products = []
            for number, product in enumerate(products):
                place = f"{where}.Products[{number}]"
                if not isinstance(product, dict):
                    fail(place, "The JSON value could not be converted.")
                    continue
                if not _is_text(product.get("refId")):
                    fail(f"{place}.RefId", "'Product Ref Id' must not be empty.")
                quantity = product.get("quantity")
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                    fail(f"{place}.Quantity", "'Quantity' must be a positive integer.")
                for name in ("unitPrice", "totalPrice"):
                    if not is_number(product.get(name)):
                        fail(f"{place}.{name[0].upper()}{name[1:]}", f"'{name}' must be a decimal.")
                if (
                    isinstance(quantity, int)
                    and is_number(product.get("unitPrice"))
                    and is_number(product.get("totalPrice"))
                    and product["totalPrice"] != product["unitPrice"] * quantity
                ):
                    fail(f"{place}.TotalPrice", "'Total Price' must be quantity x unit price.")
                if "isOnSale" in product and not isinstance(product["isOnSale"], bool):
                    fail(f"{place}.IsOnSale", "'Is On Sale' must be a boolean.")
                if "discount" in product and not is_number(product["discount"]):
                    fail(f"{place}.Discount", "'Discount' must be a decimal.")
                if "couponCode" in product and not isinstance(product["couponCode"], str):
                    fail(f"{place}.CouponCode", "'Coupon Code' must be a string.")
            codes = event.get("PriceBeatPromotionCodes", [])
            if not isinstance(codes, list):
                fail(f"{where}.PriceBeatPromotionCodes", "must be an array.")
                codes = []
            for number, code in enumerate(codes):
                place = f"{where}.PriceBeatPromotionCodes[{number}]"
                if not isinstance(code, dict) or not _is_text(code.get("Code")):
                    fail(f"{place}.Code", "'Code' must not be empty.")
                elif not is_number(code.get("Value")):
                    fail(f"{place}.Value", "'Value' must be a number.")

    def _mark_as_used(self, request: Received, store: bool) -> Reply:
        code = request.query.get("code", [""])[0]
        client = request.query.get("client", [""])[0]
        if not code or not client:
            request.problems.append("code or client is missing")
            return Reply(400, {"message": "code and client are required"})
        if client != self.client_id:
            request.problems.append(f"client {client!r} is not the shop's client website id")
            return Reply(404, {"message": "Unknown client"})
        # "After recording a purchase with Price Beat promotion codes, ... mark the coupon".
        if code not in self._codes:
            request.problems.append(f"code {code!r} marked before a purchase carrying it")
        if store:
            self.marked.append(code)
        return Reply(200, {"success": True})


# --- sample events, with the ids and keys the fakes are told to know -------------------------

COMPANY_KEY = "gleen"
OPTICO_KEY = "b7e2c8a14f9d3650a1e7c4d8b2f6a395e"
PA_TOKEN = "pa-access-token-0123"
PA_CLIENT = "eab34b0a-47ed-ec11-aae9-02dca44cceec"
VISITOR = VisitorIds(
    oct8ne_session="oct8ne-session-1",
    oct8ne_visitor="3847",
    octocom_session="0b6f8a52-3c1e-4f7a-9d2b-8e4c5a1f7b3d",
    alhena_fingerprint="550e8400-e29b-41d4-a716-446655440000",
    alhena_faq_fingerprint="660e8400-e29b-41d4-a716-446655441111",
    optico_visit="3617898c651df0f8617f70a0",
    pa_customer="1c7e5f0a-2b3d-4e6f-8a9b-0c1d2e3f4a5b",
    pa_session="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
)
WHEN = datetime(2026, 3, 1, 14, 0, 0, 250000, tzinfo=UTC)


def line(product_id: str, quantity: int, price: str = "9.99", **fields: Any) -> EventLine:
    """A line of `quantity` units of "Product <id>" at `price`."""
    return EventLine(
        product_id=product_id,
        name=f"Product {product_id}",
        quantity=quantity,
        unit_price=Decimal(price),
        **fields,
    )


def cart(*lines: EventLine, **fields: Any) -> CartUpdated:
    """A snapshot of cart-1 of VISITOR with these lines."""
    total = sum((item.total for item in lines), Decimal(0))
    values: dict[str, Any] = {
        "cart_id": "cart-1",
        "currency": "USD",
        "lines": lines,
        "subtotal": total,
        "total": total,
        "occurred_at": WHEN,
        "visitor": VISITOR,
    }
    values.update(fields)
    return CartUpdated(**values)


def order(**fields: Any) -> OrderPlaced:
    """Order ORD-7890 of VISITOR: the purchase of Octocom's example, 99.99 USD."""
    values: dict[str, Any] = {
        "order_id": "ORD-7890",
        "cart_id": "cart-1",
        "currency": "USD",
        "lines": (
            line("product-123", 2, "19.99"),
            line("product-456", 1, "60.01", variant_id="variant-789"),
        ),
        "subtotal": Decimal("99.99"),
        "total": Decimal("99.99"),
        "status": "Completed",
        "occurred_at": WHEN,
        "visitor": VISITOR,
        "customer_id": "customer-1",
        "page_url": "https://shop.example/checkout/success",
    }
    values.update(fields)
    return OrderPlaced(**values)


@dataclass
class Vendors:
    """All five fakes, knowing VISITOR and the keys above."""

    oct8ne: FakeOct8ne
    octocom: FakeOctocom
    alhena: FakeAlhena
    optico: FakeOptico
    pa: FakePa

    def __iter__(self) -> Iterator[FakeVendor]:
        return iter((self.oct8ne, self.octocom, self.alhena, self.optico, self.pa))

    def sink_options(self, *vendors: str) -> dict[str, dict[str, Any]]:
        """OCT8NE_EVENT_SINKS pointing at the fakes (all five, or those named)."""
        options: dict[str, dict[str, Any]] = {
            "oct8ne": {"base_url": self.oct8ne.base_url},
            "octocom": {"base_url": self.octocom.base_url},
            "alhena": {"company_key": COMPANY_KEY, "base_url": self.alhena.base_url},
            "optico": {"key": OPTICO_KEY, "base_url": self.optico.base_url},
            "pa": {
                "endpoint": self.pa.base_url,
                "access_token": PA_TOKEN,
                "client_id": PA_CLIENT,
                "base_url": self.pa.base_url,
            },
        }
        return {name: options[name] for name in (vendors or options)}

    @property
    def problems(self) -> list[str]:
        """What any request to any of them did wrong."""
        return [f"{fake.name}: {problem}" for fake in self for problem in fake.problems]


@contextmanager
def running_vendors(*, octocom_requests_per_minute: int | None = 100) -> Iterator[Vendors]:
    """The five fakes, started, knowing VISITOR's ids; stopped afterwards."""
    vendors = Vendors(
        FakeOct8ne(),
        FakeOctocom(requests_per_minute=octocom_requests_per_minute),
        FakeAlhena(COMPANY_KEY),
        FakeOptico(OPTICO_KEY),
        FakePa(PA_TOKEN, PA_CLIENT),
    )
    started: list[FakeVendor] = []
    try:
        for fake in vendors:
            started.append(fake.start())
        vendors.octocom.add_session(VISITOR.octocom_session or "")
        vendors.alhena.add_active_visitor(VISITOR.alhena_fingerprint or "")
        vendors.optico.add_visit(VISITOR.optico_visit or "")
        yield vendors
    finally:
        for fake in started:
            fake.stop()
