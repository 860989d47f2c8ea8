"""The oct8ne account the shop is linked to: token, license and hosts, from config or link-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.settings import PlatformLinkSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlatformCredentials:
    """What the widget, the token check and the platform client need to know about the account."""

    api_token: str
    license_id: str
    server: str
    static_server: str
    #: Configured tokens still accepted during a rollover, besides `api_token` (the current one).
    previous_api_tokens: tuple[str, ...] = ()

    @property
    def api_tokens(self) -> tuple[str, ...]:
        """Every token in force, the current one first (none when there is no token)."""
        return (self.api_token, *self.previous_api_tokens) if self.api_token else ()


def effective_credentials(
    link: PlatformLinkSettings, stored: PlatformCredentials | None = None
) -> PlatformCredentials:
    """Link-up's stored values, each overridden by configuration (or environment) when set."""
    return PlatformCredentials(
        api_token=link.api_token or (stored.api_token if stored else ""),
        previous_api_tokens=link.api_tokens[1:],
        license_id=link.license or (stored.license_id if stored else ""),
        server=link.oct8ne_server or (stored.server if stored else "") or link.server_host,
        static_server=(
            link.oct8ne_static_server
            or (stored.static_server if stored else "")
            or link.static_host
        ),
    )


class CredentialSource:
    """The credentials in force, re-reading the stored link at most every `ttl` seconds.

    Link-up runs in another process (the CLI), so workers must notice a new link without a
    restart; re-reading on every request would add a query to each token check.
    """

    def __init__(
        self,
        link: PlatformLinkSettings,
        load_stored: Callable[[], PlatformCredentials | None] | None,
        *,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._link = link
        self._load_stored = load_stored
        self._ttl = ttl
        self._clock = clock
        self._stored: PlatformCredentials | None = None
        self._loaded_at: float | None = None

    def current(self) -> PlatformCredentials:
        """Configuration over the stored link (the last one read, if the database is away)."""
        if self._load_stored is not None:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= self._ttl:
                try:
                    self._stored = self._load_stored()
                except DataSourceUnavailable:
                    log.warning("stored oct8ne credentials unavailable; using the last ones read")
                self._loaded_at = now
        return effective_credentials(self._link, self._stored)

    def forget(self) -> None:
        """Read the stored link again on the next call."""
        self._loaded_at = None
