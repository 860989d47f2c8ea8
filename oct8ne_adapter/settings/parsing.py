"""Validators that turn one raw config value (TOML, environment or Flask config) into its type."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from oct8ne_adapter.errors import ConfigError

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z]{2}|-[0-9]{3})?")
_SPACE = re.compile(r"\s")
_HOST_PATH = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?/")
#: A pool may have no overflow, ProxyFix no hops, and the change log may be read on every
#: search; other counts are at least 1.
ZERO_ALLOWED = frozenset({"database_max_overflow", "proxy_fix_hops", "search_index_poll_ms"})
#: Credentials that accept a list (the current one first) so that they can be rolled over.
SECRET_LISTS = frozenset({"api_token", "events_secret", "catalog_secret"})
#: What separates the secrets of a list given as one string (an environment variable).
SECRET_SEPARATOR = ","


def host_path_is_valid(host: str) -> bool:
    """Whether `host` is an oct8ne host as the protocol writes it: `static.oct8ne.com/`."""
    return _HOST_PATH.fullmatch(host) is not None


def parse_value(name: str, raw: object, default: object) -> Any:
    """The value of config key `name` (without its prefix), typed like its default."""
    key = "OCT8NE_" + name.upper()
    if name == "exchange_rates":
        return parse_rates(raw)
    if name == "ratelimits":
        # Merged over the defaults: limiting search must not drop the order methods' limits.
        assert isinstance(default, Mapping)
        return {**default, **parse_ratelimits(raw)}
    if name == "currencies":
        return parse_codes(key, raw)
    if name == "cors_origins":
        return parse_origins(key, raw)
    if name == "event_sinks":
        return parse_event_sinks(key, raw)
    if name == "metrics_allow":
        return parse_networks(key, raw)
    if name == "product_url_templates":
        return parse_url_templates(key, raw)
    if name in SECRET_LISTS:
        return parse_secrets(key, raw)
    if name == "consent_purposes":
        return parse_purposes(key, raw)
    if isinstance(default, bool):
        return parse_bool(key, raw)
    if isinstance(default, float):
        return parse_share(key, raw)
    if isinstance(default, int):
        return parse_int(key, raw, 0 if name in ZERO_ALLOWED else 1)
    if not isinstance(raw, str):
        raise ConfigError(f"{key} must be a string, not {type(raw).__name__}")
    return raw


def parse_purposes(key: str, raw: object) -> tuple[int, ...]:
    """IAB TCF v2 purpose numbers (1 to 11): a TOML list or a comma-separated string."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not items:
        raise ConfigError(f"{key} must be a list of TCF purpose numbers such as [1, 3]")
    purposes = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit() or not 1 <= int(text) <= 11:
            raise ConfigError(f"{key} must hold TCF purpose numbers from 1 to 11, not {item!r}")
        purposes.append(int(text))
    return tuple(sorted(set(purposes)))


def parse_bool(key: str, raw: object) -> bool:
    """true/false, or a string such as "yes", "off", "1"."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(raw, str) and raw.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key} must be true or false, not {raw!r}")


def parse_int(key: str, raw: object, minimum: int) -> int:
    """A whole number of at least `minimum`."""
    try:
        number = int(str(raw).strip()) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, not {raw!r}") from None
    if number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, not {number}")
    return number


def parse_share(key: str, raw: object) -> float:
    """A share from 0 to 1, such as 0.2 (a TOML number, or a string from a Flask config)."""
    try:
        share = float(str(raw).strip()) if not isinstance(raw, bool) else -1.0
    except ValueError:
        raise ConfigError(f"{key} must be a number from 0 to 1, not {raw!r}") from None
    if not 0 <= share <= 1:  # NaN fails this too
        raise ConfigError(f"{key} must be a number from 0 to 1, not {raw!r}")
    return share


def _words(raw: object) -> object:
    """A comma- or space-separated string as a list; anything else as it is."""
    if isinstance(raw, str):
        return [part for part in raw.replace(" ", ",").split(",") if part]
    return raw


def parse_secrets(key: str, raw: object) -> tuple[str, ...]:
    """One secret, a TOML list of them, or a comma-separated string: the current one first.

    Items are not stripped: a secret padded with spaces is refused by its strength check
    rather than quietly changed. "" (or an empty list) configures none.
    """
    if isinstance(raw, str):
        return tuple(raw.split(SECRET_SEPARATOR)) if raw else ()
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f'{key} must be a string or a list of strings such as ["new", "old"]')
    return tuple(raw)


def parse_codes(key: str, raw: object) -> tuple[str, ...]:
    """A list of currency codes (checked as ISO 4217 with the rest of the settings)."""
    raw = _words(raw)
    if not isinstance(raw, list | tuple) or not all(isinstance(code, str) for code in raw):
        raise ConfigError(f'{key} must be a list of currency codes such as ["USD", "EUR"]')
    return tuple(raw)


def parse_origins(key: str, raw: object) -> tuple[str, ...]:
    """A list of web origins such as https://shop.example."""
    raw = _words(raw)
    if not isinstance(raw, list | tuple) or not all(isinstance(origin, str) for origin in raw):
        raise ConfigError(f'{key} must be a list of origins such as ["https://shop.example"]')
    for origin in raw:
        scheme, _, host = origin.partition("://")
        if scheme not in {"http", "https"} or not host or "/" in host or "*" in origin:
            raise ConfigError(f"{key}: {origin!r} is not an origin such as https://shop.example")
    return tuple(raw)


