"""catalog_feed.py: the JSON Lines catalog format, line by line, and every way a line is refused."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from oct8ne_adapter.cli import cli
from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds.records import (
    AttributeValueRef,
    CategoryRef,
    ProductRecord,
    parse_product,
    read_jsonl,
)
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import CatalogChange, Product
from oct8ne_adapter.sql.schema import create_schema
from oct8ne_adapter.sql.writer import groups
from oct8ne_adapter.sql.writer.groups import merge_variants
from oct8ne_adapter_demo.loader import load_demo

FULL = {
    "id": "1001",
    "title": {"en": "Trail shoe", "es": "Zapatilla"},
    "description": {"en": "Grippy.\nLight.", "es": "Agarre."},
    "url": "/p/1001",
    "thumbnail": "/img/1001-s.jpg",
    "images": ["/img/1001.jpg", "https://cdn.example/1001-2.jpg"],
    "prices": {"USD": {"price": "89.90", "previous": "99.90"}, "EUR": "84.90"},
    "brand": "Northpeak",
    "category": [
        {"id": "shoes", "name": {"en": "Shoes", "es": "Calzado"}},
        {"id": "trail", "name": {"en": "Trail", "es": "Montaña"}},
    ],
    "attributes": {
        "color": [{"value": "red", "label": {"en": "Red", "es": "Rojo"}}],
        "size": ["42", "43"],
    },
    "variants": True,
    "stock": 12,
    "active": True,
    "related": ["1002"],
}

MINIMAL = {"id": "2", "title": "Plain", "url": "/p/2", "prices": {"USD": "5"}}


def line(**fields: Any) -> str:
    """A minimal good line with some fields replaced (None removes a field)."""
    data = {**MINIMAL, **fields}
    return json.dumps({key: value for key, value in data.items() if value is not None})


def read(lines: list[str], language: str = "en") -> list[ProductRecord]:
    """Every record of these lines."""
    return [record for _, record in read_jsonl(lines, language)]


# -- good lines ---------------------------------------------------------------------------------


def test_a_full_line() -> None:
    (record,) = read([json.dumps(FULL)])
    assert record == ProductRecord(
        id="1001",
        titles={"en": "Trail shoe", "es": "Zapatilla"},
        descriptions={"en": "Grippy.\nLight.", "es": "Agarre."},
        url="/p/1001",
        thumbnail="/img/1001-s.jpg",
        images=("/img/1001.jpg", "https://cdn.example/1001-2.jpg"),
        prices={
            "USD": ProductPrice(Decimal("89.90"), Decimal("99.90")),
            "EUR": ProductPrice(Decimal("84.90"), None),
        },
        brand="Northpeak",
        category_path=(
            CategoryRef("shoes", {"en": "Shoes", "es": "Calzado"}),
            CategoryRef("trail", {"en": "Trail", "es": "Montaña"}),
        ),
        attributes={
            "color": (AttributeValueRef("red", {"en": "Red", "es": "Rojo"}),),
            "size": (AttributeValueRef("42"), AttributeValueRef("43")),
        },
        has_variants=True,
        stock=12,
        active=True,
        related=("1002",),
        urls={"en": "/p/1001"},
    )


def test_a_minimal_line_gets_the_defaults() -> None:
    (record,) = read([json.dumps(MINIMAL)])
    assert record == ProductRecord(
        id="2",
        titles={"en": "Plain"},
        descriptions={},
        url="/p/2",
        thumbnail=None,
        images=(),
        prices={"USD": ProductPrice(Decimal("5"), None)},
        # A single link is the feed language's.
        urls={"en": "/p/2"},
    )
    assert record.has_variants is False
    assert record.active is True
    assert record.stock is None
    assert record.brand is None
    assert record.category_path == ()
    assert record.attributes == {}
    assert record.related == ()


@pytest.mark.parametrize("language", ["en", "es", "pt-BR"])
def test_plain_strings_take_the_default_language(language: str) -> None:
    data = {
        **MINIMAL,
        "title": "Zapatilla",
        "description": "Ligera",
        "category": [{"id": "shoes", "name": "Calzado"}],
        "attributes": {"color": [{"value": "red", "label": "Rojo"}]},
    }
    (record,) = read([json.dumps(data)], language)
    assert record.titles == {language: "Zapatilla"}
    assert record.descriptions == {language: "Ligera"}
    assert record.category_path == (CategoryRef("shoes", {language: "Calzado"}),)
    assert record.attributes == {"color": (AttributeValueRef("red", {language: "Rojo"}),)}


@pytest.mark.parametrize(
    ("fields", "attribute", "expected"),
    [
        ({"id": 1001}, "id", "1001"),
        ({"title": "  Padded  "}, "titles", {"en": "Padded"}),
        ({"title": {"en": "Shoe", "es": "   "}}, "titles", {"en": "Shoe"}),
        ({"url": "https://shop.example/p/2"}, "url", "https://shop.example/p/2"),
        ({"url": "//shop.example/p/2"}, "url", "//shop.example/p/2"),
        ({"thumbnail": ""}, "thumbnail", None),
        ({"prices": {"USD": 5}}, "prices", {"USD": ProductPrice(Decimal("5"))}),
        ({"prices": {"USD": "0"}}, "prices", {"USD": ProductPrice(Decimal("0"))}),
        ({"prices": {"JPY": "1500"}}, "prices", {"JPY": ProductPrice(Decimal("1500"))}),
        (
            {"prices": {"USD": {"price": "10.5"}}},
            "prices",
            {"USD": ProductPrice(Decimal("10.5"))},
        ),
        ({"brand": "  "}, "brand", None),
        ({"stock": 0}, "stock", 0),
        ({"stock": -2}, "stock", -2),  # backorders
        ({"active": False}, "active", False),
        ({"attributes": {"size": "42"}}, "attributes", {"size": (AttributeValueRef("42"),)}),
        ({"attributes": {"size": [42, "42"]}}, "attributes", {"size": (AttributeValueRef("42"),)}),
        ({"related": [1002, "1003"]}, "related", ("1002", "1003")),
    ],
)
def test_lenient_but_unambiguous_values(
    fields: dict[str, Any], attribute: str, expected: Any
) -> None:
    (record,) = read([line(**fields)])
    assert getattr(record, attribute) == expected


def test_blank_lines_are_skipped_but_counted() -> None:
    lines = ["", line(id="1"), "   \n", line(id="2"), "\n", "not json"]
    results = read_jsonl(lines, "en")
    assert [(number, record.id) for number, record in [next(results), next(results)]] == [
        (2, "1"),
        (4, "2"),
    ]
    with pytest.raises(ImportFailed, match=r"^line 6: "):
        next(results)


def test_records_before_a_bad_line_are_yielded_first() -> None:
    # The caller writes them in a transaction it rolls back when the bad line comes.
    seen: list[str] = []
    with pytest.raises(ImportFailed, match="line 3"):
        for _, record in read_jsonl([line(id="a"), line(id="b"), "{"], "en"):
            seen.append(record.id)
    assert seen == ["a", "b"]


# -- bad lines ----------------------------------------------------------------------------------

BAD_LINES: list[tuple[str, str, str]] = [
    # (case, the bad line, what the message says)
    ("not json", "{'id': '1'}", "not valid JSON"),
    ("truncated json", '{"id": "1", "title": ', "not valid JSON"),
    ("trailing garbage", line() + " x", "not valid JSON"),
    ("an array", "[1, 2]", "JSON object"),
    ("a string", '"product"', "JSON object"),
    ("a number", "42", "JSON object"),
    ("null", "null", "JSON object"),
    ("missing id", line(id=None), "id must be"),
    ("empty id", line(id=""), "id must be"),
    ("id with a space", line(id="10 01"), "id must be"),
    ("id too long", line(id="x" * 65), "id must be"),
    ("id is a boolean", line(id=True), "id must be"),
    ("id is a float", line(id=1.5), "id must be"),
    ("missing title", line(title=None), "title is required"),
    ("empty title", line(title=""), "title must not be empty"),
    ("blank titles", line(title={"en": "  "}), "title must not be empty"),
    ("title is a list", line(title=["Shoe"]), "title must be"),
    ("bad language tag", line(title={"english!": "Shoe"}), "language tag"),
    ("missing url", line(url=None), "url is required"),
    ("relative url", line(url="p/2"), "url must be absolute"),
    ("javascript url", line(url="javascript:alert(1)"), "url must be absolute"),
    ("url with a space", line(url="/p/2 3"), "url must be"),
    ("bad image", line(images=["img.jpg"]), "images[] must be absolute"),
    ("images not a list", line(images="/img.jpg"), "images must be a list"),
    ("missing prices", line(prices=None), "prices is required"),
    ("empty prices", line(prices={}), "prices is required"),
    ("lower-case currency", line(prices={"usd": "1"}), "'usd' is not an ISO 4217"),
    ("unknown currency", line(prices={"ABC": "1"}), "'ABC' is not an ISO 4217"),
    ("long currency", line(prices={"EURO": "1"}), "'EURO' is not an ISO 4217"),
    ("too many decimals", line(prices={"USD": "19.999"}), "more than 2 decimals for USD"),
    ("decimals for JPY", line(prices={"JPY": "100.5"}), "more than 0 decimals for JPY"),
    ("negative price", line(prices={"USD": "-1.00"}), "between 0 and"),
    ("huge price", line(prices={"USD": "1e12"}), "between 0 and"),
    ("price NaN", line(prices={"USD": "NaN"}), "between 0 and"),
    ("price not a number", line(prices={"USD": "cheap"}), "not a number"),
    ("price as a float", line(prices={"USD": 19.9}), "decimal string"),
    ("price as a boolean", line(prices={"USD": True}), "decimal string"),
    ("missing price", line(prices={"USD": {"previous": "2"}}), "prices.USD.price"),
    ("negative previous", line(prices={"USD": {"price": "1", "previous": "-2"}}), "previous"),
    ("unknown price field", line(prices={"USD": {"price": "1", "discount": "2"}}), "'discount'"),
    ("unknown field", line(colour="red"), "unknown field 'colour'"),
    ("reserved attribute price", line(attributes={"price": ["1"]}), "'price' is reserved"),
    ("reserved attribute category", line(attributes={"category": ["x"]}), "reserved"),
    ("reserved attribute page", line(attributes={"page": ["2"]}), "reserved"),
    ("reserved attribute brand", line(attributes={"brand": ["x"]}), "reserved"),
    ("upper-case attribute", line(attributes={"Color": ["red"]}), "'Color'"),
    ("attribute not an object", line(attributes=["red"]), "attributes must be"),
    ("empty attribute value", line(attributes={"color": [""]}), "attributes.color"),
    ("boolean attribute value", line(attributes={"color": [True]}), "attributes.color"),
    ("category not a list", line(category="shoes"), "category must be a list"),
    ("category without name", line(category=[{"id": "shoes"}]), "category[].name"),
    ("category with extras", line(category=[{"id": "a", "name": "A", "x": 1}]), "category"),
    ("variants not boolean", line(variants="yes"), "variants must be true or false"),
    ("active not boolean", line(active=1), "active must be true or false"),
    ("stock not a number", line(stock="12"), "stock must be a whole number"),
    ("stock is a float", line(stock=1.5), "stock must be a whole number"),
    ("brand too long", line(brand="b" * 201), "brand"),
    ("bad related id", line(related=["a b"]), "related[]"),
    ("bad group", line(group="a b"), "group must be"),
    ("group is a boolean", line(group=True), "group must be"),
]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [(bad, reason) for _, bad, reason in BAD_LINES],
    ids=[case for case, _, _ in BAD_LINES],
)
@pytest.mark.parametrize("position", [1, 3])
def test_a_bad_line_is_refused_naming_its_number(bad: str, reason: str, position: int) -> None:
    lines = [line(id=f"good{number}") for number in range(1, position)] + [bad, line(id="after")]
    with pytest.raises(ImportFailed) as caught:
        read(lines)
    message = str(caught.value)
    assert message.startswith(f"line {position}: ")
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "lines",
    [
        [line(id="1001"), line(id="1002"), line(id="1001")],
        [line(id="1001"), line(id="1002"), line(id=1001)],  # a number and a string: one id
    ],
)
def test_a_repeated_id_is_refused_at_its_second_line(lines: list[str]) -> None:
    with pytest.raises(ImportFailed, match=r"^line 3: product id '1001' appears twice"):
        read(lines)


@pytest.mark.parametrize(
    "bad",
    [
        line()[:-1] + ', "stock": ' + "1" * 5000 + "}",
        '{"id": ' + "9" * 5000 + "}",
        "[" * 100_000,
        '{"id": "1", "title": ' + "[" * 100_000,
    ],
    ids=["huge stock", "huge id", "deep array", "deep title"],
)
def test_hostile_json_is_refused_naming_the_line(bad: str) -> None:
    with pytest.raises(ImportFailed, match=r"^line 2: "):
        read([line(id="first"), bad])


def test_parse_product_alone_checks_one_object() -> None:
    record = parse_product(FULL, "en")
    assert record.id == "1001"
    assert record.prices["USD"] == ProductPrice(Decimal("89.90"), Decimal("99.90"))


# -- imports and the catalog change log ---------------------------------------------------------


_log = CatalogChange.__table__


@dataclass(frozen=True)
class Changes:
    """What the change log gained after a given position."""

    last_seq: int
    product_pks: frozenset[int]
    everything: bool


def last_seq(connection: Session) -> int:
    """The newest log position, 0 for an empty log."""
    return int(connection.scalar(select(func.max(_log.c.seq))) or 0)


def changes_since(connection: Session, seq: int) -> Changes:
    """The entries after position `seq`; `everything` if one of them is "anything changed"."""
    rows = connection.execute(
        select(_log.c.seq, _log.c.product_pk).where(_log.c.seq > seq).order_by(_log.c.seq)
    ).all()
    everything = any(pk is None for _, pk in rows)
    pks = frozenset() if everything else frozenset(pk for _, pk in rows)
    return Changes(rows[-1][0] if rows else seq, pks, everything)


@pytest.fixture
def catalog(empty_database_url: str) -> Iterator[Database]:
    """An empty migrated catalog on each backend."""
    database = Database(create_database_engine(empty_database_url))
    create_schema(database.engine)
    yield database
    database.engine.dispose()


def run_import(
    database: Database, tmp_path: Path, lines: list[str], *options: str
) -> tuple[Result, Changes]:
    """Import JSON Lines through the command; returns its result and what it logged."""
    with database.session() as session:
        before = last_seq(session)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    url = database.engine.url.render_as_string(hide_password=False)
    config.write_text(f"database_url = {json.dumps(url)}\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "import-catalog", *options, str(feed)]
    )
    with database.session() as session:
        return result, changes_since(session, before)


def pks(database: Database, *product_ids: str) -> frozenset[int]:
    """The primary keys of these products."""
    with database.session() as session:
        found = session.execute(
            select(Product.external_id, Product.pk).where(Product.external_id.in_(product_ids))
        ).all()
    assert len(found) == len(product_ids)
    return frozenset(pk for _, pk in found)


CATALOG = [
    line(id="A", title="Alpha", category=[{"id": "tents", "name": {"en": "Tents"}}]),
    line(id="B", title="Bravo", attributes={"color": [{"value": "red", "label": "Red"}]}),
    line(id="C", title="Charlie"),
    line(id="V-1", title="Vest - S", group="V", attributes={"size": ["S"]}),
    line(id="V-2", title="Vest - M", group="V", attributes={"size": ["M"]}),
]


def test_an_import_logs_exactly_the_products_it_wrote(catalog: Database, tmp_path: Path) -> None:
    result, changes = run_import(catalog, tmp_path, CATALOG)
    assert result.exit_code == 0, result.output
    assert "4 inserted" in result.output  # A, B, C and the vest V (two variant rows)
    assert changes.product_pks == pks(catalog, "A", "B", "C", "V")
    assert not changes.everything


def test_an_unchanged_import_logs_nothing(catalog: Database, tmp_path: Path) -> None:
    run_import(catalog, tmp_path, CATALOG)
    result, changes = run_import(catalog, tmp_path, CATALOG)
    assert "0 inserted, 0 updated, 4 unchanged" in result.output
    assert changes == Changes(changes.last_seq, frozenset(), False)
    with catalog.session() as session:
        assert changes.last_seq == last_seq(session)


def test_updates_new_products_and_pruned_ones_are_logged(catalog: Database, tmp_path: Path) -> None:
    run_import(catalog, tmp_path, CATALOG)
    pruned = pks(catalog, "C")
    feed = [
        CATALOG[0],
        line(id="B", title="Bravo II", attributes={"color": [{"value": "red", "label": "Red"}]}),
        line(id="D", title="Delta"),
        CATALOG[3],
        line(id="V-2", title="Vest - M", group="V", attributes={"size": ["M", "L"]}),
    ]
    # One of four products is over prune_max_share (tested in test_feeds): forced.
    result, changes = run_import(catalog, tmp_path, feed, "--force-prune")
    assert "1 inserted, 2 updated, 1 unchanged, 1 pruned" in result.output
    assert changes.product_pks == pks(catalog, "B", "D", "V") | pruned
    assert not changes.everything


def test_a_localized_import_logs_the_products_it_translated(
    catalog: Database, tmp_path: Path
) -> None:
    run_import(catalog, tmp_path, CATALOG)
    spanish = [
        line(id="A", title="Alfa", prices={"EUR": "4"}),
        line(id="V-1", title="Chaleco", group="V"),
    ]
    result, changes = run_import(catalog, tmp_path, spanish, "--locale", "es-ES")
    assert result.exit_code == 0, result.output
    assert changes.product_pks == pks(catalog, "A", "V")


@pytest.mark.parametrize(
    "renamed",
    [
        line(id="A", title="Alpha", category=[{"id": "tents", "name": {"en": "Shelters"}}]),
        line(id="A", title="Alpha", category=[{"id": "tents", "name": {"es": "Tiendas"}}]),
        line(id="B", title="Bravo", attributes={"color": [{"value": "red", "label": "Crimson"}]}),
    ],
    ids=["category renamed", "category translated", "value relabelled"],
)
def test_renaming_shared_reference_data_logs_everything(
    catalog: Database, tmp_path: Path, renamed: str
) -> None:
    run_import(catalog, tmp_path, CATALOG)
    others = [row for row in CATALOG if not row.startswith(renamed[:12])]
    _, changes = run_import(catalog, tmp_path, [renamed, *others])
    assert changes.everything


def test_the_demo_loader_logs_everything(catalog: Database) -> None:
    with catalog.session() as session:
        before = last_seq(session)
    load_demo(catalog)
    with catalog.session() as session:
        assert changes_since(session, before).everything


# -- variant groups --------------------------------------------------------------------------------


def variant_record(product_id: str, title: str, price: str, **fields: Any) -> ProductRecord:
    """A variant's record, from a JSON line of the group "V"."""
    return parse_product(
        json.loads(line(id=product_id, title=title, group="V", prices={"USD": price}, **fields)),
        "en",
    )


