"""The index agrees with a slow, obviously correct search written from the rules, on random shops.

The reference below reads the generated catalog as plain Python objects and applies the search
rules one product at a time: every word a prefix of some token of the product, each filter an
AND, relevance as the sum of each word's best field weight, missing prices and names last, and
every facet option counted by testing each matched product.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import delete

from oct8ne_adapter.domain import (
    FacetKind,
    FilterValue,
    PriceBasis,
    PriceRange,
    SearchQuery,
    SearchResult,
    SortField,
)
from oct8ne_adapter.search.facets import price_step
from oct8ne_adapter.search.index.query import IndexedSearch
from oct8ne_adapter.search.index.snapshot import build_snapshot
from oct8ne_adapter.search.index.sql_reader import SqlCatalogReader
from oct8ne_adapter.search.rules import parse_price_range
from oct8ne_adapter.sql import models
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder, catalog_version
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.fulltext import TOKEN_WEIGHTS, tokens, words
from oct8ne_adapter.sql.localized import translation_rank
from oct8ne_adapter.sql.schema import create_schema

VOCABULARY = ["alpha", "alpine", "alp", "beta", "bet", "gamma", "delta", "omega", "Ómega", "rojo"]
LANGUAGES = ["en", "es", "es-MX", "fr"]
#: (external id, parent index or None, names per language)
CATEGORIES = [
    ("root-a", None, {"en": "Alpha gear", "es": "Equipo alfa"}),
    ("root-b", None, {"en": "Beta things"}),
    ("a-child", 0, {"en": "Delta kit", "fr": "Trousse delta"}),
    ("a-other", 0, {"es": "Gamma cosas"}),
    ("b-child", 1, {"en": "Omega stuff"}),
]
BRANDS = [("northpeak", "Alpine Peak"), ("bet", "Bet Co"), ("zeta", "Zeta")]
ATTRIBUTES = {"color": {"red": {"es": "rojo"}, "blue": {"en": "Blue"}}, "size": {"s": {}, "m": {}}}
BASES = [
    PriceBasis("USD", "USD", None),
    PriceBasis("EUR", "USD", Decimal("0.92")),
    PriceBasis("GBP", "USD", Decimal("0.80")),
]


@dataclass
class ShopProduct:
    """One generated product, as the reference sees it."""

    pk: int
    active: bool
    position: int
    brand: int | None
    texts: dict[str, tuple[str, str]]  # language -> (title, description)
    prices: dict[str, int]
    categories: set[int] = field(default_factory=set)
    values: set[tuple[str, str]] = field(default_factory=set)


text_strategy = st.lists(st.sampled_from(VOCABULARY), max_size=3).map(" ".join)
product_strategy = st.builds(
    lambda active, position, brand, texts, prices, categories, values: (
        active,
        position,
        brand,
        texts,
        prices,
        categories,
        values,
    ),
    st.booleans() | st.just(True),
    st.integers(0, 3),
    st.none() | st.integers(0, len(BRANDS) - 1),
    st.dictionaries(
        st.sampled_from(LANGUAGES), st.tuples(text_strategy, text_strategy), max_size=3
    ),
    st.dictionaries(st.sampled_from(["USD", "EUR"]), st.integers(0, 60_000), max_size=2),
    st.sets(st.integers(0, len(CATEGORIES) - 1), max_size=3),
    st.sets(st.sampled_from([(a, v) for a, vs in ATTRIBUTES.items() for v in vs]), max_size=3),
)
filter_strategy = st.one_of(
    st.tuples(st.just("category"), st.sampled_from([c[0] for c in CATEGORIES] + ["nope"])),
    st.tuples(st.just("brand"), st.sampled_from([b[0] for b in BRANDS] + ["nope"])),
    st.tuples(st.just("price"), st.sampled_from(["0-100", "100-300", "250-", "0-1", "x"])),
    st.tuples(st.sampled_from(["color", "size"]), st.sampled_from(["red", "blue", "s", "m", "xl"])),
    st.tuples(st.just("unrelated"), st.just("1")),
)
query_strategy = st.builds(
    SearchQuery,
    text=st.lists(st.sampled_from([*VOCABULARY, "a", "om", "zzz", "ALP"]), max_size=2).map(
        " ".join
    ),
    languages=st.sampled_from([("en",), ("es-ES", "es"), ("fr", "en"), ("de",)]),
    price_basis=st.sampled_from(BASES),
    filters=st.lists(filter_strategy, max_size=3).map(
        lambda pairs: tuple(FilterValue(p, v) for p, v in pairs)
    ),
    sort=st.sampled_from(
        [SortField.RELEVANCE, SortField.RELEVANCE, SortField.PRICE, SortField.NAME]
    ),
    descending=st.booleans(),
    offset=st.integers(0, 12),
    limit=st.integers(1, 8),
)


def write_shop(database: Database, drafts: list[tuple], logged: int = 0) -> list[ShopProduct]:
    """Replace the catalog with these products, logging products 1..`logged` as changed."""
    now = datetime(2026, 1, 1)
    with database.transaction() as session:
        for model in (
            models.Product,
            models.Brand,
            models.Category,
            models.AttributeValue,
            models.Attribute,
        ):
            session.execute(delete(model))
        for index, (external_id, parent, names) in enumerate(CATEGORIES):
            depth = 0 if parent is None else 1
            session.add(
                models.Category(
                    pk=index + 1,
                    external_id=external_id,
                    parent_pk=None if parent is None else parent + 1,
                    depth=depth,
                    position=index,
                )
            )
            session.flush()
            for language, name in names.items():
                session.add(
                    models.CategoryTranslation(category_pk=index + 1, language=language, name=name)
                )
        for index, (external_id, name) in enumerate(BRANDS):
            session.add(models.Brand(pk=index + 1, external_id=external_id, name=name))
        value_pks: dict[tuple[str, str], int] = {}
        for attribute_index, (code, values) in enumerate(ATTRIBUTES.items()):
            session.add(models.Attribute(pk=attribute_index + 1, code=code))
            session.flush()
            for value, labels in values.items():
                value_pks[(code, value)] = len(value_pks) + 1
                session.add(
                    models.AttributeValue(
                        pk=value_pks[(code, value)], attribute_pk=attribute_index + 1, code=value
                    )
                )
                session.flush()
                for language, label in labels.items():
                    session.add(
                        models.AttributeValueTranslation(
                            value_pk=value_pks[(code, value)], language=language, label=label
                        )
                    )
        session.flush()
        products = []
        for pk, (active, position, brand, texts, prices, categories, values) in enumerate(
            drafts, start=1
        ):
            session.add(
                models.Product(
                    pk=pk,
                    external_id=f"p{pk}",
                    url="https://x/p",
                    brand_pk=None if brand is None else brand + 1,
                    active=active,
                    position=position,
                    updated_at=now,
                )
            )
            session.flush()
            for language, (title, description) in texts.items():
                session.add(
                    models.ProductTranslation(
                        product_pk=pk,
                        language=language,
                        title=title,
                        description=description,
                        sort_key=title.casefold(),
                    )
                )
            for currency, amount in prices.items():
                session.add(
                    models.ProductPrice(product_pk=pk, currency=currency, amount_minor=amount)
                )
            for category in categories:
                session.add(models.ProductCategory(product_pk=pk, category_pk=category + 1))
            for value in values:
                session.add(models.ProductAttributeValue(product_pk=pk, value_pk=value_pks[value]))
            products.append(
                ShopProduct(
                    pk,
                    active,
                    position,
                    None if brand is None else brand + 1,
                    dict(texts),
                    dict(prices),
                    {c + 1 for c in categories},
                    set(values),
                )
            )
        recorder = ChangeRecorder()
        recorder.add(range(1, logged + 1))
        recorder.write(session)
    return products


# -- the reference ---------------------------------------------------------------------------


def field_texts(product: ShopProduct) -> dict[str, list[str]]:
    """Every text of the product per search field."""
    attributes = []
    for code, value in product.values:
        attributes.append(value)
        attributes.extend(ATTRIBUTES[code][value].values())
    return {
        "title": [title for title, _ in product.texts.values()],
        "description": [description for _, description in product.texts.values()],
        "brand": [BRANDS[product.brand - 1][1]] if product.brand else [],
        "categories": [n for c in product.categories for n in CATEGORIES[c - 1][2].values()],
        "attributes": attributes,
    }


def word_weight(product: ShopProduct, word: str) -> int:
    """The weight of the best field with a token starting with the word; 0 if none."""
    return max(
        (
            TOKEN_WEIGHTS[name]
            for name, texts in field_texts(product).items()
            if any(token.startswith(word) for text in texts for token in tokens(text))
        ),
        default=0,
    )


def price_of(product: ShopProduct, basis: PriceBasis) -> float | None:
    if basis.currency in product.prices:
        return product.prices[basis.currency]
    if basis.rate_from_shop is None or basis.shop_currency not in product.prices:
        return None
    # EUR and GBP have the same number of decimals as USD; SQL round() is half away from zero.
    return math.floor(product.prices[basis.shop_currency] * float(basis.rate_from_shop) + 0.5)


def sort_name(product: ShopProduct, languages: tuple[str, ...]) -> str | None:
    if not product.texts:
        return None
    best = min(
        product.texts, key=lambda language: (translation_rank(language, languages), language)
    )
    return product.texts[best][0].casefold()


def within(product: ShopProduct, price_range: PriceRange | None, basis: PriceBasis) -> bool:
    """Whether the product's price is in the range (all three currencies have 2 decimals)."""
    price = price_of(product, basis)
    if price_range is None or price is None or price < float(price_range.low * 100):
        return False
    return price_range.high is None or price < float(price_range.high * 100)


