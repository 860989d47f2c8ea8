"""checker/ pieces on their own: URLs, prices, JSONP bodies, schema reasons, the report."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from oct8ne_adapter.checker import CHECKS, Report, Status
from oct8ne_adapter.checker.http import Answer, InvalidBaseUrl, frame_base, parse_jsonp
from oct8ne_adapter.checker.report import TableWriter, as_json
from oct8ne_adapter.checker.results import Fault, Finding, Level, Result
from oct8ne_adapter.checker.schemas import schema_problems, unknown_fields
from oct8ne_adapter.checker.search import fold, parse_price

# -- the pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://shop.example", "http://shop.example/oct8ne/frame"),
        ("https://shop.example/", "https://shop.example/oct8ne/frame"),
        ("http://shop.example/oct8ne", "http://shop.example/oct8ne/frame"),
        ("http://shop.example/shop/oct8ne/frame/", "http://shop.example/shop/oct8ne/frame"),
        ("http://127.0.0.1:8000/oct8ne/frame", "http://127.0.0.1:8000/oct8ne/frame"),
    ],
)
def test_frame_base_accepts_a_frame_base_or_a_shop_root(url: str, base: str) -> None:
    assert frame_base(url) == base


@pytest.mark.parametrize("url", ["shop.example", "file:///etc/passwd", "http://", "http://a/#x"])
def test_frame_base_refuses_what_is_not_an_adapter_url(url: str) -> None:
    with pytest.raises(InvalidBaseUrl):
        frame_base(url)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$1,500.00", "1500.00"),
        ("1.500,00 €", "1500.00"),
        ("89,90 US$", "89.90"),
        ("€84.90", "84.90"),
        ("CHF 1'234.50", "1234.50"),
        ("1 234,5 kr", "1234.5"),
        ("¥1,500", "1500"),
        ("$12", "12"),
        ("free", None),
    ],
)
def test_formatted_prices_are_read_in_any_common_locale(text: str, amount: str | None) -> None:
    assert parse_price(text) == (None if amount is None else Decimal(amount))


def test_names_compare_without_case_or_accents() -> None:
    assert fold("Éclair") == fold("eclair")
    assert sorted(["bright", "Córdoba", "Alpine"], key=fold) == ["Alpine", "bright", "Córdoba"]


def answer(body: str, content_type: str = "application/javascript") -> Answer:
    """An answer as the client would build it."""
    return Answer("m?callback=cb", 200, content_type, {}, body.encode())


@pytest.mark.parametrize(
    ("body", "commented"),
    [('/**/cb({"a":1});', True), ('cb({"a":1})', False), (' /**/ cb( {"a":1} ) ; ', True)],
)
def test_jsonp_bodies_are_taken_apart(body: str, commented: bool) -> None:
    jsonp = parse_jsonp(answer(body), "cb")
    assert jsonp.payload == {"a": 1}
    assert jsonp.commented is commented


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('other({"a":1});', "not a call of cb"),
        ('cb({"a":1}', "not closed"),
        ("cb({a:1});", "is not JSON"),
    ],
)
def test_broken_jsonp_is_a_fault_naming_the_body(body: str, reason: str) -> None:
    with pytest.raises(Fault, match=reason):
        parse_jsonp(answer(body), "cb")


def test_schema_problems_name_the_path_and_the_offending_value() -> None:
    product = {
        "internalId": 1001,
        "title": "Tent",
        "formattedPrice": "$1",
        "formattedPrevPrice": "$1",
        "productUrl": "http://shop.example/p/1001",
    }
    assert schema_problems("productSummary", [product]) == [
        "[0]: 'thumbnail' is a required property",
        "[0].internalId: 1001 is a number, not a string (ids and texts are strings)",
    ]
    assert schema_problems("productSummary", []) == []
    counts = {
        "total": 1,
        "results": [],
        "filters": {
            "applied": [],
            "available": [
                {
                    "param": "color",
                    "paramLabel": "Color",
                    "options": [{"value": "red", "valueLabel": "Red", "count": "1"}],
                }
            ],
        },
    }
    assert schema_problems("search", counts) == [
        "filters.available[0].options[0].count: '1' is a string, not a JSON integer"
    ]


def test_the_table_is_coloured_and_wrapped_on_a_terminal() -> None:
    table = TableWriter(CHECKS, color=True, width=60)
    row = table.row(Result("search.paging", "paging", Status.FAIL, "word " * 30))
    assert "\x1b[31m" in row and "FAIL" in row
    assert all(len(line) <= 60 for line in row.splitlines()[1:])
    plain = TableWriter(CHECKS, color=False)
    assert plain.row(Result("a", "a", Status.PASS, "ok")).split() == ["PASS", "a", "ok"]


def test_the_json_report_counts_causes_then_checks_then_requests() -> None:
    results = (
        Result("a", "A", Status.PASS, "fine"),
        Result("b", "B", Status.WARN, "hmm", Level.HARDENING),
        Result("c", "C", Status.FAIL, "broken", Level.SECURITY),
        Result("d", "D", Status.BLOCKED, "blocked by c: broken", Level.SECURITY, "c"),
    )
    findings = (
        Finding(Level.SECURITY, "broken", "c", ("d",)),
        Finding(Level.HARDENING, "hmm", "b"),
    )
    report = Report("http://x/oct8ne/frame", results, 7, 0.5, findings)
    document = json.loads(as_json(report))
    assert document["ok"] is False
    assert document["worst"] == "security"
    assert document["summary"] == {
        "causes": {"security": 1, "protocol": 0, "compatibility": 0, "hardening": 1},
        "checks": {"pass": 1, "warn": 1, "fail": 1, "blocked": 1, "skip": 0},
        "requests": 7,
    }
    assert document["causes"][0] == {
        "level": "security",
        "message": "broken",
        "check": "c",
        "blocked": ["d"],
    }
    assert document["checks"][2] == {
        "id": "c",
        "status": "fail",
        "level": "security",
        "reason": "broken",
        "title": "C",
    }
    # Only hardening: a WARN, and the run passes at the default threshold.
    assert not Report("u", results[:2], 1, 0.1, findings[1:]).failed
    assert Report("u", results[:2], 1, 0.1, findings[1:], Level.HARDENING).failed


def test_a_byte_order_mark_is_named_not_reported_as_garbage() -> None:
    with pytest.raises(Fault, match="starts with a UTF-8 byte order mark"):
        Answer("getAdapterInfo", 200, "application/json", {}, b'\xef\xbb\xbf{"a": 1}').json()


def test_extra_fields_are_warnings_and_the_document_decides_what_is_required() -> None:
    product = {
        "internalId": "1",
        "title": "Tent",
        "formattedPrice": None,
        "formattedPrevPrice": None,
        "productUrl": "http://shop.example/p/1",
        "thumbnail": "http://shop.example/1.jpg",
        "stock": 3,
    }
    assert schema_problems("productSummary", [product]) == []
    assert unknown_fields("productSummary", [product]) == [
        "[0]: Additional properties are not allowed ('stock' was unexpected)"
    ]
    # The 2.4 document: FilterInfo.applied "is optional"; AdapterInfo marks four fields Required.
    assert (
        schema_problems("search", {"total": 0, "results": [], "filters": {"available": []}}) == []
    )
    info = {"platform": "Magento", "adapterVersion": "2.5", "developedBy": "x", "apiVersion": "2.4"}
    assert schema_problems("getAdapterInfo", info) == []
    assert schema_problems("getAdapterInfo", {**info, "apiVersion": "2.3"}) == [
        "apiVersion: '2.3' is not '2.4'"
    ]
