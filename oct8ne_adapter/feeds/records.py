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
     "related": ["1002"], "group": "shoe-1",
     "codes": {"sku": "NP-TS-42", "gtin": "4006381333931", "mpn": ["TS-2024"]}}

`url` may also be an object of language tag -> link (`{"en": "/en/p/1001", "es-ES":
"/es/p/1001"}`): each visitor gets the link of the best language of their chain (`docs/urls.md`).

`group` plays Merchant Center's item_group_id: lines of one group are variants of one product, and
the catalog gets that product (id: the group), each line kept as a variant under its own id; see
`sql/writer/groups.py` and `feeds/variants.py`. A plain string where a translated text is
expected is taken as the default language's text. `codes` (SKU, GTIN, MPN: a string or a list
each) are searched exactly; see `feeds/codes.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import codes, fields
from oct8ne_adapter.feeds.codes import ProductCode
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.variants import VariantRecord

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
    #: Every link by language tag; `url` is the feed language's one (else the first).
    urls: Mapping[str, str] = field(default_factory=dict)
    #: SKU, GTIN and MPN codes of this row (a group's product has none: its variants have them).
    codes: tuple[ProductCode, ...] = ()


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
    product_id = fields.check_code(data.get("id"), "id")
    titles = fields.translations(data.get("title"), "title", default_language, required=True)
    urls = fields.check_urls(data.get("url"), "url", default_language)
    return ProductRecord(
        id=product_id,
        titles=titles,
        descriptions=fields.translations(data.get("description"), "description", default_language),
        url=main_url(urls, default_language),
        thumbnail=fields.check_url(data.get("thumbnail"), "thumbnail"),
        images=tuple(
            fields.check_url(item, "images[]", required=True) or ""
            for item in fields.listed(data, "images")
        ),
        prices=fields.prices(data.get("prices")),
        brand=fields.optional_text(data.get("brand"), "brand", 200),
        category_path=tuple(
            _category(item, default_language) for item in fields.listed(data, "category")
        ),
        attributes=_attributes(data.get("attributes"), default_language),
        has_variants=fields.boolean(data.get("variants", False), "variants"),
        stock=fields.stock(data.get("stock")),
        availability=fields.availability(data.get("availability")),
        active=fields.boolean(data.get("active", True), "active"),
        related=tuple(
            fields.check_code(item, "related[]") for item in fields.listed(data, "related")
        ),
        group=None if data.get("group") is None else fields.check_code(data["group"], "group"),
        urls=urls,
        codes=codes.codes_object(data.get("codes")),
    )


def main_url(urls: Mapping[str, str], language: str) -> str:
    """The link in the feed's language, else the first: the one a language-less reader shows."""
    found = urls.get(language) or urls.get(fields.known_language(language) or language)
    return found or next(iter(urls.values()))


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
        "codes",
    }
)


def _category(value: Any, default_language: str) -> CategoryRef:
    if not isinstance(value, dict) or set(value) - {"id", "name"}:
        raise InvalidRecord('category must be a list of {"id": ..., "name": ...} from the root')
    return CategoryRef(
        id=fields.check_code(value.get("id"), "category[].id"),
        names=fields.translations(
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
        labels = fields.translations(
            item.get("label"), f"attributes.{code}.label", default_language, limit=200
        )
        return AttributeValueRef(code=ref.code, labels=labels)
    raise InvalidRecord(f'attributes.{code}: each value is a string or {{"value", "label"}}')
