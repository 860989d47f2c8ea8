"""Google Merchant Center feeds (TSV, CSV, RSS, Atom) imported and checked through the frame API.

The import tests run on SQLite, PostgreSQL and MariaDB (`empty_database_url`); the reader tests
need no database.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import frame
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from oct8ne_adapter.cli import cli
from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import Accepted, Rejected, detect_format, read_feed
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.gmc import category_path, parse_price
from oct8ne_adapter.sql.database import create_database_engine
from oct8ne_adapter.sql.models import Base, Product, ProductTranslation

COLUMNS = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_link",
    "price",
    "sale_price",
    "availability",
    "brand",
    "product_type",
    "google_product_category",
    "color",
    "size",
    "material",
    "gender",
    "age_group",
    "pattern",
    "item_group_id",
]

ITEMS: list[dict[str, Any]] = [
    {
        "id": "TENT-2",
        "title": "Summit Dome Tent",
        "description": "Two-person tent for windy ridges.",
        "link": "https://shop.example/p/tent-2",
        "image_link": "https://cdn.example/tent-2.jpg",
        "additional_image_link": [
            "https://cdn.example/tent-2-side.jpg",
            "https://cdn.example/tent-2-open.jpg",
        ],
        "price": "349.00 USD",
        "sale_price": "299.00 USD",
        "availability": "in_stock",
        "brand": "Northpeak",
        "product_type": "Camping > Tents",
        "google_product_category": "Sporting Goods > Outdoor Recreation > Camping & Hiking",
        "color": "Orange",
        "material": "Nylon",
        "pattern": "Solid",
    },
    {
        "id": "JKT-M",
        "title": "Granite Rain Jacket - M",
        "description": "Waterproof shell.",
        "link": "https://shop.example/p/jacket?size=M",
        "image_link": "https://cdn.example/jacket.jpg",
        "price": "120.00 USD",
        "availability": "out_of_stock",
        "brand": "Fjellform",
        "google_product_category": "Apparel & Accessories > Clothing > Outerwear",
        "color": "Blue",
        "size": "M",
        "gender": "female",
        "age_group": "adult",
        "item_group_id": "JKT",
    },
    {
        "id": "MUG-1",
        "title": "Enamel Camp Mug",
        "link": "https://shop.example/p/mug-1",
        "image_link": "https://cdn.example/mug.jpg",
        "price": "12.50 USD",
        "availability": "in stock",
        "brand": "Northpeak",
        "product_type": "Camping > Kitchen",
        "color": "Blue",
    },
    # Another variant of the jacket, away from the first: the group becomes one product.
    {
        "id": "JKT-L",
        "title": "Granite Rain Jacket - L",
        "description": "Waterproof shell, long cut.",
        "link": "https://shop.example/p/jacket?size=L",
        "image_link": "https://cdn.example/jacket-l.jpg",
        "additional_image_link": ["https://cdn.example/jacket.jpg"],
        "price": "130.00 USD",
        "sale_price": "125.00 USD",
        "availability": "in_stock",
        "brand": "Fjellform",
        "google_product_category": "Apparel & Accessories > Clothing > Outerwear",
        "color": "Blue",
        "size": "L",
        "gender": "female",
        "age_group": "adult",
        "item_group_id": "JKT",
    },
]


def tsv(items: list[dict[str, Any]], delimiter: str = "\t") -> str:
    """A Merchant Center TSV (or CSV) with Google's header names."""
    lines = [delimiter.join(COLUMNS)]
    for item in items:
        cells = []
        for column in COLUMNS:
            value = item.get(column, "")
            cell = ",".join(value) if isinstance(value, list) else value
            if delimiter == "," and ("," in cell or '"' in cell):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _g_fields(item: dict[str, Any], skip: set[str]) -> str:
    parts = []
    for column in COLUMNS:
        if column in skip or column not in item:
            continue
        values = item[column] if isinstance(item[column], list) else [item[column]]
        parts.extend(f"<g:{column}>{_xml_escape(value)}</g:{column}>" for value in values)
    return "".join(parts)


def rss(items: list[dict[str, Any]]) -> str:
    """An RSS 2.0 feed: title, link and description as RSS elements, the rest in g:."""
    entries = []
    for item in items:
        native = f"<title>{_xml_escape(item['title'])}</title><link>{item['link']}</link>"
        if "description" in item:
            native += f"<description>{_xml_escape(item['description'])}</description>"
        skip = {"title", "link", "description"}
        entries.append(f"<item>{native}{_g_fields(item, skip)}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<title>Shop</title><link>https://shop.example</link><description>d</description>\n"
        + "\n".join(entries)
        + "\n</channel></rss>\n"
    )


