"""JSON and JSONP rendering, and validation of the JSONP callback name."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from oct8ne_adapter.errors import AdapterError, InvalidCallback, error_payload, error_retry_after
from oct8ne_adapter.javascript import JAVASCRIPT_NAME, MAX_NAME_LENGTH as MAX_CALLBACK_LENGTH

JsonValue = Any


def validate_callback(raw: str | None) -> str | None:
    """The callback name if present and safe; raises InvalidCallback (never echoing it)."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_CALLBACK_LENGTH:
        raise InvalidCallback(
            f"callback must be at most {MAX_CALLBACK_LENGTH} characters of a JavaScript name"
        )
    if not JAVASCRIPT_NAME.fullmatch(raw):
        raise InvalidCallback("callback must be a JavaScript identifier such as myFunc or a.b")
    return raw


def encode_json(payload: JsonValue) -> bytes:
    """Compact UTF-8 JSON, with U+2028/U+2029 escaped so the text is also valid JavaScript."""
    body = orjson.dumps(payload)
    return body.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


@dataclass(frozen=True, slots=True)
class EncodedJson:
    """An answer encoded once by `encode_json`, rendered as it is (see `AnswerCache`)."""

    body: bytes


#: The headers every answer carries.
NOSNIFF = (("X-Content-Type-Options", "nosniff"),)


def render(
    payload: JsonValue,
    callback: str | None,
    status: int = 200,
    headers: Sequence[tuple[str, str]] = NOSNIFF,
) -> Response:
    """JSONP when a callback was given, plain JSON otherwise; `headers` must include NOSNIFF's."""
    body = payload.body if isinstance(payload, EncodedJson) else encode_json(payload)
    # Headers given whole to the constructor: setting them one by one cost more (each set
    # searches the ones already there).
    if callback is None:
        return Response(body, status=status, headers=headers, mimetype="application/json")
    # `/**/` stops a response from being read as a Flash or other sniffed payload.
    script = b"/**/" + callback.encode("ascii") + b"(" + body + b");"
    return Response(script, status=status, headers=headers, mimetype="application/javascript")


def render_error(
    payload: dict[str, JsonValue],
    callback: str | None,
    status: int,
    retry_after: int | None = None,
    headers: Sequence[tuple[str, str]] = NOSNIFF,
) -> Response:
    """An error answer: its honest status as JSON; as JSONP, 200 with the error inside.

    A browser runs no script served with a non-2xx status: the `<script>` tag fires `onerror`
    and the widget's callback never runs, so the widget would wait forever. A limit's wait is
    `retryAfter` in the body, and the `Retry-After` header of a 429 (the same number).
    """
    if retry_after is not None:
        payload = {**payload, "retryAfter": retry_after}
    if callback is not None:
        return render(payload, callback, 200, headers)
    response = render(payload, None, status, headers)
    if retry_after is not None and status == 429:
        response.headers["Retry-After"] = str(retry_after)
    return response


def answer_errors_as_json(blueprint: Blueprint, realm: str) -> None:
    """Answer a Bearer-protected blueprint's errors as JSON; a 401 names its `realm`."""
    log = logging.getLogger(blueprint.import_name)

    @blueprint.errorhandler(AdapterError)
    def adapter_error(error: AdapterError) -> Response:
        payload, status = error_payload(error)
        if status >= 500:
            log.warning("oct8ne %s: %s", request.path, error.message, exc_info=error.__cause__)
        response = render_error(payload, None, status, error_retry_after(error))
        if status == 401:
            response.headers["WWW-Authenticate"] = f'Bearer realm="{realm}"'
        return response

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        # Werkzeug's own (405, 413 ...) would be HTML.
        response = render({"error": "http_error", "message": error.name}, None, error.code or 500)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
