"""catalog_feed.py: the JSON Lines catalog format, line by line, and every way a line is refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from oct8ne_adapter.catalog_feed import (
    AttributeValueRef,
    CategoryRef,
    ProductRecord,
    parse_product,
    read_jsonl,
)
from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.errors import ImportFailed

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
    ("unknown price field", line(prices={"USD": {"price": "1", "sale": "2"}}), "'sale'"),
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
