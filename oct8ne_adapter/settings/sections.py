"""The typed sections of the settings: each module takes the section it needs, not all of them.

Every field names its config key (`keyed("database_pool_size", 5)`): the keys are those of
config.example.toml, flat, whatever section a field lives in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.javascript import is_javascript_name
from oct8ne_adapter.settings.parsing import host_path_is_valid, parse_limit

DEFAULT_DATABASE_URL = "sqlite:///oct8ne.db"
#: The oct8ne backoffice and static hosts of each region (API 2.4, "Session notification").
REGION_HOSTS = {
    "us": ("backoffice.oct8ne.com/", "static.oct8ne.com/"),
    "eu": ("backoffice-eu.oct8ne.com/", "static-eu.oct8ne.com/"),
}


def keyed(key: str, default: Any = MISSING, *, factory: Callable[[], Any] | Any = MISSING) -> Any:
    """A section field read from config key `key` (without the `OCT8NE_` prefix)."""
    return field(default=default, default_factory=factory, metadata={"key": key})


def config_key(section_field: Field[Any]) -> str:
    """The config key of a section field (without the `OCT8NE_` prefix)."""
    return str(section_field.metadata.get("key", section_field.name))


def section_keys(section: type[Any]) -> dict[str, str]:
    """Config key -> field name, for one section class."""
    return {config_key(section_field): section_field.name for section_field in fields(section)}


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """The SQL database and its connection pool (sizes and timeouts in seconds)."""

    url: str = keyed("database_url", DEFAULT_DATABASE_URL)
    pool_size: int = keyed("database_pool_size", 5)
    max_overflow: int = keyed("database_max_overflow", 10)
    pool_timeout: int = keyed("database_pool_timeout", 5)
    connect_timeout: int = keyed("database_connect_timeout", 3)
    statement_timeout: int = keyed("database_statement_timeout", 15)

    def check(self) -> None:
        """Nothing to check across fields: the URL is checked when the engine is made."""


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """The search engine, its index, and the paging limits of the frame methods."""

    #: "index": an in-memory index per process, SQL while it is being built; "sql": SQL only.
    engine: str = keyed("search_engine", "index")
    index_poll_ms: int = keyed("search_index_poll_ms", 1000)
    #: False builds the index inside the first search that needs it (tests, small catalogs).
    index_background: bool = keyed("search_index_background", True)
    #: `serve`/`demo` build the index in gunicorn's master, so its forks share one copy.
    index_prefork: bool = keyed("search_index_prefork", True)
    default_page_size: int = keyed("default_page_size", 10)
    max_page_size: int = keyed("max_page_size", 100)
    max_product_ids: int = keyed("max_product_ids", 100)
    related_limit: int = keyed("related_limit", 10)
    #: "last": out-of-stock products after the others in relevance order; "hide": left out.
    out_of_stock: str = keyed("search_out_of_stock", "last")

    def check(self) -> None:
        """Refuse a default page larger than the largest, or an unknown engine or policy."""
        if self.default_page_size > self.max_page_size:
            raise ConfigError("OCT8NE_DEFAULT_PAGE_SIZE must not exceed OCT8NE_MAX_PAGE_SIZE")
        if self.engine not in {"index", "sql"}:
            raise ConfigError(f"OCT8NE_SEARCH_ENGINE must be index or sql, not {self.engine!r}")
        if self.out_of_stock not in {"last", "hide"}:
            raise ConfigError(
                f"OCT8NE_SEARCH_OUT_OF_STOCK must be last or hide, not {self.out_of_stock!r}"
            )


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    """What the widget snippet tells oct8ne about the shop's pages and JavaScript hooks."""

    add_to_cart_path: str = keyed("add_to_cart_path", "/cart/add/{id}")
    add_to_cart_http_verb: str = keyed("add_to_cart_http_verb", "POST")
    checkout_path: str = keyed("checkout_path", "/checkout")
    login_path: str = keyed("login_path", "/login")
    checkout_success_path: str = keyed("checkout_success_path", "/checkout/success")
    on_product_added_to_cart: str = keyed("on_product_added_to_cart", "")
    on_product_added_to_wishlist: str = keyed("on_product_added_to_wishlist", "")
    delayed_load: bool = keyed("widget_delayed_load", False)
    delay_ms: int = keyed("widget_delay_ms", 4000)
    #: Language tag -> product page with `{id}`: productUrl when no link of the visitor's
    #: language chain is stored (docs/urls.md).
    product_url_templates: Mapping[str, str] = keyed("product_url_templates", factory=dict)

    def check(self) -> None:
        """Refuse a cart path without `{id}`, another verb, or hooks that are not names."""
        if "{id}" not in self.add_to_cart_path:
            raise ConfigError("OCT8NE_ADD_TO_CART_PATH must contain '{id}'")
        if self.add_to_cart_http_verb not in {"GET", "POST"}:
            raise ConfigError("OCT8NE_ADD_TO_CART_HTTP_VERB must be GET or POST")
        for key, name in (
            ("OCT8NE_ON_PRODUCT_ADDED_TO_CART", self.on_product_added_to_cart),
            ("OCT8NE_ON_PRODUCT_ADDED_TO_WISHLIST", self.on_product_added_to_wishlist),
        ):
            if name and not is_javascript_name(name):
                raise ConfigError(f"{key} must be a JavaScript function name such as shop.onAdded")


