"""Search over the SQL catalog: text, filters, sorting, paging and exact facet counts.

Every applied filter narrows the result (filters combine with AND). Each offered option's count is
the number of products that the current text and filters plus that option return, computed by
the same conditions the filter itself uses, so applying an option always yields its count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from babel.numbers import get_currency_precision
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    cast,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import (
    AppliedFilter,
    Facet,
    FacetKind,
    FacetOption,
    FilterValue,
    PriceBasis,
    PriceRange,
    SearchQuery,
    SearchResult,
    SortField,
)
from oct8ne_adapter.search.facets import (
    BRAND_PARAM,
    CATEGORY_PARAM,
    PRICE_PARAM,
    best_first,
    brand_facet,
    parse_price_range,
    price_facet,
    price_step,
)
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog import language_rank, load_products_by_pk, pick_translation
from oct8ne_adapter.sql.models import (
    Attribute,
    AttributeTranslation,
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    Category,
    CategoryTranslation,
    Product,
    ProductAttributeValue,
    ProductCategory,
    ProductPrice,
    ProductTranslation,
)


@dataclass
class ResolvedFilters:
    """The request's filters resolved against the catalog: SQL conditions and the same as keys.

    A None in a key list is a value that names nothing in the catalog: it matches no product.
    """

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    applied: list[AppliedFilter] = field(default_factory=list)
    category_pks: list[int | None] = field(default_factory=list)
    brand_pks: list[int | None] = field(default_factory=list)
    price_ranges: list[PriceRange | None] = field(default_factory=list)
    value_pks: list[int | None] = field(default_factory=list)
    category_parent: int | None = None
    category_depth: int = -1
    brand_applied: bool = False
    price_applied: bool = False
    applied_values: set[int] = field(default_factory=set)


def price_minor_units(basis: PriceBasis) -> ColumnElement[Any]:
    """A product's price in the basis currency's minor units: stored, else converted, else NULL."""

    def stored(currency: str) -> ColumnElement[Any]:
        return (
            select(ProductPrice.amount_minor)
            .where(ProductPrice.product_pk == Product.pk, ProductPrice.currency == currency)
            .scalar_subquery()
        )

    if basis.currency == basis.shop_currency or basis.rate_from_shop is None:
        return stored(basis.currency)
    digits = get_currency_precision(basis.currency) - get_currency_precision(basis.shop_currency)
    factor = float(basis.rate_from_shop.scaleb(digits))
    converted = func.round(cast(stored(basis.shop_currency), Float) * literal(factor))
    return func.coalesce(stored(basis.currency), converted)


class CatalogSearch:
    """One search request against one SQL session."""

    def __init__(self, session: Session, query: SearchQuery) -> None:
        self.session = session
        self.query = query
        self.dialect = session.get_bind().dialect.name
        self.languages = query.languages
        self.price_digits = get_currency_precision(query.price_basis.currency)
        self.search_words = fulltext.words(query.text)

    # Built on first use: the in-memory index reuses this class and needs neither.
    @cached_property
    def price(self) -> ColumnElement[Any]:
        """A product's price in the search currency's minor units, as SQL."""
        return price_minor_units(self.query.price_basis)

    @cached_property
    def text_match(self) -> Any:
        """(product_pk, rank) of the products matching the words, or None without words."""
        if not self.search_words:
            return None
        return fulltext.index_for(self.dialect).match(self.search_words).subquery("text_match")

    def run(self) -> SearchResult:
        """Resolve filters, count, fetch the page and compute the facets."""
        filters = self.resolve_filters(self.query.filters)
        matched = self._matched(filters.conditions)
        total = self.session.scalar(select(func.count()).select_from(matched.subquery())) or 0
        page_pks: Sequence[Any] = []
        facets: tuple[Facet, ...] = ()
        if total:
            page_pks = self.session.scalars(
                self._ordered(matched).offset(self.query.offset).limit(self.query.limit)
            ).all()
            facets = self._facets(filters, matched)
        products = load_products_by_pk(self.session, page_pks, self.languages)
        return SearchResult(
            total=total, products=tuple(products), applied=tuple(filters.applied), facets=facets
        )

    # -- matching -------------------------------------------------------------------------

    def _matched(self, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
        statement = select(Product.pk).where(Product.active.is_(True), *conditions)
        if self.text_match is not None:
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

    # -- filters --------------------------------------------------------------------------

    def resolve_filters(self, requested: Sequence[FilterValue]) -> ResolvedFilters:
        filters = ResolvedFilters()
        by_param: dict[str, list[str]] = defaultdict(list)
        for item in requested:
            by_param[item.param].append(item.value)
        if CATEGORY_PARAM in by_param:
            self._category_filters(by_param.pop(CATEGORY_PARAM), filters)
        if BRAND_PARAM in by_param:
            self._brand_filters(by_param.pop(BRAND_PARAM), filters)
        if PRICE_PARAM in by_param:
            self._price_filters(by_param.pop(PRICE_PARAM), filters)
        if by_param:
            self._attribute_filters(by_param, filters)
        return filters

    def _category_filters(self, values: list[str], filters: ResolvedFilters) -> None:
        rows = {
            row.external_id: row
            for row in self.session.execute(
                select(Category.pk, Category.external_id, Category.depth).where(
                    Category.external_id.in_(values)
                )
            )
        }
        names = self.category_names([row.pk for row in rows.values()])
        for value in values:
            row = rows.get(value)
            filters.category_pks.append(None if row is None else row.pk)
            if row is None:
                filters.conditions.append(false())
                label = value
            else:
                filters.conditions.append(
                    Product.pk.in_(
                        select(ProductCategory.product_pk).where(
                            ProductCategory.category_pk == row.pk
                        )
                    )
                )
                label = names.get(row.pk, value)
                if row.depth > filters.category_depth:
                    filters.category_depth, filters.category_parent = row.depth, row.pk
            filters.applied.append(
                AppliedFilter(FacetKind.CATEGORY, CATEGORY_PARAM, None, value, label)
            )
        if filters.category_parent is None:
            # Every applied category was unknown: nothing matches, so offer no categories.
            filters.category_depth = 10**6

    def _brand_filters(self, values: list[str], filters: ResolvedFilters) -> None:
        rows = dict(
            self.session.execute(
                select(Brand.external_id, Brand.pk).where(Brand.external_id.in_(values))
            ).all()
        )
        brand_names = dict(
            self.session.execute(
                select(Brand.pk, Brand.name).where(Brand.pk.in_(list(rows.values())))
            ).all()
        )
        for value in values:
            brand_pk = rows.get(value)
            filters.brand_pks.append(brand_pk)
            filters.conditions.append(false() if brand_pk is None else Product.brand_pk == brand_pk)
            label = value if brand_pk is None else brand_names[brand_pk]
            filters.applied.append(AppliedFilter(FacetKind.BRAND, BRAND_PARAM, None, value, label))
        filters.brand_applied = True

    def _price_filters(self, values: list[str], filters: ResolvedFilters) -> None:
        scale = Decimal(10) ** self.price_digits
        for value in values:
            price_range = parse_price_range(value)
            filters.price_ranges.append(price_range)
            if price_range is None:
                filters.conditions.append(false())
            else:
                condition = self.price >= float(price_range.low * scale)
                if price_range.high is not None:
                    condition = and_(condition, self.price < float(price_range.high * scale))
                filters.conditions.append(condition)
            filters.applied.append(
                AppliedFilter(FacetKind.PRICE, PRICE_PARAM, None, value, value, price_range)
            )
        filters.price_applied = True

    def _attribute_filters(self, by_param: dict[str, list[str]], filters: ResolvedFilters) -> None:
        attributes = dict(
            self.session.execute(
                select(Attribute.code, Attribute.pk).where(Attribute.code.in_(list(by_param)))
            ).all()
        )
        if not attributes:
            return  # Parameters that name no attribute are not filters: ignored.
        attribute_labels = self.attribute_labels(list(attributes.values()))
        for code, attribute_pk in attributes.items():
            values = by_param[code]
            known = dict(
                self.session.execute(
                    select(AttributeValue.code, AttributeValue.pk).where(
                        AttributeValue.attribute_pk == attribute_pk,
                        AttributeValue.code.in_(values),
                    )
                ).all()
            )
            value_labels = self.value_labels(list(known.values()))
            for value in values:
                value_pk = known.get(value)
                filters.value_pks.append(value_pk)
                if value_pk is None:
                    filters.conditions.append(false())
                    label = value
                else:
                    filters.conditions.append(
                        Product.pk.in_(
                            select(ProductAttributeValue.product_pk).where(
                                ProductAttributeValue.value_pk == value_pk
                            )
                        )
                    )
                    filters.applied_values.add(value_pk)
                    label = value_labels.get(value_pk, value)
                filters.applied.append(
                    AppliedFilter(
                        FacetKind.ATTRIBUTE, code, attribute_labels.get(attribute_pk), value, label
                    )
                )

    # -- facets ---------------------------------------------------------------------------

    def _facets(self, filters: ResolvedFilters, matched: Select[Any]) -> tuple[Facet, ...]:
        matched_pks = matched.scalar_subquery()
        facets: list[Facet | None] = [self._category_facet(filters, matched_pks)]
        if not filters.brand_applied:
            facets.append(self._brand_facet(matched_pks))
        if not filters.price_applied:
            facets.append(self._price_facet(matched))
        facets.extend(self._attribute_facets(filters, matched_pks))
        return tuple(facet for facet in facets if facet is not None and facet.options)

    def _category_facet(
        self, filters: ResolvedFilters, matched_pks: ColumnElement[int]
    ) -> Facet | None:
        if filters.category_depth >= 10**6:
            return None
        counts = self.session.execute(
            select(ProductCategory.category_pk, Category.external_id, func.count())
            .join(Category, Category.pk == ProductCategory.category_pk)
            .where(self.category_level(filters), ProductCategory.product_pk.in_(matched_pks))
            .group_by(ProductCategory.category_pk, Category.external_id)
        ).all()
        return self.category_facet(counts)

    def category_level(self, filters: ResolvedFilters) -> ColumnElement[bool]:
        """The categories offered: children of the deepest applied category, else the roots."""
        parent = filters.category_parent
        return Category.parent_pk.is_(None) if parent is None else Category.parent_pk == parent

    def category_facet(self, counts: Sequence[tuple[int, str, int]]) -> Facet:
        """The category facet from (category pk, external id, product count) rows."""
        names = self.category_names([pk for pk, _, _ in counts])
        options = [
            FacetOption(value=external_id, label=names.get(pk, external_id), count=count)
            for pk, external_id, count in counts
            if count
        ]
        return Facet(FacetKind.CATEGORY, CATEGORY_PARAM, None, best_first(options))

    def _brand_facet(self, matched_pks: ColumnElement[int]) -> Facet:
        counts = self.session.execute(
            select(Brand.external_id, Brand.name, func.count())
            .join(Product, Product.brand_pk == Brand.pk)
            .where(Product.pk.in_(matched_pks))
            .group_by(Brand.pk, Brand.external_id, Brand.name)
        ).all()
        return brand_facet(counts)

    def _price_facet(self, matched: Select[Any]) -> Facet | None:
        priced = matched.add_columns(self.price.label("price")).subquery()
        low, high = self.session.execute(
            select(func.min(priced.c.price), func.max(priced.c.price))
        ).one()
        if low is None or high is None:
            return None
        step, step_minor = price_step(low, high, self.price_digits)
        bucket = (
            cast(priced.c.price / step_minor, Integer)
            if self.dialect == "sqlite"
            else func.floor(priced.c.price / step_minor)
        )
        counts = self.session.execute(
            select(bucket.label("bucket"), func.count())
            .where(priced.c.price.is_not(None))
            .group_by(bucket)
            .order_by(bucket)
        ).all()
        return price_facet([(int(index), count) for index, count in counts], step)

    def _attribute_facets(
        self, filters: ResolvedFilters, matched_pks: ColumnElement[int]
    ) -> list[Facet]:
        rows = self.session.execute(
            select(
                Attribute.pk,
                Attribute.code,
                AttributeValue.pk,
                AttributeValue.code,
                func.count(),
            )
            .join(AttributeValue, AttributeValue.attribute_pk == Attribute.pk)
            .join(ProductAttributeValue, ProductAttributeValue.value_pk == AttributeValue.pk)
            .where(ProductAttributeValue.product_pk.in_(matched_pks))
            .group_by(Attribute.pk, Attribute.code, AttributeValue.pk, AttributeValue.code)
        ).all()
        return self.attribute_facets(filters, [(a, b, c, d, e) for a, b, c, d, e in rows])

    def attribute_facets(
        self, filters: ResolvedFilters, rows: Sequence[tuple[int, str, int, str, int]]
    ) -> list[Facet]:
        """Attribute facets from (attribute pk, code, value pk, value code, count) rows."""
        rows = [row for row in rows if row[2] not in filters.applied_values and row[4]]
        value_labels = self.value_labels([row[2] for row in rows])
        attribute_labels = self.attribute_labels(list({row[0] for row in rows}))
        grouped: dict[tuple[int, str], list[FacetOption]] = defaultdict(list)
        for attribute_pk, code, value_pk, value, count in rows:
            grouped[(attribute_pk, code)].append(
                FacetOption(value=value, label=value_labels.get(value_pk, value), count=count)
            )
        return [
            Facet(
                FacetKind.ATTRIBUTE, code, attribute_labels.get(attribute_pk), best_first(options)
            )
            for (attribute_pk, code), options in sorted(
                grouped.items(), key=lambda item: item[0][1]
            )
        ]

    # -- labels ---------------------------------------------------------------------------

    def category_names(self, pks: Sequence[int]) -> dict[int, str]:
        if not pks:
            return {}
        return pick_translation(
            self.session.execute(
                select(
                    CategoryTranslation.category_pk,
                    CategoryTranslation.language,
                    CategoryTranslation.name,
                ).where(CategoryTranslation.category_pk.in_(pks))
            ),
            self.languages,
        )

    def value_labels(self, pks: Sequence[int]) -> dict[int, str]:
        if not pks:
            return {}
        return pick_translation(
            self.session.execute(
                select(
                    AttributeValueTranslation.value_pk,
                    AttributeValueTranslation.language,
                    AttributeValueTranslation.label,
                ).where(AttributeValueTranslation.value_pk.in_(pks))
            ),
            self.languages,
        )

    def attribute_labels(self, pks: Sequence[int]) -> dict[int, str]:
        if not pks:
            return {}
        return pick_translation(
            self.session.execute(
                select(
                    AttributeTranslation.attribute_pk,
                    AttributeTranslation.language,
                    AttributeTranslation.label,
                ).where(AttributeTranslation.attribute_pk.in_(pks))
            ),
            self.languages,
        )


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run a search in this session."""
    return CatalogSearch(session, query).run()
