"""The catalog change log that processes caching the catalog follow (sql.catalog_changes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import Base, serial_key

__all__ = ["CatalogChange"]


class CatalogChange(Base):
    """One catalog change, newest last: processes that cache the catalog follow this log.

    `product_pk` names the product whose row or children changed (it may since have been
    deleted); NULL means anything may have changed, so caches rebuild from scratch.
    """

    __tablename__ = "catalog_changes"

    seq: Mapped[int] = serial_key()
    product_pk: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
