"""The product_codes rows of written products and variants (SKU, GTIN, MPN), in normal form too.

A product's rows are replaced with its other child rows (`children.delete_children` deletes them
all, its variants' included); a variant's are written once the variant has its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.codes import ProductCode
from oct8ne_adapter.sql.tables import product_codes
from oct8ne_adapter.sql.writer.bulk import chunks, insert_rows

_COLUMNS = ("product_pk", "variant_pk", "kind", "code", "normalized")

#: (product pk, variant pk or None, the codes of that product or variant).
Owned = tuple[int, int | None, Sequence[ProductCode]]


def code_rows(owners: Iterable[Owned]) -> list[tuple[Any, ...]]:
    """One row per code, in the columns `insert_codes` writes."""
    return [
        (product_pk, variant_pk, code.kind, code.value, code.normalized)
        for product_pk, variant_pk, codes in owners
        for code in codes
    ]


def insert_codes(session: Session, owners: Iterable[Owned]) -> None:
    """Insert these products' or variants' codes (their old rows are gone)."""
    insert_rows(session, product_codes, _COLUMNS, code_rows(owners))


def delete_variant_codes(session: Session, variant_pks: Sequence[int]) -> None:
    """Delete the codes of these variants (a variant may have moved from another product)."""
    for chunk in chunks(variant_pks):
        session.execute(delete(product_codes).where(product_codes.c.variant_pk.in_(chunk)))
