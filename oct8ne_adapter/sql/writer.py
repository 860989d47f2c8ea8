"""Writes validated ProductRecords into the SQL catalog and keeps the full-text index in step."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..catalog_feed import AttributeValueRef, CategoryRef, ProductRecord
from . import fulltext
from .models import (
    Attribute,
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    Category,
    CategoryTranslation,
    Product,
    ProductAttributeValue,
    ProductCategory,
    ProductMedia,
    ProductPrice,
    ProductRelation,
    ProductTranslation,
)

_CHILD_TABLES = (
    ProductTranslation,
    ProductPrice,
    ProductMedia,
    ProductCategory,
    ProductAttributeValue,
)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """19.90 USD -> 1990; the amount must already fit the currency's decimals."""
    return int(amount.scaleb(get_currency_precision(currency)))


def slug(name: str) -> str:
    """A stable identifier for a free-text name: `Café Noir` -> `cafe-noir`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64] or "x"


class CatalogWriter:
    """Upserts products inside the caller's transaction; call `finish()` before committing."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._brands: dict[str, Brand] = {}
        self._categories: dict[str, Category] = {}
        self._attributes: dict[str, Attribute] = {}
        self._values: dict[tuple[int, str], AttributeValue] = {}
        self._pending_relations: list[tuple[int, tuple[str, ...]]] = []
        self._pending_index: list[int] = []
        self.written = 0

    def upsert(self, record: ProductRecord) -> None:
        """Insert the product or replace everything stored about it."""
        session = self._session
        brand = self._brand(record.brand) if record.brand else None
        categories = self._category_path(record.category_path)
        product = session.scalars(
            select(Product).where(Product.external_id == record.id)
        ).one_or_none()
        if product is None:
            product = Product(external_id=record.id, position=0)
            session.add(product)
        product.brand_pk = brand.pk if brand else None
        product.category_pk = categories[-1].pk if categories else None
        product.url = record.url
        product.thumbnail_url = record.thumbnail or (record.images[0] if record.images else None)
        product.has_variants = record.has_variants
        product.stock = record.stock
        product.active = record.active
        product.updated_at = datetime.now(UTC).replace(tzinfo=None)
        session.flush()
        for table in _CHILD_TABLES:
            session.execute(delete(table).where(table.product_pk == product.pk))
        session.execute(delete(ProductRelation).where(ProductRelation.product_pk == product.pk))
        pk = product.pk
        session.add_all(
            ProductTranslation(
                product_pk=pk,
                language=language,
                title=title,
                sort_key=fulltext.fold(title)[:500],
                description=record.descriptions.get(language, ""),
            )
            for language, title in record.titles.items()
        )
        session.add_all(
            ProductPrice(
                product_pk=pk,
                currency=currency,
                amount_minor=to_minor_units(price.amount, currency),
                previous_amount_minor=(
                    None
                    if price.previous_amount is None
                    else to_minor_units(price.previous_amount, currency)
                ),
            )
            for currency, price in record.prices.items()
        )
        session.add_all(
            ProductMedia(product_pk=pk, position=position, url=url)
            for position, url in enumerate(record.images)
        )
        session.add_all(ProductCategory(product_pk=pk, category_pk=c.pk) for c in categories)
        value_rows: dict[int, None] = {}
        for code, values in record.attributes.items():
            attribute = self._attribute(code)
            for ref in values:
                value_rows.setdefault(self._value(attribute, ref).pk, None)
        session.add_all(ProductAttributeValue(product_pk=pk, value_pk=v) for v in value_rows)
        if record.related:
            self._pending_relations.append((pk, record.related))
        self._pending_index.append(pk)
        self.written += 1
        if len(self._pending_index) >= fulltext.REFRESH_BATCH:
            self._flush_index()

    def finish(self) -> None:
        """Resolve related-product ids (which may name later lines) and index what is pending."""
        session = self._session
        session.flush()
        if self._pending_relations:
            wanted = {external for _, related in self._pending_relations for external in related}
            pks = dict(
                session.execute(
                    select(Product.external_id, Product.pk).where(Product.external_id.in_(wanted))
                ).all()
            )
            for product_pk, related in self._pending_relations:
                positions: dict[int, int] = {}
                for position, external in enumerate(related):
                    related_pk = pks.get(external)
                    if related_pk is not None and related_pk != product_pk:
                        positions.setdefault(related_pk, position)
                session.add_all(
                    ProductRelation(product_pk=product_pk, related_pk=related_pk, position=position)
                    for related_pk, position in positions.items()
                )
            self._pending_relations.clear()
        self._flush_index()

    def _flush_index(self) -> None:
        self._session.flush()
        fulltext.refresh(self._session, self._pending_index)
        self._pending_index.clear()

    def _brand(self, name: str) -> Brand:
        key = slug(name)
        brand = self._brands.get(key)
        if brand is None:
            brand = self._session.scalars(
                select(Brand).where(Brand.external_id == key)
            ).one_or_none()
            if brand is None:
                brand = Brand(external_id=key, name=name)
                self._session.add(brand)
                self._session.flush()
            self._brands[key] = brand
        return brand

    def _category_path(self, path: tuple[CategoryRef, ...]) -> list[Category]:
        categories: list[Category] = []
        parent: Category | None = None
        for depth, ref in enumerate(path):
            category = self._categories.get(ref.id)
            if category is None:
                category = self._session.scalars(
                    select(Category).where(Category.external_id == ref.id)
                ).one_or_none()
                if category is None:
                    category = Category(external_id=ref.id, position=0)
                    self._session.add(category)
                category.parent_pk = parent.pk if parent else None
                category.depth = depth
                self._session.flush()
                self._categories[ref.id] = category
                self._merge_translations(category.pk, ref.names)
            categories.append(category)
            parent = category
        return categories

    def _merge_translations(self, category_pk: int, names: Mapping[str, str]) -> None:
        for language, name in names.items():
            self._session.merge(
                CategoryTranslation(category_pk=category_pk, language=language, name=name)
            )

    def _attribute(self, code: str) -> Attribute:
        attribute = self._attributes.get(code)
        if attribute is None:
            attribute = self._session.scalars(
                select(Attribute).where(Attribute.code == code)
            ).one_or_none()
            if attribute is None:
                attribute = Attribute(code=code, position=0)
                self._session.add(attribute)
                self._session.flush()
            self._attributes[code] = attribute
        return attribute

    def _value(self, attribute: Attribute, ref: AttributeValueRef) -> AttributeValue:
        key = (attribute.pk, ref.code)
        value = self._values.get(key)
        if value is None:
            value = self._session.scalars(
                select(AttributeValue).where(
                    AttributeValue.attribute_pk == attribute.pk, AttributeValue.code == ref.code
                )
            ).one_or_none()
            if value is None:
                value = AttributeValue(attribute_pk=attribute.pk, code=ref.code, position=0)
                self._session.add(value)
                self._session.flush()
            self._values[key] = value
            for language, label in ref.labels.items():
                self._session.merge(
                    AttributeValueTranslation(value_pk=value.pk, language=language, label=label)
                )
        return value
