"""A catalog held as the records a `CatalogSource` lists: numbered, with its reference data.

The index numbers what it indexes by integer keys, as the SQL catalog's primary keys do; a
source names products by their shop ids only. A `RecordState` gives every product, brand,
category, attribute and attribute value a key, and derives the rows the index reads exactly as
the SQL writer stores them (sql/writer: a brand is its name's slug and keeps the name first
seen; a category keeps the parent and depth of its latest path and merges its names by
language; a value merges its labels; a product belongs to every category of its path; prices in
minor units; the sort key is the folded title), so the index answers over a source as it does
over our SQL catalog imported from the same records.

A state is never changed once published: `updated` and `read_whole` make a new one (copying
the maps, a few milliseconds at a hundred thousand products), so a search reading one state is
never disturbed by a catch-up making the next. Keys are never reused: a deleted product's key
stays its own, and it gets it back if it returns.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from types import MappingProxyType

from babel.numbers import get_currency_precision

from oct8ne_adapter import domain
from oct8ne_adapter.feeds.fields import slug
from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.localized import best_links, pick_translation

#: The sort key is the folded title, cut as the SQL column is (product_translations.sort_key).
SORT_KEY_LENGTH = 500


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category: its key, where it sits in the tree, its names by language."""

    key: int
    parent: int | None
    depth: int
    names: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ValueNode:
    """An attribute value: its key, its attribute, its code and labels by language."""

    key: int
    attribute: int
    attribute_code: str
    code: str
    labels: Mapping[str, str]


def record_codes(record: ProductRecord) -> set[str]:
    """The normalised codes of a product record and of its variants."""
    codes = {code.normalized for code in record.codes}
    codes.update(code.normalized for variant in record.variants for code in variant.codes)
    return codes


