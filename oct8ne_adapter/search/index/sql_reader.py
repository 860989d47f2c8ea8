"""The index's reader of the SQL catalog and its change log (source.CatalogReader).

Large reads are streamed (Core rows, no ORM bookkeeping per row); reads of changed products go
by bounded IN lists. Each statement is built once, with its product key column named where used.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.search.lookup import SqlCatalogLookup, category_level
from oct8ne_adapter.search.rules import CatalogLookup
from oct8ne_adapter.sql import models
from oct8ne_adapter.sql.catalog import load_products_by_pk
from oct8ne_adapter.sql.catalog_changes import CatalogVersion, catalog_version, changed_products
from oct8ne_adapter.sql.database import Database

#: A SELECT of any columns.
Rows = Select[*tuple[Any, ...]]

#: Rows fetched per round trip while streaming.
FETCH_ROWS = 20_000
#: Keys per IN (...) list when reading changed products.
KEYS_PER_QUERY = 500

_product = models.Product
_text = models.ProductTranslation
_PRODUCTS: Rows = select(
    _product.pk, _product.active, _product.brand_pk, _product.position, _product.availability
)
_TEXTS: Rows = select(_text.product_pk, _text.title, _text.description)
_CATEGORY_LINKS: Rows = select(
    models.ProductCategory.category_pk, models.ProductCategory.product_pk
)
_VALUE_LINKS: Rows = select(
    models.ProductAttributeValue.value_pk, models.ProductAttributeValue.product_pk
)
_PRICES: Rows = select(
    models.ProductPrice.product_pk, models.ProductPrice.currency, models.ProductPrice.amount_minor
)
_SORT_KEYS: Rows = select(_text.product_pk, _text.language, _text.sort_key)


class SqlCatalogReader:
    """Reads what the index needs from the catalog tables, in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def version(self) -> CatalogVersion:
        """The change log's version."""
        return catalog_version(self.session)

    def changes_since(
        self, version: Hashable, limit: int
    ) -> tuple[frozenset[int], CatalogVersion] | None:
        """The products the log lists after `version`; None when it cannot list them exactly."""
        if not isinstance(version, CatalogVersion):
            return None  # not a version of this log
        return changed_products(self.session, version, limit)

    def key_limit(self) -> int:
        """One more than the largest product key."""
        return int(self.session.scalar(select(func.max(_product.pk))) or 0) + 1

    def products(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(product, active, brand, position, availability) rows."""
        return self._read(_PRODUCTS, _product.pk, keys)

    def texts(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(product, title, description) rows, one per language."""
        return self._read(_TEXTS, _text.product_pk, keys)

    def category_links(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(category, product) rows."""
        return self._read(_CATEGORY_LINKS, models.ProductCategory.product_pk, keys)

    def value_links(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(attribute value, product) rows."""
        return self._read(_VALUE_LINKS, models.ProductAttributeValue.product_pk, keys)

    def prices(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(product, currency, amount) rows."""
        return self._read(_PRICES, models.ProductPrice.product_pk, keys)

    def sort_keys(self, keys: Iterable[int] | None = None) -> Iterator[Any]:
        """(product, language, sort key) rows; the whole catalog's in the database's key order."""
        if keys is None:
            return _stream(self.session, _SORT_KEYS.order_by(_text.sort_key))
        return self._read(_SORT_KEYS, _text.product_pk, keys)

    def neighbour_sort_keys(
        self, sort_key: str, *, below: bool, offset: int, limit: int
    ) -> list[Any]:
        """Sort-key rows at or below `sort_key` (descending), or above it (ascending)."""
        column = _text.sort_key
        statement = _SORT_KEYS.where(column <= sort_key if below else column > sort_key)
        statement = statement.order_by(column.desc() if below else column.asc())
        return list(self.session.execute(statement.offset(offset).limit(limit)).all())

    def brands(self) -> list[Any]:
        """(brand, external id, name) rows."""
        brand = models.Brand
        return list(self.session.execute(select(brand.pk, brand.external_id, brand.name)).all())

    def category_names(self) -> Iterator[Any]:
        """(category, name) rows in every language."""
        names = models.CategoryTranslation
        return iter(self.session.execute(select(names.category_pk, names.name)))

    def value_names(self) -> list[Any]:
        """(value, code) rows, then (value, label) rows in every language."""
        value, labels = models.AttributeValue, models.AttributeValueTranslation
        codes = self.session.execute(select(value.pk, value.code)).all()
        return [*codes, *self.session.execute(select(labels.value_pk, labels.label)).all()]

    def attribute_values(self) -> Iterator[Any]:
        """(value, attribute, attribute code, value code) rows."""
        value, attribute = models.AttributeValue, models.Attribute
        return iter(
            self.session.execute(
                select(value.pk, attribute.pk, attribute.code, value.code).join(
                    attribute, attribute.pk == value.attribute_pk
                )
            )
        )

    def categories_under(self, parent_pk: int | None) -> Iterator[Any]:
        """(category, external id) of the children of this category (the roots for None)."""
        category = models.Category
        return iter(
            self.session.execute(
                select(category.pk, category.external_id).where(category_level(parent_pk))
            )
        )

    def lookup(self, languages: Sequence[str]) -> CatalogLookup:
        """The SQL search's own lookups, so filters and labels resolve identically."""
        return SqlCatalogLookup(self.session, languages)

    def load_products(self, pks: Sequence[int], languages: Sequence[str]) -> list[domain.Product]:
        """The page's products, through the product cache."""
        return load_products_by_pk(self.session, pks, languages)

    def _read(self, statement: Rows, key: Any, keys: Iterable[int] | None) -> Iterator[Any]:
        if keys is None:
            return _stream(self.session, statement)
        return _chunked(self.session, statement, key, keys)


class SqlCatalog:
    """Opens SqlCatalogReaders on a database (source.CatalogReaders)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def reader(self) -> Iterator[SqlCatalogReader]:
        """A reader over a new session, closed when the block ends."""
        with self.database.session() as session:
            yield SqlCatalogReader(session)


def _stream(session: Session, statement: Rows) -> Iterator[Any]:
    """Stream a large result without holding it all."""
    # Closed even when reading stops half-way (a server-side cursor must not outlive it).
    with session.connection().execute(statement.execution_options(yield_per=FETCH_ROWS)) as result:
        for partition in result.partitions():
            yield from partition


def _chunked(session: Session, statement: Rows, key: Any, keys: Iterable[int]) -> Iterator[Any]:
    """The statement's rows for these products only (`key` IN ...), a bounded list at a time."""
    ordered = list(keys)
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        yield from session.execute(
            statement.where(key.in_(ordered[start : start + KEYS_PER_QUERY]))
        )
