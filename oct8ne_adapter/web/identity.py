"""Who is the visitor: a pluggable CustomerResolver.

Standalone, the default reads the shop's session cookie (`OCT8NE_SESSION_COOKIE`, default
`shop_session`) and looks its SHA-256 up in the adapter's `shop_sessions` table: the session's
customer is the signed-in customer and the hash keys the guest cart. Mounted in a Flask shop,
pass any callable taking the request and returning a Visitor (or a customer id, or None).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Request

from oct8ne_adapter.domain import ANONYMOUS, Visitor
from oct8ne_adapter.repository import SessionRepository

#: What a host shop's resolver may return: a Visitor, a signed-in customer id, or None.
ResolverResult = Visitor | str | None
CustomerResolver = Callable[[Request], ResolverResult]


class SessionCookieResolver:
    """Resolves visitors from the shop session cookie through the adapter's session table."""

    def __init__(self, sessions: SessionRepository, cookie_name: str) -> None:
        self._sessions = sessions
        self._cookie_name = cookie_name

    def token(self, request: Request) -> str | None:
        """The request's session cookie, if any."""
        return request.cookies.get(self._cookie_name)

    def __call__(self, request: Request) -> Visitor:
        """The session's visitor, or an anonymous one without a cart."""
        token = self.token(request)
        if not token:
            return ANONYMOUS
        return self._sessions.visitor_for_session(token) or ANONYMOUS


def anonymous_resolver(_request: Request) -> Visitor:
    """For a host that has no visitor identity: everybody is anonymous."""
    return ANONYMOUS


def as_visitor(result: ResolverResult) -> Visitor:
    """Normalise what a host resolver returned."""
    if isinstance(result, Visitor):
        return result
    if isinstance(result, str) and result:
        return Visitor(customer_id=result)
    return ANONYMOUS
