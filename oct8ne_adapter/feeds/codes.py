"""Product codes (SKU, GTIN/EAN/UPC, MPN): how feeds give them and how they are compared.

A code is compared in its *normal form*: upper case, without spaces and hyphens (`abc-123`,
`ABC 123` and `ABC123` are one code); a normal form of 8, 12, 13 or 14 digits is a GTIN and is
zero-padded to 14 digits, so an EAN-13, its UPC-12 and its GTIN-14 are one code. Search compares
normal forms exactly (no prefixes): see docs/codes.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oct8ne_adapter.feeds.fields import InvalidRecord

#: The kinds of code a product or variant has; a JSON Lines `codes` object uses these keys.
KINDS = ("sku", "gtin", "mpn")
#: Codes per kind per row at most (Merchant Center accepts several GTINs for one item).
MAX_PER_KIND = 10
#: Characters a code may have as given (after trimming).
MAX_LENGTH = 64
_IGNORED = re.compile(r"[\s\-\u2010-\u2015]+")
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})


@dataclass(frozen=True, slots=True)
class ProductCode:
    """One code of a product or variant, as the feed gave it."""

    kind: str
    value: str

    @property
    def normalized(self) -> str:
        """The form search compares."""
        return normalize_code(self.value)


def normalize_code(text: str) -> str:
    """Upper case, no spaces or hyphens; 8/12/13/14 digits padded to a GTIN-14; "" if empty."""
    code = _IGNORED.sub("", text).upper()
    if code.isascii() and code.isdigit() and len(code) in _GTIN_LENGTHS:
        return code.zfill(14)
    return code


def check_value(value: Any, kind: str) -> ProductCode | None:
    """One code as given; None for an empty one; InvalidRecord names the fault."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRecord(f"codes.{kind} must be a string or a list of strings")
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH or not text.isprintable():
        raise InvalidRecord(f"codes.{kind} must be at most {MAX_LENGTH} printable characters")
    normal = normalize_code(text)
    if not normal:
        raise InvalidRecord(f"codes.{kind}: {text!r} has no letter or digit")
    if kind == "gtin" and not (normal.isascii() and normal.isdigit() and len(normal) == 14):
        raise InvalidRecord(f"gtin must be 8, 12, 13 or 14 digits, not {text!r}")
    return ProductCode(kind, text)


def unique(codes: Iterable[ProductCode]) -> tuple[ProductCode, ...]:
    """The codes without repeats of one kind and normal form, in order."""
    seen: set[tuple[str, str]] = set()
    kept: list[ProductCode] = []
    for code in codes:
        key = (code.kind, code.normalized)
        if key not in seen:
            seen.add(key)
            kept.append(code)
    return tuple(kept)


def of_kind(kind: str, values: Iterable[Any]) -> list[ProductCode]:
    """The non-empty codes of one kind among these values (at most MAX_PER_KIND)."""
    codes = [code for value in values if (code := check_value(value, kind)) is not None]
    if len(codes) > MAX_PER_KIND:
        raise InvalidRecord(f"codes.{kind}: at most {MAX_PER_KIND} codes")
    return codes


def codes_object(value: Any) -> tuple[ProductCode, ...]:
    """A JSON Lines `codes` object: {"sku": ..., "gtin": ..., "mpn": ...}, each a string or list."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise InvalidRecord('codes must be an object such as {"sku": "A-1", "gtin": "..."}')
    unknown = sorted(set(value) - set(KINDS))
    if unknown:
        raise InvalidRecord(f"codes: unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    found: list[ProductCode] = []
    for kind in KINDS:
        given = value.get(kind)
        if given is not None:
            found += of_kind(kind, given if isinstance(given, list) else [given])
    return unique(found)
