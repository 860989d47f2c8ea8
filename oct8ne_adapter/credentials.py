"""The oct8ne account the shop is linked to: API token, license and hosts, from config or link-up."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True, slots=True)
class PlatformCredentials:
    """What the widget, the token check and the platform client need to know about the account."""

    api_token: str
    license_id: str
    server: str
    static_server: str


def effective_credentials(
    settings: Settings, stored: PlatformCredentials | None = None
) -> PlatformCredentials:
    """Link-up's stored values, each overridden by configuration (or environment) when set."""
    return PlatformCredentials(
        api_token=settings.api_token or (stored.api_token if stored else ""),
        license_id=settings.license or (stored.license_id if stored else ""),
        server=settings.oct8ne_server or (stored.server if stored else "") or settings.server_host,
        static_server=(
            settings.oct8ne_static_server
            or (stored.static_server if stored else "")
            or settings.static_host
        ),
    )
