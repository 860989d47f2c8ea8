"""Google Merchant Center product data (TSV, CSV, RSS, Atom) mapped to ProductRecords.

Mapping: id, title, description, link -> url (the link in the feed's language, kept per
language: a feed imported again with `--locale` adds its language's links); image_link +
additional_image_link -> images; price and sale_price ("15.00 USD") -> the price in that
currency (sale_price is the price and price the previous one; with sale_price_effective_date
"start/end" only inside that window, see `sql/price_windows.py`); availability (out_of_stock
also -> stock 0); brand; product_type (else google_product_category as text) -> category
path; color, size, material, gender, age_group, pattern -> attributes; item_group_id -> group:
the items of a group are the variants of one product, which the writer stores under the
group's id with useProductUrl true (the visitor picks the variant on the product page); id (the
row's SKU), gtin (one or several, comma-separated) and mpn -> codes (see `feeds/codes.py`). Other
Merchant Center fields are ignored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds import codes
from oct8ne_adapter.feeds.fields import (
    AVAILABILITIES,
    KNOWN_CURRENCIES,
    InvalidRecord,
    check_code,
    check_money,
    check_text,
    check_url,
    sale_of,
    slug,
    timestamp,
)
from oct8ne_adapter.feeds.records import (
    AttributeValueRef,
    CategoryRef,
    ProductRecord,
)

ATTRIBUTE_FIELDS = ("color", "size", "material", "gender", "age_group", "pattern")
AVAILABILITY = AVAILABILITIES
_PRICE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]{3})\s*$")
_CATEGORY_SEPARATOR = re.compile(r"\s*>\s*")
_ID_LIMIT = 64

#: field name -> its values in the row (a field may repeat: additional_image_link in XML).
Fields = Mapping[str, Sequence[str]]


@lru_cache(maxsize=1024)
def normalize_field(name: str) -> str:
    """`Image Link`, `g:image_link` and `image_link` are one field."""
    name = name.strip().lower().removeprefix("g:")
    return re.sub(r"[\s-]+", "_", name)


def _first(fields: Fields, name: str) -> str:
    for value in fields.get(name, ()):
        stripped = value.strip()
        if stripped:
            return stripped
    return ""


def parse_price(text: str, name: str) -> tuple[str, ProductPrice]:
    """`15.00 USD` -> ("USD", 15.00); InvalidRecord if it is not "amount CUR"."""
    match = _PRICE.match(text.replace(",", "") if text.count(",") and "." in text else text)
    if not match:
        raise InvalidRecord(f'{name} must be "amount CUR" such as "15.00 USD", not {text!r}')
    amount, currency = match.group(1), match.group(2).upper()
    if currency not in KNOWN_CURRENCIES:
        raise InvalidRecord(f"{name}: unknown currency {currency!r}")
    return currency, ProductPrice(amount=check_money(amount, currency, name))


@lru_cache(maxsize=4096)
def category_path(text: str, language: str) -> tuple[CategoryRef, ...]:
    """`Sports > Climbing` -> two levels whose ids are the slugged path from the root.

    Cached: a feed names the same few hundred paths over and over (the refs are never mutated).
    """
    names = [name for name in _CATEGORY_SEPARATOR.split(text.strip()) if name]
    path: list[CategoryRef] = []
    ids: list[str] = []
    for name in names[:10]:
        ids.append(slug(name))
        category_id = "/".join(ids)
        if len(category_id) > _ID_LIMIT:
            digest = hashlib.blake2b(category_id.encode(), digest_size=8).hexdigest()
            category_id = f"{category_id[: _ID_LIMIT - 17]}.{digest}"
        label = check_text(name, "category", 200)
        path.append(CategoryRef(id=category_id, names={language: label}))
    return tuple(path)


@lru_cache(maxsize=4096)
def _attribute_value(code: str, value: str) -> tuple[AttributeValueRef, ...]:
    """The attribute's one value (cached: colors and sizes repeat; the refs are never mutated)."""
    return (AttributeValueRef(code=check_text(value, code, 200)),)


