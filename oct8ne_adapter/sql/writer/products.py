"""The products table: new rows, updated rows, and the import mark of the rows left alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Availability
from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.sql.models import Product
from oct8ne_adapter.sql.tables import products as _products
from oct8ne_adapter.sql.writer.bulk import chunks, insert_rows
from oct8ne_adapter.sql.writer.reference import Resolved

#: Columns an import writes, in the order `product_values` gives them.
COLUMNS = (
    "brand_pk",
    "category_pk",
    "url",
    "thumbnail_url",
    "has_variants",
    "stock",
    "availability",
    "active",
    "updated_at",
    "content_hash",
    "import_mark",
)


def product_values(
    record: ProductRecord, refs: Resolved, digest: str, mark: int, now: datetime
) -> tuple[Any, ...]:
    """The values of COLUMNS for a record."""
    return (
        refs.brand_pk,
        refs.category_pks[-1] if refs.category_pks else None,
        record.url,
        record.thumbnail or (record.images[0] if record.images else None),
        record.has_variants,
        record.stock,
        Availability.of(record.availability, record.stock).value,
        record.active,
        now,
        digest,
        mark,
    )


def insert_products(session: Session, rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    """Insert rows of (external_id, *COLUMNS); returns external id -> new pk."""
    insert_rows(
        session,
        _products,
        ("external_id", "position", *COLUMNS),
        [(row[0], 0, *row[1:]) for row in rows],
    )
    created: dict[str, int] = {}
    for chunk in chunks([row[0] for row in rows]):
        created.update(
            session.execute(
                select(Product.external_id, Product.pk).where(Product.external_id.in_(chunk))
            ).all()
        )
    return created


def update_products(session: Session, rows: Sequence[tuple[int, tuple[Any, ...]]]) -> None:
    """Update rows given as (pk, values of COLUMNS)."""
    if rows:
        session.execute(
            update(_products).where(_products.c.pk == bindparam("b_pk")),
            [{"b_pk": pk, **dict(zip(COLUMNS, values, strict=True))} for pk, values in rows],
        )


def set_mark(session: Session, pks: Sequence[int], mark: int) -> None:
    """Give these products the import mark (they were in the feed, unchanged or bad)."""
    for chunk in chunks(pks):
        session.execute(update(_products).where(_products.c.pk.in_(chunk)).values(import_mark=mark))
