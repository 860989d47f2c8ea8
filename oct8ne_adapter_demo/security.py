"""The demo's defences: a sign-in CSRF token, the cross-site check, and the pages' headers.

- CSRF: sign-in and sign-out are POSTs carrying the browser's token (`csrf_token` field), which
  must equal the HttpOnly `SameSite=Lax` cookie `oct8ne_demo_csrf` (a double-submit token, one
  per browser session, new at every sign-in and sign-out). Another site can neither read the
  cookie nor have it sent with its POST.
- Cross-site: the add-to-cart endpoint cannot get a token from oct8ne's widget, so it refuses a
  request the browser marks `Sec-Fetch-Site: cross-site` (unless its origin is in
  `cors_origins`); forms are refused the same way, on top of the token.
- Headers: every answer under /demo/ (and `/`, which sends there) gets a Content-Security-Policy
  listing what the pages load (this server, the shop URL, oct8ne's static and chat servers, the
  page's nonce for its inline script), `nosniff`, a Referrer-Policy and `frame-ancestors 'none'`
  with `X-Frame-Options: DENY`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Request, abort, g, request
from werkzeug.wrappers import Response

from oct8ne_adapter.platform.credentials import PlatformCredentials
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.cross_site import CROSS_SITE, request_origin

CSRF_COOKIE = "oct8ne_demo_csrf"
CSRF_FIELD = "csrf_token"
#: What secrets.token_urlsafe(32) makes: anything else in the cookie is replaced.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: A host (and port) as a CSP source may name it; anything else is left out of the policy.
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")
#: Paths whose answers get the headers: the demo's pages, and `/`, which redirects to them.
DEMO_PREFIX = "/demo"
REFERRER_POLICY = "strict-origin-when-cross-origin"


def csrf_token() -> str:
    """The browser's sign-in token: the cookie's, or a new one set on this answer."""
    if "demo_csrf" not in g:
        sent = request.cookies.get(CSRF_COOKIE, "")
        if _TOKEN.fullmatch(sent):
            g.demo_csrf, g.demo_csrf_new = sent, False
        else:
            renew_csrf_token()
    token: str = g.demo_csrf
    return token


def renew_csrf_token() -> None:
    """A new token for this browser (at sign-in and sign-out), set on this answer."""
    g.demo_csrf, g.demo_csrf_new = secrets.token_urlsafe(32), True


def require_csrf_token() -> None:
    """Refuse (403) a form from another site, or one without this browser's token."""
    refuse_cross_site(request, None)
    sent = request.form.get(CSRF_FIELD, "").encode()
    expected = request.cookies.get(CSRF_COOKIE, "").encode()
    if not expected or not hmac.compare_digest(sent, expected):
        abort(403, "This form has expired or came from another site: reload the page and retry.")


def cross_site(request: Request, settings: Settings | None) -> bool:
    """Whether the browser says the request comes from another site not in `cors_origins`."""
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() != CROSS_SITE:
        return False
    trusted = {origin.lower() for origin in settings.cors_origins} if settings else set()
    origin = request_origin(request)
    return origin is None or origin not in trusted


def refuse_cross_site(request: Request, settings: Settings | None) -> None:
    """Abort with a 403 when `cross_site` says so."""
    if cross_site(request, settings):
        abort(403, "Requests from another site are refused.")


def new_nonce() -> str:
    """A nonce for this page's inline scripts and styles, remembered for its CSP header."""
    g.demo_nonce = secrets.token_urlsafe(16)
    nonce: str = g.demo_nonce
    return nonce


def _source(value: str) -> str | None:
    """A configured host (`static.oct8ne.com/`, `https://host:8443`) as a CSP host source."""
    text = value.strip()
    parts = urlsplit(text if "//" in text else "//" + text)
    if parts.netloc and _HOST.fullmatch(parts.netloc):
        return parts.netloc.lower()
    return None


def _origin(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme in {"http", "https"} and _HOST.fullmatch(parts.netloc):
        return f"{parts.scheme}://{parts.netloc.lower()}"
    return None


def content_security_policy(
    settings: Settings, credentials: PlatformCredentials, nonce: str | None
) -> str:
    """The demo pages' policy: this server, the shop URL and oct8ne's two servers."""
    hosts = [
        host
        for host in dict.fromkeys([_source(credentials.static_server), _source(credentials.server)])
        if host
    ]
    # Scheme-less follows the page's scheme; the sale notification is https whatever the page.
    oct8ne = [source for host in hosts for source in (host, f"https://{host}")]
    shop = [origin for origin in [_origin(settings.shop_url)] if origin]
    # The widget's snippet is inline (nonce); oct8ne.js and the sale notification come from
    # the static server; JSONP frame calls and add-to-cart go to the shop URL.
    scripts = ["'self'", *shop, *oct8ne] + ([f"'nonce-{nonce}'"] if nonce else [])
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        # oct8ne's elements carry style attributes, and its widget adds its own styles.
        "style-src": ["'self'", "'unsafe-inline'", *oct8ne],
        "img-src": ["'self'", "data:", *shop, *oct8ne],
        "font-src": ["'self'", *oct8ne],
        "connect-src": ["'self'", *shop, *oct8ne, *(f"wss://{host}" for host in hosts)],
        "frame-src": ["'self'", *oct8ne],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def is_demo_answer(path: str) -> bool:
    """Whether a path is the demo's (its pages, and `/`)."""
    return path == "/" or path == DEMO_PREFIX or path.startswith(DEMO_PREFIX + "/")


def secure_answer(
    response: Response, settings: Settings, credentials: PlatformCredentials
) -> Response:
    """Add the security headers (and a new CSRF cookie) to an answer of the demo."""
    nonce = g.get("demo_nonce")
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(settings, credentials, nonce)
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    if g.get("demo_csrf_new"):
        response.set_cookie(
            CSRF_COOKIE,
            g.demo_csrf,
            path=request.script_root + DEMO_PREFIX,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
