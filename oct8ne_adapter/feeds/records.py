"""The adapter's JSON Lines catalog format: one product per line, validated into ProductRecords.

A line looks like this (only `id`, `title`, `url` and one price are required)::

    {"id": "1001", "title": {"en": "Trail shoe", "es": "Zapatilla"}, "description": {"en": "..."},
     "url": "/p/1001", "thumbnail": "/img/1001-s.jpg", "images": ["/img/1001.jpg"],
     "prices": {"USD": {"price": "89.90", "previous": "99.90"}, "EUR": "84.90"},
     "brand": "Northpeak",
     "category": [{"id": "shoes", "name": {"en": "Shoes", "es": "Calzado"}},
                  {"id": "trail", "name": {"en": "Trail", "es": "Montaña"}}],
     "attributes": {"color": [{"value": "red", "label": {"en": "Red", "es": "Rojo"}}],
                    "size": ["42", "43"]},
     "variants": true, "stock": 12, "availability": "in_stock", "active": true,
     "related": ["1002"], "group": "shoe-1"}

`group` plays Merchant Center's item_group_id: lines of one group are variants of one product, and
the catalog gets that product (id: the group), each line kept as a variant under its own id; see
`sql/writer/groups.py` and `feeds/variants.py`. A plain string where a translated text is
expected is taken as the default language's text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision, list_currencies

from oct8ne_adapter.domain import Availability, ProductPrice
from oct8ne_adapter.errors import ImportFailed, Oct8neError
from oct8ne_adapter.feeds.variants import VariantRecord

_KNOWN_CURRENCIES = frozenset(list_currencies())
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
MAX_TEXT = 100_000
AVAILABILITIES = frozenset(availability.value for availability in Availability)
_SPACE = re.compile(r"\s")
#: Names reserved by the search method; an attribute cannot use them as its filter name.
RESERVED_ATTRIBUTE_CODES = frozenset(
    {
        "search",
        "page",
        "pagesize",
        "start",
        "count",
        "orderby",
        "dir",
        "locale",
        "currency",
        "callback",
        "category",
        "brand",
        "price",
        "availability",
        "_",
    }
)

Translations = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """One level of a product's category path."""

    id: str
    names: Translations


