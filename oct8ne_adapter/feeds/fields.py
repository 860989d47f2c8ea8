"""Checks of single field values shared by every feed reader: ids, texts, URLs, money, stock."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, list_currencies

from oct8ne_adapter.domain import Availability, ProductPrice, Sale
from oct8ne_adapter.errors import Oct8neError
from oct8ne_adapter.moments import utc_moment

KNOWN_CURRENCIES = frozenset(list_currencies())
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
MAX_TEXT = 100_000
AVAILABILITIES = frozenset(kind.value for kind in Availability)
_SPACE = re.compile(r"\s")


class InvalidRecord(Oct8neError, ValueError):
    """A product line that breaks the format; the message says which field and why."""


def check_code(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidRecord(
            f"{name} must be 1-64 letters, digits or _.:/- starting with a letter or digit"
        )
    return value


def translations(
    value: Any, name: str, default_language: str, *, required: bool = False, limit: int = MAX_TEXT
) -> dict[str, str]:
    if value is None:
        if required:
            raise InvalidRecord(f"{name} is required")
        return {}
    if isinstance(value, str):
        value = {default_language: value}
    if not isinstance(value, dict):
        raise InvalidRecord(f"{name} must be a string or an object of language: text")
    texts: dict[str, str] = {}
    for language, text in value.items():
        if not isinstance(language, str) or not _LANGUAGE.match(language):
            raise InvalidRecord(
                f"{name}: {language!r} is not a language tag such as 'en' or 'es-ES'"
            )
        if not isinstance(text, str) or len(text) > limit:
            raise InvalidRecord(f"{name}.{language} must be a string of at most {limit} characters")
        if text.strip():
            texts[language] = text.strip()
    if required and not texts:
        raise InvalidRecord(f"{name} must not be empty")
    return texts


def check_url(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > 2000 or _SPACE.search(value):
        raise InvalidRecord(f"{name} must be a URL or path without spaces")
    if not value.startswith(("http://", "https://", "//", "/")):
        raise InvalidRecord(f"{name} must be absolute (https://...) or start with /")
    return value


def check_urls(value: Any, name: str, default_language: str) -> dict[str, str]:
    """A link, or an object of language tag -> link (per-language product pages); at least one.

    A plain string is the default language's link, as a plain string title is its title.
    """
    if not isinstance(value, dict):
        return {default_language: check_url(value, name, required=True) or ""}
    links: dict[str, str] = {}
    for language, url in value.items():
        if not isinstance(language, str) or not _LANGUAGE.match(language):
            raise InvalidRecord(
                f"{name}: {language!r} is not a language tag such as 'en' or 'es-ES'"
            )
        tag = known_language(language)
        if tag is None:
            # No visitor's locale can ever name it (unknown locales fall back to the default).
            raise InvalidRecord(f"{name}: {language!r} is not a language or locale Babel knows")
        if not isinstance(url, str):
            raise InvalidRecord(f"{name}.{language} must be a string, not {type(url).__name__}")
        if tag in links:
            raise InvalidRecord(f"{name}: {language!r} names the language {tag!r} twice")
        links[tag] = check_url(url, f"{name}.{language}", required=True) or ""
    if not links:
        raise InvalidRecord(f"{name} must not be empty")
    return links


@cache
def known_language(tag: str) -> str | None:
    """`es-es` -> `es-ES`, written as visitors' language chains write it; None if Babel does not
    know the language (or region)."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def listed(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise InvalidRecord(f"{name} must be a list")
    return value


@cache
def _precision(currency: str) -> tuple[int, Decimal]:
    """The currency's number of decimals and its smallest amount (cached: Babel's lookup is
    slow, and an import checks a price or two per product)."""
    digits = get_currency_precision(currency)
    return digits, Decimal(1).scaleb(-digits)