def atom(items: list[dict[str, Any]]) -> str:
    """An Atom feed: title, link href and summary as Atom elements, the rest in g:."""
    entries = []
    for item in items:
        native = f'<title>{_xml_escape(item["title"])}</title><link href="{item["link"]}"/>'
        if "description" in item:
            native += f"<summary>{_xml_escape(item['description'])}</summary>"
        skip = {"title", "link", "description"}
        entries.append(f"<entry>{native}{_g_fields(item, skip)}</entry>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">'
        "<title>Shop</title>\n" + "\n".join(entries) + "\n</feed>\n"
    )


def jsonl(items: list[dict[str, Any]]) -> str:
    """The same products in the adapter's own JSON Lines format."""
    lines = []
    for item in items:
        amount, currency = item["price"].split()
        price: Any = amount
        if "sale_price" in item:
            price = {"price": item["sale_price"].split()[0], "previous": amount}
        category = item.get("product_type") or item.get("google_product_category") or ""
        ids: list[str] = []
        path = []
        for name in category.split(" > ") if category else []:
            ids.append(name.lower().replace(" & ", "-").replace(" ", "-"))
            path.append({"id": "/".join(ids), "name": name})
        attributes = {
            code: [item[code]]
            for code in ("color", "size", "material", "gender", "age_group", "pattern")
            if code in item
        }
        images = [item["image_link"], *item.get("additional_image_link", [])]
        line = {
            "id": item["id"],
            "title": item["title"],
            "url": item["link"],
            "images": images,
            "prices": {currency: price},
            "brand": item["brand"],
            "category": path,
            "attributes": attributes,
            "variants": "item_group_id" in item,
        }
        if "item_group_id" in item:
            line["group"] = item["item_group_id"]
        if "description" in item:
            line["description"] = item["description"]
        if item["availability"] == "out_of_stock":
            line["stock"] = 0
        lines.append(json.dumps(line))
    return "\n".join(lines) + "\n"


WRITERS = {"tsv": tsv, "csv": lambda items: tsv(items, ","), "rss": rss, "atom": atom}


@pytest.fixture
def config(empty_database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    return path


def import_feed(
    config: Path, tmp_path: Path, name: str, text: str | bytes, *options: str
) -> Result:
    feed = tmp_path / name
    feed.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return CliRunner().invoke(
        cli,
        ["--config", str(config), "import-catalog", *options, str(feed)],
        prog_name="oct8ne-adapter",
    )


def facet_counts(client: FlaskClient, **params: str) -> dict[str, dict[str, int]]:
    result = frame(client, "search", **params)
    return {
        facet["param"]: {option["value"]: option["count"] for option in facet["options"]}
        for facet in result["filters"]["available"]
        if facet["param"] != "price"
    }


def check_mapped_catalog(client: FlaskClient) -> None:
    """Every mapped Merchant Center field, as oct8ne sees it."""
    tent, jacket, mug = frame(client, "productInfo", productIds="TENT-2,JKT,MUG-1")
    assert tent == {
        "internalId": "TENT-2",
        "title": "Summit Dome Tent",
        "description": "Two-person tent for windy ridges.",
        "formattedPrice": "$299.00",
        "formattedPrevPrice": "$349.00",
        "productUrl": "https://shop.example/p/tent-2",
        "addToCartUrl": tent["addToCartUrl"],
        "useProductUrl": False,
        "thumbnail": "https://cdn.example/tent-2.jpg",
        "medias": [
            {"url": "https://cdn.example/tent-2.jpg"},
            {"url": "https://cdn.example/tent-2-side.jpg"},
            {"url": "https://cdn.example/tent-2-open.jpg"},
        ],
    }
    # item_group_id: the two variant rows are one product, under the group's id, whose variant
    # is chosen on its page; its lowest price, its first URL, every image, every size.
    assert jacket == {
        "internalId": "JKT",
        "title": "Granite Rain Jacket",
        "description": "Waterproof shell.",
        "formattedPrice": "$120.00",
        "formattedPrevPrice": "$120.00",
        "productUrl": "https://shop.example/p/jacket?size=M",
        "addToCartUrl": jacket["addToCartUrl"],
        "useProductUrl": True,
        "thumbnail": "https://cdn.example/jacket.jpg",
        "medias": [
            {"url": "https://cdn.example/jacket.jpg"},
            {"url": "https://cdn.example/jacket-l.jpg"},
        ],
    }
    # Each row keeps its own id: the jacket as seen through that size, under the asked id.
    large, medium = frame(client, "productInfo", productIds="JKT-L,JKT-M")
    assert (large["internalId"], large["title"], large["productUrl"]) == (
        "JKT-L",
        "Granite Rain Jacket – L",
        "https://shop.example/p/jacket?size=L",
    )
    assert (large["formattedPrice"], large["formattedPrevPrice"]) == ("$125.00", "$130.00")
    assert (medium["internalId"], medium["title"], medium["formattedPrice"]) == (
        "JKT-M",
        "Granite Rain Jacket – M",
        "$120.00",
    )
    assert medium["productUrl"] == "https://shop.example/p/jacket?size=M"
    assert mug["description"] == ""
    assert facet_counts(client) == {
        "category": {"camping": 2, "apparel-accessories": 1},
        "brand": {"northpeak": 2, "fjellform": 1},
        "color": {"Blue": 2, "Orange": 1},
        "size": {"L": 1, "M": 1},
        "material": {"Nylon": 1},
        "gender": {"female": 1},
        "age_group": {"adult": 1},
        "pattern": {"Solid": 1},
    }
    assert facet_counts(client, category="camping")["category"] == {
        "camping/tents": 1,
        "camping/kitchen": 1,
    }
    found = frame(client, "search", search="northpeak blue")
    assert [item["internalId"] for item in found["results"]] == ["MUG-1"]
    found = frame(client, "search", search="outerwear")  # google_product_category as category
    assert [item["internalId"] for item in found["results"]] == ["JKT"]
    assert frame(client, "search", size="L")["total"] == 1


@pytest.mark.parametrize("feed_format", ["tsv", "csv", "rss", "atom"])
def test_a_merchant_center_feed_is_mapped_field_by_field(
    config: Path, tmp_path: Path, empty_app: Flask, feed_format: str
) -> None:
    result = import_feed(config, tmp_path, f"feed.{feed_format}", WRITERS[feed_format](ITEMS))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        ": 3 inserted, 0 updated, 0 unchanged, 0 pruned, 0 rejected"
    )
    check_mapped_catalog(empty_app.test_client())


