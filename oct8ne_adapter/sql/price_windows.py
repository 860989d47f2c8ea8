"""Timed sale prices: switch a product's or a variant's price at its window's boundaries.

Search filters, sorts and counts price facets on `product_prices.amount_minor`, so the effective
price is stored, not computed at read time: `apply_price_windows` writes, for every row of
`product_prices` and `product_variant_prices` with a sale window whose stored amount is not the
one due at `now`, the due amount; a switched variant's product takes its variants' lowest price
in force again (`writer.group_prices`). It logs the products in the catalog change log, so the
product cache, the answer cache and the search index follow as after an import. It is stateless
(it compares, not remembers), so running it twice, late or after an import that wrote a stale
amount is harmless. `PriceSwitch` runs it only when a boundary has passed, so a process can call
it on every poll for one comparison of timestamps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from oct8ne_adapter.errors import DataSourceUnavailable
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.tables import (
    product_prices as _prices,
    product_variant_prices as _variant_prices,
    product_variants as _variants,
)
from oct8ne_adapter.sql.writer.bulk import chunks
from oct8ne_adapter.sql.writer.group_prices import refigure_group_prices

log = logging.getLogger(__name__)

#: The current time, UTC-aware (injected in tests: the switch is tested without sleeping).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Switched:
    """What one run changed, and when the next boundary after `now` falls (None: none left)."""

    rows: int
    next_boundary: datetime | None


def _naive(moment: datetime) -> datetime:
    """The UTC wall time stored in the DateTime columns."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _switch(session: Session, table: Table, key: str, at: datetime) -> list[int]:
    """Write the due amount to the timed rows of `table` that show another; their `key`s."""
    c = table.c
    inside = and_(c.sale_from <= at, c.sale_until > at, c.sale_minor < c.regular_minor)
    rows = session.execute(
        select(
            c[key],
            c.currency,
            c.amount_minor,
            c.previous_amount_minor,
            c.regular_minor,
            c.regular_previous_minor,
            c.sale_minor,
            inside.label("inside"),
        )
        .where(c.sale_minor.is_not(None))
        # In key order: processes switching at once lock the rows in one order (no deadlock).
        .order_by(c[key], c.currency)
    ).all()
    changes = []
    for pk, currency, amount, previous, regular, regular_previous, sale, is_inside in rows:
        due = (sale, regular) if is_inside else (regular, regular_previous)
        if (amount, previous) != due:
            changes.append({"key": pk, "cur": currency, "due": due[0], "due_previous": due[1]})
    if changes:
        # One executemany: a sale starting on a whole catalog switches 10,000 rows at once.
        session.execute(
            update(table)
            .where(c[key] == bindparam("key"), c.currency == bindparam("cur"))
            .values(amount_minor=bindparam("due"), previous_amount_minor=bindparam("due_previous")),
            changes,
        )
    return [change["key"] for change in changes]


def _upcoming(session: Session, table: Table, at: datetime) -> list[datetime]:
    """The first window start and the first window end after `at` in `table`."""
    # Two queries: MariaDB has no aggregate FILTER clause.
    found = (
        session.scalar(select(func.min(column)).where(column > at))
        for column in (table.c.sale_from, table.c.sale_until)
    )
    return [moment for moment in found if moment is not None]


def _owners(session: Session, variant_pks: list[int]) -> list[int]:
    """The products of these variants."""
    owners: set[int] = set()
    for chunk in chunks(sorted(set(variant_pks))):
        owners.update(
            session.scalars(select(_variants.c.product_pk).where(_variants.c.pk.in_(chunk)))
        )
    return sorted(owners)


def apply_price_windows_in(session: Session, now: datetime) -> Switched:
    """`apply_price_windows` inside the caller's transaction."""
    at = _naive(now)
    products = _switch(session, _prices, "product_pk", at)
    variants = _switch(session, _variant_prices, "variant_pk", at)
    # A group's product shows its variants' lowest price in force: it follows their switch.
    groups = _owners(session, variants)
    refigure_group_prices(session, groups)
    if products or groups:
        recorder = ChangeRecorder()
        recorder.add(products)
        recorder.add(groups)
        recorder.write(session)
    moments = _upcoming(session, _prices, at) + _upcoming(session, _variant_prices, at)
    next_boundary = min(moments).replace(tzinfo=UTC) if moments else None
    return Switched(len(products) + len(variants), next_boundary)


def apply_price_windows(database: Database, now: datetime) -> Switched:
    """Write the price due at `now` to every timed row that shows another one; log the change."""
    with database.transaction() as session:
        return apply_price_windows_in(session, now)


class PriceSwitch:
    """Runs `apply_price_windows` when a boundary has passed, or every `recheck` at the latest.

    The recheck picks up windows another process imported since (their boundaries are unknown
    here); between runs a poll is one clock reading.
    """

    def __init__(
        self, database: Database, clock: Clock = utc_now, recheck: timedelta = timedelta(minutes=1)
    ) -> None:
        self.database = database
        self.clock = clock
        self.recheck = recheck
        self._lock = threading.Lock()
        self._ran_at: datetime | None = None
        self._next: datetime | None = None

    def poll(self) -> bool:
        """Switch the prices if a boundary passed since the last run; whether this one ran."""
        now = self.clock()
        # A request that finds the switch running goes on: it must not wait for another
        # request's writes (the prices it reads are at most one switch late).
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if (
                self._ran_at is not None
                and now - self._ran_at < self.recheck
                and (self._next is None or now < self._next)
            ):
                return False
            try:
                switched = apply_price_windows(self.database, now)
            except (SQLAlchemyError, DataSourceUnavailable) as error:
                # Not the caller's failure: its own query reports an unavailable database. The
                # switch tries again at the next recheck (no query per call meanwhile).
                log.warning("timed prices not switched: %s", error)
                self._ran_at, self._next = now, None
                return False
            self._ran_at, self._next = now, switched.next_boundary
            if switched.rows:
                # This process wrote the log: its products and answers follow at the next use,
                # not one poll interval later.
                self.database.product_cache.expire()
            return True
        finally:
            self._lock.release()

    def reset(self) -> None:
        """Forget the next boundary (an import may have added windows): the next poll runs."""
        with self._lock:
            self._ran_at = None