def test_a_group_line_names_its_group() -> None:
    (record,) = read([line(group="shoe-1", variants=True)])
    assert record.group == "shoe-1" and record.has_variants


def test_variants_merge_into_one_product() -> None:
    merged = merge_variants(
        "V",
        [
            variant_record(
                "V-S",
                "Rain Vest - S",
                "30.00",
                images=["/img/v.jpg"],
                attributes={"size": ["S"], "color": ["red"]},
                stock=0,
                description="Light.",
            ),
            variant_record(
                "V-M",
                "Rain Vest - M",
                "25.00",
                images=["/img/v-m.jpg", "/img/v.jpg"],
                attributes={"size": ["M"], "color": ["red"]},
                stock=3,
                related=["X"],
            ),
        ],
    )
    assert merged.id == "V" and merged.group is None and merged.has_variants
    assert merged.titles == {"en": "Rain Vest"}
    assert merged.descriptions == {"en": "Light."}
    assert merged.url == "/p/2"
    assert merged.prices == {"USD": ProductPrice(Decimal("25.00"))}
    assert merged.images == ("/img/v.jpg", "/img/v-m.jpg")
    assert merged.attributes == {
        "size": (AttributeValueRef("S"), AttributeValueRef("M")),
        "color": (AttributeValueRef("red"),),
    }
    assert merged.stock == 3 and merged.related == ("X",)


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (["Rain Vest", "Rain Vest"], "Rain Vest"),
        (["Rain Vest - S", "Rain Vest - M", "Rain Vest (XL)"], "Rain Vest"),
        (["The Red Jacket", "The Blue Coat"], "The Red Jacket"),  # "The" is not a name
        (["Vest", "Gilet"], "Vest"),
    ],
)
def test_a_group_is_named_by_the_words_its_titles_share(titles: list[str], expected: str) -> None:
    variants = [variant_record(f"V-{n}", title, "1.00") for n, title in enumerate(titles)]
    assert merge_variants("V", variants).titles == {"en": expected}


