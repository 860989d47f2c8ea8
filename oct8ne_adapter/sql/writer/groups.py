"""Variant groups: the feed rows sharing an item_group_id become one product.

oct8ne 2.4 has no variant structure: a ProductInfo is a product whose `useProductUrl` is true
when "the product has attributes that must be selected before being added to the shopping cart,
such as size or color", and whose `productUrl` is the page "from which it can be added to the
shopping cart by selecting the necessary attributes". So the catalog stores one product per
group, under the group's id: the visitor sees one jacket (in every size and color it comes in,
from its lowest price) instead of one search result per size and color, and picks the variant on
the product page. Each row is kept too, as a variant under its own id (`writer/variants`), since
the shop's carts, orders and events name rows.

A group's rows may be anywhere in the feed, so they are staged, with the digest and the recipe of
each row, in a private temporary SQLite file (constant memory, whatever the backend) and merged
when the feed has been read. A group whose rows all have the digests of the last import is
skipped without validating any of them, like an unchanged product.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial

from oct8ne_adapter.domain import Availability, ProductPrice
from oct8ne_adapter.feeds.records import AttributeValueRef, ProductRecord
from oct8ne_adapter.feeds.variants import VariantRecord

#: How a staged row is turned into its record (a feed reader's `build`).
Build = Callable[[], ProductRecord]
#: Variants per group; the rows of a group beyond it are refused (and memory stays bounded).
MAX_VARIANTS = 1000
TOO_MANY_VARIANTS = f"the item_group_id has more than {MAX_VARIANTS} variants"


@dataclass(frozen=True, slots=True)
class Member:
    """One staged row of a group."""

    number: int | None
    product_id: str
    digest: str
    build: Build


@dataclass(frozen=True, slots=True)
class Group:
    """Every staged row of one group, in feed order."""

    id: str
    members: tuple[Member, ...]
    #: (number, product id) of the group's rows beyond MAX_VARIANTS.
    overflow: tuple[tuple[int | None, str], ...] = ()

    @property
    def digest(self) -> str:
        """The digest of the group: equal when every member's row is unchanged."""
        return members_digest(self.members)


def members_digest(members: Sequence[Member]) -> str:
    """A digest of the rows' digests, in order."""
    digest = hashlib.blake2b(b"group", digest_size=16)
    for member in members:
        digest.update(member.digest.encode("ascii", "replace"))
    return digest.hexdigest()


class GroupStaging:
    """The rows of variant groups, kept on disk until the whole feed has been read."""

    def __init__(self) -> None:
        self._database: sqlite3.Connection | None = None
        self._order = 0

    def add(self, group: str, member: Member) -> bool:
        """Stage a row; False if a row with this product id is already staged."""
        if self._database is None:
            # "" is a private temporary file, deleted on close; its page cache stays small.
            self._database = sqlite3.connect("", isolation_level=None)
            self._database.execute(
                "CREATE TABLE staged (grp TEXT NOT NULL, sequence INTEGER NOT NULL, "
                "product_id TEXT NOT NULL UNIQUE, number INTEGER, digest TEXT NOT NULL, "
                "build BLOB NOT NULL)"
            )
            self._database.execute("BEGIN")
        self._order += 1
        # Builds are the readers' partials over plain data, pickled into this process's own
        # temporary file and read back by the same process: nothing from outside is unpickled.
        cursor = self._database.execute(
            "INSERT OR IGNORE INTO staged VALUES (?, ?, ?, ?, ?, ?)",
            (
                group,
                self._order,
                member.product_id,
                member.number,
                member.digest,
                pickle.dumps(member.build, pickle.HIGHEST_PROTOCOL),
            ),
        )
        return cursor.rowcount == 1

    def groups(self) -> Iterator[Group]:
        """Every staged group, one at a time (ordered by id), then the staging is deleted."""
        database, self._database = self._database, None
        if database is None:
            return
        try:
            database.execute("CREATE INDEX staged_order ON staged (grp, sequence)")
            rows = database.execute(
                "SELECT grp, number, product_id, digest, build FROM staged ORDER BY grp, sequence"
            )
            current: str | None = None
            members: list[Member] = []
            overflow: list[tuple[int | None, str]] = []
            for group, number, product_id, digest, build in rows:
                if group != current:
                    if current is not None:
                        yield Group(current, tuple(members), tuple(overflow))
                    current, members, overflow = group, [], []
                if len(members) == MAX_VARIANTS:
                    overflow.append((number, product_id))
                    continue
                # Unpickled only if the group has changed and is validated.
                members.append(Member(number, product_id, digest, partial(_build, build)))
            if current is not None:
                yield Group(current, tuple(members), tuple(overflow))
        finally:
            database.close()

    def close(self) -> None:
        """Delete the staging file (an import that failed)."""
        if self._database is not None:
            self._database.close()
            self._database = None


