"""Timed prices: what one `apply_price_windows` run costs on a catalog database.

`recheck`: a run with nothing due (what every process does once a minute). With `--switch N`,
also a run that opens a window on N product rows, and one on N variant rows (their products
refigured), each timed at the window's start (then closed again). Run it with
`PYTHONPATH=<another version's root>` for a baseline (`--switch` needs migration 0014).

    python bench/price_switch_bench.py sqlite:////tmp/catalog.db [--runs 15] [--switch 10000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.price_windows import apply_price_windows

STARTS = datetime(2030, 1, 1, tzinfo=UTC)


def _timed(database: Database, now: datetime, runs: int) -> float:
    """Median seconds of `runs` runs at `now` (the first one may switch: timed apart)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        apply_price_windows(database, now)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _switch(database: Database, table: Any, key: str, rows: int) -> float:
    """Seconds of the run that opens a window on `rows` rows of `table` (then closed again)."""
    with database.transaction() as session:
        keys = session.scalars(select(table.c[key]).where(table.c.currency == "USD").limit(rows))
        chosen = list(keys)
        session.execute(
            update(table)
            .where(table.c[key].in_(chosen), table.c.currency == "USD")
            .values(
                regular_minor=table.c.amount_minor,
                regular_previous_minor=table.c.previous_amount_minor,
                sale_minor=1,
                sale_from=STARTS.replace(tzinfo=None),
                sale_until=(STARTS + timedelta(days=7)).replace(tzinfo=None),
            )
        )
    started = time.perf_counter()
    switched = apply_price_windows(database, STARTS)
    seconds = time.perf_counter() - started
    _clear(database)
    assert switched.rows == len(chosen), switched
    return seconds


def _clear(database: Database) -> None:
    """Close this benchmark's windows and drop them (the catalog as it was)."""
    from oct8ne_adapter.sql.models import ProductPrice, ProductVariantPrice

    apply_price_windows(database, STARTS + timedelta(days=8))
    window = dict.fromkeys(
        ("regular_minor", "regular_previous_minor", "sale_minor", "sale_from", "sale_until")
    )
    with database.transaction() as session:
        for model in (ProductPrice, ProductVariantPrice):
            table: Any = model.__table__
            session.execute(
                update(table).where(table.c.sale_from == STARTS.replace(tzinfo=None)).values(window)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--switch", type=int, default=0)
    arguments = parser.parse_args()
    engine = create_database_engine(arguments.database_url)
    database = Database(engine)
    apply_price_windows(database, datetime.now(UTC))  # whatever was due: not timed
    result: dict[str, Any] = {"recheck_s": _timed(database, datetime.now(UTC), arguments.runs)}
    if arguments.switch:
        from oct8ne_adapter.sql.models import ProductPrice, ProductVariantPrice

        _clear(database)

        tables = (
            (ProductPrice.__table__, "product_pk"),
            (ProductVariantPrice.__table__, "variant_pk"),
        )
        for (table, key), name in zip(tables, ("products", "variants"), strict=True):
            result[f"switch_{arguments.switch}_{name}_s"] = _switch(
                database, table, key, arguments.switch
            )
    engine.dispose()
    print(json.dumps({name: round(value, 4) for name, value in result.items()}))


if __name__ == "__main__":
    main()
