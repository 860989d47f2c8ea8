"""Timed sale prices: a sale price only inside its window, switched without a new import.

Issue 23 item 5: "GMC `sale_price_effective_date` (and a JSON Lines equivalent) is honoured: the
sale price only inside its window, switching at the boundary without a new import (search index,
caches and price facets included)". Done when: "timed prices through the frame API across a window
boundary, with the clock injected, not slept". A Merchant Center feed is imported through the CLI
on each backend; the app's `PriceSwitch` gets a settable clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from conftest import adapter_app, adapter_config, frame, schema_differences
from flask import Flask
from sqlalchemy import Engine, func, insert, inspect, select
from test_feeds import import_feed, tsv

from oct8ne_adapter.domain import ProductPrice, Sale
from oct8ne_adapter.events.relay import Relay
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.gmc import to_record
from oct8ne_adapter.feeds.records import parse_product
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import (
    CatalogChange,
    Product,
    ProductVariant,
    ProductVariantPrice,
)
from oct8ne_adapter.sql.price_windows import (
    PriceSwitch,
    apply_price_windows,
    apply_price_windows_in,
)
from oct8ne_adapter.sql.schema import (
    current_revision,
    head_revision,
    migration_config,
    upgrade,
)
from oct8ne_adapter.web.state import EXTENSION_KEY, adapter_state
from oct8ne_adapter.web.warm import prepare_to_fork

WINDOW = "2026-12-01T00:00+00:00/2026-12-08T00:00+00:00"
STARTS = datetime(2026, 12, 1, tzinfo=UTC)
ENDS = datetime(2026, 12, 8, tzinfo=UTC)
BEFORE, INSIDE, AFTER = STARTS - timedelta(seconds=1), STARTS, ENDS


def _item(product_id: str, title: str, price: str, **fields: str) -> dict[str, Any]:
    return {
        "id": product_id,
        "title": title,
        "link": f"https://shop.example/p/{product_id.lower()}",
        "image_link": f"https://cdn.example/{product_id.lower()}.jpg",
        "price": price,
        "availability": "in_stock",
        "brand": "Northpeak",
        **fields,
    }


#: The lamp is on sale for the first week of December (below the stove's price then); the stove
#: is not timed: its price never moves. The tent is a variant group: its small size (regular
#: 90.00, the dearer row) is on sale for the same week, below its large one (60.00, never timed):
#: the group's product shows 60.00 before and after, 10.00 inside. The mat is a plain product
#: in between.
ITEMS = [
    _item(
        "LAMP",
        "Trail lamp",
        "80.00 USD",
        sale_price="20.00 USD",
        sale_price_effective_date=WINDOW,
    ),
    _item("STOVE", "Trail stove", "50.00 USD"),
    _item(
        "TENT-S",
        "Ridge tent - S",
        "90.00 USD",
        sale_price="10.00 USD",
        sale_price_effective_date=WINDOW,
        item_group_id="TENT",
        size="S",
    ),
    _item("TENT-L", "Ridge tent - L", "60.00 USD", item_group_id="TENT", size="L"),
    _item("MAT", "Ridge mat", "40.00 USD"),
]


class Clock:
    """A settable clock for the app's price switch."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def config(empty_database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    return path


@pytest.fixture
def database(config: Path, tmp_path: Path, empty_database_url: str) -> Iterator[Database]:
    """The database once the Merchant Center feed with a timed sale is imported."""
    text = tsv(ITEMS).splitlines()
    # The shared TSV helper knows Google's common columns; add the window's.
    header, *rows = text
    cells = [
        f"{row}\t{item.get('sale_price_effective_date', '')}"
        for row, item in zip(rows, ITEMS, strict=True)
    ]
    feed = "\n".join([f"{header}\tsale_price_effective_date", *cells]) + "\n"
    result = import_feed(config, tmp_path, "feed.tsv", feed)
    assert result.exit_code == 0, result.output
    engine = create_database_engine(empty_database_url)
    yield Database(engine)
    engine.dispose()


