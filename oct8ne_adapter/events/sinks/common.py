"""What the vendor sinks share: exact JSON and form encoding, payload checks, options, verdicts."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from babel.numbers import is_currency

from oct8ne_adapter.errors import EventSinkConfigError
from oct8ne_adapter.events.sinks.base import InvalidPayload, Outcome, Verdict

#: ISO 4217 codes that name no money (testing, "no currency"): no vendor can book them.
_NOT_MONEY = frozenset({"XXX", "XTS"})
_CURRENCY = re.compile(r"[A-Z]{3}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: Statuses worth another attempt: timeouts, throttling and the server's own failures.
_TRANSIENT = frozenset({408, 425, 429})
#: Retry-After as delta-seconds: ASCII digits (RFC 9110 section 10.2.3).
_DELTA_SECONDS = re.compile(r"[0-9]+")
#: The longest Retry-After we honour (a day): a larger one is a vendor's mistake, not a plan.
MAX_RETRY_AFTER_SECONDS = 86_400.0
#: How much of a vendor's answer a reason quotes.
REASON_LENGTH = 300


# --- encoding -----------------------------------------------------------------------------


def json_body(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON in which Decimal amounts are written exactly (99.99, not 99.98999...)."""
    return "".join(_json_parts(payload)).encode()


