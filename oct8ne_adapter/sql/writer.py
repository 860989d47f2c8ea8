"""Writes ProductRecords into the SQL catalog in batches and keeps the search index in step.

Records are buffered and written `BATCH_SIZE` at a time with Core bulk statements: one SELECT finds
the batch's existing products, new ones go in with one multi-row INSERT, changed ones are updated
by primary key and their rows in the child tables replaced, and a product whose content digest is
the one stored by the last import is skipped. Brands, categories, attributes and their values are
cached by external id for the whole import. Each import takes a new *mark*; every product it
sees gets it, so a product id repeated in the feed is recognised without keeping the ids in
memory, and `finish(prune=True)` deletes the products that did not get it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from babel.numbers import get_currency_precision
from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from ..catalog_feed import AttributeValueRef, CategoryRef, InvalidRecord, ProductRecord, slug
from . import fulltext
from .models import (
    Attribute,
    AttributeValue,
    AttributeValueTranslation,
    Base,
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

__all__ = ["BATCH_SIZE", "CatalogWriter", "ImportSummary", "slug", "to_minor_units"]


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


BATCH_SIZE = 1000
_DUPLICATE = "the product id appears more than once in the feed"
#: Rows per bulk statement; keeps every backend under its bound-parameter limit.
_CHUNK = 500
_CHILD_TABLES = (
    _table(ProductTranslation),
    _table(ProductPrice),
    _table(ProductMedia),
    _table(ProductCategory),
    _table(ProductAttributeValue),
)
_products = _table(Product)

#: (pk, content hash, import mark) of a product already stored.
_Stored = tuple[int, str | None, int | None]
#: Called with (number, product id, reason) for each refused row, in row order per batch.
RejectHandler = Callable[[int | None, str | None, str], None]


def to_minor_units(amount: Decimal, currency: str) -> int:
    """19.90 USD -> 1990; the amount must already fit the currency's decimals."""
    return int(amount.scaleb(get_currency_precision(currency)))


def content_hash(record: ProductRecord, merge_prices: bool) -> str:
    """A digest of everything the writer stores about a record."""
    # The dataclass repr is deterministic: fields in order, dicts in the feed's order.
    text = f"{merge_prices}|{record!r}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did."""

    inserted: int
    updated: int
    unchanged: int
    pruned: int
    rejected: int

    def describe(self) -> str:
        """`3 inserted, 1 updated, 0 unchanged, 0 pruned, 1 rejected`."""
        return (
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.pruned} pruned, {self.rejected} rejected"
        )


@dataclass(slots=True)
class _Pending:
    number: int | None
    product_id: str
    digest: str
    record: ProductRecord | None
    build: Callable[[], ProductRecord] | None = None