@pytest.fixture(params=["index", "sql"])
def shop(
    database: Database, empty_database_url: str, request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, Clock]]:
    """The adapter over the imported feed, searching with each engine, its clock settable."""
    clock = Clock(BEFORE)
    config = adapter_config(empty_database_url, OCT8NE_SEARCH_ENGINE=request.param)
    with adapter_app(config) as application:
        switch = adapter_state(application).price_switch
        assert switch is not None
        switch.clock = clock
        yield application, clock


def _seen(application: Flask) -> dict[str, Any]:
    """What the frame API shows of the lamp: productInfo, search order, facets, filters."""
    client = application.test_client()
    info = frame(client, "productInfo", productIds="LAMP", currency="USD")[0]
    ordered = frame(client, "search", search="trail", orderby="price", dir="asc", currency="USD")
    listed = {item["internalId"]: item["formattedPrice"] for item in ordered["results"]}
    facets = ordered["filters"]["available"]
    ranges = next(facet for facet in facets if facet["param"] == "price")["options"]
    cheap = frame(client, "search", search="trail", price="0-30", currency="USD")
    return {
        "price": (info["formattedPrice"], info["formattedPrevPrice"]),
        "search": listed["LAMP"],
        "order": list(listed),
        "ranges": sorted(option["value"] for option in ranges),
        "under 30": [item["internalId"] for item in cheap["results"]],
    }


def _prices(application: Flask, *ids: str) -> dict[str, tuple[str, str]]:
    """productInfo's (formattedPrice, formattedPrevPrice) of these product or variant ids."""
    infos = frame(application.test_client(), "productInfo", productIds=",".join(ids))
    return {
        info["internalId"]: (info["formattedPrice"], info["formattedPrevPrice"]) for info in infos
    }


def _seen_group(application: Flask) -> dict[str, Any]:
    """What the frame API shows of the tent group: its rows by their own ids, its product in
    productInfo, search order, price facet and filter."""
    client = application.test_client()
    ordered = frame(client, "search", search="ridge", orderby="price", dir="asc", currency="USD")
    facets = ordered["filters"]["available"]
    ranges = next(facet for facet in facets if facet["param"] == "price")["options"]
    cheap = frame(client, "search", search="ridge", price="0-30", currency="USD")
    return {
        "prices": _prices(application, "TENT-S", "TENT-L", "TENT"),
        "search": {item["internalId"]: item["formattedPrice"] for item in ordered["results"]},
        "order": [item["internalId"] for item in ordered["results"]],
        "ranges": sorted(option["value"] for option in ranges),
        "under 30": [item["internalId"] for item in cheap["results"]],
    }


def _check_group_switch(seen: Callable[[], dict[str, Any]], clock: Clock) -> None:
    """The tent group across its small size's window, seen after `clock` is moved."""
    clock.now = BEFORE
    before = seen()
    assert before["prices"] == {
        "TENT-S": ("$90.00", "$90.00"),
        "TENT-L": ("$60.00", "$60.00"),
        "TENT": ("$60.00", "$60.00"),  # the cheapest row in force, not the small one's window
    }
    assert before["search"] == {"MAT": "$40.00", "TENT": "$60.00"}
    assert before["order"] == ["MAT", "TENT"]
    assert before["under 30"] == []

    clock.now = INSIDE
    inside = seen()
    assert inside["prices"] == {
        "TENT-S": ("$10.00", "$90.00"),
        "TENT-L": ("$60.00", "$60.00"),
        "TENT": ("$10.00", "$90.00"),
    }
    assert inside["search"] == {"TENT": "$10.00", "MAT": "$40.00"}
    assert inside["order"] == ["TENT", "MAT"]
    assert inside["under 30"] == ["TENT"]
    assert inside["ranges"] != before["ranges"]  # the price facet follows

    clock.now = AFTER
    assert seen() == before


