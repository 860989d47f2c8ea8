"""Our SQL catalog as a `repository.CatalogSource`: its change log and its rows as records.

The adapter's own index reads the SQL catalog through `search/index/sql_reader` (by key, far
faster); this source is the same catalog seen as any shop's is, so that the change log is one
implementation of `changes_since` among others, and so that the index over a source is held to
the index over our tables on every backend (tests/test_catalog_source.py). A record is rebuilt
from the rows the importer wrote: texts, prices, images, brand, category path, attribute values
with labels, related ids, stock, availability and whether the product is active.

The change log names products by key; a deleted product's key no longer names an id, so the
source remembers the id of every key it has listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds.records import AttributeValueRef, CategoryRef, ProductRecord
from oct8ne_adapter.sql import models
from oct8ne_adapter.sql.catalog_changes import CatalogVersion, catalog_version, changed_products
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.localized import from_minor_units

#: Products per batch of records (and per IN list).
BATCH_SIZE = 500

_product = models.Product


class SqlCatalogSource:
    """The SQL catalog's products as records, and its change log (repository.CatalogSource)."""

    def __init__(self, database: Database, *, batch_size: int = BATCH_SIZE) -> None:
        self.database = database
        self.batch_size = batch_size
        #: Key -> id of every product listed so far: a deleted one is still named by its key.
        self._listed: dict[int, str] = {}

    def version(self) -> CatalogVersion:
        """The change log's version."""
        with self.database.session() as session:
            return catalog_version(session)

    def changes_since(
        self, version: Hashable, limit: int
    ) -> tuple[list[str], CatalogVersion] | None:
        """The ids of the products the log lists after `version`; None when it cannot."""
        if not isinstance(version, CatalogVersion):
            return None
        with self.database.session() as session:
            plan = changed_products(session, version, limit)
            if plan is None:
                return None
            pks, new_version = plan
            found = self._ids(session, list(pks))
        # A key never listed and gone now was never seen by the reader: nothing to forget.
        ids = [found.get(pk) or self._listed.get(pk) for pk in pks]
        return [product_id for product_id in ids if product_id is not None], new_version

    def records(self, ids: Collection[str] | None = None) -> Iterator[Sequence[ProductRecord]]:
        """Every product's record in batches (for None), else those of these ids."""
        with self.database.session() as session:
            reference = _Reference(session)
            if ids is None:
                after = 0
                while True:
                    rows = session.execute(
                        _heads()
                        .where(_product.pk > after)
                        .order_by(_product.pk)
                        .limit(self.batch_size)
                    ).all()
                    if not rows:
                        return
                    yield self._records(session, reference, rows)
                    after = rows[-1].pk
            wanted = list(ids)
            for start in range(0, len(wanted), self.batch_size):
                chunk = wanted[start : start + self.batch_size]
                rows = session.execute(_heads().where(_product.external_id.in_(chunk))).all()
                yield self._records(session, reference, rows)

    def _ids(self, session: Session, pks: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(pks), self.batch_size):
            chunk = pks[start : start + self.batch_size]
            found.update(
                (pk, external_id)
                for pk, external_id in session.execute(
                    select(_product.pk, _product.external_id).where(_product.pk.in_(chunk))
                )
            )
        return found

    def _records(
        self, session: Session, reference: _Reference, rows: Sequence[Any]
    ) -> list[ProductRecord]:
        pks = [row.pk for row in rows]
        children = _Children(session, pks)
        records = []
        for row in rows:
            self._listed[row.pk] = row.external_id
            titles = children.titles.get(row.pk, {})
            records.append(
                ProductRecord(
                    id=row.external_id,
                    titles=titles,
                    descriptions=children.descriptions.get(row.pk, {}),
                    url=row.url,
                    thumbnail=row.thumbnail_url,
                    images=tuple(children.images.get(row.pk, ())),
                    prices=children.prices.get(row.pk, {}),
                    brand=reference.brands.get(row.brand_pk),
                    category_path=reference.path(row.category_pk),
                    attributes=reference.attributes(children.values.get(row.pk, ())),
                    has_variants=row.has_variants,
                    stock=row.stock,
                    availability=row.availability,
                    active=row.active,
                    related=tuple(children.related.get(row.pk, ())),
                )
            )
        return records


def _heads() -> Any:
    return select(
        _product.pk,
        _product.external_id,
        _product.brand_pk,
        _product.category_pk,
        _product.url,
        _product.thumbnail_url,
        _product.has_variants,
        _product.stock,
        _product.availability,
        _product.active,
    )


