"""Errors the adapter raises on purpose, and the one place that turns them into responses.

Every one descends from `Oct8neError`, so a caller (the CLI, a shop's own code) can catch them all
at once; the classes defined elsewhere sit next to the code that raises them and are marked with
their module.

Oct8neError
├── AdapterError                   becomes a JSON error response: error_payload() below
│   ├── BadRequest                 400: the caller sent something we cannot answer
│   │   ├── InvalidCallback        the JSONP callback is not a safe JavaScript name
│   │   ├── InvalidParameter       a parameter is malformed or out of range
│   │   ├── InvalidEvent           a posted event is not valid JSON of its kind
│   │   └── InvalidProducts        a pushed product row is bad (web/catalog_api): nothing written
│   ├── Unauthorized               401: an endpoint's shared secret is missing or wrong
│   ├── Forbidden                  403: an endpoint is switched off (no events/catalog secret)
│   ├── UnknownMethod              404: /oct8ne/frame/<method> names no method
│   ├── UnknownEventKind           404: /oct8ne/events/<kind> names no event kind
│   ├── PayloadTooLarge            413: a posted body is larger than the endpoint allows
│   ├── UnsupportedMediaType       415: a posted event is not declared as JSON
│   ├── TooManyFailures            429: this address failed too many token or secret checks
│   └── DataSourceUnavailable      503: the catalog database cannot be reached
├── ConfigError                    bad configuration; raised at start-up, never per request
│   └── EventSinkConfigError       a vendor sink's options (OCT8NE_EVENT_SINKS) are wrong
├── ImportFailed                   a catalog file was refused; nothing from it was committed
│   └── TooManyProducts            feeds.push: a push holds more than 10,000 products
├── InvalidRecord (ValueError)     feeds.records: a product line breaks the feed format
├── NeedsRebuild                   search.index.snapshot: changes the index cannot apply exactly
├── PlatformError                  a call to the oct8ne platform failed (never a request's answer)
│   ├── PlatformUnreachable        no connection (DNS, refused, TLS verification failed)
│   ├── PlatformTimeout            no answer within the timeout
│   ├── PlatformRejected           oct8ne said no (wrong credentials, 4xx), with its Message
│   ├── PlatformServerError        oct8ne failed (5xx)
│   └── PlatformBadAnswer          an answer that is not what the protocol promises
├── EventsUnavailable (RuntimeError)  events need the adapter's SQL database, and there is none
├── EventFormatError (ValueError)  events.codec: an event payload is malformed
├── InvalidPayload                 events.sinks.base: an event no vendor request can carry
├── VendorAnswerError              events.transport: a vendor's answer broke the relay's bounds
│   ├── AnswerTooSlow              events.transport: not whole within the request's deadline
│   └── AnswerTooLarge             events.transport: a body longer than the cap
├── RelayError                     the commerce event relay cannot run as asked
│   └── RelayBusy                  another worker holds this SQLite database's relay lock
└── CheckerError                   checker.results: `oct8ne-adapter check` cannot go on as asked
    ├── Fault                      checker.results: the adapter answered against the protocol
    ├── NotApplicable              checker.results: the check cannot run with the options given
    ├── InvalidBaseUrl             checker.http: BASE_URL is not an http(s) adapter URL
    └── NetworkError               checker.http: a call got no HTTP answer
"""

from __future__ import annotations

from typing import Any


class Oct8neError(Exception):
    """Root of every error the adapter raises on purpose; the message is one line for a person."""


class AdapterError(Oct8neError):
    """Base of the errors that become a JSON error response."""

    status = 500
    code = "internal_error"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        """`class X(AdapterError, status=404, code="...")`: the answer's HTTP status and code."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(AdapterError, status=400, code="bad_request"):
    """The request cannot be answered as sent."""


class InvalidCallback(BadRequest, code="invalid_callback"):
    """The `callback` parameter is not a safe JavaScript identifier path."""


class InvalidParameter(BadRequest, code="invalid_parameter"):
    """A query parameter is malformed or out of its range."""


class Unauthorized(AdapterError, status=401, code="unauthorized"):
    """The request lacks the right credentials (the events endpoint's shared secret)."""


class Forbidden(AdapterError, status=403, code="forbidden"):
    """The request is understood and will not be served, e.g. a switched-off endpoint."""


class UnknownMethod(AdapterError, status=404, code="unknown_method"):
    """No frame method has this name."""


class InvalidEvent(BadRequest, code="invalid_event"):
    """The body is not a valid event of its kind."""


class InvalidProducts(BadRequest, code="invalid_products"):
    """A pushed product row breaks the JSON Lines format; the message names the row."""


class UnknownEventKind(AdapterError, status=404, code="unknown_event_kind"):
    """The URL names no event kind."""


class PayloadTooLarge(AdapterError, status=413, code="payload_too_large"):
    """The body is larger than any event may be."""


class UnsupportedMediaType(AdapterError, status=415, code="unsupported_media_type"):
    """The body is not declared as JSON."""


class TooManyFailures(AdapterError, status=429, code="rate_limited"):
    """Too many failed token or secret checks from one address; `retry_after` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed authentications: retry in {retry_after} s")
        self.retry_after = retry_after


class DataSourceUnavailable(AdapterError, status=503, code="unavailable"):
    """The repository's backing store cannot be reached right now."""


class ConfigError(Oct8neError):
    """The configuration is invalid; the message says which key and why."""


class EventSinkConfigError(ConfigError):
    """A vendor sink is configured wrongly; the message names the vendor and the option."""


class ImportFailed(Oct8neError):
    """A catalog import was refused; the message names the line and the reason."""


class PlatformError(Oct8neError):
    """A call to the oct8ne platform failed; the message is one line for a person."""


class PlatformUnreachable(PlatformError):
    """The platform could not be reached (name resolution, refused connection, TLS)."""


class PlatformTimeout(PlatformError):
    """The platform did not answer in time."""


class PlatformRejected(PlatformError):
    """The platform refused the request, e.g. wrong credentials."""


class PlatformServerError(PlatformError):
    """The platform answered with a server error."""


class PlatformBadAnswer(PlatformError):
    """The platform's answer was not the JSON the protocol describes."""


class RelayError(Oct8neError):
    """The commerce event relay cannot run as asked; the message says why."""


class RelayBusy(RelayError):
    """Another relay worker holds the lock of this SQLite database."""


class EventsUnavailable(Oct8neError, RuntimeError):
    """Commerce events are recorded in the adapter's SQL database, and this app has none."""


def error_payload(error: AdapterError) -> tuple[dict[str, str], int]:
    """The JSON body and HTTP status for an adapter error: `{"error": code, "message": ...}`."""
    return {"error": error.code, "message": error.message}, error.status


def error_retry_after(error: AdapterError) -> int | None:
    """Seconds the caller should wait before trying again, for the errors that say so."""
    return error.retry_after if isinstance(error, TooManyFailures) else None