def parse_networks(key: str, raw: object) -> tuple[str, ...]:
    """A list of IP addresses or networks such as 127.0.0.1 or 10.0.0.0/8."""
    raw = _words(raw)
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f'{key} must be a list of addresses such as ["127.0.0.1", "10.0.0.0/8"]')
    for item in raw:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{key}: {item!r} is not an address or network (CIDR)") from None
    return tuple(raw)


def parse_event_sinks(key: str, raw: object) -> dict[str, dict[str, Any]]:
    """A table of vendor name -> table of options; each vendor checks its own options."""
    if not isinstance(raw, Mapping) or not all(
        isinstance(options, Mapping) for options in raw.values()
    ):
        raise ConfigError(f"{key} must be a table of vendor = {{options}} tables")
    return {str(vendor): dict(options) for vendor, options in raw.items()}


def parse_limit(key: str, raw: object) -> str:
    """A rate limit such as "10/minute"."""
    from limits import parse

    if not isinstance(raw, str):
        raise ConfigError(f'{key} must be a rate limit such as "10/minute"')
    try:
        parse(raw)
    except ValueError:
        raise ConfigError(f'{key}: {raw!r} is not a rate limit such as "10/minute"') from None
    return raw


def parse_url_templates(key: str, raw: object) -> dict[str, str]:
    """A table of language tag (`es`, `es-MX`) -> link with `{id}`: absolute http(s) or /path."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f'{key} must be a table of language = "https://shop.example/p/{{id}}"')
    templates: dict[str, str] = {}
    for language, template in raw.items():
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise ConfigError(f"{key}: {language!r} is not a language tag such as 'es' or 'es-MX'")
        if not isinstance(template, str) or "{id}" not in template or _SPACE.search(template):
            raise ConfigError(f"{key}.{language} must be a link without spaces containing '{{id}}'")
        if not template.startswith(("http://", "https://", "/")):
            raise ConfigError(f"{key}.{language} must start with https://, http:// or /")
        try:
            template.format(id="x")
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                f"{key}.{language}: only {{id}} may be in braces (write {{{{ for a brace)"
            ) from None
        # Stored as visitors' chains write tags (`es-mx` -> `es-MX`), so that they meet.
        base, _, region = language.partition("-")
        templates[base.lower() + ("-" + region.upper() if region else "")] = template
    return templates


def parse_ratelimits(raw: object) -> dict[str, str]:
    """A table of frame method (lower-cased) -> rate limit."""
    if not isinstance(raw, Mapping):
        raise ConfigError('OCT8NE_RATELIMITS must be a table of method = "N/period"')
    return {
        str(method).lower(): parse_limit(f"OCT8NE_RATELIMITS.{method}", limit)
        for method, limit in raw.items()
    }


def parse_rates(raw: object) -> dict[str, Decimal]:
    """A table of currency -> positive exchange rate, as Decimals."""
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


def check_currency_codes(codes: list[tuple[str, str]]) -> None:
    """Refuse any (key, code) whose code is not an ISO 4217 code like 'USD'."""
    for key, code in codes:
        if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
            raise ConfigError(f"{key}: {code!r} is not an ISO 4217 currency code like 'USD'")