def reference(products: list[ShopProduct], query: SearchQuery) -> dict[str, object]:
    """The search, the slow way."""
    search_words = words(query.text)
    categories = {c[0]: index + 1 for index, c in enumerate(CATEGORIES)}
    brands = {b[0]: index + 1 for index, b in enumerate(BRANDS)}
    matched = [p for p in products if p.active and all(word_weight(p, w) for w in search_words)]
    # Issue 17: an applied attribute's whole group is left out, not only the applied value.
    applied_attributes: set[str] = set()
    deepest: int | None = None
    depth = -1
    any_category = False
    price_applied = brand_applied = False
    for item in query.filters:
        if item.param == "category":
            any_category = True
            pk = categories.get(item.value)
            matched = [p for p in matched if pk in p.categories]
            if pk is not None:
                category_depth = 0 if CATEGORIES[pk - 1][1] is None else 1
                if category_depth > depth:
                    deepest, depth = pk, category_depth
        elif item.param == "brand":
            brand_applied = True
            matched = [
                p for p in matched if p.brand is not None and p.brand == brands.get(item.value)
            ]
        elif item.param == "price":
            price_applied = True
            price_range = parse_price_range(item.value)
            matched = [p for p in matched if within(p, price_range, query.price_basis)]
        elif item.param in ATTRIBUTES:
            pair = (item.param, item.value)
            applied_attributes.add(item.param)
            matched = [p for p in matched if pair in p.values]

    def key(p: ShopProduct) -> tuple:
        if query.sort is SortField.PRICE:
            values = [price_of(p, query.price_basis)]
        elif query.sort is SortField.NAME:
            values = [sort_name(p, query.languages)]
        elif search_words:
            values = [-sum(word_weight(p, w) for w in search_words), p.position]
        else:
            values = [p.position]
        parts: list[object] = []
        for value in values:
            parts.append(value is None)
            parts.append(
                _Reversed(value)
                if query.descending and value is not None
                else (value if value is not None else 0)
            )
        parts.append(-p.pk if query.descending else p.pk)
        return tuple(parts)

    ordered = sorted(matched, key=key)
    facets: dict[str, dict[str, int]] = {}
    if matched:
        if not (any_category and deepest is None):
            level = [
                i + 1
                for i, c in enumerate(CATEGORIES)
                if (c[1] is None if deepest is None else c[1] is not None and c[1] + 1 == deepest)
            ]
            counts = {CATEGORIES[c - 1][0]: sum(c in p.categories for p in matched) for c in level}
            facets["category"] = {k: v for k, v in counts.items() if v}
        if not brand_applied:
            counts = Counter(BRANDS[p.brand - 1][0] for p in matched if p.brand)
            facets["brand"] = dict(counts)
        if not price_applied:
            prices = [x for p in matched if (x := price_of(p, query.price_basis)) is not None]
            if prices:
                step, step_minor = price_step(min(prices), max(prices), 2)
                buckets = Counter(math.floor(x / step_minor) for x in prices)
                if len(buckets) >= 2:
                    facets["price"] = {
                        f"{step * b}-{step * (b + 1)}": n for b, n in sorted(buckets.items())
                    }
        for code, values in ATTRIBUTES.items():
            if code in applied_attributes:
                continue
            counts = {v: sum((code, v) in p.values for p in matched) for v in values}
            facets[code] = {k: v for k, v in counts.items() if v}
    return {
        "total": len(matched),
        "page": [f"p{p.pk}" for p in ordered[query.offset : query.offset + query.limit]],
        "facets": {k: v for k, v in facets.items() if v},
    }


