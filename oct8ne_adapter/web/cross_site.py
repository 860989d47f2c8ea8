"""The cross-site guard: the methods that answer from the visitor's shop cookie refuse other sites.

A shop whose session cookie is `SameSite=None` sends it along with a `<script>` tag on any page
of the web, so without this guard any site could read a signed-in customer's name, e-mail,
wishlist and cart with JSONP, or fill their wishlist. Browsers say where a request comes from
in `Sec-Fetch-Site`; a method marked `same_site` in `web.methods` answers a `cross-site` request
as it answers an anonymous visitor. Requests without the header (older browsers, servers) pass;
the origins in `cors_origins` are trusted (the request's `Origin`, else its `Referer`'s origin);
`cross_site_guard = false` switches the guard off. The first refusal in each worker is logged
at warning level, naming those settings, so that a shop whose widget is framed by another site
finds out why its visitors look anonymous.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from flask import Request

from oct8ne_adapter.settings import Settings

log = logging.getLogger(__name__)

CROSS_SITE = "cross-site"


def request_origin(request: Request) -> str | None:
    """The calling page's origin (`https://shop.example`): `Origin`, else the `Referer`'s."""
    origin = request.headers.get("Origin", "").strip()
    if origin and origin != "null":
        return origin.lower()
    referer = urlsplit(request.headers.get("Referer", "").strip())
    if referer.scheme in {"http", "https"} and referer.netloc:
        return f"{referer.scheme}://{referer.netloc}".lower()
    return None


class CrossSiteGuard:
    """Decides whether a request is refused; remembers whether this worker said so already."""

    def __init__(self) -> None:
        self._warned = False
        self._lock = threading.Lock()

    def refuses(self, request: Request, settings: Settings, method: str) -> bool:
        """Whether a browser says the call comes from another, untrusted site."""
        if not settings.cross_site_guard:
            return False
        if request.headers.get("Sec-Fetch-Site", "").strip().lower() != CROSS_SITE:
            return False
        origin = request_origin(request)
        trusted = {allowed.lower() for allowed in settings.cors_origins}
        if origin is not None and origin in trusted:
            return False
        self._warn_once(method, origin)
        return True

    def _warn_once(self, method: str, origin: str | None) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        log.warning(
            "oct8ne: a cross-site call of %s (from %s) was answered as for an anonymous "
            "visitor; list the calling site in cors_origins to trust it, or set "
            "cross_site_guard = false to switch this guard off (logged once per worker)",
            method,
            origin or "an unknown page",
        )