def test_stock_is_unknown_if_one_variant_is_unknown() -> None:
    variants = [
        variant_record("V-1", "Vest", "1.00", stock=0),
        variant_record("V-2", "Vest", "1.00"),
    ]
    assert merge_variants("V", variants).stock is None
    sold_out = [
        variant_record("V-1", "Vest", "1.00", stock=0),
        variant_record("V-2", "Vest", "1.00", stock=0),
    ]
    assert merge_variants("V", sold_out).stock == 0


@pytest.mark.parametrize(
    "text",
    [
        "Montaña ÉTÉ",
        "a\u00a8b",
        "x\u00a0y",
        "ﬁne ½ ²",
        "e\u0301 \u0301e",
        "Straße ΣΊΣΥΦΟΣ",
        "a\u3000b",
        "x" * 70 + "é",
    ],
)
def test_tokens_fold_piece_by_piece_as_the_whole_text(text: str) -> None:
    """The cached per-word folding the import uses gives the tokens of folding the whole text."""
    whole = [
        token[: fulltext.MAX_WORD_LENGTH] for token in re.findall(r"[^\W_]+", fulltext.fold(text))
    ]
    assert fulltext.tokens(text) == whole


@pytest.mark.parametrize(
    "text",
    [
        "Montaña ÉTÉ",
        "a\u00a8b c",
        "x\u00a0y  z",
        "ﬁne ½ ²",
        "e\u0301 \u0301e",
        "Straße ΣΊΣΥΦΟΣ ",
        " é",
    ],
)
def test_fold_piece_by_piece_is_folding_the_whole_text(text: str) -> None:
    """`fold` folds a space-separated piece at a time through a cache: the same result as
    decomposing, dropping marks and casefolding the whole text."""
    decomposed = unicodedata.normalize("NFKD", text)
    whole = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    assert fulltext.fold(text) == whole