@dataclass(frozen=True, slots=True)
class PlatformLinkSettings:
    """The link with the oct8ne platform: credentials, region, servers, and how to call it."""

    #: Every token in force: the first is current, the rest still accepted during a rollover.
    api_tokens: tuple[str, ...] = keyed("api_token", ())
    license: str = keyed("license", "")
    region: str = keyed("region", "us")
    oct8ne_server: str = keyed("oct8ne_server", "")
    oct8ne_static_server: str = keyed("oct8ne_static_server", "")
    timeout: int = keyed("platform_timeout", 10)
    ca_bundle: str = keyed("platform_ca_bundle", "")

    @property
    def api_token(self) -> str:
        """The current token ("" when none is configured)."""
        return self.api_tokens[0] if self.api_tokens else ""

    @property
    def server_host(self) -> str:
        """The oct8ne backoffice host, e.g. `backoffice.oct8ne.com/`."""
        return self.oct8ne_server or REGION_HOSTS[self.region][0]

    @property
    def static_host(self) -> str:
        """The oct8ne static (CDN) host, e.g. `static.oct8ne.com/`."""
        return self.oct8ne_static_server or REGION_HOSTS[self.region][1]

    def check(self) -> None:
        """Refuse an unknown region, an empty token in the list, or servers not written as the
        protocol writes hosts (oct8ne issues the token: it is not held to our secrets' rule)."""
        if "" in self.api_tokens or len(set(self.api_tokens)) != len(self.api_tokens):
            raise ConfigError("OCT8NE_API_TOKEN lists an empty token or the same token twice")
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


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """Rate limits of the frame methods: where they are counted, the default, per method."""

    enabled: bool = keyed("ratelimit_enabled", True)
    storage: str = keyed("ratelimit_storage", "memory://")
    default: str = keyed("ratelimit_default", "300/minute")
    # The token methods have no per-address limit (oct8ne calls them from a few addresses):
    # failed token checks are limited instead, by `auth_failures`.
    methods: Mapping[str, str] = keyed("ratelimits", factory=dict)
    #: Failed token or secret checks allowed per client address (web.auth_limiter).
    auth_failures: str = keyed("auth_failure_limit", "10/minute")

    def check(self) -> None:
        """Refuse a limit that is not a rate limit."""
        parse_limit("OCT8NE_RATELIMIT_DEFAULT", self.default)
        parse_limit("OCT8NE_AUTH_FAILURE_LIMIT", self.auth_failures)


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """How the relay worker delivers events (see events.policy.RelayOptions for the units)."""

    timeout: int = keyed("relay_timeout", 10)
    lease_seconds: int = keyed("relay_lease_seconds", 60)
    max_attempts: int = keyed("relay_max_attempts", 12)
    max_age_hours: int = keyed("relay_max_age_hours", 72)
    backoff_seconds: int = keyed("relay_backoff_seconds", 2)
    backoff_max_seconds: int = keyed("relay_backoff_max_seconds", 3600)
    poll_ms: int = keyed("relay_poll_ms", 1000)
    batch_size: int = keyed("relay_batch_size", 100)
    concurrency: int = keyed("relay_concurrency", 1)
    mark_batch: int = keyed("relay_mark_batch", 1)
    #: Empty: the frame methods' `ratelimit_storage`.
    ratelimit_storage: str = keyed("relay_ratelimit_storage", "")

    def check(self) -> None:
        """Nothing to check across fields: the relay checks its lease when it starts."""


