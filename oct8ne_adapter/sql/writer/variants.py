"""The variants of written products: upserted by their shop ids, so carts naming them stay.

A variant keeps its primary key across imports (a cart line or wishlist item naming it is
deleted with it): a row still in the feed is updated in place, one that moved to another group
follows it, and only the rows gone from a product's group are deleted. Prices and the telling
attribute values are child rows, replaced each time, and so are its links by language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.feeds.variants import VariantRecord
from oct8ne_adapter.sql.tables import (
    product_variant_prices as _prices,
    product_variant_urls as _urls,
    product_variant_values as _values,
    product_variants as _variants,
)
from oct8ne_adapter.sql.writer.bulk import chunks, insert_rows
from oct8ne_adapter.sql.writer.children import TIMED_PRICE_COLUMNS, delete_pairs, price_rows
from oct8ne_adapter.sql.writer.codes import delete_variant_codes, insert_codes
from oct8ne_adapter.sql.writer.group_prices import refigure_group_prices
from oct8ne_adapter.sql.writer.reference import ReferenceData

_COLUMNS = ("product_pk", "url", "stock", "availability", "position")


def _stored(session: Session, column: Any, keys: Sequence[Any]) -> dict[str, tuple[int, int]]:
    """external id -> (variant pk, product pk) of the variants whose `column` is in `keys`."""
    found: dict[str, tuple[int, int]] = {}
    for chunk in chunks(keys):
        rows = session.execute(
            select(_variants.c.external_id, _variants.c.pk, _variants.c.product_pk).where(
                column.in_(chunk)
            )
        )
        found.update((external, (pk, product_pk)) for external, pk, product_pk in rows)
    return found


def write_variants(
    session: Session,
    reference: ReferenceData,
    items: Sequence[tuple[int, ProductRecord]],
    *,
    keep_other_currencies: bool,
) -> None:
    """Make these products' variants those of their records (none for a product without)."""
    if not items:
        return
    existing = _stored(session, _variants.c.product_pk, [pk for pk, _ in items])
    wanted = {variant.id for _, record in items for variant in record.variants}
    moved = _stored(session, _variants.c.external_id, sorted(wanted - set(existing)))
    gone = [pk for external, (pk, _) in existing.items() if external not in wanted]
    for chunk in chunks(gone):
        session.execute(delete(_variants).where(_variants.c.pk.in_(chunk)))
    stored = {**existing, **moved}
    updates: list[dict[str, Any]] = []
    inserts: list[tuple[Any, ...]] = []
    for product_pk, record in items:
        for position, variant in enumerate(record.variants):
            values = (product_pk, variant.url, variant.stock, variant.availability, position)
            found = stored.get(variant.id)
            if found is None:
                inserts.append((variant.id, *values))
            else:
                updates.append({"b_pk": found[0], **dict(zip(_COLUMNS, values, strict=True))})
    if updates:
        session.execute(update(_variants).where(_variants.c.pk == bindparam("b_pk")), updates)
    insert_rows(session, _variants, ("external_id", *_COLUMNS), inserts)
    pks = {external: pk for external, (pk, _) in stored.items() if external in wanted}
    pks.update(
        (external, pk)
        for external, (pk, _) in _stored(
            session, _variants.c.external_id, [row[0] for row in inserts]
        ).items()
    )
    _write_children(session, reference, items, pks, keep_other_currencies)


def stored_variants(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    """external id -> pk of the variants that exist."""
    return {
        external: pk
        for external, (pk, _) in _stored(session, _variants.c.external_id, external_ids).items()
    }


def _replace_rows(
    session: Session,
    table: Table,
    part: str,
    written: Sequence[tuple[int, VariantRecord]],
    parts_of: Callable[[VariantRecord], Iterable[str]],
    keep_other_parts: bool,
    rows: tuple[Sequence[str], Sequence[tuple[Any, ...]]],
) -> None:
    """Replace these variants' rows of `table` by `rows` (columns, values); when merging feeds,
    delete only those of the `part`s (currencies, languages) the records carry."""
    if keep_other_parts:
        pairs = [(pk, value) for pk, variant in written for value in parts_of(variant)]
        delete_pairs(session, table, part, pairs, key="variant_pk")
    else:
        for chunk in chunks([pk for pk, _ in written]):
            session.execute(delete(table).where(table.c.variant_pk.in_(chunk)))
    insert_rows(session, table, *rows)


def write_variant_prices(
    session: Session, written: Sequence[tuple[int, VariantRecord]], *, keep_other_currencies: bool
) -> None:
    """Replace the prices (with their sale windows) of these (variant pk, record)s; when merging
    feeds, only their own currencies (a Merchant Center feed has one).

    The caller refigures their products' prices (`refigure_group_prices`).
    """
    _replace_rows(
        session,
        _prices,
        "currency",
        written,
        lambda v: v.prices,
        keep_other_currencies,
        (("variant_pk", *TIMED_PRICE_COLUMNS), price_rows(written)),
    )


def write_variant_urls(
    session: Session, written: Sequence[tuple[int, VariantRecord]], *, keep_other_languages: bool
) -> None:
    """Replace the links of these (variant pk, record)s; when merging feeds, only in their own
    languages (a Merchant Center feed has one)."""
    rows = [(pk, tag, url) for pk, variant in written for tag, url in variant.urls.items()]
    _replace_rows(
        session,
        _urls,
        "language",
        written,
        lambda v: v.urls,
        keep_other_languages,
        (("variant_pk", "language", "url"), rows),
    )


def _write_children(
    session: Session,
    reference: ReferenceData,
    items: Sequence[tuple[int, ProductRecord]],
    pks: dict[str, int],
    keep_other_currencies: bool,
) -> None:
    """Replace the variants' prices, links, codes and their telling values; the products' prices
    follow their variants'."""
    written = [(pks[variant.id], variant) for _, record in items for variant in record.variants]
    for chunk in chunks([pk for pk, _ in written]):
        session.execute(delete(_values).where(_values.c.variant_pk.in_(chunk)))
    write_variant_prices(session, written, keep_other_currencies=keep_other_currencies)
    write_variant_urls(session, written, keep_other_languages=keep_other_currencies)
    delete_variant_codes(session, [pk for pk, _ in written])
    insert_codes(
        session,
        (
            (product_pk, pks[variant.id], variant.codes)
            for product_pk, record in items
            for variant in record.variants
        ),
    )
    rows: list[tuple[int, int, int]] = []
    for _, record in items:
        refs = {
            code: {ref.code: ref for ref in values} for code, values in record.attributes.items()
        }
        for variant in record.variants:
            seen: set[int] = set()
            for position, (code, value) in enumerate(variant.values):
                value_pk = reference.value(reference.attribute(code), refs[code][value])
                if value_pk not in seen:
                    seen.add(value_pk)
                    rows.append((pks[variant.id], value_pk, position))
    insert_rows(session, _values, ("variant_pk", "value_pk", "position"), rows)
    refigure_group_prices(session, [product_pk for product_pk, _ in items])