class _Reversed:
    """Sorts in the opposite order of its value."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value


def observed(result: SearchResult) -> dict[str, object]:
    facets: dict[str, dict[str, int]] = {}
    for facet in result.facets:
        if facet.kind is FacetKind.PRICE:
            facets[facet.param] = {
                f"{o.price_range.low}-{o.price_range.high}": o.count for o in facet.options
            }
        else:
            facets[facet.param] = {o.value: o.count for o in facet.options}
    return {
        "total": result.total,
        "page": [product.id for product in result.products],
        "facets": facets,
    }


_database: Database | None = None


def shop_database(tmp_path_factory) -> Database:
    global _database
    if _database is None:
        path = Path(tmp_path_factory.mktemp("random-shop")) / "shop.db"
        _database = Database(create_database_engine(f"sqlite:///{path}"))
        create_schema(_database.engine)
    return _database


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drafts=st.lists(product_strategy, max_size=14),
    queries=st.lists(query_strategy, min_size=1, max_size=6),
    next_drafts=st.lists(product_strategy, max_size=16),
)
@example(
    # A word found in one product's brand (weight 4) and in another's title (weight 8).
    drafts=[
        (True, 0, 0, {"en": ("beta", "")}, {"USD": 100}, set(), set()),
        (True, 1, None, {"en": ("alpha", "")}, {"USD": 50_000}, {0}, {("color", "red")}),
        (True, 0, None, {"es": ("gamma", "alp")}, {"EUR": 999}, {2}, set()),
    ],
    queries=[
        SearchQuery("alp", ("en",), BASES[0]),
        SearchQuery("alp", ("en",), BASES[0], descending=True),
        SearchQuery("", ("es",), BASES[2], sort=SortField.PRICE),
        SearchQuery("", ("en",), BASES[0], sort=SortField.NAME),
    ],
    next_drafts=[
        (True, 0, 1, {"en": ("omega", "")}, {"USD": 100}, set(), set()),
        (True, 1, None, {"en": ("alpha", "")}, {"USD": 50_000}, {0}, {("color", "red")}),
        (True, 0, None, {"es": ("gamma", "alp")}, {"EUR": 999}, {2}, set()),
        (True, 0, None, {"en": ("delta", "")}, {"USD": 7}, {4}, set()),
    ],
)
def test_index_equals_reference(tmp_path_factory, drafts, queries, next_drafts):
    database = shop_database(tmp_path_factory)
    products = write_shop(database, drafts)
    with database.session() as session:
        reader = SqlCatalogReader(session)
        snapshot = build_snapshot(reader)
        for query in queries:
            assert observed(IndexedSearch(reader, query, snapshot).run()) == reference(
                products, query
            ), query
    # The same snapshot, brought up to date from the change log, equals the new shop too.
    products = write_shop(database, next_drafts, logged=max(len(drafts), len(next_drafts)))
    with database.session() as session:
        reader = SqlCatalogReader(session)
        snapshot.apply(
            reader,
            {p.pk for p in products} | set(range(1, len(drafts) + 1)),
            catalog_version(session),
        )
        for query in queries:
            assert observed(IndexedSearch(reader, query, snapshot).run()) == reference(
                products, query
            ), ("after changes", query)
