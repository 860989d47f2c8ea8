"""Outbound calls to the oct8ne platform: link-up, and real-time update notifications.

Every call has a timeout and verifies TLS (the official PHP adapters switch verification off;
we never do). Failures raise a PlatformError subclass, never return an error string. Only
idempotent calls are retried, a bounded number of times with exponential backoff.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from threading import BoundedSemaphore
from typing import Any

import requests

from oct8ne_adapter.errors import (
    PlatformBadAnswer,
    PlatformError,
    PlatformRejected,
    PlatformServerError,
    PlatformTimeout,
    PlatformUnreachable,
)
from oct8ne_adapter.platform.credentials import CredentialSource, PlatformCredentials
from oct8ne_adapter.settings import REGION_HOSTS, Settings, host_path_is_valid

log = logging.getLogger(__name__)

UPDATE_TOPICS = frozenset({"cart", "wishlist", "user"})
#: The cookie in which oct8ne names the visitor's live connection (API 2.4, "Real-time update").
VISITOR_COOKIE = "oct8ne-visitor"
_CREDENTIAL = re.compile(r"[A-Za-z0-9_-]{1,128}")
MAX_VISITOR_LENGTH = 256


@dataclass(frozen=True, slots=True)
class LinkupRequest:
    """What link-up sends; the password only ever lives in this object, in memory."""

    email: str
    password: str
    platform: str
    shop_url: str
    enabled: bool

    def __repr__(self) -> str:
        return f"LinkupRequest(email={self.email!r}, password='***', platform={self.platform!r})"


class PlatformClient:
    """HTTPS client of one oct8ne backoffice host (e.g. `backoffice.oct8ne.com/`)."""

    def __init__(
        self,
        server: str,
        *,
        timeout: float,
        session: requests.Session | None = None,
        verify: bool | str = True,
        retries: int = 2,
        backoff: float = 0.25,
    ) -> None:
        self.base_url = f"https://{server}"
        self.timeout = timeout
        self.session = session or requests.Session()
        # A CA bundle path may replace the system's; verification itself is never switched off.
        self.verify: bool | str = verify if verify else True
        self.retries = retries
        self.backoff = backoff

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def _post(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> requests.Response:
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                response = self.session.post(
                    self.base_url + path,
                    params=params,
                    data=data,
                    timeout=self.timeout,
                    verify=self.verify,
                    allow_redirects=False,
                )
            except requests.Timeout:
                error: PlatformError = PlatformTimeout(
                    f"oct8ne did not answer within {self.timeout:g}s ({self.base_url})"
                )
            except requests.ConnectionError as exc:
                error = PlatformUnreachable(f"cannot reach {self.base_url}: {_first_line(exc)}")
            else:
                if response.status_code < 500:
                    return response
                error = PlatformServerError(
                    f"oct8ne answered HTTP {response.status_code} ({self.base_url})"
                )
            if attempt + 1 == attempts:
                raise error
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def linkup(self, request: LinkupRequest, region: str) -> PlatformCredentials:
        """Register the shop with the account (not retried: it is not idempotent)."""
        response = self._post(
            "platformConnection/linkup",
            data={
                "email": request.email,
                "pass": request.password,
                "platform": request.platform,
                "urlDomain": request.shop_url,
                "statusPlatform": "true" if request.enabled else "false",
            },
            idempotent=False,
        )
        answer = _json_object(response)
        message = _text(answer, "Message")
        if response.status_code >= 400:
            raise PlatformRejected(
                message or f"oct8ne refused the link-up (HTTP {response.status_code})"
            )
        api_token, license_id = _text(answer, "ApiToken"), _text(answer, "LicenseId")
        if not api_token or not license_id:
            raise PlatformRejected(message or "oct8ne refused the link-up without a reason")
        if not (_CREDENTIAL.fullmatch(api_token) and _CREDENTIAL.fullmatch(license_id)):
            raise PlatformBadAnswer("oct8ne returned a token or license that is not plain text")
        default_server, default_static = REGION_HOSTS[region]
        server = _text(answer, "Server") or default_server
        static_server = _text(answer, "UrlStatic") or default_static
        for name, host in (("Server", server), ("UrlStatic", static_server)):
            if not host_path_is_valid(host):
                raise PlatformBadAnswer(f"oct8ne returned an unusable {name}: {host[:80]!r}")
        return PlatformCredentials(
            api_token=api_token, license_id=license_id, server=server, static_server=static_server
        )

    def update(self, visitor: str, what: str) -> None:
        """Ask oct8ne to refresh the visitor's widget (`what`: cart, wishlist or user)."""
        if what not in UPDATE_TOPICS:
            raise ValueError(f"what must be one of {sorted(UPDATE_TOPICS)}, not {what!r}")
        # Refreshing twice is harmless, so this call may be retried.
        response = self._post(
            "platformConnection/update",
            params={"visitor": visitor, "what": what},
            idempotent=True,
        )
        if response.status_code >= 400:
            raise PlatformRejected(f"oct8ne refused the update (HTTP {response.status_code})")


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise PlatformBadAnswer(
            f"oct8ne answered HTTP {response.status_code} with something that is not JSON"
        ) from None
    if not isinstance(answer, dict):
        raise PlatformBadAnswer("oct8ne answered with JSON that is not an object")
    return answer