@dataclass
class RecordState:
    """Every product record of a source by key, with keys for its reference data."""

    version: Hashable
    records: dict[int, ProductRecord] = field(default_factory=dict)
    #: Shop id -> key, kept after a product is deleted (keys are never reused).
    product_keys: dict[str, int] = field(default_factory=dict)
    #: Brand slug -> (key, name first seen).
    brands: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Category id -> node; key -> id.
    categories: dict[str, CategoryNode] = field(default_factory=dict)
    category_ids: dict[int, str] = field(default_factory=dict)
    #: Attribute code -> key.
    attributes: dict[str, int] = field(default_factory=dict)
    #: (attribute key, value code) -> node.
    values: dict[tuple[int, str], ValueNode] = field(default_factory=dict)
    #: (sort key, product key, language) of every product's titles, in sort-key order.
    sort_index: list[tuple[str, int, str]] = field(default_factory=list)
    #: Normalised code -> keys of the products that (or one of whose variants) have it.
    codes: dict[str, frozenset[int]] = field(default_factory=dict)
    next_key: int = 1
    #: A category changed place in the tree while this state was made: the unchanged products
    #: under it now sit under other ancestors, so the index must read everything again (as
    #: the SQL writer then marks everything changed).
    moved: bool = False

    # -- making states --------------------------------------------------------------------

    def updated(
        self, records: Mapping[str, ProductRecord | None], version: Hashable
    ) -> tuple[RecordState, frozenset[int]]:
        """A new state with these products replaced (None: deleted); their keys."""
        state = self._copy(version)
        changed: set[int] = set()
        for product_id, record in records.items():
            key = state.product_keys.get(product_id)
            if key is not None:
                changed.add(key)
                old = state.records.pop(key, None)
                if old is not None:
                    for code in record_codes(old):
                        # New sets, never changed in place: older states share them.
                        state.codes[code] = state.codes[code] - {key}
                    for entry in sort_entries(key, old):
                        del state.sort_index[bisect_right(state.sort_index, entry) - 1]
            if record is not None:
                key = state._key_of(product_id)
                changed.add(key)
                state._put(key, record)
                for entry in sort_entries(key, record):
                    insort(state.sort_index, entry)
        return state, frozenset(changed)

    def read_whole(
        self, batches: Iterable[Iterable[ProductRecord]], version: Hashable
    ) -> RecordState:
        """A new state holding exactly these records; known ids and reference data keep keys."""
        state = self._copy(version)
        state.records = {}
        state.sort_index = []
        state.codes = {}
        for batch in batches:
            for record in batch:
                key = state._key_of(record.id)
                state._put(key, record)
                state.sort_index.extend(sort_entries(key, record))
        state.sort_index.sort()
        return state

    def _copy(self, version: Hashable) -> RecordState:
        return replace(
            self,
            version=version,
            moved=False,
            records=dict(self.records),
            product_keys=dict(self.product_keys),
            brands=dict(self.brands),
            categories=dict(self.categories),
            category_ids=dict(self.category_ids),
            attributes=dict(self.attributes),
            values=dict(self.values),
            sort_index=list(self.sort_index),
            codes=dict(self.codes),
        )

    def _key_of(self, product_id: str) -> int:
        key = self.product_keys.get(product_id)
        if key is None:
            key = self.product_keys[product_id] = self._new_key()
        return key

    def _new_key(self) -> int:
        # One counter for every kind of key: simple, and a key names one thing only.
        key = self.next_key
        self.next_key += 1
        return key

    def _put(self, key: int, record: ProductRecord) -> None:
        """Store the record and the reference data it names, as the SQL writer would."""
        self.records[key] = record
        for code in record_codes(record):
            self.codes[code] = self.codes.get(code, frozenset()) | {key}
        if record.brand is not None and slug(record.brand) not in self.brands:
            self.brands[slug(record.brand)] = (self._new_key(), record.brand)
        parent: int | None = None
        for depth, ref in enumerate(record.category_path):
            node = self.categories.get(ref.id)
            if node is None:
                node = CategoryNode(self._new_key(), parent, depth, dict(ref.names))
                self.category_ids[node.key] = ref.id
            elif (node.parent, node.depth) != (parent, depth) or _adds(node.names, ref.names):
                self.moved = self.moved or (node.parent, node.depth) != (parent, depth)
                node = CategoryNode(node.key, parent, depth, {**node.names, **ref.names})
            self.categories[ref.id] = node
            parent = node.key
        for code, refs in record.attributes.items():
            attribute = self.attributes.get(code)
            if attribute is None:
                attribute = self.attributes[code] = self._new_key()
            for value_ref in refs:
                value = self.values.get((attribute, value_ref.code))
                if value is None:
                    labels = dict(value_ref.labels)
                    value = ValueNode(self._new_key(), attribute, code, value_ref.code, labels)
                elif _adds(value.labels, value_ref.labels):
                    value = replace(value, labels={**value.labels, **value_ref.labels})
                self.values[(attribute, value_ref.code)] = value

    # -- what the index reads -------------------------------------------------------------

    def keyed(self, keys: Iterable[int] | None) -> Iterator[tuple[int, ProductRecord]]:
        """(key, record) of these products that exist; of all, in key order, for None."""
        if keys is None:
            yield from sorted(self.records.items())
            return
        for key in keys:
            record = self.records.get(key)
            if record is not None:
                yield key, record

    def brand_key(self, record: ProductRecord) -> int | None:
        """The key of the record's brand."""
        return None if record.brand is None else self.brands[slug(record.brand)][0]

    def category_keys(self, record: ProductRecord) -> list[int]:
        """The keys of the record's category path, root first, without repeats."""
        return list(dict.fromkeys(self.categories[ref.id].key for ref in record.category_path))

    def value_keys(self, record: ProductRecord) -> list[int]:
        """The keys of the record's attribute values, without repeats."""
        keys: dict[int, None] = {}
        for code, refs in record.attributes.items():
            attribute = self.attributes[code]
            for ref in refs:
                keys.setdefault(self.values[(attribute, ref.code)].key, None)
        return list(keys)

    def product(self, key: int, languages: Iterable[str]) -> domain.Product | None:
        """The active product with this key, its texts in the best language of the chain."""
        record = self.records.get(key)
        if record is None or not record.active:
            return None
        languages = tuple(languages)
        texts = pick_translation(
            (
                (key, language, (title, record.descriptions.get(language, "")))
                for language, title in record.titles.items()
            ),
            languages,
        )
        title, description = texts.get(key, (record.id, ""))
        # As the SQL catalog answers: the link of the best language of the chain, and which.
        links = best_links(((key, tag, url) for tag, url in record.urls.items()), languages)
        url_language, url = links.get(key, (None, record.url))
        return domain.Product(
            id=record.id,
            title=title,
            description=description,
            url=url,
            url_language=url_language,
            thumbnail=record.thumbnail or (record.images[0] if record.images else None),
            medias=record.images,
            prices=MappingProxyType(
                {
                    currency: domain.ProductPrice(
                        _stored(price.amount, currency),
                        None
                        if price.previous_amount is None
                        else _stored(price.previous_amount, currency),
                    )
                    for currency, price in record.prices.items()
                }
            ),
            has_variants=record.has_variants,
            stock=record.stock,
            availability=domain.Availability.of(record.availability, record.stock),
        )


def _adds(stored: Mapping[str, str], names: Mapping[str, str]) -> bool:
    """True when `names` has a language `stored` lacks or a different text for one."""
    return any(stored.get(language) != name for language, name in names.items())


def sort_entries(key: int, record: ProductRecord) -> list[tuple[str, int, str]]:
    """(sort key, product key, language) of each of the record's titles."""
    return [
        (fulltext.fold(title)[:SORT_KEY_LENGTH], key, language)
        for language, title in record.titles.items()
    ]


def minor_units(amount: Decimal, currency: str) -> int:
    """19.90 USD -> 1990, as the SQL writer stores prices (amounts beyond the decimals cut)."""
    return int(amount.scaleb(_decimals(currency)))


def _stored(amount: Decimal, currency: str) -> Decimal:
    """The amount as the SQL catalog gives it back: cut to the currency's decimals."""
    return Decimal(minor_units(amount, currency)).scaleb(-_decimals(currency))


@cache
def _decimals(currency: str) -> int:
    return int(get_currency_precision(currency))
