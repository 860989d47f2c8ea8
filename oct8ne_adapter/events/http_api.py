"""`POST /oct8ne/events/<kind>`: shop backends record commerce events over HTTP.

Kinds: `cart-updated`, `order-placed`, `order-status-changed`. The body is the event as JSON
(fields as in `events.codec`), optionally with `visitor_cookie`: the raw value of the visitor's
`oct8ne-visitor-ids` cookie, whose ids fill those the event does not give. Authentication is the
shared secret `events_secret` as `Authorization: Bearer <secret>`, compared in constant time
(with each secret in force during a rollover: `web.bearer`).

Answers (JSON): 202 `{"recorded": true}`, 200 `{"recorded": false, "duplicate": true}` for an
event recorded before; 400 naming the first bad field, 401 without the right secret, 403 when
no secret is configured (the endpoint is off), 404 for an unknown kind, 413 for a body over
256 KB, 415 when the body is not `application/json`, 503 when the database does not answer.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.exceptions import MethodNotAllowed

from oct8ne_adapter.errors import (
    DataSourceUnavailable,
    InvalidEvent,
    PayloadTooLarge,
    UnknownEventKind,
    UnsupportedMediaType,
)
from oct8ne_adapter.events import codec
from oct8ne_adapter.events.visitor_ids import parse_cookie, with_visitor_ids
from oct8ne_adapter.web.bearer import check_bearer
from oct8ne_adapter.web.responses import answer_errors_as_json, render
from oct8ne_adapter.web.state import current_state

events_blueprint = Blueprint("oct8ne_events", __name__)

#: URL name -> event kind.
URL_KINDS = {
    "cart-updated": "cart_updated",
    "order-placed": "order_placed",
    "order-status-changed": "order_status_changed",
}
MAX_BODY_BYTES = 256 * 1024


@events_blueprint.post("/events/<kind>")
def record_event(kind: str) -> Response:
    """Record one event for every configured sink."""
    state = current_state()
    check_bearer(
        request, state.settings.events.secrets, "events_secret", state.auth, "recording events"
    )
    event_kind = URL_KINDS.get(kind)
    if event_kind is None:
        raise UnknownEventKind(
            f"unknown event kind {kind[:40]!r}: use one of {', '.join(URL_KINDS)}"
        )
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the event as application/json")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"an event is at most {MAX_BODY_BYTES // 1024} KB")
    # Read one byte past the limit and no more: a chunked body has no Content-Length to check.
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"an event is at most {MAX_BODY_BYTES // 1024} KB")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidEvent(f"the body is not JSON: {str(error)[:100]}") from None
    if not isinstance(data, dict):
        raise InvalidEvent("the body must be a JSON object")
    cookie = data.pop("visitor_cookie", None)
    if cookie is not None and not isinstance(cookie, str):
        raise InvalidEvent("visitor_cookie must be the cookie's value as a string")
    try:
        event = codec.event_from_json(event_kind, data)
    except codec.EventFormatError as error:
        raise InvalidEvent(str(error)) from None
    if cookie:
        event = with_visitor_ids(event, parse_cookie(cookie))
    if state.events is None:
        raise DataSourceUnavailable("events need the adapter's SQL database")
    if state.events.record(event):
        return render({"recorded": True, "kind": event_kind}, None, 202)
    return render({"recorded": False, "duplicate": True, "kind": event_kind}, None, 200)


@events_blueprint.route("/events/<kind>", methods=["GET", "PUT", "PATCH", "DELETE"])
def wrong_method(kind: str) -> Response:
    """Events are POSTed: any other method is a JSON 405 (the app's own would be HTML)."""
    raise MethodNotAllowed(valid_methods=["POST"])


answer_errors_as_json(events_blueprint, "oct8ne-events")