def _text(answer: Mapping[str, Any], name: str) -> str:
    """A field in PascalCase (what the platform sends) or camelCase (what the document shows)."""
    for key in (name, name[0].lower() + name[1:]):
        value = answer.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


class UpdateNotifier:
    """Sends update notifications off the request path; failures are logged, never raised.

    At most `max_pending` notifications wait at once: when oct8ne stalls, newer ones are dropped
    (and logged) instead of piling up threads or memory in the shop's workers.
    """

    def __init__(
        self,
        client_for: Callable[[], PlatformClient],
        *,
        workers: int = 2,
        max_pending: int = 64,
    ) -> None:
        self._client_for = client_for
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="oct8ne-update")
        self._slots = BoundedSemaphore(max_pending)

    def notify(self, visitor: str | None, what: str) -> Future[None] | None:
        """Queue an update for the visitor in the `oct8ne-visitor` cookie; None when skipped."""
        if what not in UPDATE_TOPICS:
            raise ValueError(f"what must be one of {sorted(UPDATE_TOPICS)}, not {what!r}")
        # No cookie value: the visitor is not chatting, so there is no widget to refresh.
        if not visitor or len(visitor) > MAX_VISITOR_LENGTH or not visitor.isprintable():
            return None
        if not self._slots.acquire(blocking=False):
            log.warning("oct8ne update dropped: too many pending notifications")
            return None
        try:
            future = self._executor.submit(self._send, visitor, what)
        except RuntimeError:  # the executor was shut down
            self._slots.release()
            return None
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def _send(self, visitor: str, what: str) -> None:
        try:
            self._client_for().update(visitor, what)
        except PlatformError as error:
            log.warning("oct8ne update (%s) failed: %s", what, error)
        except Exception:
            log.exception("oct8ne update (%s) failed", what)

    def shutdown(self, wait: bool = False) -> None:
        """Stop accepting notifications."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)


class PlatformGateway:
    """The platform client for the account in force, and the notifier that sends updates."""

    def __init__(self, settings: Settings, credentials: CredentialSource) -> None:
        self._settings = settings
        self._credentials = credentials
        self._clients: dict[str, PlatformClient] = {}
        self.notifier = UpdateNotifier(self.client)

    def client(self, server: str | None = None) -> PlatformClient:
        """A client of `server`, by default the linked account's backoffice host."""
        host = server or self._credentials.current().server
        client = self._clients.get(host)
        if client is None:
            client = PlatformClient(
                host,
                timeout=self._settings.link.timeout,
                verify=self._settings.link.ca_bundle or True,
            )
            self._clients[host] = client
        return client

    def notify_update(self, visitor: str | None, what: str) -> Future[None] | None:
        """Queue a widget refresh for this `oct8ne-visitor` cookie value (off the request path)."""
        return self.notifier.notify(visitor, what)

    def close(self, wait: bool = True) -> None:
        """Stop the notifier (letting queued updates finish if `wait`) and close the clients."""
        self.notifier.shutdown(wait=wait)
        for client in self._clients.values():
            client.close()
        self._clients.clear()
