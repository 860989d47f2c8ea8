"""Product codes (SKU, GTIN/EAN, MPN): read from feeds, stored per product and variant, searched.

Issue 19 item 3: "an exact code match ranks first; `#CODE` searches codes only (as the WooCommerce
adapter does). Identical totals on the three databases and the index". A small JSON Lines catalog
is imported through the CLI on SQLite, PostgreSQL and MariaDB (`empty_database_url`); both engines
answer the same queries and must agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_app, adapter_config, frame
from flask import Flask
from sqlalchemy import select
from test_feeds import import_feed
from test_search_index import comparable, index_engine, query

from oct8ne_adapter.domain import SearchQuery, SortField
from oct8ne_adapter.feeds.codes import ProductCode, normalize_code
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.gmc import to_record
from oct8ne_adapter.feeds.records import parse_product
from oct8ne_adapter.search.codes import CodeSearch, code_search
from oct8ne_adapter.search.index import SqlCatalogReader
from oct8ne_adapter.search.index.query import IndexedSearch
from oct8ne_adapter.search.index.snapshot import build_snapshot
from oct8ne_adapter.search.sql import search as sql_search
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import Product, ProductCodeRow, ProductVariant


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("abc-123", "ABC123"),
        (" ABC 123 ", "ABC123"),
        ("Abc\u2013123", "ABC123"),  # an en dash typed for a hyphen
        ("4006381333931", "04006381333931"),  # EAN-13 compared as GTIN-14
        ("012345678905", "00012345678905"),  # UPC-12 ...
        ("0012345678905", "00012345678905"),  # ... and the same as EAN-13: one code
        ("96385074", "00000096385074"),  # EAN-8
        ("12345", "12345"),  # not a GTIN length: as is
        ("A.B/C", "A.B/C"),
        ("", ""),
    ],
)
def test_codes_compare_in_normal_form(given: str, normal: str) -> None:
    assert normalize_code(given) == normal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#ABC-123", CodeSearch("ABC123", only=True)),
        ("  # abc 123", CodeSearch("ABC123", only=True)),
        ("#", CodeSearch("", only=True)),
        ("rain jacket", CodeSearch("RAINJACKET", only=False)),
        ("", None),
        ("x" * 65, None),
        ("a\x00b", None),
        ("#a\x00b", CodeSearch("", only=True)),
    ],
)
def test_search_text_as_a_code(text: str, expected: CodeSearch | None) -> None:
    assert code_search(text) == expected


def _line(product_id: str, title: str, price: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": product_id,
        "title": title,
        "url": f"/p/{product_id.lower()}",
        "prices": {"USD": price},
        **fields,
    }


LINES: list[dict[str, Any]] = [
    _line(
        "P1",
        "Trail shoe",
        "89.90",
        brand="Northpeak",
        codes={"sku": "NP-TS-42", "gtin": "4006381333931", "mpn": "TS-2024"},
    ),
    # Its title has the words of P1's MPN: found by text, after P1 found by code.
    _line("P2", "TS 2024 hiking sock", "9.90", brand="Fjellform", codes={"sku": "SOCK-1"}),
    _line("P3", "Camp mug", "12.00", brand="Northpeak", codes={"mpn": "SHARED-1"}, stock=0),
    _line("P4", "Camp plate", "14.00", brand="Fjellform", codes={"mpn": ["shared 1", "X-9"]}),
    # A variant group: each row's codes are the row's, and find the group's product.
    _line(
        "KNIT-RED",
        "Wool beanie - Red",
        "25.00",
        group="KNIT",
        attributes={"color": "Red"},
        codes={"gtin": "0012345678905"},
    ),
    _line(
        "KNIT-BLUE",
        "Wool beanie - Blue",
        "25.00",
        group="KNIT",
        attributes={"color": "Blue"},
        codes={"sku": "KN-B", "gtin": ["4012345678901"]},
    ),
    _line("P5", "Trail lamp", "30.00", brand="Northpeak"),
]


def jsonl(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.fixture
def config(empty_database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    return path


@pytest.fixture
def database(config: Path, tmp_path: Path, empty_database_url: str) -> Iterator[Database]:
    """The database once the catalog with codes is imported."""
    result = import_feed(config, tmp_path, "catalog.jsonl", jsonl(LINES))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        ": 6 inserted, 0 updated, 0 unchanged, 0 pruned, 0 rejected"
    )
    engine = create_database_engine(empty_database_url)
    yield Database(engine)
    engine.dispose()


def stored_codes(database: Database) -> set[tuple[str, str | None, str, str, str]]:
    """(product, variant or None, kind, code, normal form) of every stored code."""
    with database.session() as session:
        rows = session.execute(
            select(
                Product.external_id,
                ProductVariant.external_id,
                ProductCodeRow.kind,
                ProductCodeRow.code,
                ProductCodeRow.normalized,
            )
            .join(Product, Product.pk == ProductCodeRow.product_pk)
            .outerjoin(ProductVariant, ProductVariant.pk == ProductCodeRow.variant_pk)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_codes_are_stored_per_product_and_per_variant(database: Database) -> None:
    codes = stored_codes(database)
    assert ("P1", None, "gtin", "4006381333931", "04006381333931") in codes
    assert ("P4", None, "mpn", "shared 1", "SHARED1") in codes
    assert ("KNIT", "KNIT-RED", "gtin", "0012345678905", "00012345678905") in codes
    assert ("KNIT", "KNIT-BLUE", "sku", "KN-B", "KNB") in codes
    assert not any(product == "P5" for product, *_ in codes)
    assert len(codes) == 10


def test_a_changed_code_replaces_the_old_and_a_pruned_product_takes_its_codes(
    database: Database, config: Path, tmp_path: Path
) -> None:
    lines = [dict(line) for line in LINES if line["id"] != "P4"]
    lines[0] = {**lines[0], "codes": {"sku": "NP-TS-43"}}
    lines[-2] = {**lines[-2], "codes": {}}  # KNIT-BLUE loses its codes
    result = import_feed(config, tmp_path, "catalog2.jsonl", jsonl(lines), "--prune")
    assert result.exit_code == 0, result.output
    codes = stored_codes(database)
    assert {code for product, _, _, code, _ in codes if product == "P1"} == {"NP-TS-43"}
    assert not any(product == "P4" for product, *_ in codes)
    assert not any(variant == "KNIT-BLUE" for _, variant, *_ in codes)
    assert ("KNIT", "KNIT-RED", "gtin", "0012345678905", "00012345678905") in codes


def test_json_lines_codes_object() -> None:
    record = parse_product(
        {**LINES[0], "codes": {"sku": ["A-1", "a 1", "B-2"], "gtin": 4006381333931}}, "en"
    )
    # A repeat in normal form is dropped; a number is a code too.
    assert record.codes == (
        ProductCode("sku", "A-1"),
        ProductCode("sku", "B-2"),
        ProductCode("gtin", "4006381333931"),
    )


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        ({"ean": "4006381333931"}, "codes: unknown kind 'ean'"),
        ({"gtin": "40063813"}, None),
        ({"gtin": "400638133"}, "gtin must be 8, 12, 13 or 14 digits"),
        ({"gtin": "ABCDEFGH"}, "gtin must be 8, 12, 13 or 14 digits"),
        ({"sku": "x" * 65}, "codes.sku must be at most 64 printable characters"),
        ({"mpn": {"a": 1}}, "codes.mpn must be a string or a list of strings"),
        ({"mpn": "- -"}, "codes.mpn: '- -' has no letter or digit"),
        ({"sku": [f"S{n}" for n in range(11)]}, "codes.sku: at most 10 codes"),
        ("SKU-1", "codes must be an object"),
    ],
)
def test_bad_codes_are_refused_with_a_reason(codes: Any, reason: str | None) -> None:
    line = {**LINES[0], "codes": codes}
    if reason is None:
        parse_product(line, "en")
        return
    with pytest.raises(InvalidRecord, match=reason.replace("(", r"\(")):
        parse_product(line, "en")


def test_merchant_center_id_is_the_sku_and_gtin_and_mpn_are_read() -> None:
    row = {
        "id": ["SHOE-42"],
        "title": ["Trail shoe"],
        "link": ["https://shop.example/p/shoe"],
        "price": ["89.90 USD"],
        "gtin": ["4006381333931, 0012345678905"],
        "mpn": ["TS-2024"],
    }
    assert to_record(row, "en").codes == (
        ProductCode("sku", "SHOE-42"),
        ProductCode("gtin", "4006381333931"),
        ProductCode("gtin", "0012345678905"),
        ProductCode("mpn", "TS-2024"),
    )
    with pytest.raises(InvalidRecord, match="gtin must be"):
        to_record({**row, "gtin": ["12-34"]}, "en")


def test_merchant_center_rows_of_a_group_keep_their_codes(
    config: Path, tmp_path: Path, empty_database_url: str
) -> None:
    header = ["id", "title", "link", "price", "item_group_id", "color", "gtin", "mpn"]
    rows = [
        ["CAP-R", "Cap - Red", "https://s.example/cap?c=r", "9.00 USD", "CAP", "Red", "", "C-1"],
        [
            "CAP-B",
            "Cap - Blue",
            "https://s.example/cap?c=b",
            "9.00 USD",
            "CAP",
            "Blue",
            "96385074",
            "",
        ],
    ]
    text = "\n".join("\t".join(cells) for cells in [header, *rows]) + "\n"
    result = import_feed(config, tmp_path, "feed.tsv", text)
    assert result.exit_code == 0, result.output
    engine = create_database_engine(empty_database_url)
    try:
        assert stored_codes(Database(engine)) == {
            ("CAP", "CAP-R", "sku", "CAP-R", "CAPR"),
            ("CAP", "CAP-R", "mpn", "C-1", "C1"),
            ("CAP", "CAP-B", "sku", "CAP-B", "CAPB"),
            ("CAP", "CAP-B", "gtin", "96385074", "00000096385074"),
        }
    finally:
        engine.dispose()


#: The same questions to both engines; every one must get the same total, facets and page.
SEARCHES = {
    "sku": query("#NP-TS-42"),
    "sku, lower case and spaced": query("# np ts 42"),
    "ean-13": query("#4006381333931"),
    "the same as gtin-14": query("#04006381333931"),
    "upc-12 of a variant's ean-13": query("#012345678905"),
    "a variant's sku": query("#KN-B"),
    "shared mpn, one sold out": query("#SHARED-1"),
    "shared mpn under a filter": query("#shared1", ("brand", "fjellform")),
    "a prefix is not a code": query("#SHARED"),
    "a bare #": query("#"),
    "unknown code": query("#NOPE-1"),
    "text equal to a code": query("TS-2024"),
    "text equal to a code, descending": query("ts 2024", descending=True),
    "text equal to a code, by price": query("TS-2024", sort=SortField.PRICE),
    "text equal to a shared code": query("shared-1"),
    "text and a code under a filter": query("TS-2024", ("brand", "northpeak")),
    "plain words, no code": query("trail"),
}


def both_engines(database: Database, search: SearchQuery) -> tuple[dict[str, Any], ...]:
    """The index's answer and the SQL search's, comparable."""
    with database.session() as session:
        reader = SqlCatalogReader(session)
        indexed = IndexedSearch(reader, search, build_snapshot(reader)).run()
        return comparable(indexed), comparable(sql_search(session, search))


@pytest.mark.parametrize("name", list(SEARCHES))
def test_both_engines_agree_on_code_searches(database: Database, name: str) -> None:
    indexed, expected = both_engines(database, SEARCHES[name])
    assert indexed == expected


@pytest.mark.parametrize(
    ("name", "total", "first"),
    [
        ("sku", 1, "P1"),
        ("sku, lower case and spaced", 1, "P1"),
        ("ean-13", 1, "P1"),
        ("the same as gtin-14", 1, "P1"),
        ("upc-12 of a variant's ean-13", 1, "KNIT"),
        ("a variant's sku", 1, "KNIT"),
        ("shared mpn, one sold out", 2, "P4"),  # sold out after the others
        ("shared mpn under a filter", 1, "P4"),
        ("a prefix is not a code", 0, None),
        ("a bare #", 0, None),
        ("unknown code", 0, None),
        ("text equal to a code", 2, "P1"),  # P1 by its MPN, then P2 by its title's words
        ("text equal to a code, descending", 2, "P1"),
        ("text equal to a shared code", 2, "P4"),
        ("text and a code under a filter", 1, "P1"),
    ],
)
def test_code_searches_find_the_products_having_the_code(
    database: Database, name: str, total: int, first: str | None
) -> None:
    result, _ = both_engines(database, SEARCHES[name])
    assert result["total"] == total
    assert (result["page"] or [None])[0] == first


def test_a_code_search_offers_facets_of_the_products_found(database: Database) -> None:
    result, _ = both_engines(database, SEARCHES["shared mpn, one sold out"])
    brand = next(facet for facet in result["facets"] if facet.param == "brand")
    assert {option.value: option.count for option in brand.options} == {
        "fjellform": 1,
        "northpeak": 1,
    }


@pytest.fixture(params=["index", "sql"])
def shop(
    database: Database, empty_database_url: str, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The adapter over the imported catalog, searching with each engine."""
    config = adapter_config(empty_database_url, OCT8NE_SEARCH_ENGINE=request.param)
    with adapter_app(config) as application:
        yield application


def test_the_search_method_takes_a_code(shop: Flask) -> None:
    client = shop.test_client()
    found = frame(client, "search", search="#4006381333931")
    assert (found["total"], [item["internalId"] for item in found["results"]]) == (1, ["P1"])
    found = frame(client, "search", search="TS-2024")
    assert [item["internalId"] for item in found["results"]] == ["P1", "P2"]
    assert frame(client, "search", search="#TS-20")["total"] == 0


def test_the_index_follows_code_changes(database: Database, config: Path, tmp_path: Path) -> None:
    engine = index_engine(database, poll_seconds=0, background=False)
    assert [p.id for p in engine.search(query("#NP-TS-42")).products] == ["P1"]
    lines = [{**LINES[0], "codes": {"sku": "NP-TS-43"}}, *LINES[1:]]
    result = import_feed(config, tmp_path, "catalog2.jsonl", jsonl(lines))
    assert result.exit_code == 0, result.output
    assert engine.search(query("#NP-TS-42")).total == 0
    assert [p.id for p in engine.search(query("#NP-TS-43")).products] == ["P1"]
    assert (engine.builds, engine.updates) == (1, 1)  # the index answered, caught up by the log