class CatalogWriter:
    """Upserts products inside the caller's transaction; call `finish()` before committing.

    `merge_prices`: a record's prices replace only the same currencies (Merchant Center feeds
    carry one currency each, so a second feed adds prices). `translation_language`: the records
    are a localized feed: only their titles, descriptions (stored under that language) and prices
    are written, to products that must exist already. `skip_unchanged=False` rewrites products
    whose digest matches too (for data that may have been changed outside the writer).
    """

    def __init__(
        self,
        session: Session,
        *,
        merge_prices: bool = False,
        translation_language: str | None = None,
        on_reject: RejectHandler | None = None,
        batch_size: int = BATCH_SIZE,
        skip_unchanged: bool = True,
    ) -> None:
        self._session = session
        self._merge_prices = merge_prices or translation_language is not None
        self._translation_language = translation_language
        self._on_reject = on_reject
        self._batch_size = batch_size
        self._skip_unchanged = skip_unchanged
        self._pending: dict[str, _Pending] = {}
        self._keep: list[str] = []
        self._rejections: list[tuple[int | None, str | None, str]] = []
        self._brands: dict[str, int] = {}
        self._categories: dict[str, int] = {}
        self._attributes: dict[str, int] = {}
        self._values: dict[tuple[int, str], int] = {}
        self._pending_relations: list[tuple[int, tuple[str, ...]]] = []
        self._mark: int | None = None
        self.inserted = self.updated = self.unchanged = self.pruned = self.rejected = 0

    @property
    def written(self) -> int:
        """Products the feed named that are now in the catalog (inserted, updated, unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> ImportSummary:
        """The counters so far."""
        return ImportSummary(
            self.inserted, self.updated, self.unchanged, self.pruned, self.rejected
        )

    def upsert(self, record: ProductRecord, number: int | None = None) -> None:
        """Insert the product or replace everything stored about it (buffered)."""
        digest = content_hash(record, self._merge_prices)
        self._add(_Pending(number, record.id, digest, record))

    def offer(
        self, number: int, product_id: str, digest: str, build: Callable[[], ProductRecord]
    ) -> None:
        """Like upsert, for a raw row: `build()` validates it only if the digest has changed."""
        self._add(_Pending(number, product_id, digest, None, build))

    def _add(self, item: _Pending) -> None:
        if item.product_id in self._pending:
            self._reject(item.number, item.product_id, _DUPLICATE)
        else:
            self._pending[item.product_id] = item
        if len(self._pending) + len(self._keep) >= self._batch_size:
            self.flush()

    def reject_row(self, number: int, product_id: str | None, reason: str) -> None:
        """A row the reader refused: reported in order with the batch; `--prune` keeps its id."""
        self._reject(number, product_id, reason)
        if product_id is not None:
            self._keep.append(product_id)
        if len(self._pending) + len(self._keep) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records, then report the batch's rejected rows in row order."""
        pending, self._pending = list(self._pending.values()), {}
        if pending or self._keep:
            if self._translation_language is not None:
                self._write_translations(pending, self._translation_language)
            else:
                self._write_products(pending)
            self._keep.clear()
        rejections, self._rejections = self._rejections, []
        if self._on_reject is not None:
            for number, product_id, reason in sorted(rejections, key=lambda item: item[0] or 0):
                self._on_reject(number, product_id, reason)

    def finish(self, *, prune: bool = False) -> ImportSummary:
        """Write what is buffered, resolve related ids, optionally prune; returns the summary."""
        self.flush()
        self._write_relations()
        if prune:
            if self._translation_language is not None:
                raise ValueError("a localized feed cannot prune")
            self._prune()
        return self.summary()

    # -- products ------------------------------------------------------------------------------

    def _reject(self, number: int | None, product_id: str | None, reason: str) -> None:
        self.rejected += 1
        self._rejections.append((number, product_id, reason))

    def _validated(self, item: _Pending) -> ProductRecord | None:
        """The item's record, or None (and a rejection) if the row breaks the format."""
        if item.record is None:
            assert item.build is not None
            try:
                item.record = item.build()
            except InvalidRecord as error:
                self._reject(item.number, item.product_id, str(error))
                return None
        return item.record

    def _import_mark(self) -> int:
        if self._mark is None:
            current = self._session.scalar(select(func.max(Product.import_mark)))
            self._mark = (current or 0) + 1
        return self._mark

    def _existing(self, external_ids: Sequence[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        for start in range(0, len(external_ids), _CHUNK):
            rows = self._session.execute(
                select(
                    Product.external_id, Product.pk, Product.content_hash, Product.import_mark
                ).where(Product.external_id.in_(external_ids[start : start + _CHUNK]))
            )
            for external_id, pk, digest, mark in rows:
                found[external_id] = (pk, digest, mark)
        return found

    def _write_products(self, pending: list[_Pending]) -> None:
        session = self._session
        mark = self._import_mark()
        existing = self._existing([item.product_id for item in pending] + self._keep)
        kept = [existing[i][0] for i in self._keep if i in existing]
        new: list[_Pending] = []
        changed: list[tuple[int, _Pending]] = []
        for item in pending:
            found = existing.get(item.product_id)
            if found is not None and found[2] == mark:
                self._reject(item.number, item.product_id, _DUPLICATE)
            elif found is not None and found[1] == item.digest and self._skip_unchanged:
                kept.append(found[0])
                self.unchanged += 1
            elif self._validated(item) is None:
                if found is not None:
                    kept.append(found[0])  # a bad row does not make --prune delete the product
            elif found is None:
                new.append(item)
            else:
                changed.append((found[0], item))
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [self._product_row(item, mark, now) for item in new]
        for start in range(0, len(rows), _CHUNK):
            session.execute(insert(_products), rows[start : start + _CHUNK])
        if new:
            created = self._existing([item.product_id for item in new])
            written = [(created[item.product_id][0], item) for item in new]
        else:
            written = []
        if changed:
            session.execute(
                update(_products).where(_products.c.pk == bindparam("b_pk")),
                [
                    {"b_pk": pk, **self._product_row(item, mark, now, with_id=False)}
                    for pk, item in changed
                ],
            )
            self._delete_children([pk for pk, _ in changed], changed)
        self._insert_children(written + changed)
        for start in range(0, len(kept), _CHUNK):
            session.execute(
                update(_products)
                .where(_products.c.pk.in_(kept[start : start + _CHUNK]))
                .values(import_mark=mark)
            )
        self.inserted += len(written)
        self.updated += len(changed)
        for pk, item in written + changed:
            if _record(item).related:
                self._pending_relations.append((pk, _record(item).related))
        fulltext.refresh(session, [pk for pk, _ in written + changed])

    def _product_row(
        self, item: _Pending, mark: int, now: datetime, *, with_id: bool = True
    ) -> dict[str, Any]:
        record = _record(item)
        categories = self._category_path(record.category_path)
        row: dict[str, Any] = {
            "brand_pk": self._brand(record.brand) if record.brand else None,
            "category_pk": categories[-1] if categories else None,
            "url": record.url,
            "thumbnail_url": record.thumbnail or (record.images[0] if record.images else None),
            "has_variants": record.has_variants,
            "stock": record.stock,
            "active": record.active,
            "updated_at": now,
            "content_hash": item.digest,
            "import_mark": mark,
        }
        if with_id:
            row.update(external_id=record.id, position=0)
        return row

    def _delete_children(self, pks: list[int], changed: list[tuple[int, _Pending]]) -> None:
        session = self._session
        for start in range(0, len(pks), _CHUNK):
            chunk = pks[start : start + _CHUNK]
            for child in _CHILD_TABLES:
                if child is _table(ProductPrice) and self._merge_prices:
                    continue
                session.execute(delete(child).where(child.c.product_pk.in_(chunk)))
            session.execute(delete(ProductRelation).where(ProductRelation.product_pk.in_(chunk)))
        if self._merge_prices:
            self._delete_prices(changed)

    def _delete_prices(self, items: list[tuple[int, _Pending]]) -> None:
        pairs = [(pk, currency) for pk, item in items for currency in _record(item).prices]
        prices = _table(ProductPrice)
        for start in range(0, len(pairs), _CHUNK):
            self._session.execute(
                delete(prices).where(
                    tuple_(prices.c.product_pk, prices.c.currency).in_(
                        pairs[start : start + _CHUNK]
                    )
                )
            )

    def _insert_children(self, items: list[tuple[int, _Pending]]) -> None:
        translations: list[dict[str, Any]] = []
        media: list[dict[str, Any]] = []
        categories: list[dict[str, Any]] = []
        values: list[dict[str, Any]] = []
        for pk, item in items:
            record = _record(item)
            translations.extend(
                _translation_row(pk, language, title, record.descriptions.get(language, ""))
                for language, title in record.titles.items()
            )
            media.extend(
                {"product_pk": pk, "position": position, "url": url}
                for position, url in enumerate(record.images)
            )
            categories.extend(
                {"product_pk": pk, "category_pk": category_pk}
                for category_pk in dict.fromkeys(self._category_path(record.category_path))
            )
            value_pks: dict[int, None] = {}
            for code, refs in record.attributes.items():
                attribute_pk = self._attribute(code)
                for ref in refs:
                    value_pks.setdefault(self._value(attribute_pk, ref), None)
            values.extend({"product_pk": pk, "value_pk": value_pk} for value_pk in value_pks)
        self._bulk_insert(_table(ProductTranslation), translations)
        self._bulk_insert(_table(ProductPrice), _price_rows(items))
        self._bulk_insert(_table(ProductMedia), media)
        self._bulk_insert(_table(ProductCategory), categories)
        self._bulk_insert(_table(ProductAttributeValue), values)

    def _bulk_insert(self, target: Any, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), _CHUNK):
            self._session.execute(insert(target), rows[start : start + _CHUNK])

    def _write_translations(self, pending: list[_Pending], language: str) -> None:
        existing = self._existing([item.product_id for item in pending])
        items: list[tuple[int, _Pending]] = []
        for item in pending:
            found = existing.get(item.product_id)
            if self._validated(item) is None:
                continue
            if found is None:
                self._reject(
                    item.number,
                    item.product_id,
                    "not in the catalog: import the shop's main feed before a localized one",
                )
            else:
                items.append((found[0], item))
        translations = _table(ProductTranslation)
        pks = [pk for pk, _ in items]
        for start in range(0, len(pks), _CHUNK):
            self._session.execute(
                delete(translations).where(
                    translations.c.product_pk.in_(pks[start : start + _CHUNK]),
                    translations.c.language == language,
                )
            )
        self._delete_prices(items)
        self._bulk_insert(
            translations,
            [
                _translation_row(
                    pk,
                    language,
                    next(iter(_record(item).titles.values())),
                    next(iter(_record(item).descriptions.values()), ""),
                )
                for pk, item in items
            ],
        )
        self._bulk_insert(_table(ProductPrice), _price_rows(items))
        self.updated += len(items)
        fulltext.refresh(self._session, pks)

    def _write_relations(self) -> None:
        session = self._session
        if not self._pending_relations:
            return
        wanted = list({external for _, related in self._pending_relations for external in related})
        pks = {external: found[0] for external, found in self._existing(wanted).items()}
        rows: list[dict[str, Any]] = []
        for product_pk, related in self._pending_relations:
            positions: dict[int, int] = {}
            for position, external in enumerate(related):
                related_pk = pks.get(external)
                if related_pk is not None and related_pk != product_pk:
                    positions.setdefault(related_pk, position)
            rows.extend(
                {"product_pk": product_pk, "related_pk": related_pk, "position": position}
                for related_pk, position in positions.items()
            )
        self._bulk_insert(_table(ProductRelation), rows)
        self._pending_relations.clear()
        session.flush()

    def _prune(self) -> None:
        session = self._session
        mark = self._import_mark()
        index = fulltext.index_for(session.get_bind().dialect.name)
        while True:
            pks = list(
                session.scalars(
                    select(Product.pk)
                    .where(or_(Product.import_mark.is_(None), Product.import_mark != mark))
                    .limit(_CHUNK)
                )
            )
            if not pks:
                break
            # Child rows go by ON DELETE CASCADE (SQLite: foreign_keys is on); the index has none.
            session.execute(delete(_products).where(_products.c.pk.in_(pks)))
            index.delete(session, pks)
            self.pruned += len(pks)

    # -- brands, categories, attributes: cached by external id for the whole import ------------

    def _brand(self, name: str) -> int:
        key = slug(name)
        pk = self._brands.get(key)
        if pk is None:
            pk = self._session.scalar(select(Brand.pk).where(Brand.external_id == key))
            if pk is None:
                brand = Brand(external_id=key, name=name)
                self._session.add(brand)
                self._session.flush()
                pk = brand.pk
            self._brands[key] = pk
        return pk

    def _category_path(self, path: tuple[CategoryRef, ...]) -> list[int]:
        categories: list[int] = []
        parent: int | None = None
        for depth, ref in enumerate(path):
            pk = self._categories.get(ref.id)
            if pk is None:
                category = self._session.scalars(
                    select(Category).where(Category.external_id == ref.id)
                ).one_or_none()
                if category is None:
                    category = Category(external_id=ref.id, position=0)
                    self._session.add(category)
                category.parent_pk = parent
                category.depth = depth
                self._session.flush()
                pk = category.pk
                self._categories[ref.id] = pk
                self._merge_translations(pk, ref.names)
            categories.append(pk)
            parent = pk
        return categories

    def _merge_translations(self, category_pk: int, names: Mapping[str, str]) -> None:
        for language, name in names.items():
            self._session.merge(
                CategoryTranslation(category_pk=category_pk, language=language, name=name)
            )

    def _attribute(self, code: str) -> int:
        pk = self._attributes.get(code)
        if pk is None:
            pk = self._session.scalar(select(Attribute.pk).where(Attribute.code == code))
            if pk is None:
                attribute = Attribute(code=code, position=0)
                self._session.add(attribute)
                self._session.flush()
                pk = attribute.pk
            self._attributes[code] = pk
        return pk

    def _value(self, attribute_pk: int, ref: AttributeValueRef) -> int:
        key = (attribute_pk, ref.code)
        pk = self._values.get(key)
        if pk is None:
            pk = self._session.scalar(
                select(AttributeValue.pk).where(
                    AttributeValue.attribute_pk == attribute_pk, AttributeValue.code == ref.code
                )
            )
            if pk is None:
                value = AttributeValue(attribute_pk=attribute_pk, code=ref.code, position=0)
                self._session.add(value)
                self._session.flush()
                pk = value.pk
            self._values[key] = pk
            for language, label in ref.labels.items():
                self._session.merge(
                    AttributeValueTranslation(value_pk=pk, language=language, label=label)
                )
            self._session.flush()
        return pk


def _record(item: _Pending) -> ProductRecord:
    assert item.record is not None, "validated before it is written"
    return item.record


def _translation_row(pk: int, language: str, title: str, description: str) -> dict[str, Any]:
    return {
        "product_pk": pk,
        "language": language,
        "title": title,
        "sort_key": fulltext.fold(title)[:500],
        "description": description,
    }


def _price_rows(items: Iterable[tuple[int, _Pending]]) -> list[dict[str, Any]]:
    return [
        {
            "product_pk": pk,
            "currency": currency,
            "amount_minor": to_minor_units(price.amount, currency),
            "previous_amount_minor": (
                None
                if price.previous_amount is None
                else to_minor_units(price.previous_amount, currency)
            ),
        }
        for pk, item in items
        for currency, price in _record(item).prices.items()
    ]