def test_a_json_lines_feed_gives_the_same_catalog(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    result = import_feed(config, tmp_path, "feed.jsonl", jsonl(ITEMS))
    assert result.exit_code == 0, result.output
    check_mapped_catalog(empty_app.test_client())


SPANISH = [
    {
        "id": "TENT-2",
        "title": "Tienda Cúpula Cumbre",
        "description": "Tienda para dos personas.",
        "link": "https://shop.example/es/p/tent-2",
        "price": "329.00 EUR",
        "availability": "in_stock",
    },
    {
        "id": "MUG-1",
        "title": "Taza esmaltada",
        "link": "https://shop.example/es/p/mug-1",
        "price": "11.90 EUR",
        "sale_price": "9.90 EUR",
        "availability": "in_stock",
    },
    {
        "id": "NOT-THERE",
        "title": "Producto nuevo",
        "link": "https://shop.example/es/p/new",
        "price": "1.00 EUR",
        "availability": "in_stock",
    },
]


def test_a_localized_feed_adds_translations_and_prices(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    result = import_feed(config, tmp_path, "es.xml", rss(SPANISH), "--locale", "es-ES")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "rejected item 3 (id NOT-THERE): not in the catalog: import the shop's main feed "
        "before a localized one"
    ]
    assert "2 updated" in result.stdout
    client = empty_app.test_client()
    tent, mug = frame(
        client, "productInfo", productIds="TENT-2,MUG-1", locale="es-ES", currency="EUR"
    )
    assert tent["title"] == "Tienda Cúpula Cumbre"
    assert tent["description"] == "Tienda para dos personas."
    assert tent["formattedPrice"] == "329,00\xa0€"
    assert mug["formattedPrice"] == "9,90\xa0€" and mug["formattedPrevPrice"] == "11,90\xa0€"
    # The English texts and the dollar prices are still there.
    tent_en, _ = frame(client, "productInfo", productIds="TENT-2,MUG-1")
    assert tent_en["title"] == "Summit Dome Tent" and tent_en["formattedPrice"] == "$299.00"
    found = frame(client, "search", search="taza", locale="es-ES")
    assert [item["internalId"] for item in found["results"]] == ["MUG-1"]
    assert frame(client, "productInfo", productIds="NOT-THERE") == []


def test_a_feed_in_another_currency_adds_prices(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    euros = [{**item, "price": "100.00 EUR", "sale_price": ""} for item in ITEMS]
    result = import_feed(config, tmp_path, "eur.tsv", tsv(euros))
    assert result.exit_code == 0, result.output
    client = empty_app.test_client()
    [tent_eur] = frame(client, "productInfo", productIds="TENT-2", currency="EUR", locale="es-ES")
    assert tent_eur["formattedPrice"] == "100,00\xa0€"
    [tent_usd] = frame(client, "productInfo", productIds="TENT-2")
    assert tent_usd["formattedPrice"] == "$299.00"


def test_an_unchanged_feed_is_skipped_and_prune_removes_the_missing(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    again = import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS))
    assert again.stdout.strip().endswith("0 inserted, 0 updated, 3 unchanged, 0 pruned, 0 rejected")
    renamed = [{**ITEMS[0], "title": "Summit Dome Tent II"}, ITEMS[2]]
    # One of three products is over prune_max_share: forced (the cap has its own tests).
    pruned = import_feed(config, tmp_path, "feed.tsv", tsv(renamed), "--force-prune")
    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.strip().endswith(
        "0 inserted, 1 updated, 1 unchanged, 1 pruned, 0 rejected"
    )
    client = empty_app.test_client()
    assert [
        p["internalId"] for p in frame(client, "productInfo", productIds="TENT-2,JKT,MUG-1")
    ] == [
        "TENT-2",
        "MUG-1",
    ]
    assert frame(client, "search", search="jacket")["total"] == 0
    assert frame(client, "search", search="dome ii")["total"] == 1
    counts = facet_counts(client)
    assert counts["brand"] == {"northpeak": 2}
    assert counts["color"] == {"Blue": 1, "Orange": 1}
    assert "size" not in counts


BAD_ROWS = [
    {**ITEMS[0], "price": "15 dollars"},
    {**ITEMS[1], "id": ""},
    {**ITEMS[2], "title": ""},
    {**ITEMS[0], "id": "CUR-1", "price": "15.00 XYZ"},
    {**ITEMS[2], "id": "OK-1"},
]


def test_bad_rows_are_reported_and_the_good_ones_imported(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    result = import_feed(config, tmp_path, "feed.tsv", tsv(BAD_ROWS))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        'rejected line 2 (id TENT-2): price must be "amount CUR" such as "15.00 USD", '
        "not '15 dollars'",
        "rejected line 3: id is required",
        "rejected line 4 (id MUG-1): title is required",
        "rejected line 5 (id CUR-1): price: unknown currency 'XYZ'",
    ]
    assert result.stdout.strip().endswith(
        "1 inserted, 0 updated, 0 unchanged, 0 pruned, 4 rejected"
    )
    client = empty_app.test_client()
    assert [p["internalId"] for p in frame(client, "productInfo", productIds="OK-1,TENT-2")] == [
        "OK-1"
    ]


def test_strict_aborts_at_the_first_bad_row(config: Path, tmp_path: Path, empty_app: Flask) -> None:
    result = import_feed(config, tmp_path, "feed.tsv", tsv([ITEMS[2], *BAD_ROWS]), "--strict")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert errors == [
        'Error: line 3 (id TENT-2): price must be "amount CUR" such as "15.00 USD", '
        "not '15 dollars'"
    ]
    assert frame(empty_app.test_client(), "productInfo", productIds="MUG-1") == []


def test_broken_xml_aborts_the_import(config: Path, tmp_path: Path, empty_app: Flask) -> None:
    text = rss(ITEMS).replace("<title>Enamel Camp Mug</title>", "<title>Enamel Camp Mug</titel>")
    result = import_feed(config, tmp_path, "feed.xml", text)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: item 3: broken XML at line ")
    assert line.endswith("; the feed is broken or cut short, nothing was imported")
    ids = "TENT-2,JKT,MUG-1"
    assert frame(empty_app.test_client(), "productInfo", productIds=ids) == []


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", "just some notes\nnothing else\n", "not a product feed"),
        ("image.png", "\x89PNG\r\n\x1a\n\x00\x00", "not a product feed"),
        ("page.html", "<html><body>hi</body></html>", "not a product feed"),
        ("sheet.csv", "name,price\nx,1\n", "not a product feed"),
        (
            "bomb.xml",
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item>'
            "<title>&b;</title></item></channel></rss>",
            "refused XML",
        ),
    ],
)
def test_a_file_that_is_not_a_feed_is_refused_in_one_line(
    config: Path, tmp_path: Path, name: str, content: str, reason: str
) -> None:
    result = import_feed(config, tmp_path, name, content)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and reason in errors[0], result.output


