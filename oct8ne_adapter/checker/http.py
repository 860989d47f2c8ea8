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

from oct8ne_adapter.checker.results import CheckerError, Fault

#: Query parameters whose values are secrets: never shown in a report.
SECRET_PARAMS = frozenset({"apitoken"})
#: After this many timeouts of one method, further calls to it are not sent (bounded run time).
TIMEOUTS_PER_METHOD = 2
USER_AGENT = "oct8ne-adapter-check"

#: Characters shown as they are in a reported request; the rest is percent-encoded.
_SHOWN = ",:/@()<>;'!*$"

Params = Sequence[tuple[str, str]] | Mapping[str, str]


class InvalidBaseUrl(CheckerError):
    """BASE_URL is not an http(s) URL of an adapter."""


class NetworkError(CheckerError):
    """The call got no HTTP answer: refused, unreachable, timed out, or not sent."""


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

    def json(self) -> Any:
        """The body as JSON, or a Fault saying what it is instead."""
        if self.body.startswith(b"\xef\xbb\xbf"):
            # Common in PHP modules (a source file saved with a BOM); JSON.parse refuses it.
            raise Fault(f"{self.request}: the body starts with a UTF-8 byte order mark")
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fault(f"{self.request}: the body is not JSON: {shorten(self.text)}") from None

    def expect_json(self, *, status: int = 200) -> Any:
        """The JSON payload of a plain (callback-less) answer, checked for status and type."""
        self.expect_status(status)
        if self.content_type != "application/json":
            raise Fault(
                f"{self.request}: Content-Type {self.content_type or '(none)'!r}, "
                "not 'application/json'"
            )
        return self.json()

    def expect_status(self, status: int = 200) -> None:
        """A Fault unless the answer has this status."""
        if self.status != status:
            raise Fault(f"{self.request}: HTTP {self.status}{self._error_hint()}")

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
                f"{request}: not sent, {method} timed out {TIMEOUTS_PER_METHOD} times already"
            )
        self.requests_sent += 1
        started = time.monotonic()
        try:
            response = self.session.get(
                f"{self.base_url}/{method}",
                params=_pairs(params),
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*"},
            )
            body = response.content
        except requests.Timeout:
            self._timeouts[key] += 1
            waited = time.monotonic() - started
            raise NetworkError(
                f"{request}: timed out after {waited:.1f} s (--timeout {self.timeout:g})"
            ) from None
        except requests.RequestException as error:
            raise NetworkError(f"{request}: {_network_reason(error)}") from None
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


def _network_reason(error: requests.RequestException) -> str:
    """A one-line reason: the innermost cause of a requests error, without object reprs."""
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        for pattern, reason in _CONNECTION_REASONS:
            if re.search(pattern, text, re.IGNORECASE):
                return reason
        return "connection failed"
    if isinstance(error, requests.TooManyRedirects):
        return "too many redirects"
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
    text = answer.text.strip()
    commented = text.startswith("/**/")
    if commented:
        text = text[4:].lstrip()
    if not text.startswith(callback + "("):
        raise Fault(f"{answer.request}: the body is not a call of {callback}: {shorten(text)}")
    inner = text[len(callback) + 1 :].rstrip()
    inner = inner[:-1].rstrip() if inner.endswith(";") else inner
    if not inner.endswith(")"):
        raise Fault(f"{answer.request}: the call of {callback} is not closed: {shorten(text)}")
    try:
        payload = json.loads(inner[:-1])
    except ValueError:
        raise Fault(
            f"{answer.request}: the argument of {callback}(...) is not JSON: {shorten(inner)}"
        ) from None
    return Jsonp(payload=payload, commented=commented)
