"""Stock and availability end to end: a feed's availability through productInfo and search.

The feed is imported through the CLI on SQLite, PostgreSQL and MariaDB; search runs on both
engines (the in-memory index and SQL), which must give the same totals, order and facets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_app, adapter_config, frame
from flask import Flask
from test_feeds import import_feed, tsv
from test_variants import jacket_row

from oct8ne_adapter.domain import Availability, Product
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.records import parse_product
from oct8ne_adapter.settings import Settings


def lamp(row_id: str, title: str, availability: str, price: str = "40.00 USD") -> dict[str, Any]:
    """A product without variants in the given availability."""
    return {
        "id": row_id,
        "title": title,
        "link": f"https://shop.example/p/{row_id.lower()}",
        "image_link": f"https://cdn.example/{row_id.lower()}.jpg",
        "price": price,
        "availability": availability,
        "brand": "Lumen",
        "product_type": "Home > Lamps",
    }


ITEMS: list[dict[str, Any]] = [
    lamp("LAMP-OUT", "Desk lamp brass", "out_of_stock", "30.00 USD"),
    lamp("LAMP-IN", "Desk lamp steel", "in_stock", "50.00 USD"),
    lamp("LAMP-PRE", "Desk lamp copper", "preorder", "60.00 USD"),
    lamp("LAMP-BACK", "Floor lamp", "backorder", "70.00 USD"),
    # A jacket whose every row is out of stock is out of stock; one whose row is, is not.
    jacket_row("STORM-RED-M", "Red", "M", "150.00 USD", availability="out_of_stock"),
    jacket_row("STORM-RED-L", "Red", "L", "160.00 USD"),
    {
        **jacket_row("GALE-M", "Grey", "M", "90.00 USD", availability="out_of_stock"),
        "title": "Gale Vest - M",
        "item_group_id": "GALE",
    },
    {
        **jacket_row("GALE-L", "Grey", "L", "90.00 USD", availability="out_of_stock"),
        "title": "Gale Vest - L",
        "item_group_id": "GALE",
    },
]


@pytest.fixture
def imported(empty_database_url: str, tmp_path: Path) -> str:
    config = tmp_path / "config.toml"
    config.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    result = import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS))
    assert result.exit_code == 0, result.output
    return empty_database_url


@pytest.fixture(params=["index", "sql"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def shop(imported: str, engine: str) -> Iterator[Flask]:
    with adapter_app(adapter_config(imported, OCT8NE_SEARCH_ENGINE=engine)) as application:
        yield application


def _cart_fields(info: dict[str, Any]) -> tuple[str, bool, bool]:
    return info["internalId"], info["useProductUrl"], bool(info["addToCartUrl"])


def test_out_of_stock_products_and_rows_send_the_visitor_to_the_product_page(shop: Flask) -> None:
    client = shop.test_client()
    ids = "LAMP-OUT,LAMP-IN,LAMP-PRE,LAMP-BACK,STORM-RED-M,STORM-RED-L,STORM,GALE,GALE-L"
    infos = frame(client, "productInfo", productIds=ids)
    # Out of stock: useProductUrl and no addToCartUrl; preorder and backorder stay addable.
    assert [_cart_fields(info) for info in infos] == [
        ("LAMP-OUT", True, False),
        ("LAMP-IN", False, True),
        ("LAMP-PRE", False, True),
        ("LAMP-BACK", False, True),
        ("STORM-RED-M", True, False),
        ("STORM-RED-L", False, True),
        ("STORM", True, True),  # has variants to choose: the page, but one of them is in stock
        ("GALE", True, False),
        ("GALE-L", True, False),
    ]
    assert infos[0]["addToCartUrl"] == ""


def test_search_ranks_out_of_stock_last_in_relevance_order(shop: Flask) -> None:
    client = shop.test_client()
    found = frame(client, "search", search="desk lamp")
    # Relevance ties keep feed position; the brass lamp (first in the feed) goes last.
    assert [item["internalId"] for item in found["results"]] == [
        "LAMP-IN",
        "LAMP-PRE",
        "LAMP-OUT",
    ]
    reversed_ = frame(client, "search", search="desk lamp", dir="desc")
    assert reversed_["results"][-1]["internalId"] == "LAMP-OUT"
    # Other orders are the visitor's choice: the cheapest first, out of stock or not.
    by_price = frame(client, "search", search="desk lamp", orderby="price")
    assert by_price["results"][0]["internalId"] == "LAMP-OUT"
    everything = frame(client, "search", pageSize=20)
    assert everything["total"] == 6
    assert [item["internalId"] for item in everything["results"]][-2:] == ["LAMP-OUT", "GALE"]


def _availability_facet(found: dict[str, Any]) -> list[tuple[str, str, int]] | None:
    for facet in found["filters"]["available"]:
        if facet["param"] == "availability":
            return [(o["value"], o["valueLabel"], o["count"]) for o in facet["options"]]
    return None


def test_the_availability_facet_counts_and_filters(shop: Flask) -> None:
    client = shop.test_client()
    found = frame(client, "search")
    assert _availability_facet(found) == [
        ("in_stock", "In stock", 2),
        ("preorder", "Preorder", 1),
        ("backorder", "Backorder", 1),
        ("out_of_stock", "Out of stock", 2),
    ]
    spanish = frame(client, "search", locale="es-ES")
    facet = next(f for f in spanish["filters"]["available"] if f["param"] == "availability")
    assert facet["paramLabel"] == "Disponibilidad"
    assert facet["options"][-1]["valueLabel"] == "Agotado"
    # Applying an option gives its count, and the group is no longer offered.
    out = frame(client, "search", availability="out_of_stock")
    assert out["total"] == 2
    assert sorted(item["internalId"] for item in out["results"]) == ["GALE", "LAMP-OUT"]
    assert _availability_facet(out) is None
    assert out["filters"]["applied"] == [
        {
            "param": "availability",
            "paramLabel": "Availability",
            "value": "out_of_stock",
            "valueLabel": "Out of stock",
        }
    ]
    # Counts follow the text: of the two in the jackets category, one is out of stock.
    jackets = frame(client, "search", search="jacket")
    assert _availability_facet(jackets) == [
        ("in_stock", "In stock", 1),
        ("out_of_stock", "Out of stock", 1),
    ]
    assert [item["internalId"] for item in jackets["results"]] == ["STORM", "GALE"]
    vest = frame(client, "search", search="vest")
    assert vest["total"] == 1
    assert _availability_facet(vest) is None  # one kind only: nothing to narrow
    assert frame(client, "search", availability="sold")["total"] == 0


def test_hide_leaves_out_of_stock_products_out(imported: str, engine: str) -> None:
    config = adapter_config(
        imported, OCT8NE_SEARCH_ENGINE=engine, OCT8NE_SEARCH_OUT_OF_STOCK="hide"
    )
    with adapter_app(config) as application:
        client = application.test_client()
        found = frame(client, "search", pageSize=20)
        assert found["total"] == 4
        assert "LAMP-OUT" not in [item["internalId"] for item in found["results"]]
        assert _availability_facet(found) == [
            ("in_stock", "In stock", 2),
            ("preorder", "Preorder", 1),
            ("backorder", "Backorder", 1),
        ]
        # Still answered by id: a visitor may ask about what they saw.
        assert frame(client, "productInfo", productIds="LAMP-OUT")[0]["useProductUrl"] is True


def test_an_unknown_out_of_stock_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match="OCT8NE_SEARCH_OUT_OF_STOCK must be last or hide"):
        Settings.from_config({"OCT8NE_SEARCH_OUT_OF_STOCK": "bottom"})


@pytest.mark.parametrize(
    ("availability", "stock", "sold_out"),
    [
        (None, None, False),
        (None, 0, True),
        (None, -2, True),
        (None, 3, False),
        (Availability.BACKORDER, 0, False),
        (Availability.PREORDER, None, False),
        (Availability.OUT_OF_STOCK, 5, True),
    ],
)
def test_a_shops_own_product_is_sold_out_by_its_availability_else_its_stock(
    availability: Availability | None, stock: int | None, sold_out: bool
) -> None:
    product = Product("1", "Lamp", "", "/p/1", None, (), {}, stock=stock, availability=availability)
    assert product.sold_out is sold_out


def test_json_lines_availability_is_checked() -> None:
    line = {"id": "1", "title": "Lamp", "url": "/p/1", "prices": {"USD": "1.00"}}
    assert parse_product({**line, "availability": "backorder"}, "en").availability == "backorder"
    with pytest.raises(InvalidRecord, match="availability must be one of"):
        parse_product({**line, "availability": "soon"}, "en")


def test_a_change_of_availability_reaches_a_running_index(imported: str, tmp_path: Path) -> None:
    with adapter_app(adapter_config(imported, OCT8NE_SEARCH_ENGINE="index")) as application:
        client = application.test_client()
        assert frame(client, "search", search="desk lamp")["results"][0]["internalId"] == "LAMP-IN"
        changed = [
            {**item, "availability": "out_of_stock"} if item["id"] == "LAMP-IN" else item
            for item in ITEMS
        ]
        config = tmp_path / "config.toml"
        result = import_feed(config, tmp_path, "feed2.tsv", tsv(changed))
        assert result.exit_code == 0, result.output
        found = frame(client, "search", search="desk lamp")
        assert [item["internalId"] for item in found["results"]] == [
            "LAMP-PRE",
            "LAMP-OUT",
            "LAMP-IN",
        ]
        assert _availability_facet(frame(client, "search"))[0] == ("in_stock", "In stock", 1)
        info = frame(client, "productInfo", productIds="LAMP-IN")[0]
        assert (info["useProductUrl"], info["addToCartUrl"]) == (True, "")