# -- readers without a database ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"", "jsonl"),
        (b'\xef\xbb\xbf{"id": 1}', "jsonl"),
        (b"  <?xml version='1.0'?><rss/>", "xml"),
        (b"id\ttitle\tprice\n", "tsv"),
        (b"id,title,price\n", "csv"),
    ],
)
def test_detect_format(head: bytes, expected: str) -> None:
    assert detect_format(head) == expected


def test_detect_format_refuses_other_files() -> None:
    with pytest.raises(ImportFailed, match="not a product feed"):
        detect_format(b"hello world\n")


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [("15.00 USD", "USD", "15.00"), ("15 eur", "EUR", "15"), ("1,500.00 USD", "USD", "1500.00")],
)
def test_parse_price(text: str, currency: str, amount: str) -> None:
    parsed_currency, price = parse_price(text, "price")
    assert parsed_currency == currency and str(price.amount) == amount


@pytest.mark.parametrize("text", ["USD 15.00", "15.00", "15.001 USD", "-1 USD", "15.00 ZZZ"])
def test_parse_price_refuses(text: str) -> None:
    with pytest.raises(InvalidRecord):
        parse_price(text, "price")


def test_category_ids_are_paths_of_slugs() -> None:
    path = category_path("Home & Garden > Kitchen > Knives", "en")
    assert [ref.id for ref in path] == [
        "home-garden",
        "home-garden/kitchen",
        "home-garden/kitchen/knives",
    ]
    assert path[-1].names == {"en": "Knives"}
    long = category_path(" > ".join(["Very long category name"] * 5), "en")
    assert all(len(ref.id) <= 64 for ref in long) and len({ref.id for ref in long}) == 5