def _json_parts(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            if index:
                yield ","
            yield json.dumps(str(key), ensure_ascii=False)
            yield ":"
            yield from _json_parts(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _json_parts(item)
        yield "]"
    elif isinstance(value, Decimal):
        yield decimal_text(value)
    elif value is None or isinstance(value, bool | int | str):
        yield json.dumps(value, ensure_ascii=False)
    elif isinstance(value, float) and math.isfinite(value):
        yield json.dumps(value)
    else:
        raise InvalidPayload(f"cannot send a {type(value).__name__} in a vendor's JSON")


def decimal_text(value: Decimal) -> str:
    """A finite Decimal as a plain number, without exponent: Decimal('1E+2') -> '100'."""
    if not value.is_finite():
        raise InvalidPayload(f"amount {value} is not a number")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def form_body(fields: Sequence[tuple[str, Any]]) -> bytes:
    """application/x-www-form-urlencoded, with nested mappings and lists in PHP's bracket style.

    `("products", [{"id": "1", "details": {"size": "M"}}])` becomes
    `products[0][id]=1&products[0][details][size]=M`, as PHP's http_build_query writes it
    (brackets percent-encoded, True/False as 1/0, None left out).
    """
    pairs: list[str] = []
    for name, value in fields:
        for key, text in _form_pairs(name, value):
            pairs.append(f"{quote(key, safe='')}={quote(text, safe='')}")
    return "&".join(pairs).encode("ascii")


def _form_pairs(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _form_pairs(f"{prefix}[{key}]", item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _form_pairs(f"{prefix}[{index}]", item)
    elif isinstance(value, bool):
        yield prefix, "1" if value else "0"
    elif isinstance(value, Decimal):
        yield prefix, decimal_text(value)
    elif isinstance(value, int | str):
        yield prefix, str(value)
    elif isinstance(value, float) and math.isfinite(value):
        yield prefix, repr(value)
    else:
        raise InvalidPayload(f"{prefix}: cannot send a {type(value).__name__}")


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z (`1970-01-01T14:00:00.000Z`); naive means UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{aware.microsecond // 1000:03d}Z"
    )


# --- payload checks -----------------------------------------------------------------------


def require_text(value: str | None, what: str) -> str:
    """The value without surrounding blanks; InvalidPayload when there is none."""
    text = (value or "").strip()
    if not text:
        raise InvalidPayload(f"{what} is missing")
    return text


def require_uuid(value: str | None, what: str) -> str:
    """A UUID as the vendor issued it; InvalidPayload when missing or not a UUID."""
    text = require_text(value, what)
    if not _UUID.fullmatch(text):
        raise InvalidPayload(f"{what} {text[:60]!r} is not a UUID")
    return text


def require_currency(code: str) -> str:
    """An upper-case ISO 4217 code of real money; InvalidPayload otherwise."""
    if not (_CURRENCY.fullmatch(code) and is_currency(code)) or code in _NOT_MONEY:
        raise InvalidPayload(f"currency {code[:20]!r} is not an ISO 4217 code")
    return code


def require_amount(value: Decimal, what: str, *, positive: bool = False) -> Decimal:
    """A finite amount, not negative (or strictly positive); InvalidPayload otherwise."""
    if not value.is_finite():
        raise InvalidPayload(f"{what} {value} is not a number")
    if positive and value <= 0:
        raise InvalidPayload(f"{what} must be positive, not {decimal_text(value)}")
    if value < 0:
        raise InvalidPayload(f"{what} must not be negative, not {decimal_text(value)}")
    return value


def require_quantity(value: int, what: str) -> int:
    """A whole quantity of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidPayload(f"{what} must be a whole number of at least 1, not {value!r}")
    return value


# --- options ------------------------------------------------------------------------------


class SinkOptions:
    """One vendor's options; an unknown or wrongly typed option is a configuration error."""

    def __init__(self, vendor: str, options: Mapping[str, Any], known: Sequence[str]) -> None:
        if not isinstance(options, Mapping):
            raise EventSinkConfigError(
                f"event_sinks.{vendor} must be a table of options, not {type(options).__name__}"
            )
        unknown = sorted(set(options) - set(known) - {"base_url"})
        if unknown:
            raise EventSinkConfigError(
                f"event_sinks.{vendor}: unknown option {unknown[0]!r} "
                f"(known: {', '.join(sorted({*known, 'base_url'}))})"
            )
        self.vendor = vendor
        self._options = options

    def text(self, name: str, default: str | None = None) -> str:
        """A non-empty string option; `default` when absent (required when there is none)."""
        value = self._options.get(name)
        if value is None:
            if default is None:
                raise EventSinkConfigError(f"event_sinks.{self.vendor}.{name} is required")
            return default
        if not isinstance(value, str) or not value.strip():
            raise EventSinkConfigError(
                f"event_sinks.{self.vendor}.{name} must be a non-empty string"
            )
        return value.strip()

    def optional_text(self, name: str) -> str | None:
        """A non-empty string option, or None when absent."""
        return self.text(name) if self._options.get(name) is not None else None

    def choice(self, name: str, choices: Sequence[str], default: str) -> str:
        """One of `choices` (case-insensitive)."""
        value = self.text(name, default).lower()
        if value not in choices:
            raise EventSinkConfigError(
                f"event_sinks.{self.vendor}.{name} must be one of {', '.join(choices)}, "
                f"not {value!r}"
            )
        return value

    def url(self, name: str, default: str | None = None) -> str:
        """An http(s) base URL without a trailing slash."""
        value = self.text(name, default)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise EventSinkConfigError(
                f"event_sinks.{self.vendor}.{name} must be an http(s) URL, not {value!r}"
            )
        return value.rstrip("/")

    def base_url(self, default: str) -> str:
        """The vendor's host, or the `base_url` option that overrides it (tests, proxies)."""
        return self.url("base_url", default)


# --- verdicts -----------------------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever the case of its name in this mapping."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Retry-After in seconds, at most a day; None if absent or unreadable. Never raises.

    The value is delta-seconds (ASCII digits only: `str.isdigit` also takes "²", which float()
    refuses) or an HTTP date, compared with `now` (naive means UTC; default: the current time).
    A huge number or a far date is capped instead of overflowing a timedelta, a past date is 0.
    The relay caps the wait again at its own `backoff_max` (events/policy.py).
    """
    value = (header(headers, "Retry-After") or "").strip()
    if not value:
        return None
    if _DELTA_SECONDS.fullmatch(value):
        # float() of any run of digits is a number or inf, never an error: min() caps both.
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        # OverflowError: a year or zone offset too large for C ("31 Dec 99999999999999999999").
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delay = (when - moment).total_seconds()
    return min(max(delay, 0.0), MAX_RETRY_AFTER_SECONDS)


def answer_text(body: bytes) -> str:
    """The start of an answer's body on one line, for a reason."""
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:REASON_LENGTH]


def json_answer(body: bytes) -> Any:
    """The decoded JSON body, or None when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def http_verdict(vendor: str, status: int, headers: Mapping[str, str], body: bytes) -> Verdict:
    """The generic reading of a status: 2xx delivered, timeouts/429/5xx retried, other refused."""
    if 200 <= status < 300:
        return Verdict(Outcome.DELIVERED)
    detail = answer_text(body)
    reason = f"{vendor} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status in _TRANSIENT or status >= 500:
        return Verdict(Outcome.RETRY, reason, retry_after_seconds(headers))
    return Verdict(Outcome.REJECTED, reason)