class _Reference:
    """Brands, categories and attribute values, read once per listing."""

    def __init__(self, session: Session) -> None:
        self.brands: dict[int | None, str] = {
            pk: name for pk, name in session.execute(select(models.Brand.pk, models.Brand.name))
        }
        self.categories: dict[int, tuple[str, int | None]] = {
            pk: (external_id, parent)
            for pk, external_id, parent in session.execute(
                select(models.Category.pk, models.Category.external_id, models.Category.parent_pk)
            )
        }
        self.category_names: defaultdict[int, dict[str, str]] = defaultdict(dict)
        names = models.CategoryTranslation
        for pk, language, name in session.execute(
            select(names.category_pk, names.language, names.name)
        ):
            self.category_names[pk][language] = name
        value, attribute = models.AttributeValue, models.Attribute
        self.values: dict[int, tuple[int, str, str]] = {
            pk: (attribute_pk, code, value_code)
            for pk, attribute_pk, code, value_code in session.execute(
                select(value.pk, attribute.pk, attribute.code, value.code).join(
                    attribute, attribute.pk == value.attribute_pk
                )
            )
        }
        self.value_labels: defaultdict[int, dict[str, str]] = defaultdict(dict)
        labels = models.AttributeValueTranslation
        for pk, language, label in session.execute(
            select(labels.value_pk, labels.language, labels.label)
        ):
            self.value_labels[pk][language] = label
        self._paths: dict[int | None, tuple[CategoryRef, ...]] = {None: ()}

    def path(self, category_pk: int | None) -> tuple[CategoryRef, ...]:
        """The category and its ancestors, from the root."""
        path = self._paths.get(category_pk)
        if path is None:
            assert category_pk is not None
            external_id, parent = self.categories[category_pk]
            own = CategoryRef(external_id, self.category_names.get(category_pk, {}))
            path = self._paths[category_pk] = (*self.path(parent), own)
        return path

    def attributes(self, value_pks: Sequence[int]) -> dict[str, tuple[AttributeValueRef, ...]]:
        """code -> values, in the order of the attributes' and values' keys."""
        grouped: dict[str, list[AttributeValueRef]] = {}
        for pk in sorted(value_pks, key=lambda pk: (self.values[pk][0], pk)):
            _, code, value_code = self.values[pk]
            labels = self.value_labels.get(pk, {})
            grouped.setdefault(code, []).append(AttributeValueRef(value_code, labels))
        return {code: tuple(refs) for code, refs in grouped.items()}


class _Children:
    """The child rows of a batch of products."""

    def __init__(self, session: Session, pks: list[int]) -> None:
        texts, prices, media = models.ProductTranslation, models.ProductPrice, models.ProductMedia
        self.titles: defaultdict[int, dict[str, str]] = defaultdict(dict)
        self.descriptions: defaultdict[int, dict[str, str]] = defaultdict(dict)
        for pk, language, title, description in session.execute(
            select(texts.product_pk, texts.language, texts.title, texts.description).where(
                texts.product_pk.in_(pks)
            )
        ):
            self.titles[pk][language] = title
            self.descriptions[pk][language] = description
        self.prices: defaultdict[int, dict[str, ProductPrice]] = defaultdict(dict)
        for pk, currency, amount, previous in session.execute(
            select(
                prices.product_pk,
                prices.currency,
                prices.amount_minor,
                prices.previous_amount_minor,
            ).where(prices.product_pk.in_(pks))
        ):
            self.prices[pk][currency] = ProductPrice(
                from_minor_units(amount, currency),
                None if previous is None else from_minor_units(previous, currency),
            )
        self.images: defaultdict[int, list[str]] = defaultdict(list)
        for pk, url in session.execute(
            select(media.product_pk, media.url)
            .where(media.product_pk.in_(pks))
            .order_by(media.product_pk, media.position)
        ):
            self.images[pk].append(url)
        links = models.ProductAttributeValue
        self.values: defaultdict[int, list[int]] = defaultdict(list)
        for pk, value_pk in session.execute(
            select(links.product_pk, links.value_pk).where(links.product_pk.in_(pks))
        ):
            self.values[pk].append(value_pk)
        relation = models.ProductRelation
        self.related: defaultdict[int, list[str]] = defaultdict(list)
        for pk, related in session.execute(
            select(relation.product_pk, _product.external_id)
            .join(_product, _product.pk == relation.related_pk)
            .where(relation.product_pk.in_(pks))
            .order_by(relation.product_pk, relation.position, relation.related_pk)
        ):
            self.related[pk].append(related)
