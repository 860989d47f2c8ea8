"""Search over the SQL catalog: text, filters, sorting, paging and exact facet counts.

Filters resolve and facets are offered by search.rules; here they become SQL: every applied filter
a condition (combined with AND), and each offered option counted by a GROUP BY over the matched
products, with the same conditions the filter itself uses, so applying an option always yields
its count.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Availability, Facet, SearchQuery, SearchResult, SortField
from oct8ne_adapter.search.codes import code_search
from oct8ne_adapter.search.facets import BrandCount, CategoryCount, ValueCount
from oct8ne_adapter.search.lookup import SqlCatalogLookup, category_level
from oct8ne_adapter.search.rules import (
    PriceRule,
    ResolvedFilters,
    offered_facets,
    price_rule,
    resolve_filters,
)
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog import load_products_by_pk
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.localized import language_rank
from oct8ne_adapter.sql.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductAttributeValue,
    ProductCategory,
    ProductCodeRow,
    ProductPrice,
    ProductTranslation,
)

OUT_OF_STOCK = Availability.OUT_OF_STOCK.value


def price_minor_units(rule: PriceRule) -> ColumnElement[Any]:
    """A product's price under the rule, as SQL: stored, else converted, else NULL."""

    def stored(currency: str) -> ColumnElement[Any]:
        return (
            select(ProductPrice.amount_minor)
            .where(ProductPrice.product_pk == Product.pk, ProductPrice.currency == currency)
            .scalar_subquery()
        )

    if rule.convert_from is None:
        return stored(rule.currency)
    # SQL round() rounds half away from zero, as the rule says.
    converted = func.round(cast(stored(rule.convert_from), Float) * literal(rule.factor))
    return func.coalesce(stored(rule.currency), converted)


def filter_conditions(
    filters: ResolvedFilters, price: ColumnElement[Any]
) -> list[ColumnElement[bool]]:
    """The SQL condition of each applied filter; a key that names nothing matches nothing."""

    def linked(link: Any, owner: Any, pk: int | None) -> ColumnElement[bool]:
        if pk is None:
            return false()
        return Product.pk.in_(select(link.product_pk).where(owner == pk))

    conditions = [
        linked(ProductCategory, ProductCategory.category_pk, pk) for pk in filters.category_pks
    ]
    conditions += [false() if pk is None else Product.brand_pk == pk for pk in filters.brand_pks]
    for bounds in filters.price_bounds:
        if bounds is None:
            conditions.append(false())
            continue
        low, high = bounds
        conditions.append(price >= low if high is None else and_(price >= low, price < high))
    conditions += [
        linked(ProductAttributeValue, ProductAttributeValue.value_pk, pk)
        for pk in filters.value_pks
    ]
    conditions += [
        false() if value is None else Product.availability == value
        for value in filters.availabilities
    ]
    return conditions


