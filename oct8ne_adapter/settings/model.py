"""`Settings`: the shop's own fields and one typed section per concern, built from flat keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import sections
from oct8ne_adapter.settings.parsing import check_currency_codes, parse_value
from oct8ne_adapter.settings.sections import SECTIONS, section_keys

PREFIX = "OCT8NE_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, validated; see config.example.toml for each key."""

    enabled: bool = True
    shop_url: str = "http://127.0.0.1:5000"
    proxy_fix_hops: int = 0
    cors_origins: tuple[str, ...] = ()
    #: customerData, addToWishList and getCart answer a cross-site call as for an anonymous visitor.
    cross_site_guard: bool = True
    default_locale: str = "en-US"
    default_currency: str = "USD"
    currencies: tuple[str, ...] = ()
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)
    #: `import-catalog --prune` deletes at most this share (0 to 1) of the catalog at once.
    prune_max_share: float = 0.2
    session_cookie: str = "shop_session"
    platform: str = "Custom"
    adapter_name: str = "oct8ne-adapter for Python"
    support_url: str = ""
    demo: bool = False
    database: sections.DatabaseSettings = field(default_factory=sections.DatabaseSettings)
    link: sections.PlatformLinkSettings = field(default_factory=sections.PlatformLinkSettings)
    widget: sections.WidgetSettings = field(default_factory=sections.WidgetSettings)
    ratelimits: sections.RateLimitSettings = field(default_factory=sections.RateLimitSettings)
    search: sections.SearchSettings = field(default_factory=sections.SearchSettings)
    events: sections.EventSettings = field(default_factory=sections.EventSettings)
    catalog: sections.CatalogApiSettings = field(default_factory=sections.CatalogApiSettings)
    relay: sections.RelaySettings = field(default_factory=sections.RelaySettings)
    metrics: sections.MetricsSettings = field(default_factory=sections.MetricsSettings)
    privacy: sections.PrivacySettings = field(default_factory=sections.PrivacySettings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Build settings from `OCT8NE_*` keys of a Flask config; unknown keys are ignored."""
        values = {
            name: config[PREFIX + name.upper()]
            for name in config_keys()
            if PREFIX + name.upper() in config
        }
        return cls._validated(values)

    @classmethod
    def _validated(cls, values: dict[str, Any]) -> Settings:
        own = {name: getattr(cls(), name) for name in _own_keys()}
        shop = {
            name: parse_value(name, raw, own[name]) for name, raw in values.items() if name in own
        }
        sections: dict[str, Any] = {}
        for attribute, section in SECTIONS.items():
            defaults = section()
            checked = {
                field_name: parse_value(key, values[key], getattr(defaults, field_name))
                for key, field_name in section_keys(section).items()
                if key in values
            }
            sections[attribute] = section(**checked)
        settings = cls(**shop, **sections)
        settings._check()
        return settings

    @property
    def accepted_currencies(self) -> frozenset[str]:
        """Currencies a visitor may ask for: the shop's, those stored, those with a rate."""
        return frozenset({self.default_currency, *self.currencies, *self.exchange_rates})

    def value_of(self, key: str) -> Any:
        """The value of config key `key` (without its prefix), wherever its section keeps it."""
        for attribute, section in SECTIONS.items():
            field_name = section_keys(section).get(key)
            if field_name is not None:
                return getattr(getattr(self, attribute), field_name)
        if key not in _own_keys():
            raise KeyError(key)
        return getattr(self, key)

    def _check(self) -> None:
        codes = [("OCT8NE_DEFAULT_CURRENCY", self.default_currency)]
        codes += [("OCT8NE_CURRENCIES", code) for code in self.currencies]
        codes += [("OCT8NE_EXCHANGE_RATES", code) for code in self.exchange_rates]
        check_currency_codes(codes)
        for attribute in SECTIONS:
            getattr(self, attribute).check()
        if not self.shop_url.startswith(("http://", "https://", "//")):
            raise ConfigError(
                "OCT8NE_SHOP_URL must be an absolute URL such as https://shop.example"
            )


def _own_keys() -> list[str]:
    """The keys of the shop's own fields (those not in a section)."""
    return [
        settings_field.name
        for settings_field in fields(Settings)
        if settings_field.name not in SECTIONS
    ]


def config_keys() -> list[str]:
    """Every config key (without the `OCT8NE_` prefix): the shop's own, then each section's."""
    keys = _own_keys()
    for section in SECTIONS.values():
        keys += section_keys(section)
    return keys
