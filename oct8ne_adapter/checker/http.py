"""The checker's HTTP side: one GET per frame call, with a timeout, decoded as JSON or JSONP."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from oct8ne_adapter.checker.results import CheckerError, Fault, Level

#: Query parameters whose values are secrets: never shown in a report.
SECRET_PARAMS = frozenset({"apitoken"})
#: The most of a body the checker reads: no 2.4 answer of a page of results comes near it, and
#: a hostile or broken adapter cannot make the checker hold gigabytes.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: After this many timeouts of one method, further calls to it are not sent (bounded run time).
TIMEOUTS_PER_METHOD = 2
USER_AGENT = "oct8ne-adapter-check"

#: Characters shown as they are in a reported request; the rest is percent-encoded.
_SHOWN = ",:/@()<>;'!*$"

Params = Sequence[tuple[str, str]] | Mapping[str, str]


class InvalidBaseUrl(CheckerError):
    """BASE_URL is not an http(s) URL of an adapter."""


class NetworkError(Fault):
    """The call got no HTTP answer: refused, unreachable, timed out, or not sent."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message, level=Level.PROTOCOL, key=("network", key))


def frame_base(url: str) -> str:
    """The frame base (`.../oct8ne/frame`) for a frame base or a shop root URL."""
    parsed = urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidBaseUrl(f"BASE_URL must be an http(s) URL with a host, not {url!r}")
    if parsed.query or parsed.fragment:
        raise InvalidBaseUrl("BASE_URL must not carry a query or a fragment")
    path = parsed.path.rstrip("/")
    if path.lower().endswith("/oct8ne"):
        path += "/frame"
    elif not path.lower().endswith("/oct8ne/frame"):
        path += "/oct8ne/frame"
    return urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def describe(method: str, params: Params = ()) -> str:
    """`method?a=1&b=2` as a reader would type it, with secrets masked."""
    shown = [
        f"{name}={'***' if name.lower() in SECRET_PARAMS else quote(value, safe=_SHOWN)}"
        for name, value in _pairs(params)
    ]
    return method + ("?" + "&".join(shown) if shown else "")


def shorten(value: object, limit: int = 80) -> str:
    """A value as it appears in a reason: repr-like, cut to `limit` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer of the adapter."""

    request: str
    status: int
    content_type: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        """A header's value, or "" when absent."""
        return self.headers.get(name.lower(), "")

    @property
    def method(self) -> str:
        """The frame method asked, lower-cased (faults of one method share a cause)."""
        return self.request.split("?", 1)[0].lower()

    def json(self) -> Any:
        """The body as JSON whatever its Content-Type, or a Fault saying what it is instead."""
        if self.body.startswith(b"\xef\xbb\xbf"):
            # Common in PHP modules (a source file saved with a BOM); JSON.parse refuses it.
            raise Fault(
                f"{self.request}: the body starts with a UTF-8 byte order mark", key=("bom",)
            )
        if not self.body.strip():
            raise Fault(
                f"{self.request}: HTTP {self.status} with an empty body (is {self.method} "
                "implemented?)",
                key=("empty body", self.method),
            )
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fault(
                f"{self.request}: HTTP {self.status}, the body is not JSON: {shorten(self.text)}",
                key=("not json", self.method, self.status),
            ) from None

    def expect_status(self, status: int = 200) -> None:
        """A Fault unless the answer has this status."""
        if self.status != status:
            if not self.body.strip():
                self.json()  # names the empty body, the likelier cause
            raise Fault(
                f"{self.request}: HTTP {self.status}{self._error_hint()}",
                key=("status", self.method, self.status),
            )

    def _error_hint(self) -> str:
        if self.status == 429:
            retry = self.header("retry-after")
            return f" (rate-limited{f', Retry-After {retry} s' if retry else ''})"
        return f": {shorten(self.text)}" if self.body else " with an empty body"


