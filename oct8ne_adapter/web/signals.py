"""The adapter's own signals (blinker, like Flask's): what other parts may listen to.

`record_failed_authentication` is what every token or secret check calls when it fails; the
metrics count it (`web/metrics.py`), and anything else may connect to `authentication_failed`
with the app as the sender. With nobody listening a send costs a dictionary lookup.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app, has_app_context

#: The credentials whose failed checks are reported (the metrics' label values stay few).
CREDENTIALS = frozenset({"api_token", "events_secret", "catalog_secret"})

_signals = Namespace()
#: Sent by the app whose token or secret check failed, with `credential` (one of CREDENTIALS).
authentication_failed = _signals.signal("oct8ne-authentication-failed")


def record_failed_authentication(credential: str) -> None:
    """Report one failed check of `credential` (api_token, events_secret ...) for the app."""
    if credential not in CREDENTIALS:
        raise ValueError(f"unknown credential {credential!r}: one of {sorted(CREDENTIALS)}")
    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        authentication_failed.send(app, credential=credential)
