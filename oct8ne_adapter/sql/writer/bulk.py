"""Bulk statements for the import: the driver's own executemany, and lookups in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.models import Product

#: Values per IN (...) list; keeps every backend under its bound-parameter limit.
CHUNK = 500

#: (pk, content hash, import mark) of a product already stored.
Stored = tuple[int, str | None, int | None]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT rows (tuples in `columns` order) with one driver-level executemany.

    SQLAlchemy's Core executemany builds and processes a parameter dict per row, which the
    import's profile showed costing more than SQLite's own work; only the columns whose type
    needs converting (DateTime and Boolean on SQLite) go through their bind processors here.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    # SQLite's driver takes qmark parameters; psycopg and PyMySQL take format ones.
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
    )
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        bind = column_type.dialect_impl(dialect).bind_processor(dialect)
        if bind is not None:
            processors.append((index, bind))
    if processors:
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for position, processor in processors:
                values[position] = processor(values[position])
            converted.append(tuple(values))
        rows = converted
    connection.exec_driver_sql(statement, list(rows))


def stored_products(session: Session, external_ids: Sequence[str]) -> dict[str, Stored]:
    """external id -> (pk, content hash, import mark) of the products that exist."""
    found: dict[str, Stored] = {}
    for chunk in chunks(external_ids):
        rows = session.execute(
            select(
                Product.external_id, Product.pk, Product.content_hash, Product.import_mark
            ).where(Product.external_id.in_(chunk))
        )
        for external_id, pk, digest, mark in rows:
            found[external_id] = (pk, digest, mark)
    return found