def to_record(fields: Fields, language: str) -> ProductRecord:
    """Validate one Merchant Center row; InvalidRecord names the field at fault."""
    raw_id = _first(fields, "id")
    if not raw_id:
        raise InvalidRecord("id is required")
    product_id = check_code(raw_id, "id")
    title = check_text(_first(fields, "title"), "title", 500)
    if not title:
        raise InvalidRecord("title is required")
    description = check_text(_first(fields, "description"), "description")
    url = check_url(_first(fields, "link"), "link", required=True) or ""
    images: list[str] = []
    for field in ("image_link", "additional_image_link"):
        for value in fields.get(field, ()):
            # TSV/CSV list several additional images in one cell, separated by commas.
            for url_text in value.split(",") if field == "additional_image_link" else [value]:
                image = check_url(url_text.strip(), field)
                if image and image not in images:
                    images.append(image)
    price_text = _first(fields, "price")
    if not price_text:
        raise InvalidRecord("price is required")
    currency, price = parse_price(price_text, "price")
    sale_text = _first(fields, "sale_price")
    if sale_text:
        price = _with_sale(price, currency, sale_text, _first(fields, "sale_price_effective_date"))
    availability = normalize_field(_first(fields, "availability"))
    if availability and availability not in AVAILABILITY:
        raise InvalidRecord(
            f"availability must be one of {', '.join(sorted(AVAILABILITY))}, not {availability!r}"
        )
    categories = _first(fields, "product_type") or _first(fields, "google_product_category")
    # A numeric Google category id names a taxonomy entry we do not ship: no category then.
    path = category_path(categories, language) if categories and not categories.isdigit() else ()
    attributes: dict[str, tuple[AttributeValueRef, ...]] = {}
    for code in ATTRIBUTE_FIELDS:
        value = _first(fields, code)
        if value:
            attributes[code] = _attribute_value(code, value)
    brand = _first(fields, "brand")
    group = _first(fields, "item_group_id")
    if group:
        check_code(group, "item_group_id")
    return ProductRecord(
        id=product_id,
        titles={language: title},
        descriptions={language: description} if description else {},
        url=url,
        thumbnail=None,
        images=tuple(images),
        prices={currency: price},
        brand=check_text(brand, "brand", 200) or None,
        category_path=path,
        attributes=attributes,
        has_variants=bool(group),
        group=group or None,
        stock=0 if availability == "out_of_stock" else None,
        availability=availability or None,
        # The link is the feed language's: a localized feed (`--locale es-ES`) adds its own.
        urls={language: url},
        codes=_codes(product_id, fields),
    )


def _with_sale(price: ProductPrice, currency: str, sale_text: str, window: str) -> ProductPrice:
    """The price with its sale: always on without `window`, else timed ("from/until")."""
    sale_currency, sale = parse_price(sale_text, "sale_price")
    if sale_currency != currency:
        raise InvalidRecord(f"sale_price is in {sale_currency} but price in {currency}")
    if not window:
        if sale.amount < price.amount:
            return ProductPrice(amount=sale.amount, previous_amount=price.amount)
        return price
    name = "sale_price_effective_date"
    parts = window.split("/")
    if len(parts) != 2:
        raise InvalidRecord(f'{name} must be "start/end" in ISO 8601, not {window[:100]!r}')
    starts, ends = (timestamp(part, name) for part in parts)
    timed = sale_of(sale.amount, price.amount, starts, ends, name)
    return price if timed is None else ProductPrice(amount=price.amount, sale=timed)


def _codes(product_id: str, fields: Fields) -> tuple[codes.ProductCode, ...]:
    """The row's id as its SKU (Merchant Center asks for the SKU as id), its GTINs and MPN."""
    sku = codes.ProductCode("sku", product_id)
    # Empty cells are no codes (`check_value` returns None for them): dropped before checking.
    gtins = [part for value in fields.get("gtin", ()) for part in value.split(",") if part.strip()]
    mpn = _first(fields, "mpn")
    if not gtins and not mpn:
        return (sku,)  # a row with its id only: nothing to check or to deduplicate
    return codes.unique(
        [sku, *codes.of_kind("gtin", gtins), *codes.of_kind("mpn", [mpn] if mpn else [])]
    )