def check_money(value: Any, currency: str, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRecord(f'{name} must be a decimal string such as "19.90"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidRecord(f"{name} is not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise InvalidRecord(f"{name} must be between 0 and 999999999999")
    digits, quantum = _precision(currency)
    if amount != amount.quantize(quantum):
        raise InvalidRecord(f"{name} has more than {digits} decimals for {currency}")
    return amount


def prices(value: Any) -> dict[str, ProductPrice]:
    if not isinstance(value, dict) or not value:
        raise InvalidRecord('prices is required: {"USD": "19.90"} or {"USD": {"price": ...}}')
    by_currency: dict[str, ProductPrice] = {}
    for currency, entry in value.items():
        if currency not in KNOWN_CURRENCIES or len(currency) != 3:
            raise InvalidRecord(f"prices: {currency!r} is not an ISO 4217 currency code")
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"price", "previous", "sale"})
            if unknown:
                raise InvalidRecord(f"prices.{currency}: unknown field {unknown[0]!r}")
            amount = check_money(entry.get("price"), currency, f"prices.{currency}.price")
            previous_raw = entry.get("previous")
            previous = (
                None
                if previous_raw is None
                else check_money(previous_raw, currency, f"prices.{currency}.previous")
            )
            sale = _sale(entry.get("sale"), currency, amount)
        else:
            amount, previous = check_money(entry, currency, f"prices.{currency}"), None
            sale = None
        by_currency[currency] = ProductPrice(amount=amount, previous_amount=previous, sale=sale)
    return by_currency


def _sale(value: Any, currency: str, regular: Decimal) -> Sale | None:
    """`{"price": "79.90", "from": ISO 8601, "until": ISO 8601}`: a timed sale price."""
    if value is None:
        return None
    name = f"prices.{currency}.sale"
    if not isinstance(value, dict) or set(value) != {"price", "from", "until"}:
        raise InvalidRecord(f'{name} must be {{"price": ..., "from": ..., "until": ...}}')
    amount = check_money(value["price"], currency, f"{name}.price")
    starts = timestamp(value["from"], f"{name}.from")
    ends = timestamp(value["until"], f"{name}.until")
    return sale_of(amount, regular, starts, ends, name)


def timestamp(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time (an offset, else UTC) as an aware UTC datetime."""
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidRecord(f"{name} must be an ISO 8601 date-time such as 2026-12-01T00:00Z")
    try:
        # Merchant Center reads a time without an offset as UTC; so does utc_moment.
        moment = utc_moment(value)
    except ValueError:
        raise InvalidRecord(
            f"{name} must be an ISO 8601 date-time such as 2026-12-01T00:00Z, not {value!r}"
        ) from None
    # Every backend stores these years (MariaDB's DATETIME starts at 1000).
    if not 1970 <= moment.year <= 9998:
        raise InvalidRecord(f"{name}: {value!r} is not between 1970 and 9998")
    return moment


def sale_of(
    amount: Decimal, regular: Decimal, starts: datetime, ends: datetime, name: str
) -> Sale | None:
    """A sale in [starts, ends); None when it is no discount (a sale price not below the price)."""
    if ends <= starts:
        raise InvalidRecord(f"{name}: the window ends ({ends.isoformat()}) before it starts")
    if amount >= regular:
        return None
    return Sale(amount=amount, starts=starts, ends=ends)


def optional_text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRecord(f"{name} must be a string of at most {limit} characters")
    return value.strip() or None


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidRecord(f"{name} must be true or false")
    return value


def availability(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in AVAILABILITIES:
        return value
    raise InvalidRecord(f"availability must be one of {', '.join(sorted(AVAILABILITIES))}")


def stock(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(10**9) < value < 10**9:
        raise InvalidRecord("stock must be a whole number")
    return value


def check_text(value: str, name: str, limit: int = MAX_TEXT) -> str:
    """A text of at most `limit` characters, stripped, else InvalidRecord."""
    if len(value) > limit:
        raise InvalidRecord(f"{name} must be at most {limit} characters")
    return value.strip()


def slug(name: str) -> str:
    """A stable identifier for a free-text name: `Café Noir` -> `cafe-noir`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64] or "x"