def test_xml_items_are_dropped_as_they_are_read() -> None:
    """The tree never holds more than the item being read: memory stays flat."""
    many = [{**ITEMS[2], "id": f"MUG-{n}"} for n in range(2000)]
    rows = read_feed(io.BytesIO(rss(many).encode()), "xml", "en")
    assert sum(isinstance(row, Accepted) for row in rows) == 2000


def test_a_tsv_row_with_a_missing_cell_names_the_cells() -> None:
    text = "id\ttitle\tlink\tprice\nA-1\tTitle\thttps://x.example/a\n"
    [row] = list(read_feed(io.BytesIO(text.encode()), "tsv", "en"))
    assert isinstance(row, Accepted) and row.product_id == "A-1"
    with pytest.raises(
        InvalidRecord, match=r"price is required \(the row has 3 cells, the header 4\)"
    ):
        row.build()


def test_the_row_digest_changes_with_the_content_only() -> None:
    def digests(text: str) -> list[str]:
        rows = read_feed(io.BytesIO(text.encode()), "tsv", "en")
        return [row.digest for row in rows if isinstance(row, Accepted)]

    header = "id\ttitle\tlink\tprice\n"
    first = digests(header + "A\tOne\t/p/a\t1.00 USD\nB\tTwo\t/p/b\t2.00 USD\n")
    again = digests(header + "A\tOne\t/p/a\t1.00 USD\nB\tTwo!\t/p/b\t2.00 USD\n")
    assert first[0] == again[0] and first[1] != again[1]


def test_an_xml_item_without_id_is_rejected_with_its_number() -> None:
    text = rss([ITEMS[0], {**ITEMS[1], "id": ""}])
    rows = list(read_feed(io.BytesIO(text.encode()), "xml", "en"))
    assert isinstance(rows[0], Accepted)
    assert isinstance(rows[1], Rejected) and rows[1].describe() == "item 2: id is required"


def test_a_file_url_is_read_and_a_remote_one_refused(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    feed = tmp_path / "feed.tsv"
    feed.write_text(tsv(ITEMS), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "import-catalog", feed.as_uri()], prog_name="oct8ne-adapter"
    )
    assert result.exit_code == 0, result.output
    assert "3 inserted" in result.stdout
    remote = CliRunner().invoke(
        cli, ["--config", str(config), "import-catalog", "https://shop.example/feed.xml"]
    )
    assert remote.exit_code == 2 and "download the feed first" in remote.output


# -- variant groups (item_group_id) ---------------------------------------------------------------


def variant(size: str, price: str, **fields: Any) -> dict[str, Any]:
    """A row of the jacket group in one size."""
    return {**ITEMS[1], "id": f"JKT-{size}", "size": size, "price": price, **fields}