class CatalogSearch:
    """One search request against one SQL session."""

    def __init__(self, session: Session, query: SearchQuery) -> None:
        self.session = session
        self.query = query
        self.dialect = session.get_bind().dialect.name
        self.languages = query.languages
        self.rule = price_rule(query.price_basis)
        self.lookup = SqlCatalogLookup(session, query.languages)
        self.code = code_search(query.text)
        only_codes = self.code is not None and self.code.only
        self.search_words = [] if only_codes else fulltext.words(query.text)
        #: Whether a product has the searched code (found by `run`).
        self.has_code = False
        self.price = price_minor_units(self.rule)

    def _with_code(self) -> ColumnElement[bool]:
        """The products that have the searched code."""
        assert self.code is not None
        return Product.pk.in_(
            select(ProductCodeRow.product_pk).where(ProductCodeRow.normalized == self.code.code)
        )

    @cached_property
    def text_match(self) -> Any:
        """(product_pk, rank) of the products matching the words, or None without words."""
        if not self.search_words:
            return None
        return fulltext.index_for(self.dialect).match(self.search_words).subquery("text_match")

    def run(self) -> SearchResult:
        """Resolve filters, count, fetch the page and compute the facets."""
        filters = resolve_filters(self.query.filters, self.lookup, self.rule.digits)
        # One indexed query first: without a product having the code, the text search is as is.
        self.has_code = self.code is not None and bool(
            self.lookup.products_with_code(self.code.code)
        )
        matched = self._matched(filter_conditions(filters, self.price))
        total = self.session.scalar(select(func.count()).select_from(matched.subquery())) or 0
        page_pks: Sequence[Any] = []
        facets: tuple[Facet, ...] = ()
        if total:
            page_pks = self.session.scalars(
                self._ordered(matched).offset(self.query.offset).limit(self.query.limit)
            ).all()
            counts = SqlFacetCounts(self.session, matched, self.price, self.dialect)
            facets = offered_facets(filters, counts, self.lookup)
        products = load_products_by_pk(self.session, page_pks, self.languages)
        return SearchResult(
            total=total, products=tuple(products), applied=filters.applied, facets=facets
        )

    def _matched(self, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
        statement = select(Product.pk).where(Product.active.is_(True), *conditions)
        if self.query.hide_out_of_stock:
            statement = statement.where(Product.availability != OUT_OF_STOCK)
        if self.code is not None and self.code.only:
            return statement.where(self._with_code() if self.has_code else false())
        if self.text_match is not None and self.has_code:
            # The text's words, or the whole text as a code.
            statement = statement.outerjoin(
                self.text_match, self.text_match.c.product_pk == Product.pk
            ).where(or_(self.text_match.c.product_pk.is_not(None), self._with_code()))
        elif self.text_match is not None:
            statement = statement.join(self.text_match, self.text_match.c.product_pk == Product.pk)
        return statement

    def _ordered(self, matched: Select[Any]) -> Select[Any]:
        descending = self.query.descending
        sort = self.query.sort
        keys: list[Any]
        if sort is SortField.PRICE:
            keys = [self.price]
        elif sort is SortField.NAME:
            keys = [self._sort_title()]
        elif self.text_match is not None:
            keys = [self.text_match.c.rank, Product.position]
        else:
            keys = [Product.position]
        ordering: list[ColumnElement[Any]] = []
        if sort is SortField.RELEVANCE and self.has_code:
            # The product whose code is the whole text first, whichever the direction.
            ordering.append(case((self._with_code(), 0), else_=1))
        if sort is SortField.RELEVANCE:
            # Out of stock after the others, whichever the direction.
            ordering.append(case((Product.availability == OUT_OF_STOCK, 1), else_=0))
        for key in keys:
            # Products without a value (no price, no title) come last in both directions.
            ordering.append(key.is_(None))
            ordering.append(key.desc() if descending else key.asc())
        ordering.append(Product.pk.desc() if descending else Product.pk.asc())
        return matched.order_by(*ordering)

    def _sort_title(self) -> ColumnElement[Any]:
        return (
            select(ProductTranslation.sort_key)
            .where(ProductTranslation.product_pk == Product.pk)
            .order_by(
                language_rank(ProductTranslation.language, self.languages),
                ProductTranslation.language,
            )
            .limit(1)
            .scalar_subquery()
        )


class SqlFacetCounts:
    """The options' counts over the matched products, one GROUP BY per facet (rules.FacetCounts)."""

    def __init__(
        self, session: Session, matched: Select[Any], price: ColumnElement[Any], dialect: str
    ) -> None:
        self.session = session
        self.matched = matched
        self.matched_pks = matched.scalar_subquery()
        self.price = price
        self.dialect = dialect

    def categories(self, parent_pk: int | None) -> list[CategoryCount]:
        """Counts for the children of this category (the roots for None)."""
        rows = self.session.execute(
            select(ProductCategory.category_pk, Category.external_id, func.count())
            .join(Category, Category.pk == ProductCategory.category_pk)
            .where(category_level(parent_pk), ProductCategory.product_pk.in_(self.matched_pks))
            .group_by(ProductCategory.category_pk, Category.external_id)
        )
        return [(pk, external_id, count) for pk, external_id, count in rows]

    def brands(self) -> list[BrandCount]:
        """Counts per brand."""
        rows = self.session.execute(
            select(Brand.external_id, Brand.name, func.count())
            .join(Product, Product.brand_pk == Brand.pk)
            .where(Product.pk.in_(self.matched_pks))
            .group_by(Brand.pk, Brand.external_id, Brand.name)
        )
        return [(external_id, name, count) for external_id, name, count in rows]

    @cached_property
    def _priced(self) -> Any:
        return self.matched.add_columns(self.price.label("price")).subquery()

    def price_span(self) -> tuple[float | int, float | int] | None:
        """The lowest and highest price among the matched products."""
        low, high = self.session.execute(
            select(func.min(self._priced.c.price), func.max(self._priced.c.price))
        ).one()
        return None if low is None or high is None else (low, high)

    def price_buckets(self, step_minor: int) -> list[tuple[int, int]]:
        """(range index, count) over the priced products."""
        price = self._priced.c.price
        bucket = (
            cast(price / step_minor, Integer)
            if self.dialect == "sqlite"
            else func.floor(price / step_minor)
        )
        rows = self.session.execute(
            select(bucket.label("bucket"), func.count())
            .where(price.is_not(None))
            .group_by(bucket)
            .order_by(bucket)
        )
        return [(int(index), count) for index, count in rows]

    def values(self) -> list[ValueCount]:
        """Counts per attribute value."""
        rows = self.session.execute(
            select(
                Attribute.pk, Attribute.code, AttributeValue.pk, AttributeValue.code, func.count()
            )
            .join(AttributeValue, AttributeValue.attribute_pk == Attribute.pk)
            .join(ProductAttributeValue, ProductAttributeValue.value_pk == AttributeValue.pk)
            .where(ProductAttributeValue.product_pk.in_(self.matched_pks))
            .group_by(Attribute.pk, Attribute.code, AttributeValue.pk, AttributeValue.code)
        )
        return [(a, b, c, d, e) for a, b, c, d, e in rows]

    def availabilities(self) -> dict[str, int]:
        """Counts per availability."""
        rows = self.session.execute(
            select(Product.availability, func.count())
            .where(Product.pk.in_(self.matched_pks))
            .group_by(Product.availability)
        )
        return {availability: count for availability, count in rows}


class SqlSearchEngine:
    """The SQL search as a search.engine.SearchEngine: one session per search."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def search(self, query: SearchQuery) -> SearchResult:
        """Run the search in a session of its own."""
        with self.database.session() as session:
            return search(session, query)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run a search in this session."""
    return CatalogSearch(session, query).run()