def _build(pickled: bytes) -> ProductRecord:
    """Run a staged row's build (pickled by `GroupStaging.add` in this process)."""
    build: Build = pickle.loads(pickled)  # noqa: S301
    return build()


def merge_variants(group_id: str, variants: Sequence[ProductRecord]) -> ProductRecord:
    """One product from the records of its variants (in feed order).

    Texts: the words the variants' titles start with in common ("Rain Jacket - M" and "Rain
    Jacket - L" give "Rain Jacket"), else the first title; the first description, URL, brand
    and category. Prices: per currency the lowest, with its previous price. Images, attribute
    values and related products: all of them, without repeats. Stock: the sum (0 when every
    variant is out of stock), unknown if one is unknown; availability: the best of the rows'.
    Each active row is kept as a variant
    under its own id (see `variant_records`).
    """
    first = variants[0]
    titles: dict[str, str] = {}
    first_titles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    prices: dict[str, ProductPrice] = {}
    images: dict[str, None] = {}
    attributes: dict[str, dict[str, AttributeValueRef]] = {}
    related: dict[str, None] = {}
    for variant in variants:
        for language, title in variant.titles.items():
            first_titles.setdefault(language, title)
            titles[language] = (
                _common_title(titles[language], title) if language in titles else title
            )
        for language, description in variant.descriptions.items():
            descriptions.setdefault(language, description)
        for currency, price in variant.prices.items():
            if currency not in prices or price.amount < prices[currency].amount:
                prices[currency] = price
        images.update(dict.fromkeys(variant.images))
        for code, refs in variant.attributes.items():
            values = attributes.setdefault(code, {})
            for ref in refs:
                values.setdefault(ref.code, ref)
        related.update(dict.fromkeys(variant.related))
    stocks = [variant.stock for variant in variants]
    kept = variant_records(variants)
    return replace(
        first,
        id=group_id,
        titles={language: titles[language] or first_titles[language] for language in titles},
        descriptions=descriptions,
        thumbnail=next((variant.thumbnail for variant in variants if variant.thumbnail), None),
        images=tuple(images),
        prices=prices,
        brand=next((variant.brand for variant in variants if variant.brand), None),
        category_path=next(
            (variant.category_path for variant in variants if variant.category_path), ()
        ),
        attributes={code: tuple(values.values()) for code, values in attributes.items()},
        has_variants=True,
        stock=None if None in stocks else sum(stock for stock in stocks if stock is not None),
        availability=group_availability(kept),
        active=any(variant.active for variant in variants),
        related=tuple(related),
        group=None,
        variants=kept,
        codes=(),  # each row's codes stay with its variant
    )


#: A group is as available as its most available row.
_AVAILABILITY_ORDER = ("in_stock", "preorder", "backorder", "out_of_stock")


def group_availability(variants: Sequence[VariantRecord]) -> str | None:
    """The best availability among the rows (None without rows: from the stock)."""
    found = {variant.availability for variant in variants}
    return next((value for value in _AVAILABILITY_ORDER if value in found), None)


def variant_records(rows: Sequence[ProductRecord]) -> tuple[VariantRecord, ...]:
    """The active rows as variants, each with the values that tell it from the other rows.

    An attribute tells the rows apart when they do not all have the same values of it (a jacket
    in Red and Blue, sizes M and L: color and size; all of it wool: not material).
    """
    codes: dict[str, set[tuple[str, ...]]] = {}
    for row in rows:
        for code in row.attributes:
            codes.setdefault(code, set())
    for row in rows:
        for code, seen in codes.items():
            seen.add(tuple(ref.code for ref in row.attributes.get(code, ())))
    telling = [code for code, seen in codes.items() if len(seen) > 1]
    return tuple(
        VariantRecord(
            id=row.id,
            url=row.url,
            urls=row.urls,
            prices=row.prices,
            stock=row.stock,
            availability=Availability.of(row.availability, row.stock).value,
            values=tuple(
                (code, ref.code) for code in telling for ref in row.attributes.get(code, ())
            ),
            codes=row.codes,
        )
        for row in rows
        if row.active
    )


_SEPARATORS = " -–—,;:/|(["


def _common_title(left: str, right: str) -> str:
    """The words both titles start with, if they are at least half of the shorter; else ""."""
    left_words, right_words = left.split(), right.split()
    common: list[str] = []
    for a, b in zip(left_words, right_words, strict=False):
        if a != b:
            break
        common.append(a)
    if len(common) * 2 < min(len(left_words), len(right_words)):
        return ""  # "The Red Jacket" and "The Blue Coat" are not both "The"
    return " ".join(common).rstrip(_SEPARATORS)