def test_a_bad_variant_row_is_reported_and_the_group_written_from_the_others(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    rows = [variant("S", "110.00 USD"), ITEMS[2], variant("M", "cheap"), variant("L", "130.00 USD")]
    result = import_feed(config, tmp_path, "feed.tsv", tsv(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'rejected line 4 (id JKT-M): price must be "amount CUR" such as "15.00 USD", not \'cheap\''
    ]
    assert "2 inserted" in result.stdout
    [jacket] = frame(empty_app.test_client(), "productInfo", productIds="JKT")
    assert jacket["formattedPrice"] == "$110.00"
    assert facet_counts(empty_app.test_client())["size"] == {"L": 1, "S": 1}
    # The same feed again: the group is validated again (its stored digest is of its good rows
    # only), so the bad row is reported again; the mug is skipped.
    again = import_feed(config, tmp_path, "feed.tsv", tsv(rows))
    assert again.stderr.splitlines() == result.stderr.splitlines()
    assert again.stdout.strip().endswith("0 inserted, 1 updated, 1 unchanged, 0 pruned, 1 rejected")


def test_an_unchanged_group_is_skipped_and_a_changed_variant_rewrites_it(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    rows = [variant("S", "110.00 USD"), variant("M", "120.00 USD")]
    assert import_feed(config, tmp_path, "feed.tsv", tsv(rows)).exit_code == 0
    again = import_feed(config, tmp_path, "feed.tsv", tsv(rows))
    assert again.stdout.strip().endswith("0 inserted, 0 updated, 1 unchanged, 0 pruned, 0 rejected")
    cheaper = import_feed(config, tmp_path, "feed.tsv", tsv([rows[0], variant("M", "99.00 USD")]))
    assert cheaper.stdout.strip().endswith(
        "0 inserted, 1 updated, 0 unchanged, 0 pruned, 0 rejected"
    )
    [jacket] = frame(empty_app.test_client(), "productInfo", productIds="JKT")
    assert jacket["formattedPrice"] == "$99.00"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([variant("S", "1.00 USD", item_group_id="J K T")], "line 2 (id JKT-S): item_group_id"),
        (
            [variant("S", "1.00 USD"), variant("S", "2.00 USD")],
            "line 3 (id JKT-S): the product id appears more than once",
        ),
    ],
    ids=["bad group id", "variant id twice"],
)
def test_bad_variant_rows_are_refused(
    config: Path, tmp_path: Path, empty_app: Flask, rows: list[dict[str, Any]], message: str
) -> None:
    result = import_feed(config, tmp_path, "feed.tsv", tsv(rows))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"rejected {message}")


def test_a_main_feed_update_keeps_the_localized_texts(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    assert import_feed(config, tmp_path, "es.xml", rss(SPANISH[:1]), "--locale", "es-ES")
    renamed = [{**ITEMS[0], "title": "Summit Dome Tent II"}, *ITEMS[1:]]
    assert import_feed(config, tmp_path, "feed.tsv", tsv(renamed)).exit_code == 0
    client = empty_app.test_client()
    [tent_es] = frame(client, "productInfo", productIds="TENT-2", locale="es-ES", currency="EUR")
    assert tent_es["title"] == "Tienda Cúpula Cumbre"
    assert tent_es["formattedPrice"] == "329,00\xa0€"
    [tent] = frame(client, "productInfo", productIds="TENT-2")
    assert tent["title"] == "Summit Dome Tent II"
    assert frame(client, "search", search="cupula")["total"] == 1
    assert frame(client, "search", search="dome ii")["total"] == 1


def test_prune_is_refused_when_the_feed_has_no_valid_product(
    config: Path, tmp_path: Path, empty_app: Flask
) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    result = import_feed(config, tmp_path, "bad.tsv", tsv(BAD_ROWS[:3]), "--prune")
    assert result.exit_code == 1
    assert "Error: --prune refused: the feed has no valid product" in result.output
    ids = "TENT-2,JKT,MUG-1"
    assert len(frame(empty_app.test_client(), "productInfo", productIds=ids)) == 3


def test_a_feed_of_variants_only_can_prune(config: Path, tmp_path: Path, empty_app: Flask) -> None:
    assert import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS)).exit_code == 0
    options = ("--force-prune",)  # two of three products: over prune_max_share
    result = import_feed(config, tmp_path, "jackets.tsv", tsv([ITEMS[1], ITEMS[3]]), *options)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        "0 inserted, 0 updated, 1 unchanged, 2 pruned, 0 rejected"
    )


# -- --prune after a feed that is broken, cut short or much smaller -------------------------------

#: Every format, as a function of the items.
FEEDS = {**WRITERS, "jsonl": jsonl}
CATALOG_SIZE = 200
#: The summary line's end, and the reason on stderr, when a cut feed is caught by the share cap.
OVER_THE_CAP = (
    "prune skipped: would remove 180 of 200 products (over prune_max_share 0.2); use --force-prune"
)


