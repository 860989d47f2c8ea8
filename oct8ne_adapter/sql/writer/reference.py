"""Brands, categories, attributes and attribute values: shared by many products, cached by id.

Each is looked up (or created) once per import and kept with the names the search documents
need. Changing one that already existed (a category renamed or moved, a value relabelled) changes
what every product using it shows, so the change log is told that anything may have changed and
the products using it are re-indexed at the end of the import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Insert, Table, insert, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.fields import slug
from oct8ne_adapter.feeds.records import (
    AttributeValueRef,
    CategoryRef,
    ProductRecord,
)
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.models import (
    Attribute,
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    Category,
    CategoryTranslation,
    ProductAttributeValue,
    ProductCategory,
)
from oct8ne_adapter.sql.tables import (
    attribute_value_translations as _value_labels,
    categories as _categories,
    category_translations as _category_names,
)
from oct8ne_adapter.sql.writer.bulk import chunks

#: Attribute value combinations remembered per import (most feeds have a few thousand).
COMBINATIONS_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Resolved:
    """The reference rows of one record: its brand, category path and attribute values."""

    brand_pk: int | None
    #: The path from the root, without repeats; the product's own category is the last one.
    category_pks: tuple[int, ...]
    value_pks: tuple[int, ...]


class ReferenceData:
    """Looks up or creates the reference rows of an import, caching their keys and names."""

    def __init__(self, session: Session, recorder: ChangeRecorder) -> None:
        self._session = session
        self._recorder = recorder
        self._brands: dict[str, int] = {}
        self.brand_names: dict[int, str] = {}
        self._categories: dict[str, int] = {}
        #: category pk -> language -> name, everything stored (for search documents).
        self.category_names: dict[int, dict[str, str]] = {}
        self._attributes: dict[str, int] = {}
        self._values: dict[tuple[int, str], int] = {}
        #: value pk -> (code, labels in every language), for search documents.
        self.value_texts: dict[int, tuple[str, dict[str, str]]] = {}
        self._brand_names: dict[str, int] = {}
        self._paths: dict[tuple[str, ...], tuple[int, ...]] = {}
        self._combinations: dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[int, ...]] = {}
        #: Existing categories and values whose names changed: their products are re-indexed.
        self.renamed_categories: set[int] = set()
        self.relabelled_values: set[int] = set()

    def resolve(self, record: ProductRecord) -> Resolved:
        """Look up (or create) everything the record refers to."""
        brand = record.brand
        brand_pk = None if brand is None else self._brand_names.get(brand)
        if brand is not None and brand_pk is None:
            brand_pk = self._brand_names[brand] = self.brand(brand)
        # Products share few category paths and attribute combinations: resolved once each.
        path_key = tuple(ref.id for ref in record.category_path)
        category_pks = self._paths.get(path_key)
        if category_pks is None:
            category_pks = tuple(dict.fromkeys(self.category_path(record.category_path)))
            self._paths[path_key] = category_pks
        values_key = tuple(
            (code, tuple(ref.code for ref in refs)) for code, refs in record.attributes.items()
        )
        value_pks = self._combinations.get(values_key)
        if value_pks is None:
            values: dict[int, None] = {}
            for code, refs in record.attributes.items():
                attribute_pk = self.attribute(code)
                for ref in refs:
                    values.setdefault(self.value(attribute_pk, ref), None)
            if len(self._combinations) > COMBINATIONS_LIMIT:
                self._combinations.clear()  # a feed of unique values: do not keep them all
            value_pks = self._combinations[values_key] = tuple(values)
        return Resolved(brand_pk, category_pks, value_pks)

    def brand(self, name: str) -> int:
        """The pk of the brand with this name's slug, created with this name if new."""
        key = slug(name)
        pk = self._brands.get(key)
        if pk is None:
            row = self._session.execute(
                select(Brand.pk, Brand.name).where(Brand.external_id == key)
            ).first()
            if row is None:
                pk = _new_pk(self._session, insert(Brand).values(external_id=key, name=name))
                stored = name
            else:
                pk, stored = row
            self._brands[key] = pk
            self.brand_names[pk] = stored
        return pk

    def category_path(self, path: tuple[CategoryRef, ...]) -> list[int]:
        """The pks of a category path from the root, each level created or updated once."""
        pks: list[int] = []
        parent: int | None = None
        for depth, ref in enumerate(path):
            pk = self._categories.get(ref.id)
            if pk is None:
                pk = self._category(ref, parent, depth)
                self._categories[ref.id] = pk
            pks.append(pk)
            parent = pk
        return pks

    def _category(self, ref: CategoryRef, parent: int | None, depth: int) -> int:
        session = self._session
        row = session.execute(
            select(Category.pk, Category.parent_pk, Category.depth).where(
                Category.external_id == ref.id
            )
        ).first()
        if row is None:
            pk = _new_pk(
                session,
                insert(Category).values(
                    external_id=ref.id, parent_pk=parent, depth=depth, position=0
                ),
            )
            stored: dict[str, str] = {}
        else:
            pk = row[0]
            if (row[1], row[2]) != (parent, depth):
                session.execute(
                    update(_categories)
                    .where(_categories.c.pk == pk)
                    .values(parent_pk=parent, depth=depth)
                )
                # The tree the category filter shows changed for every product in it.
                self._recorder.mark_everything()
            stored = dict(
                session.execute(
                    select(CategoryTranslation.language, CategoryTranslation.name).where(
                        CategoryTranslation.category_pk == pk
                    )
                ).all()
            )
        renamed = self._merge_names(_category_names, "category_pk", "name", pk, stored, ref.names)
        if renamed and row is not None:
            # Products outside this import show the category's names too.
            self.renamed_categories.add(pk)
            self._recorder.mark_everything()
        self.category_names[pk] = stored
        return pk

    def attribute(self, code: str) -> int:
        """The pk of the attribute with this code, created if new."""
        pk = self._attributes.get(code)
        if pk is None:
            pk = self._session.scalar(select(Attribute.pk).where(Attribute.code == code))
            if pk is None:
                pk = _new_pk(self._session, insert(Attribute).values(code=code, position=0))
            self._attributes[code] = pk
        return pk

    def value(self, attribute_pk: int, ref: AttributeValueRef) -> int:
        """The pk of the attribute's value with this code, created if new, labels merged."""
        key = (attribute_pk, ref.code)
        pk = self._values.get(key)
        if pk is not None:
            return pk
        session = self._session
        pk = session.scalar(
            select(AttributeValue.pk).where(
                AttributeValue.attribute_pk == attribute_pk, AttributeValue.code == ref.code
            )
        )
        stored: dict[str, str] = {}
        if pk is None:
            pk = _new_pk(
                session,
                insert(AttributeValue).values(attribute_pk=attribute_pk, code=ref.code, position=0),
            )
            existed = False
        else:
            existed = True
            stored = dict(
                session.execute(
                    select(
                        AttributeValueTranslation.language, AttributeValueTranslation.label
                    ).where(AttributeValueTranslation.value_pk == pk)
                ).all()
            )
        relabelled = self._merge_names(_value_labels, "value_pk", "label", pk, stored, ref.labels)
        if relabelled and existed:
            self.relabelled_values.add(pk)
            self._recorder.mark_everything()
        self._values[key] = pk
        self.value_texts[pk] = (ref.code, stored)
        return pk

    def _merge_names(
        self,
        table: Table,
        key: str,
        column: str,
        pk: int,
        stored: dict[str, str],
        names: Mapping[str, str],
    ) -> bool:
        """Write the names that are new or different to the table and `stored`; True if any."""
        changed = False
        for language, name in names.items():
            if stored.get(language) == name:
                continue
            if language in stored:
                self._session.execute(
                    update(table)
                    .where(table.c[key] == pk, table.c.language == language)
                    .values({column: name})
                )
            else:
                self._session.execute(
                    insert(table).values({key: pk, "language": language, column: name})
                )
            stored[language] = name
            changed = True
        return changed


def _new_pk(session: Session, statement: Insert) -> int:
    """Run a one-row INSERT and return the primary key the database gave it."""
    key = session.connection().execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def reindex_renamed(session: Session, reference: ReferenceData) -> None:
    """Re-index the products using a category or value whose names this import changed."""
    pks: set[int] = set()
    for model, column, keys in (
        (ProductCategory, ProductCategory.category_pk, reference.renamed_categories),
        (ProductAttributeValue, ProductAttributeValue.value_pk, reference.relabelled_values),
    ):
        for chunk in chunks(sorted(keys)):
            pks.update(session.scalars(select(model.product_pk).where(column.in_(chunk))))
    fulltext.refresh(session, sorted(pks))
