"""The first-party cookie in which the visitor-id script collects every vendor's visitor ids.

`templates/oct8ne/visitor_ids.html` (offered by `visitor_ids_script()` in snippets) writes the
cookie `oct8ne-visitor-ids` as form-encoded pairs (`oct8ne_session=...&octocom_session=...`),
keys named as the fields of `VisitorIds`. The server reads it, together with oct8ne's own
`oct8ne-session` and `oct8ne-visitor` cookies, when an event is recorded during the visitor's
request; a shop recording from its backend forwards the raw value (`visitor_cookie`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from urllib.parse import parse_qsl

from oct8ne_adapter.events.model import CartUpdated, CommerceEvent, OrderPlaced, VisitorIds

COOKIE_NAME = "oct8ne-visitor-ids"
OCT8NE_SESSION_COOKIE = "oct8ne-session"
OCT8NE_VISITOR_COOKIE = "oct8ne-visitor"
#: A cookie is at most 4 KB; anything longer is not ours.
MAX_COOKIE_LENGTH = 4096
MAX_ID_LENGTH = 128
FIELD_NAMES = tuple(field.name for field in fields(VisitorIds))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        return None
    return value


def parse_cookie(value: str | None) -> VisitorIds:
    """The ids in an `oct8ne-visitor-ids` value; unknown keys and malformed values are dropped."""
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return VisitorIds()
    found: dict[str, str] = {}
    for key, raw in parse_qsl(value, keep_blank_values=False):
        cleaned = _clean(raw)
        if key in FIELD_NAMES and cleaned is not None:
            found.setdefault(key, cleaned)
    return VisitorIds(**found)


def from_cookies(cookies: Mapping[str, str]) -> VisitorIds:
    """The visitor's ids from a request's cookies: ours, and oct8ne's session and visitor."""
    ids = parse_cookie(cookies.get(COOKIE_NAME))
    # oct8ne's own cookies are the authority for its ids; the script only copies them.
    return replace(
        ids,
        oct8ne_session=_clean(cookies.get(OCT8NE_SESSION_COOKIE)) or ids.oct8ne_session,
        oct8ne_visitor=_clean(cookies.get(OCT8NE_VISITOR_COOKIE)) or ids.oct8ne_visitor,
    )


def merged(given: VisitorIds, found: VisitorIds) -> VisitorIds:
    """`given`, with its missing ids taken from `found`: what the shop passed explicitly wins."""
    return VisitorIds(
        **{name: getattr(given, name) or getattr(found, name) for name in FIELD_NAMES}
    )


def with_visitor_ids(event: CommerceEvent, found: VisitorIds) -> CommerceEvent:
    """The event with its missing visitor ids filled from `found` (status changes have none)."""
    if isinstance(event, CartUpdated | OrderPlaced):
        return replace(event, visitor=merged(event.visitor, found))
    return event
