"""Frozen settings built once from `app.config`; the only module that reads it."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.web.javascript import is_javascript_name

PREFIX = "OCT8NE_"
#: Environment variables that override the configuration file.
ENVIRONMENT_OVERRIDES = (
    "OCT8NE_DATABASE_URL",
    "OCT8NE_API_TOKEN",
    "OCT8NE_LICENSE",
    "OCT8NE_RATELIMIT_STORAGE",
    "OCT8NE_EVENTS_SECRET",
)
DEFAULT_DATABASE_URL = "sqlite:///oct8ne.db"
#: The oct8ne backoffice and static hosts of each region (API 2.4, "Session notification").
REGION_HOSTS = {
    "us": ("backoffice.oct8ne.com/", "static.oct8ne.com/"),
    "eu": ("backoffice-eu.oct8ne.com/", "static-eu.oct8ne.com/"),
}
_HOST_PATH = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?/")


def host_path_is_valid(host: str) -> bool:
    """Whether `host` is an oct8ne host as the protocol writes it: `static.oct8ne.com/`."""
    return _HOST_PATH.fullmatch(host) is not None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, validated; see config.example.toml for each key."""

    enabled: bool = True
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 5
    database_max_overflow: int = 10
    database_pool_timeout: int = 5
    database_connect_timeout: int = 3
    database_statement_timeout: int = 15
    api_token: str = ""
    license: str = ""
    region: str = "us"
    oct8ne_server: str = ""
    oct8ne_static_server: str = ""
    shop_url: str = "http://127.0.0.1:5000"
    add_to_cart_path: str = "/cart/add/{id}"
    add_to_cart_http_verb: str = "POST"
    checkout_path: str = "/checkout"
    login_path: str = "/login"
    checkout_success_path: str = "/checkout/success"
    on_product_added_to_cart: str = ""
    on_product_added_to_wishlist: str = ""
    widget_delayed_load: bool = False
    widget_delay_ms: int = 4000
    platform_timeout: int = 10
    platform_ca_bundle: str = ""
    ratelimit_enabled: bool = True
    ratelimit_storage: str = "memory://"
    ratelimit_default: str = "300/minute"
    ratelimits: Mapping[str, str] = field(
        default_factory=lambda: {"getorders": "10/minute", "getorderdetails": "10/minute"}
    )
    proxy_fix_hops: int = 0
    cors_origins: tuple[str, ...] = ()
    default_locale: str = "en-US"
    default_currency: str = "USD"
    currencies: tuple[str, ...] = ()
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)
    default_page_size: int = 10
    #: "index": an in-memory index per process, SQL while it is being built; "sql": SQL only.
    search_engine: str = "index"
    search_index_poll_ms: int = 1000
    #: False builds the index inside the first search that needs it (tests, small catalogs).
    search_index_background: bool = True
    max_page_size: int = 100
    max_product_ids: int = 100
    related_limit: int = 10
    #: `import-catalog --prune` deletes at most this share (0 to 1) of the catalog at once.
    prune_max_share: float = 0.2
    session_cookie: str = "shop_session"
    platform: str = "Custom"
    adapter_name: str = "oct8ne-adapter for Python"
    support_url: str = ""
    #: Commerce events (oct8ne_adapter.events): the HTTP endpoint's shared secret, the vendor
    #: sinks (vendor name -> options) and how the relay worker delivers.
    events_secret: str = ""
    event_sinks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    relay_timeout: int = 10
    relay_lease_seconds: int = 60
    relay_max_attempts: int = 12
    relay_max_age_hours: int = 72
    relay_backoff_seconds: int = 2
    relay_backoff_max_seconds: int = 3600
    relay_poll_ms: int = 1000
    relay_batch_size: int = 100
    relay_concurrency: int = 1
    relay_ratelimit_storage: str = ""
    demo: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Build settings from `OCT8NE_*` keys of a Flask config; unknown keys are ignored."""
        values: dict[str, Any] = {}
        for settings_field in fields(cls):
            key = PREFIX + settings_field.name.upper()
            if key in config:
                values[settings_field.name] = config[key]
        return cls._validated(values)

    @classmethod
    def _validated(cls, values: dict[str, Any]) -> Settings:
        defaults = cls()
        checked: dict[str, Any] = {}
        for name, raw in values.items():
            default = getattr(defaults, name)
            key = PREFIX + name.upper()
            if name == "exchange_rates":
                checked[name] = _parse_rates(raw)
            elif name == "ratelimits":
                checked[name] = _parse_ratelimits(raw)
            elif name == "currencies":
                checked[name] = _parse_codes(key, raw)
            elif name == "cors_origins":
                checked[name] = _parse_origins(key, raw)
            elif name == "event_sinks":
                checked[name] = _parse_event_sinks(key, raw)
            elif isinstance(default, bool):
                checked[name] = _parse_bool(key, raw)
            elif isinstance(default, float):
                checked[name] = _parse_share(key, raw)
            elif isinstance(default, int):
                # A pool may have no overflow, ProxyFix no hops, and the change log may be read
                # on every search; other counts are at least 1.
                zero_allowed = {"database_max_overflow", "proxy_fix_hops", "search_index_poll_ms"}
                minimum = 0 if name in zero_allowed else 1
                checked[name] = _parse_int(key, raw, minimum)
            elif not isinstance(raw, str):
                raise ConfigError(f"{key} must be a string, not {type(raw).__name__}")
            else:
                checked[name] = raw
        settings = cls(**checked)
        settings._check()
        return settings

    @property
    def server_host(self) -> str:
        """The oct8ne backoffice host, e.g. `backoffice.oct8ne.com/`."""
        return self.oct8ne_server or REGION_HOSTS[self.region][0]

    @property
    def static_host(self) -> str:
        """The oct8ne static (CDN) host, e.g. `static.oct8ne.com/`."""
        return self.oct8ne_static_server or REGION_HOSTS[self.region][1]

    @property
    def accepted_currencies(self) -> frozenset[str]:
        """Currencies a visitor may ask for: the shop's, those stored, those with a rate."""
        return frozenset({self.default_currency, *self.currencies, *self.exchange_rates})

    def _check(self) -> None:
        codes = [("OCT8NE_DEFAULT_CURRENCY", self.default_currency)]
        codes += [("OCT8NE_CURRENCIES", code) for code in self.currencies]
        codes += [("OCT8NE_EXCHANGE_RATES", code) for code in self.exchange_rates]
        for key, code in codes:
            if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
                raise ConfigError(f"{key}: {code!r} is not an ISO 4217 currency code like 'USD'")
        if self.default_page_size > self.max_page_size:
            raise ConfigError("OCT8NE_DEFAULT_PAGE_SIZE must not exceed OCT8NE_MAX_PAGE_SIZE")
        if "{id}" not in self.add_to_cart_path:
            raise ConfigError("OCT8NE_ADD_TO_CART_PATH must contain '{id}'")
        _parse_limit("OCT8NE_RATELIMIT_DEFAULT", self.ratelimit_default)
        if self.region not in REGION_HOSTS:
            raise ConfigError(f"OCT8NE_REGION must be us or eu, not {self.region!r}")
        for key, host in (
            ("OCT8NE_OCT8NE_SERVER", self.oct8ne_server),
            ("OCT8NE_OCT8NE_STATIC_SERVER", self.oct8ne_static_server),
        ):
            if host and not host_path_is_valid(host):
                raise ConfigError(
                    f"{key} must be a host name ending in '/', like 'static.oct8ne.com/'"
                )
        if self.search_engine not in {"index", "sql"}:
            raise ConfigError(
                f"OCT8NE_SEARCH_ENGINE must be index or sql, not {self.search_engine!r}"
            )
        if self.add_to_cart_http_verb not in {"GET", "POST"}:
            raise ConfigError("OCT8NE_ADD_TO_CART_HTTP_VERB must be GET or POST")
        for key, name in (
            ("OCT8NE_ON_PRODUCT_ADDED_TO_CART", self.on_product_added_to_cart),
            ("OCT8NE_ON_PRODUCT_ADDED_TO_WISHLIST", self.on_product_added_to_wishlist),
        ):
            if name and not is_javascript_name(name):
                raise ConfigError(f"{key} must be a JavaScript function name such as shop.onAdded")
        if not self.shop_url.startswith(("http://", "https://", "//")):
            raise ConfigError(
                "OCT8NE_SHOP_URL must be an absolute URL such as https://shop.example"
            )