@dataclass
class AdapterClient:
    """GETs frame methods of one adapter; every call has the timeout."""

    base_url: str
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)
    requests_sent: int = 0
    _timeouts: Counter[str] = field(default_factory=Counter)

    def get(self, method: str, params: Params = ()) -> Answer:
        """GET `<base>/<method>?params`; NetworkError when no HTTP answer comes back."""
        request = describe(method, params)
        key = method.lower()
        if self._timeouts[key] >= TIMEOUTS_PER_METHOD:
            raise NetworkError(
                f"{request}: not sent, {method} timed out {TIMEOUTS_PER_METHOD} times already",
                key=f"timeout {key}",
            )
        self.requests_sent += 1
        started = time.monotonic()
        try:
            # Redirects are not followed: a redirect to another host would send the apiToken
            # there and quote a stranger's body in the report; the widget's URL is the adapter's.
            with self.session.get(
                f"{self.base_url}/{method}",
                params=_pairs(params),
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*"},
                allow_redirects=False,
                stream=True,
            ) as response:
                body = _read_capped(response, request, started + self.timeout * 3)
        except requests.Timeout:
            self._timeouts[key] += 1
            waited = time.monotonic() - started
            raise NetworkError(
                f"{request}: timed out after {waited:.1f} s (--timeout {self.timeout:g})",
                key=f"timeout {key}",
            ) from None
        except requests.RequestException as error:
            reason = _network_reason(error)
            raise NetworkError(f"{request}: {reason}", key=reason) from None
        if response.is_redirect:
            raise Fault(
                f"{request}: HTTP {response.status_code} redirect to "
                f"{_redirect_target(response)[:100]}, not followed: the adapter must "
                "answer at the URL oct8ne calls",
                key=("redirect", response.status_code),
            )
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return Answer(
            request=request,
            status=response.status_code,
            content_type=media_type,
            headers={name.lower(): value for name, value in response.headers.items()},
            body=body,
        )

    def close(self) -> None:
        """Close the connections."""
        self.session.close()


def _read_capped(response: requests.Response, request: str, deadline: float) -> bytes:
    """The body, at most MAX_BODY_BYTES, read before `deadline` (a slow drip is a timeout)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Fault(
                f"{request}: the body is over {MAX_BODY_BYTES // 1024 // 1024} MiB, not read "
                "further (a page of results is a few kB)",
                key=("body too large", request.split("?")[0].lower()),
            )
        if time.monotonic() > deadline:
            raise requests.Timeout("the body was still arriving")
        chunks.append(chunk)
    return b"".join(chunks)


def _redirect_target(response: requests.Response) -> str:
    """Where a redirect points, without its query (which may carry the apiToken)."""
    location = response.headers.get("Location", "")
    return urlunsplit(urlsplit(location)._replace(query="", fragment="")) or "(no Location)"


def _network_reason(error: requests.RequestException) -> str:
    """A one-line reason: the innermost cause of a requests error, without object reprs."""
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        for pattern, reason in _CONNECTION_REASONS:
            if re.search(pattern, text, re.IGNORECASE):
                return reason
        return "connection failed"
    return f"{type(error).__name__}: {shorten(str(error), 120)}"


_CONNECTION_REASONS = (
    (r"refused", "connection refused (is the adapter running at this address?)"),
    (r"Name or service not known|nodename nor servname|getaddrinfo", "host name not found"),
    (r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate", "TLS certificate not trusted"),
    (r"reset by peer|RemoteDisconnected|aborted", "connection closed without an answer"),
    (r"timed out", "connection timed out"),
    (r"unreachable", "network unreachable"),
)


JSONP_CONTENT_TYPES = frozenset({"application/javascript", "text/javascript"})


@dataclass(frozen=True, slots=True)
class Jsonp:
    """A JSONP answer taken apart."""

    payload: Any
    commented: bool  # starts with `/**/`


def parse_jsonp(answer: Answer, callback: str) -> Jsonp:
    """`/**/cb(<json>);` -> its payload; a Fault when the body is not a call of `callback`."""
    if not answer.body.strip():
        answer.json()  # the empty-body fault, shared with the method's plain JSON call
    text = answer.text.strip()
    commented = text.startswith("/**/")
    if commented:
        text = text[4:].lstrip()
    if not text.startswith(callback + "("):
        raise Fault(
            f"{answer.request}: the body is not a call of {callback}: {shorten(text)}",
            key=("jsonp not a call", answer.method),
        )
    inner = text[len(callback) + 1 :].rstrip()
    inner = inner[:-1].rstrip() if inner.endswith(";") else inner
    if not inner.endswith(")"):
        raise Fault(
            f"{answer.request}: the call of {callback} is not closed: {shorten(text)}",
            key=("jsonp not closed", answer.method),
        )
    try:
        payload = json.loads(inner[:-1])
    except ValueError:
        raise Fault(
            f"{answer.request}: the argument of {callback}(...) is not JSON: {shorten(inner)}",
            key=("jsonp not json", answer.method),
        ) from None
    return Jsonp(payload=payload, commented=commented)
