"""Searching by product code (SKU, GTIN, MPN), written once for both engines.

`#CODE` searches codes only: the products having that code, exactly after normalisation (see
`feeds/codes.py`; no prefixes), under the other filters. Any other text is also tried as one code
in its entirety: the products having it are found even if their texts do not match, and come
first in relevance order (in either direction, like in-stock products before sold-out ones).
A code is looked up through the catalog lookup (one indexed query), so both engines see the
codes of the catalog version they answer from.
"""

from __future__ import annotations

from dataclasses import dataclass

from oct8ne_adapter.feeds.codes import MAX_LENGTH, normalize_code

#: The prefix that makes a search text a code-only search (as the WooCommerce adapter has it).
CODE_PREFIX = "#"


@dataclass(frozen=True, slots=True)
class CodeSearch:
    """The code a search text names, and whether only codes are searched."""

    #: The normal form; "" (a bare `#`) matches nothing.
    code: str
    only: bool


def code_search(text: str) -> CodeSearch | None:
    """The code part of a search text; None when the text cannot be a code."""
    stripped = text.strip()
    if stripped.startswith(CODE_PREFIX):
        code = normalize_code(stripped[len(CODE_PREFIX) :])
        return CodeSearch(code if _storable(code) else "", only=True)
    code = normalize_code(stripped)
    return CodeSearch(code, only=False) if code and _storable(code) else None


def _storable(code: str) -> bool:
    """Whether a stored code could be this (feeds refuse longer or unprintable ones: a NUL
    would not even reach PostgreSQL)."""
    return len(code) <= MAX_LENGTH and code.isprintable()