def _parse_bool(key: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(raw, str) and raw.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key} must be true or false, not {raw!r}")


def _parse_int(key: str, raw: object, minimum: int) -> int:
    try:
        number = int(str(raw).strip()) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, not {raw!r}") from None
    if number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, not {number}")
    return number


def _parse_share(key: str, raw: object) -> float:
    """A share from 0 to 1, such as 0.2 (a TOML number, or a string from a Flask config)."""
    try:
        share = float(str(raw).strip()) if not isinstance(raw, bool) else -1.0
    except ValueError:
        raise ConfigError(f"{key} must be a number from 0 to 1, not {raw!r}") from None
    if not 0 <= share <= 1:  # NaN fails this too
        raise ConfigError(f"{key} must be a number from 0 to 1, not {raw!r}")
    return share


def _parse_codes(key: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [part for part in raw.replace(" ", ",").split(",") if part]
    if not isinstance(raw, list | tuple) or not all(isinstance(code, str) for code in raw):
        raise ConfigError(f'{key} must be a list of currency codes such as ["USD", "EUR"]')
    return tuple(raw)


def _parse_origins(key: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [part for part in raw.replace(" ", ",").split(",") if part]
    if not isinstance(raw, list | tuple) or not all(isinstance(origin, str) for origin in raw):
        raise ConfigError(f'{key} must be a list of origins such as ["https://shop.example"]')
    for origin in raw:
        scheme, _, host = origin.partition("://")
        if scheme not in {"http", "https"} or not host or "/" in host or "*" in origin:
            raise ConfigError(f"{key}: {origin!r} is not an origin such as https://shop.example")
    return tuple(raw)


def _parse_event_sinks(key: str, raw: object) -> dict[str, dict[str, Any]]:
    """A table of vendor name -> table of options; each vendor checks its own options."""
    if not isinstance(raw, Mapping) or not all(
        isinstance(options, Mapping) for options in raw.values()
    ):
        raise ConfigError(f"{key} must be a table of vendor = {{options}} tables")
    return {str(vendor): dict(options) for vendor, options in raw.items()}


def _parse_limit(key: str, raw: object) -> str:
    from limits import parse

    if not isinstance(raw, str):
        raise ConfigError(f'{key} must be a rate limit such as "10/minute"')
    try:
        parse(raw)
    except ValueError:
        raise ConfigError(f'{key}: {raw!r} is not a rate limit such as "10/minute"') from None
    return raw


def _parse_ratelimits(raw: object) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ConfigError('OCT8NE_RATELIMITS must be a table of method = "N/period"')
    return {
        str(method).lower(): _parse_limit(f"OCT8NE_RATELIMITS.{method}", limit)
        for method, limit in raw.items()
    }


def _parse_rates(raw: object) -> dict[str, Decimal]:
    if not isinstance(raw, Mapping):
        raise ConfigError("OCT8NE_EXCHANGE_RATES must be a table of CURRENCY = rate")
    rates: dict[str, Decimal] = {}
    for currency, rate in raw.items():
        try:
            # str() first: a TOML float such as 0.92 must not become 0.9199999...
            value = Decimal(str(rate))
        except InvalidOperation:
            raise ConfigError(f"exchange rate for {currency} is not a number: {rate!r}") from None
        if not value.is_finite() or value <= 0:
            raise ConfigError(f"exchange rate for {currency} must be positive, not {rate!r}")
        rates[str(currency)] = value
    return rates


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML configuration file into `OCT8NE_*` Flask config keys."""
    file_path = Path(path)
    try:
        with file_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {file_path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file_path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"cannot read configuration file {file_path}: {error.strerror}") from None
    known = {settings_field.name for settings_field in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{file_path}: unknown key {unknown[0]!r}")
    return {PREFIX + name.upper(): value for name, value in data.items()}


def layered_config(
    config: Mapping[str, Any] | str | os.PathLike[str] | None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """Config layers, later wins: the TOML file, the environment, then an explicit mapping."""
    layers: dict[str, Any] = {}
    config_path = environ.get("OCT8NE_CONFIG")
    if isinstance(config, str | os.PathLike):
        config_path = os.fspath(config)
    if config_path:
        layers.update(load_config_file(config_path))
    for key in ENVIRONMENT_OVERRIDES:
        if environ.get(key):
            layers[key] = environ[key]
    if isinstance(config, Mapping):
        layers.update(config)
    return layers
