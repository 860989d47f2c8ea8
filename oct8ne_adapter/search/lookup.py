"""The SQL catalog's keys and names for filters and facet labels (a rules.CatalogLookup).

Small queries by key or code against the reference tables; both the SQL search and the index's SQL
reader use it, so filters resolve and labels read the same way for both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.localized import pick_translation
from oct8ne_adapter.sql.models import (
    Attribute,
    AttributeTranslation,
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    Category,
    CategoryTranslation,
    ProductCodeRow,
)


def category_level(parent_pk: int | None) -> ColumnElement[bool]:
    """The categories directly under this one; the root categories for None."""
    return Category.parent_pk.is_(None) if parent_pk is None else Category.parent_pk == parent_pk


class SqlCatalogLookup:
    """Keys and names from the catalog tables, in one session, in the visitor's languages."""

    def __init__(self, session: Session, languages: Sequence[str]) -> None:
        self.session = session
        self.languages = languages

    def categories(self, external_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """External id -> (key, depth) of the categories that exist."""
        rows = self.session.execute(
            select(Category.external_id, Category.pk, Category.depth).where(
                Category.external_id.in_(external_ids)
            )
        )
        return {external_id: (pk, depth) for external_id, pk, depth in rows}

    def brands(self, external_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """External id -> (key, name) of the brands that exist."""
        rows = self.session.execute(
            select(Brand.external_id, Brand.pk, Brand.name).where(
                Brand.external_id.in_(external_ids)
            )
        )
        return {external_id: (pk, name) for external_id, pk, name in rows}

    def attributes(self, codes: Sequence[str]) -> dict[str, int]:
        """Code -> key of the attributes that exist, in the database's order."""
        return dict(
            self.session.execute(
                select(Attribute.code, Attribute.pk).where(Attribute.code.in_(codes))
            ).all()
        )

    def values(self, attribute_pk: int, codes: Sequence[str]) -> dict[str, int]:
        """Code -> key of this attribute's values that exist."""
        return dict(
            self.session.execute(
                select(AttributeValue.code, AttributeValue.pk).where(
                    AttributeValue.attribute_pk == attribute_pk, AttributeValue.code.in_(codes)
                )
            ).all()
        )

    def category_names(self, pks: Sequence[int]) -> dict[int, str]:
        """Key -> name in the best language."""
        return self._translated(CategoryTranslation.category_pk, CategoryTranslation.name, pks)

    def attribute_labels(self, pks: Sequence[int]) -> dict[int, str]:
        """Key -> label in the best language."""
        return self._translated(AttributeTranslation.attribute_pk, AttributeTranslation.label, pks)

    def value_labels(self, pks: Sequence[int]) -> dict[int, str]:
        """Key -> label in the best language."""
        return self._translated(
            AttributeValueTranslation.value_pk, AttributeValueTranslation.label, pks
        )

    def _translated(self, key: Any, text: Any, pks: Sequence[int]) -> dict[int, str]:
        """Of a translation table (key, language, text), the text in the best language per key."""
        if not pks:
            return {}
        language = key.class_.language
        return pick_translation(
            self.session.execute(select(key, language, text).where(key.in_(pks))),
            self.languages,
        )

    def products_with_code(self, code: str) -> list[int]:
        """Keys of the products having this normalised code, ascending (one indexed query)."""
        if not code:
            return []
        return list(
            self.session.scalars(
                select(ProductCodeRow.product_pk)
                .where(ProductCodeRow.normalized == code)
                .distinct()
                .order_by(ProductCodeRow.product_pk)
            )
        )