#: The start of the error for a feed cut in the middle of the line of its 101st item.
CUT_MID_ITEM = {
    "jsonl": "Error: line 101: the last line is cut short (no line break, not valid JSON",
    "tsv": "Error: line 102: the last row is cut short (no line break, ",
    "csv": "Error: line 102: the last row is cut short (no line break, ",
    "rss": "Error: item 101: broken XML at line ",
    "atom": "Error: item 101: broken XML at line ",
}


def numbered_items(count: int) -> list[dict[str, Any]]:
    """`count` plain products, SKU-0000 to SKU-<count - 1>, each on one line in every format."""
    return [
        {
            "id": f"SKU-{n:04d}",
            "title": f"Product {n:04d}",
            "description": "A plain product.",
            "link": f"https://shop.example/p/{n}",
            "image_link": f"https://cdn.example/{n}.jpg",
            "price": "10.00 USD",
            "availability": "in_stock",
            "brand": "Northpeak",
        }
        for n in range(count)
    ]


def cut_before(text: str, product_id: str, *, mid_item: bool = False) -> str:
    """The feed cut where the item of `product_id` starts, or in the middle of its line."""
    lines = text.splitlines(keepends=True)
    index = next(number for number, line in enumerate(lines) if product_id in line)
    head = "".join(lines[:index])
    return head + lines[index][: len(lines[index]) // 2] if mid_item else head


def catalog_state(database_url: str) -> tuple[dict[str, str], dict[str, int]]:
    """The products (id -> title) and the row count of every table: unchanged if nothing ran."""
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            titles = connection.execute(
                select(Product.external_id, ProductTranslation.title).join(
                    ProductTranslation, ProductTranslation.product_pk == Product.pk
                )
            )
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables
            }
            return {product_id: title for product_id, title in titles}, counts
    finally:
        engine.dispose()


def import_full_catalog(config: Path, tmp_path: Path, feed_format: str) -> list[dict[str, Any]]:
    """The items of a 200-product catalog, imported in this format (its rows then unchanged)."""
    items = numbered_items(CATALOG_SIZE)
    result = import_feed(config, tmp_path, f"full.{feed_format}", FEEDS[feed_format](items))
    assert result.exit_code == 0, result.output
    return items


def assert_one_error_line(result: Result, *needles: str) -> None:
    """Exit status 1 and a single `Error: ...` line on stderr, nothing on stdout."""
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and all(needle in line for needle in needles), line
    assert result.stdout == ""