@dataclass(frozen=True, slots=True)
class AttributeValueRef:
    """One value of an attribute, with optional translated labels."""

    code: str
    labels: Translations = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A validated product ready to be written to the catalog."""

    id: str
    titles: Translations
    descriptions: Translations
    url: str
    thumbnail: str | None
    images: tuple[str, ...]
    prices: Mapping[str, ProductPrice]
    brand: str | None = None
    category_path: tuple[CategoryRef, ...] = ()
    attributes: Mapping[str, tuple[AttributeValueRef, ...]] = field(default_factory=dict)
    has_variants: bool = False
    stock: int | None = None
    #: A `domain.Availability` value; None: from `stock` (out of stock when not positive).
    availability: str | None = None
    active: bool = True
    related: tuple[str, ...] = ()
    #: The variant group (Merchant Center item_group_id) the record is one variant of.
    group: str | None = None
    #: A group's rows, each under its own id (set by the writer when it merges a group).
    variants: tuple[VariantRecord, ...] = ()


class InvalidRecord(Oct8neError, ValueError):
    """A product line that breaks the format; the message says which field and why."""


def read_jsonl(lines: Iterable[str], default_language: str) -> Iterator[tuple[int, ProductRecord]]:
    """Parse JSON Lines into (line number, record); blank lines are skipped.

    Raises ImportFailed naming the first bad line; ids repeated within the file are refused too.
    """
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            record = parse_product(data, default_language)
        except json.JSONDecodeError as error:
            raise ImportFailed(f"line {number}: not valid JSON ({error.msg})") from None
        except (ValueError, RecursionError) as error:
            # json.loads also refuses over-long integers (ValueError) and deep nesting.
            raise ImportFailed(f"line {number}: not valid JSON ({error})") from None
        except InvalidRecord as error:
            raise ImportFailed(f"line {number}: {error}") from None
        if record.id in seen:
            raise ImportFailed(f"line {number}: product id {record.id!r} appears twice")
        seen.add(record.id)
        yield number, record


def parse_product(data: Any, default_language: str) -> ProductRecord:
    """Validate one decoded JSON object into a ProductRecord."""
    if not isinstance(data, dict):
        raise InvalidRecord("each line must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InvalidRecord(f"unknown field {unknown[0]!r}")
    product_id = _code(data.get("id"), "id")
    titles = _translations(data.get("title"), "title", default_language, required=True)
    return ProductRecord(
        id=product_id,
        titles=titles,
        descriptions=_translations(data.get("description"), "description", default_language),
        url=_url(data.get("url"), "url", required=True) or "",
        thumbnail=_url(data.get("thumbnail"), "thumbnail"),
        images=tuple(_url(item, "images[]", required=True) or "" for item in _list(data, "images")),
        prices=_prices(data.get("prices")),
        brand=_optional_text(data.get("brand"), "brand", 200),
        category_path=tuple(_category(item, default_language) for item in _list(data, "category")),
        attributes=_attributes(data.get("attributes"), default_language),
        has_variants=_bool(data.get("variants", False), "variants"),
        stock=_stock(data.get("stock")),
        availability=_availability(data.get("availability")),
        active=_bool(data.get("active", True), "active"),
        related=tuple(_code(item, "related[]") for item in _list(data, "related")),
        group=None if data.get("group") is None else _code(data["group"], "group"),
    )


_FIELDS = frozenset(
    {
        "id",
        "title",
        "description",
        "url",
        "thumbnail",
        "images",
        "prices",
        "brand",
        "category",
        "attributes",
        "variants",
        "stock",
        "availability",
        "active",
        "related",
        "group",
    }
)


def _code(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidRecord(
            f"{name} must be 1-64 letters, digits or _.:/- starting with a letter or digit"
        )
    return value


def _translations(
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


def _url(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > 2000 or _SPACE.search(value):
        raise InvalidRecord(f"{name} must be a URL or path without spaces")
    if not value.startswith(("http://", "https://", "//", "/")):
        raise InvalidRecord(f"{name} must be absolute (https://...) or start with /")
    return value


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
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


def _money(value: Any, currency: str, name: str) -> Decimal:
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


def _prices(value: Any) -> dict[str, ProductPrice]:
    if not isinstance(value, dict) or not value:
        raise InvalidRecord('prices is required: {"USD": "19.90"} or {"USD": {"price": ...}}')
    prices: dict[str, ProductPrice] = {}
    for currency, entry in value.items():
        if currency not in _KNOWN_CURRENCIES or len(currency) != 3:
            raise InvalidRecord(f"prices: {currency!r} is not an ISO 4217 currency code")
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"price", "previous"})
            if unknown:
                raise InvalidRecord(f"prices.{currency}: unknown field {unknown[0]!r}")
            amount = _money(entry.get("price"), currency, f"prices.{currency}.price")
            previous_raw = entry.get("previous")
            previous = (
                None
                if previous_raw is None
                else _money(previous_raw, currency, f"prices.{currency}.previous")
            )
        else:
            amount, previous = _money(entry, currency, f"prices.{currency}"), None
        prices[currency] = ProductPrice(amount=amount, previous_amount=previous)
    return prices


def _optional_text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRecord(f"{name} must be a string of at most {limit} characters")
    return value.strip() or None


def _category(value: Any, default_language: str) -> CategoryRef:
    if not isinstance(value, dict) or set(value) - {"id", "name"}:
        raise InvalidRecord('category must be a list of {"id": ..., "name": ...} from the root')
    return CategoryRef(
        id=_code(value.get("id"), "category[].id"),
        names=_translations(
            value.get("name"), "category[].name", default_language, required=True, limit=200
        ),
    )


def _attributes(value: Any, default_language: str) -> dict[str, tuple[AttributeValueRef, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRecord("attributes must be an object of name: [values]")
    attributes: dict[str, tuple[AttributeValueRef, ...]] = {}
    for code, values in value.items():
        if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", code):
            raise InvalidRecord(f"attribute name {code!r} must be lower-case letters, digits or _")
        if code in RESERVED_ATTRIBUTE_CODES:
            raise InvalidRecord(f"attribute name {code!r} is reserved by the search method")
        items = values if isinstance(values, list) else [values]
        refs: dict[str, AttributeValueRef] = {}
        for item in items:
            ref = _attribute_value(item, code, default_language)
            refs.setdefault(ref.code, ref)
        attributes[code] = tuple(refs.values())
    return attributes


def _attribute_value(item: Any, code: str, default_language: str) -> AttributeValueRef:
    if isinstance(item, str | int) and not isinstance(item, bool):
        text = str(item).strip()
        if not text or len(text) > 200:
            raise InvalidRecord(f"attributes.{code}: values must be 1-200 characters")
        return AttributeValueRef(code=text)
    if isinstance(item, dict) and not set(item) - {"value", "label"}:
        ref = _attribute_value(item.get("value"), code, default_language)
        labels = _translations(
            item.get("label"), f"attributes.{code}.label", default_language, limit=200
        )
        return AttributeValueRef(code=ref.code, labels=labels)
    raise InvalidRecord(f'attributes.{code}: each value is a string or {{"value", "label"}}')


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidRecord(f"{name} must be true or false")
    return value


def _availability(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in AVAILABILITIES:
        return value
    raise InvalidRecord(f"availability must be one of {', '.join(sorted(AVAILABILITIES))}")


def _stock(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(10**9) < value < 10**9:
        raise InvalidRecord("stock must be a whole number")
    return value


# Validators shared with the Google Merchant Center readers in `feeds/`.
KNOWN_CURRENCIES = _KNOWN_CURRENCIES


def check_code(value: Any, name: str) -> str:
    """An identifier (product, category) as the catalog accepts it, else InvalidRecord."""
    return _code(value, name)


def check_url(value: Any, name: str, *, required: bool = False) -> str | None:
    """An absolute URL or a path starting with /, else InvalidRecord."""
    return _url(value, name, required=required)


def check_money(value: str, currency: str, name: str) -> Decimal:
    """A non-negative amount with at most the currency's decimals, else InvalidRecord."""
    return _money(value, currency, name)


def check_text(value: str, name: str, limit: int = MAX_TEXT) -> str:
    """A text of at most `limit` characters, stripped, else InvalidRecord."""
    if len(value) > limit:
        raise InvalidRecord(f"{name} must be at most {limit} characters")
    return value.strip()


def slug(name: str) -> str:
    """A stable identifier for a free-text name: `Café Noir` -> `cafe-noir`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64] or "x"