def test_a_new_product_reusing_a_stale_index_rowid_replaces_that_row(tmp_path: Path) -> None:
    """SQLite gives a new product the pk of the last deleted one: if that product's index row
    was left behind, the import replaces it (only pks above the index's highest skip the
    delete)."""
    database = Database(create_database_engine(f"sqlite:///{tmp_path / 'stale.db'}"))
    create_schema(database.engine)
    run_import(database, tmp_path, [line(id="1", title="Alpha"), line(id="2", title="Bravo")])
    (stale,) = pks(database, "2")
    with database.transaction() as session:
        # A deletion that bypassed the index: its row stays under a rowid SQLite reuses.
        session.execute(text("DELETE FROM products WHERE pk = :pk"), {"pk": stale})
    result, _ = run_import(
        database, tmp_path, [line(id="1", title="Alpha"), line(id="3", title="Charlie")]
    )
    assert result.exit_code == 0, result.output
    assert pks(database, "3") == {stale}
    with database.session() as session:
        titles = (
            session.execute(
                text(f"SELECT title FROM {fulltext.FTS5_TABLE} WHERE rowid = :pk"), {"pk": stale}
            )
            .scalars()
            .all()
        )
    database.engine.dispose()
    assert titles == ["charlie"]


def test_new_products_are_indexed_as_the_tables_read_back(tmp_path: Path) -> None:
    """The writer builds new products' search documents from their records: the same tokens as
    `fulltext.load_documents` reading the tables (every language, category and label)."""
    database = Database(create_database_engine(f"sqlite:///{tmp_path / 'index.db'}"))
    create_schema(database.engine)
    lines = [
        json.dumps(FULL),
        line(
            id="2",
            title={"en": "Trail sock", "fr": "Chaussette"},
            brand="Café Noir",
            category=[{"id": "shoes", "name": {"en": "Shoes", "de": "Schuhe"}}],
            attributes={"color": [{"value": "red", "label": {"de": "Rot"}}], "size": ["42"]},
        ),
        line(id="3", title="Plain"),
    ]
    run_import(database, tmp_path, lines)
    with database.session() as session:
        expected = {
            document.product_pk: document.indexed_fields()
            for document in fulltext.load_documents(
                session, sorted(pks(database, "1001", "2", "3"))
            )
        }
        stored = session.execute(
            text(f"SELECT rowid, {', '.join(fulltext.FTS5_COLUMNS)} FROM {fulltext.FTS5_TABLE}")
        ).all()
    database.engine.dispose()
    assert len(stored) == len(expected) == 3
    for pk, *values in stored:
        for name, value in zip(fulltext.FTS5_COLUMNS, values, strict=True):
            assert sorted(value.split()) == sorted(expected[pk][name].split()), name


def test_a_group_keeps_at_most_max_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(groups, "MAX_VARIANTS", 2)
    staging = groups.GroupStaging()
    for number in (1, 2, 3):
        record = variant_record(f"V-{number}", "Vest", "1.00")
        staging.add("V", groups.Member(number, record.id, f"d{number}", partial(replace, record)))
    [group] = list(staging.groups())
    assert [member.product_id for member in group.members] == ["V-1", "V-2"]
    assert group.overflow == ((3, "V-3"),)