@pytest.mark.parametrize("option", ["--prune", "--force-prune"])
@pytest.mark.parametrize("feed_format", FEEDS)
def test_a_feed_cut_in_the_middle_of_an_item_changes_nothing(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
    option: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    before = catalog_state(empty_database_url)
    # Renamed rows before the cut: written only if the import wrongly commits.
    items = [{**item, "title": f"{item['title']} v2"} for item in full_catalog]
    text = cut_before(FEEDS[feed_format](items), "SKU-0100", mid_item=True)
    result = import_feed(config, tmp_path, f"cut.{feed_format}", text, option)
    assert_one_error_line(result, CUT_MID_ITEM[feed_format], "nothing was imported")
    assert catalog_state(empty_database_url) == before


@pytest.mark.parametrize(
    ("feed_format", "reason"),
    [
        ("jsonl", OVER_THE_CAP),
        ("tsv", OVER_THE_CAP),
        ("csv", OVER_THE_CAP),
        # An XML feed cut anywhere is broken: its root element is not closed.
        ("rss", "Error: item 21: broken XML"),
        ("atom", "Error: item 21: broken XML"),
    ],
)
def test_a_feed_cut_at_a_line_break_prunes_nothing(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
    reason: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    ids_before = set(catalog_state(empty_database_url)[0])
    text = cut_before(FEEDS[feed_format](full_catalog), "SKU-0020")
    result = import_feed(config, tmp_path, f"cut.{feed_format}", text, "--prune")
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(reason), line
    assert set(catalog_state(empty_database_url)[0]) == ids_before


def test_an_unterminated_quote_changes_nothing(
    config: Path, tmp_path: Path, empty_database_url: str
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, "csv")
    before = catalog_state(empty_database_url)
    text = tsv(full_catalog, ",").replace(",Product 0100,", ',"Product 0100,')
    result = import_feed(config, tmp_path, "quote.csv", text, "--prune")
    assert_one_error_line(result, "line 102: broken row (unexpected end of data)")
    assert catalog_state(empty_database_url) == before


@pytest.mark.parametrize("feed_format", FEEDS)
def test_invalid_utf8_changes_nothing(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    before = catalog_state(empty_database_url)
    data = FEEDS[feed_format](full_catalog).encode().replace(b"Product 0100", b"Product \xff100")
    result = import_feed(config, tmp_path, f"latin.{feed_format}", data, "--prune")
    assert_one_error_line(result)
    assert catalog_state(empty_database_url) == before


@pytest.mark.parametrize("feed_format", FEEDS)
def test_a_rejected_row_skips_the_prune_unless_forced(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    items = [
        {**full_catalog[0], "title": "Renamed product"},
        {**full_catalog[1], "price": "15 dollars"},
        *full_catalog[2:-5],
    ]
    text = FEEDS[feed_format](items)
    skipped = import_feed(config, tmp_path, f"bad.{feed_format}", text, "--prune")
    assert skipped.exit_code == 1, skipped.output
    assert skipped.stdout.strip().endswith(
        "0 inserted, 1 updated, 193 unchanged, 0 pruned, 1 rejected"
    )
    rejected, reason = skipped.stderr.splitlines()
    assert "(id SKU-0001): price" in rejected
    assert reason == (
        "prune skipped: 1 row was rejected, so the feed may not list every product "
        "(would remove 5 of 200 products); use --force-prune"
    )
    titles = catalog_state(empty_database_url)[0]
    assert len(titles) == CATALOG_SIZE and titles["SKU-0000"] == "Renamed product"

    forced = import_feed(config, tmp_path, f"bad.{feed_format}", text, "--force-prune")
    assert forced.exit_code == 1, forced.output  # the rejected row still fails the command
    assert forced.stdout.strip().endswith(
        "0 inserted, 0 updated, 194 unchanged, 5 pruned, 1 rejected"
    )
    assert sorted(catalog_state(empty_database_url)[0]) == [
        item["id"] for item in full_catalog[:-5]
    ]


@pytest.mark.parametrize("feed_format", FEEDS)
def test_a_prune_over_the_share_is_skipped_unless_forced(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    text = FEEDS[feed_format](full_catalog[:20])  # well formed, 90% smaller
    skipped = import_feed(config, tmp_path, f"small.{feed_format}", text, "--prune")
    assert skipped.exit_code == 1, skipped.output
    assert skipped.stdout.strip().endswith(
        "0 inserted, 0 updated, 20 unchanged, 0 pruned, 0 rejected"
    )
    assert skipped.stderr.splitlines() == [OVER_THE_CAP]
    assert len(catalog_state(empty_database_url)[0]) == CATALOG_SIZE

    forced = import_feed(config, tmp_path, f"small.{feed_format}", text, "--force-prune")
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.strip().endswith(
        "0 inserted, 0 updated, 20 unchanged, 180 pruned, 0 rejected"
    )
    assert sorted(catalog_state(empty_database_url)[0]) == [
        item["id"] for item in full_catalog[:20]
    ]


@pytest.mark.parametrize("feed_format", FEEDS)
def test_a_prune_up_to_the_share_runs(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    feed_format: str,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, feed_format)
    kept = full_catalog[:-40]  # exactly prune_max_share (0.2) of the catalog goes
    result = import_feed(
        config, tmp_path, f"kept.{feed_format}", FEEDS[feed_format](kept), "--prune"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        "0 inserted, 0 updated, 160 unchanged, 40 pruned, 0 rejected"
    )
    assert result.stderr == ""
    assert sorted(catalog_state(empty_database_url)[0]) == [item["id"] for item in kept]


@pytest.mark.parametrize(
    ("share", "removed", "pruned"),
    [("0", 1, False), ("0.5", 100, True), ("0.5", 101, False), ("1", 199, True)],
)
def test_prune_max_share_is_configured(
    config: Path,
    tmp_path: Path,
    empty_database_url: str,
    share: str,
    removed: int,
    pruned: bool,
) -> None:
    full_catalog = import_full_catalog(config, tmp_path, "tsv")
    config.write_text(config.read_text() + f"prune_max_share = {share}\n", encoding="utf-8")
    kept = full_catalog[removed:]
    result = import_feed(config, tmp_path, "kept.tsv", tsv(kept), "--prune")
    assert result.exit_code == (0 if pruned else 1), result.output
    assert len(catalog_state(empty_database_url)[0]) == (len(kept) if pruned else CATALOG_SIZE)
    if not pruned:
        assert result.stderr == (
            f"prune skipped: would remove {removed} of 200 products "
            f"(over prune_max_share {share}); use --force-prune\n"
        )
