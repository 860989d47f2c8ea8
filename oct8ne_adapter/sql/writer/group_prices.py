"""A variant group's product price: per currency, the lowest price in force among its variants.

Search filters, sorts and counts facets on the product's row, so the group's price is stored:
written from its variants' rows after an import writes them (`writer.variants`), after a variant
is removed (`writer.removal`) and after a timed sale switches a variant's price
(`sql.price_windows`). Each variant's row holds its own window; the product's row holds none (its
price follows its variants', not a window of its own). Ties go to the first variant in feed
order, as `groups.merge_variants` picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.tables import (
    product_prices as _prices,
    product_variant_prices as _variant_prices,
    product_variants as _variants,
)
from oct8ne_adapter.sql.writer.bulk import chunks, insert_rows
from oct8ne_adapter.sql.writer.children import PRICE_COLUMNS

#: A product row's (amount, previous amount, then the five window columns, all NULL).
_Row = tuple[int | None, ...]


def _lowest(session: Session, product_pks: Sequence[int]) -> dict[tuple[int, str], _Row]:
    """(product pk, currency) -> the due row of these products, from their variants' rows."""
    best: dict[tuple[int, str], tuple[tuple[int, int, int], _Row]] = {}
    v, p = _variants.c, _variant_prices.c
    for chunk in chunks(product_pks):
        rows = session.execute(
            select(
                v.product_pk, v.position, v.pk, p.currency, p.amount_minor, p.previous_amount_minor
            )
            .join(_variant_prices, p.variant_pk == v.pk)
            .where(v.product_pk.in_(chunk))
        )
        for product_pk, position, variant_pk, currency, amount, previous in rows:
            rank = (amount, position, variant_pk)
            key = (product_pk, currency)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, (amount, previous) + (None,) * 5)
    return {key: row for key, (_, row) in best.items()}


def refigure_group_prices(session: Session, product_pks: Sequence[int]) -> set[int]:
    """Write these products' prices from their variants' (in the currencies the variants have);
    the products whose rows changed. A product without variants is left as it is."""
    due = _lowest(session, product_pks)
    if not due:
        return set()
    c = _prices.c
    stored: dict[tuple[int, str], _Row] = {}
    for chunk in chunks(sorted({pk for pk, _ in due})):
        rows = session.execute(
            select(c.product_pk, c.currency, *(c[name] for name in PRICE_COLUMNS[2:])).where(
                c.product_pk.in_(chunk)
            )
        )
        stored.update(((pk, currency), tuple(rest)) for pk, currency, *rest in rows)
    changes: list[dict[str, Any]] = []
    inserts: list[tuple[Any, ...]] = []
    # In key order, as `price_windows` switches: concurrent writers lock rows in one order.
    for (pk, currency), row in sorted(due.items()):
        found = stored.get((pk, currency))
        if found is None:
            inserts.append((pk, currency, *row))
        elif found != row:
            changes.append({"key": pk, "cur": currency, "due": row[0], "due_previous": row[1]})
    if changes:
        window = {name: None for name in PRICE_COLUMNS[4:]}
        session.execute(
            update(_prices)
            .where(c.product_pk == bindparam("key"), c.currency == bindparam("cur"))
            .values(
                amount_minor=bindparam("due"),
                previous_amount_minor=bindparam("due_previous"),
                **window,
            ),
            changes,
        )
    insert_rows(session, _prices, PRICE_COLUMNS, inserts)
    return {change["key"] for change in changes} | {row[0] for row in inserts}
