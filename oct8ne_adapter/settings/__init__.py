"""Frozen settings built once from `app.config`; the only package that reads it.

`Settings` keeps the shop's own fields and one typed section per concern (`database`, `link`,
`widget`, `ratelimits`, `search`, `events`, `relay`); the config keys stay flat.
"""

from __future__ import annotations

from oct8ne_adapter.settings.files import ENVIRONMENT_OVERRIDES, layered_config, load_config_file
from oct8ne_adapter.settings.model import PREFIX, Settings, config_keys
from oct8ne_adapter.settings.parsing import host_path_is_valid
from oct8ne_adapter.settings.sections import (
    DEFAULT_DATABASE_URL,
    REGION_HOSTS,
    DatabaseSettings,
    EventSettings,
    PlatformLinkSettings,
    RateLimitSettings,
    RelaySettings,
    SearchSettings,
    WidgetSettings,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ENVIRONMENT_OVERRIDES",
    "PREFIX",
    "REGION_HOSTS",
    "DatabaseSettings",
    "EventSettings",
    "PlatformLinkSettings",
    "RateLimitSettings",
    "RelaySettings",
    "SearchSettings",
    "Settings",
    "WidgetSettings",
    "config_keys",
    "host_path_is_valid",
    "layered_config",
    "load_config_file",
]