@dataclass(frozen=True, slots=True)
class EventSettings:
    """Commerce events: the HTTP endpoint's shared secret, and the vendor sinks."""

    #: Every secret in force: the first is current, the rest still accepted during a rollover.
    secrets: tuple[str, ...] = keyed("events_secret", ())
    #: Vendor name -> options; each vendor checks its own options.
    sinks: Mapping[str, Mapping[str, Any]] = keyed("event_sinks", factory=dict)

    @property
    def secret(self) -> str:
        """The current secret ("" when the endpoint is off)."""
        return self.secrets[0] if self.secrets else ""

    def check(self) -> None:
        """Refuse a weak events secret; each sink checks its own options when it is built."""
        check_bearer_secrets("events_secret", self.secrets)


@dataclass(frozen=True, slots=True)
class CatalogApiSettings:
    """The live catalog API (`POST/DELETE /oct8ne/catalog/products`) and its bearer secret."""

    #: Every secret in force: the first is current, the rest still accepted during a rollover.
    secrets: tuple[str, ...] = keyed("catalog_secret", ())

    @property
    def secret(self) -> str:
        """The current secret ("" when the API is off)."""
        return self.secrets[0] if self.secrets else ""

    def check(self) -> None:
        """Refuse a weak catalog secret."""
        check_bearer_secrets("catalog_secret", self.secrets)


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """Consent before the widget and the visitor-ids script run; how long records are kept."""

    #: The widget snippet and the visitor-ids script wait for window.oct8neConsent.grant()
    #: (or the page's IAB TCF v2 answer) before loading, reading or setting anything.
    consent_required: bool = keyed("consent_required", False)
    #: IAB TCF v2 purposes (1 to 11) the page's __tcfapi must report as consented.
    consent_purposes: tuple[int, ...] = keyed("consent_purposes", (1,))
    #: Recorded carts, orders and finished events older than this many days are deleted.
    retention_days: int = keyed("retention_days", 90)

    def check(self) -> None:
        """Nothing to check across fields: each value is checked when it is parsed."""


#: A bearer secret the adapter checks is at least this long (`oct8ne-adapter secret` prints one).
MIN_SECRET_LENGTH = 32
#: ... and has at least this many different characters ("a" * 32 is no secret).
MIN_SECRET_DISTINCT = 10
SECRET_COMMAND = (
    "run `oct8ne-adapter secret` (or python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(32))') to print a good one"
)


def check_bearer_secrets(key: str, secrets: tuple[str, ...]) -> None:
    """Refuse a list of secrets if any of them is weak, or the same secret is listed twice."""
    for secret in secrets:
        if not secret:
            raise ConfigError(f"{key} (OCT8NE_{key.upper()}) lists an empty secret")
        check_bearer_secret(key, secret)
    if len(set(secrets)) != len(secrets):
        raise ConfigError(f"{key} (OCT8NE_{key.upper()}) lists the same secret twice")


def check_bearer_secret(key: str, secret: str) -> None:
    """Refuse a secret that a client can guess: short, repetitive, or padded with spaces.

    Empty is allowed: it switches the endpoint off. Every secret a client sends us as
    `Authorization: Bearer` is checked here when the settings are built, at start-up.
    """
    if not secret:
        return
    env = "OCT8NE_" + key.upper()
    if secret != secret.strip() or not secret.isprintable():
        raise ConfigError(
            f"{key} ({env}) must not contain spaces at its ends or control "
            f"characters; {SECRET_COMMAND}"
        )
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_SECRET_DISTINCT:
        raise ConfigError(
            f"{key} ({env}) is too weak: use at least {MIN_SECRET_LENGTH} random characters; "
            f"{SECRET_COMMAND}"
        )


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """`GET /oct8ne/metrics` (Prometheus): off unless enabled, and only for these addresses."""

    enabled: bool = keyed("metrics_enabled", False)
    #: Addresses or networks (CIDR) that may read the metrics; anyone else gets a 403.
    allow: tuple[str, ...] = keyed("metrics_allow", ("127.0.0.1", "::1"))

    def check(self) -> None:
        """Nothing to check across fields: each address is checked when it is parsed."""


#: Settings attribute -> section class, in the order of config.example.toml.
SECTIONS: dict[str, type[Any]] = {
    "database": DatabaseSettings,
    "link": PlatformLinkSettings,
    "widget": WidgetSettings,
    "ratelimits": RateLimitSettings,
    "search": SearchSettings,
    "events": EventSettings,
    "catalog": CatalogApiSettings,
    "relay": RelaySettings,
    "metrics": MetricsSettings,
    "privacy": PrivacySettings,
}
