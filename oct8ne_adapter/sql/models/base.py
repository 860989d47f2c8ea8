"""The declarative base, byte-exact strings and the key columns every model shares.

Money is stored as integer minor units (cents) with its currency, so that every backend compares
and sums it exactly; products have an integer surrogate key for joins and the shop's own id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.types import TypeEngine

EXTERNAL_ID = 64
LANGUAGE = 16
#: Identifiers a shop gives carts, orders and customers in recorded commerce events.
EVENT_ID = 128


def exact(length: int) -> String:
    """A string compared byte for byte on every backend.

    Identifiers and sort keys must not match case- or accent-insensitively on MariaDB
    (`utf8mb4_unicode_ci`) nor sort by the server locale on PostgreSQL while SQLite compares
    bytes: the same catalog would answer differently.
    """
    return (
        String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def serial() -> TypeEngine[int]:
    """A 64-bit integer; INTEGER on SQLite, where only an INTEGER PRIMARY KEY autoincrements."""
    return BigInteger().with_variant(Integer, "sqlite")


def serial_key() -> MappedColumn[Any]:
    """An ever-growing 64-bit key: the order of a log or a queue."""
    return mapped_column(serial(), primary_key=True, autoincrement=True)


def owner_key(table: str) -> MappedColumn[Any]:
    """A key column naming the row that owns this one (`table.pk`): deleted with its owner."""
    return mapped_column(ForeignKey(f"{table}.pk", ondelete="CASCADE"), primary_key=True)


def language_key() -> MappedColumn[Any]:
    """The language key column of a translation row."""
    return mapped_column(exact(LANGUAGE), primary_key=True)


__all__ = ["EVENT_ID", "EXTERNAL_ID", "LANGUAGE", "Base", "ShopKeyed", "exact"]


class Base(DeclarativeBase):
    """Declarative base of the adapter's tables."""


class ShopKeyed:
    """Mixin: an integer key for joins, and the shop's own id for everything outside."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
