"""Checks of the secrets a client sends: in constant time, against every secret in force.

A credential may list several secrets during a rollover (the current one first, the old ones
still accepted; see `settings.parsing.parse_secrets`). Each is compared in constant time and
every one is compared, whichever matches: neither the answer's timing nor its content tells
which listed secret was given or how many are listed. Every failed check is reported to the
failed-authentication limiter (`web.auth_limiter`) and the adapter's signal (`web.signals`).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from flask import Request

from oct8ne_adapter.errors import Forbidden, Unauthorized
from oct8ne_adapter.web.auth_limiter import AuthGuard
from oct8ne_adapter.web.signals import record_failed_authentication


def matches_any(given: str, accepted: Sequence[str]) -> bool:
    """Whether `given` is one of `accepted`, comparing with each of them in constant time."""
    given_bytes = given.encode("utf-8", "surrogatepass")
    matched = False
    for secret in accepted:
        # `|` rather than `or`: every listed secret is compared, whichever matches.
        matched |= hmac.compare_digest(given_bytes, secret.encode("utf-8", "surrogatepass"))
    return matched and bool(given)


def check_bearer(
    request: Request, accepted: Sequence[str], credential: str, auth: AuthGuard, what: str
) -> None:
    """Pass a request whose `Authorization: Bearer` is one of `accepted`, or raise.

    `credential` is the config key (`events_secret`), `what` the endpoint's name for the
    messages. No secret configured: Forbidden (the endpoint is off). Missing or wrong: counted
    by the limiter (TooManyFailures past its limit), else Unauthorized.
    """
    if not accepted:
        raise Forbidden(f"{what} over HTTP is off: set {credential} to switch it on")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    sent = scheme.lower() == "bearer" and bool(given.strip())
    valid = sent and matches_any(given.strip(), accepted)
    if not valid:
        record_failed_authentication(credential)
    # Missing and wrong secrets both count: over the limit, a 429 instead of the 401.
    auth.verdict(request.remote_addr or "", valid)
    secret_name = credential.replace("_", " ")
    if not sent:
        raise Unauthorized(f"send the {secret_name} as 'Authorization: Bearer <secret>'")
    if not valid:
        raise Unauthorized(f"the {secret_name} is wrong")