def test_a_variant_sale_only_inside_its_window(shop: tuple[Flask, Clock]) -> None:
    application, clock = shop
    _check_group_switch(lambda: _seen_group(application), clock)


@pytest.mark.parametrize("engine", ["index", "sql"])
def test_the_relay_worker_switches_prices_without_frame_traffic(
    database: Database, empty_database_url: str, engine: str
) -> None:
    """A shop whose frame API gets no call at the boundary: the relay worker's loop switches."""
    clock = Clock(BEFORE)
    config = adapter_config(empty_database_url, OCT8NE_SEARCH_ENGINE=engine)
    with (
        adapter_app(config) as application,
        # The worker's clock is naive UTC, as the outbox stores times.
        Relay(
            database, [], clock=lambda: clock.now.replace(tzinfo=None), switch_prices=True
        ) as relay,
    ):
        # This app switches nothing itself: only the worker can have.
        state = adapter_state(application)
        application.extensions[EXTENSION_KEY] = replace(state, price_switch=None)

        def seen() -> dict[str, Any]:
            relay.switch_prices_if_due()  # the worker's loop, once per poll
            return _seen_group(application)

        _check_group_switch(seen, clock)
        clock.now = AFTER + timedelta(seconds=30)
        assert not relay.switch_prices_if_due()  # no boundary left: a clock reading
        clock.now = AFTER + timedelta(minutes=1)
        assert relay.switch_prices_if_due()  # the recheck, for windows imported since
        assert _prices(application, "LAMP") == {"LAMP": ("$80.00", "$80.00")}


def test_a_relay_without_the_switch_leaves_prices(database: Database) -> None:
    with Relay(database, [], clock=lambda: BEFORE.replace(tzinfo=None)) as relay:
        assert not relay.switch_prices_if_due()
    # Had it switched at its clock (before the window), the rows due now would differ again.
    assert apply_price_windows(database, datetime.now(UTC)).rows == 0


def test_the_sale_price_only_inside_its_window(shop: tuple[Flask, Clock]) -> None:
    application, clock = shop
    before = _seen(application)
    assert before["price"] == ("$80.00", "$80.00")  # no discount: the same
    assert before["search"] == "$80.00"
    assert before["order"] == ["STOVE", "LAMP"]
    assert before["under 30"] == []

    clock.now = INSIDE  # the window's first instant: no import, no sleep
    inside = _seen(application)
    assert inside["price"] == ("$20.00", "$80.00")
    assert inside["search"] == "$20.00"
    assert inside["order"] == ["LAMP", "STOVE"]
    assert inside["under 30"] == ["LAMP"]
    assert inside["ranges"] != before["ranges"]  # the price facet follows

    clock.now = AFTER  # the window ends (excluded): the regular price again
    assert _seen(application) == before


def test_a_product_without_a_window_keeps_its_price(shop: tuple[Flask, Clock]) -> None:
    application, clock = shop
    client = application.test_client()
    for moment in (BEFORE, INSIDE, AFTER):
        clock.now = moment
        info = frame(client, "productInfo", productIds="STOVE", currency="USD")[0]
        assert (info["formattedPrice"], info["formattedPrevPrice"]) == ("$50.00", "$50.00")


def test_a_server_master_switches_prices_before_it_builds_the_index(
    database: Database, empty_database_url: str
) -> None:
    """Issue 21 item 1: a fork's first request finds the switch done and the index current."""
    config = adapter_config(empty_database_url, OCT8NE_SEARCH_ENGINE="index")
    with adapter_app(config) as application:
        state = adapter_state(application)
        assert state.price_switch is not None and state.search_index is not None
        # The import wrote the price due at the real time; before the window it is the regular.
        state.price_switch.clock = Clock(BEFORE)
        assert prepare_to_fork(application)
        assert not state.price_switch.poll()  # nothing left for a fork's first request
        assert _seen(application)["order"] == ["STOVE", "LAMP"]
        # The index was built after the switch: it answered without catching up.
        assert (state.search_index.builds, state.search_index.updates) == (1, 0)


def test_the_switch_runs_only_at_a_boundary(database: Database) -> None:
    clock = Clock(BEFORE - timedelta(days=1))
    switch = PriceSwitch(database, clock, recheck=timedelta(days=365))
    assert switch.poll()  # the first poll reads the next boundary
    clock.now = BEFORE
    assert not switch.poll()  # before it: a clock reading, no query
    clock.now = INSIDE
    assert switch.poll()
    clock.now = AFTER - timedelta(seconds=1)
    assert not switch.poll()
    clock.now = AFTER
    assert switch.poll()
    clock.now = AFTER + timedelta(days=300)
    assert not switch.poll()  # no boundary left


def test_a_database_without_tables_does_not_fail_other_calls(
    empty_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = empty_app.test_client()
    assert frame(client, "getAdapterInfo")["adapterName"]
    assert "timed prices not switched" in caplog.text
    caplog.clear()
    frame(client, "getAdapterInfo")  # no query again before the recheck
    assert "timed prices not switched" not in caplog.text


def test_a_switch_changes_rows_once(database: Database) -> None:
    # The import wrote the price due at the real time, itself inside or after the window.
    due_now = apply_price_windows(database, datetime.now(UTC))
    assert due_now.rows == 0
    # Two timed rows: the lamp's price and the small tent's (a variant's).
    assert apply_price_windows(database, BEFORE).rows == 2
    assert apply_price_windows(database, INSIDE).rows == 2
    again = apply_price_windows(database, INSIDE)
    assert (again.rows, again.next_boundary) == (0, ENDS)
    assert apply_price_windows(database, AFTER).rows == 2
    assert apply_price_windows(database, AFTER).next_boundary is None


def test_a_switch_logs_the_products_of_switched_variants(database: Database) -> None:
    with database.transaction() as session:
        pks = dict(session.execute(select(Product.external_id, Product.pk)).all())
        first = session.scalar(select(func.max(CatalogChange.seq)))
    apply_price_windows(database, BEFORE)
    with database.transaction() as session:
        logged = session.scalars(
            select(CatalogChange.product_pk).where(CatalogChange.seq > (first or 0))
        ).all()
    assert sorted(logged) == sorted([pks["LAMP"], pks["TENT"]])


def test_json_lines_timed_sale() -> None:
    line = {
        "id": "P1",
        "title": "Trail lamp",
        "url": "/p/p1",
        "prices": {
            "USD": {
                "price": "80.00",
                "sale": {"price": "20.00", "from": "2026-12-01T00:00Z", "until": "2026-12-08"},
            }
        },
    }
    price = parse_product(line, "en").prices["USD"]
    assert price == ProductPrice(Decimal("80.00"), None, Sale(Decimal("20.00"), STARTS, ENDS))
    assert price.effective(BEFORE) == ProductPrice(Decimal("80.00"))
    assert price.effective(INSIDE) == ProductPrice(Decimal("20.00"), Decimal("80.00"))
    assert price.effective(AFTER) == ProductPrice(Decimal("80.00"))


@pytest.mark.parametrize(
    ("window", "reason"),
    [
        ("2026-12-01", 'sale_price_effective_date must be "start/end"'),
        ("2026-12-01/2026-13-01", "sale_price_effective_date must be an ISO 8601 date-time"),
        ("yesterday/tomorrow", "sale_price_effective_date must be an ISO 8601 date-time"),
        ("2026-12-08T00:00Z/2026-12-01T00:00Z", "the window ends"),
        ("2026-12-01T00:00Z/2026-12-01T00:00Z", "the window ends"),
        ("0001-01-01T00:00Z/2026-12-01T00:00Z", "is not between 1970 and 9998"),
        # Before year 1 once in UTC: this row stopped the whole import with an OverflowError.
        ("0001-01-01T00:00+05:00/2026-12-01T00:00Z", "is not between 1970 and 9998"),
    ],
)
def test_a_malformed_window_is_a_bad_row(window: str, reason: str) -> None:
    fields = {key: [value] for key, value in ITEMS[0].items()}
    fields["sale_price_effective_date"] = [window]
    with pytest.raises(InvalidRecord, match=reason):
        to_record(fields, "en")


@pytest.mark.parametrize(
    ("sale", "reason"),
    [
        ({"price": "20.00", "from": "2026-12-01"}, "prices.USD.sale must be"),
        ({"price": "20.00", "from": "x", "until": "2026-12-08"}, "prices.USD.sale.from must"),
        ({"price": "20.00", "from": "2026-12-08", "until": "2026-12-01"}, "the window ends"),
        ({"price": "-1", "from": "2026-12-01", "until": "2026-12-08"}, "prices.USD.sale.price"),
        ("20.00", "prices.USD.sale must be"),
    ],
)
def test_a_malformed_json_lines_sale_is_a_bad_row(sale: Any, reason: str) -> None:
    line = {"id": "P1", "title": "T", "url": "/p", "prices": {"USD": {"price": "8", "sale": sale}}}
    with pytest.raises(InvalidRecord, match=reason):
        parse_product(line, "en")


def test_a_bad_window_is_rejected_with_its_reason(config: Path, tmp_path: Path) -> None:
    feed = (
        "id\ttitle\tlink\tprice\tsale_price\tsale_price_effective_date\n"
        "A\tLamp\thttps://shop.example/a\t80.00 USD\t20.00 USD\t2026-12-08/2026-12-01\n"
        "B\tStove\thttps://shop.example/b\t50.00 USD\t\t\n"
    )
    result = import_feed(config, tmp_path, "bad.tsv", feed)
    assert result.exit_code == 1, result.output  # rows were rejected
    assert "line 2 (id A): sale_price_effective_date: the window ends" in result.output
    assert "1 inserted" in result.output and "1 rejected" in result.output


def test_the_migrations_create_exactly_the_price_tables_of_the_models(
    empty_database_url: str,
) -> None:
    # The shared price columns are one mixin: both tables must match it, indexes included.
    assert schema_differences(empty_database_url, "product_prices", "product_variant_prices") == []


def _variant_price_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("product_variant_prices")}


def test_migration_0014_keeps_variant_prices_both_ways(empty_database_url: str) -> None:
    """A variant price stored at 0013 is kept, without a window, up to 0014 and back down."""
    engine = create_database_engine(empty_database_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            # Named by the columns revision 0013 has.
            product = connection.execute(
                insert(Product.__table__).values(
                    external_id="TENT", url="/p/tent", updated_at=datetime(2026, 1, 1)
                )
            ).inserted_primary_key[0]
            variant = connection.execute(
                insert(ProductVariant.__table__).values(
                    product_pk=product, external_id="TENT-S", url="/p/tent?s", position=0
                )
            ).inserted_primary_key[0]
            connection.execute(
                insert(ProductVariantPrice.__table__).values(
                    variant_pk=variant, currency="USD", amount_minor=9000
                )
            )
        assert "sale_from" not in _variant_price_columns(engine)
        assert upgrade(engine) == ("0013", head_revision())
        assert {"regular_minor", "sale_minor", "sale_from", "sale_until"} <= _variant_price_columns(
            engine
        )
        with Database(engine).transaction() as session:
            row = session.execute(
                select(ProductVariantPrice.amount_minor, ProductVariantPrice.sale_from)
            ).one()
            assert tuple(row) == (9000, None)
            # A timeless row is no window: the switch leaves it.
            assert apply_price_windows_in(session, INSIDE).rows == 0
        config = migration_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0013")
        assert current_revision(engine) == "0013"
        assert "sale_from" not in _variant_price_columns(engine)
        with engine.connect() as connection:
            assert connection.execute(
                select(ProductVariantPrice.__table__.c.amount_minor)
            ).scalars().all() == [9000]
    finally:
        engine.dispose()
