"""Search over the demo catalog: text, paging, ordering, and exact facet counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import frame
from flask.testing import FlaskClient

from oct8ne_adapter.sql.fulltext import fold

SUMMARY_FIELDS = {
    "internalId",
    "title",
    "formattedPrice",
    "formattedPrevPrice",
    "productUrl",
    "thumbnail",
}


def search(client: FlaskClient, **params: object) -> dict:
    return frame(client, "search", **params)


def all_ids(client: FlaskClient, **params: object) -> list[str]:
    """Every result id, walking the pages."""
    ids: list[str] = []
    page = 1
    while True:
        result = search(client, page=page, pageSize=100, **params)
        ids += [product["internalId"] for product in result["results"]]
        if len(result["results"]) < 100:
            return ids
        page += 1


def test_search_structure(client: FlaskClient):
    """Spec: `{total, results: [ProductSummary], filters: FilterInfo}`."""
    result = search(client, search="jacket")
    assert set(result) == {"total", "results", "filters"}
    assert result["total"] > 10 and len(result["results"]) == 10  # pageSize defaults to 10
    assert all(set(product) == SUMMARY_FIELDS for product in result["results"])
    assert set(result["filters"]) == {"applied", "available"}
    for available in result["filters"]["available"]:
        assert set(available) == {"param", "paramLabel", "options"}
        for option in available["options"]:
            assert set(option) == {"value", "valueLabel", "count"}
            assert isinstance(option["count"], int) and option["count"] > 0


def test_text_matches_words_in_any_order_and_accents(client: FlaskClient):
    jackets = set(all_ids(client, search="jacket"))
    assert jackets
    assert set(all_ids(client, search="JACKET")) == jackets
    spanish = set(all_ids(client, search="chaqueta"))
    assert spanish and spanish == set(all_ids(client, search="CHAQUÉTA"))
    narrowed = set(all_ids(client, search="waterproof jacket"))
    assert narrowed and narrowed <= jackets
    assert set(all_ids(client, search="jacket waterproof")) == narrowed


def test_relevance_puts_title_matches_first(client: FlaskClient):
    results = search(client, search="shoe", pageSize=3)["results"]
    assert all("shoe" in product["title"].lower() for product in results)


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        "NEAR(",
        "'; DROP TABLE products; --",
        'jacket" OR "1"="1',
        "a" * 10_000,
        "shoe " * 2_000,
        "ß漢字🙂",
        "\u0000",
        "AND OR NOT",
        "title:shoe",
        "-jacket",
        "^shoe",
        "(((",
        "%",
        "_",
        "\\",
    ],
)
def test_hostile_search_text_is_only_words(client: FlaskClient, text):
    result = search(client, search=text)
    assert isinstance(result["total"], int)
    assert len(result["results"]) <= 10


def test_empty_text_lists_the_whole_catalog(client: FlaskClient):
    assert search(client)["total"] == search(client, search="   ")["total"] >= 200


def test_paging_with_page_and_page_size(client: FlaskClient):
    total = search(client, search="jacket")["total"]
    first = search(client, search="jacket", page=1, pageSize=7)["results"]
    second = search(client, search="jacket", page=2, pageSize=7)["results"]
    assert len(first) == 7 and len(second) == min(7, total - 7)
    assert not {p["internalId"] for p in first} & {p["internalId"] for p in second}
    assert len(all_ids(client, search="jacket")) == total


def test_start_and_count_as_in_the_document_example(client: FlaskClient):
    """Spec example: `search?search=shoes&start=0&count=10&color=black`."""
    by_page = search(client, search="jacket", page=2, pageSize=5)["results"]
    by_offset = search(client, search="jacket", start=5, count=5)["results"]
    assert by_offset == by_page


def test_page_size_is_capped_at_100(client: FlaskClient):
    assert len(search(client, pageSize=100_000)["results"]) == 100
    assert len(search(client, start=0, count=5000)["results"]) == 100


def test_page_beyond_the_end_is_empty_not_an_error(client: FlaskClient):
    result = search(client, search="jacket", page=1000, pageSize=100)
    assert result["results"] == [] and result["total"] > 0


@pytest.mark.parametrize(
    "params",
    [
        {"page": "x"},
        {"pageSize": "ten"},
        {"count": "zero", "start": "0"},
        {"page": "1.5"},
    ],
)
def test_paging_that_is_not_a_number_is_a_400_with_reason(client: FlaskClient, params):
    response = client.get("/oct8ne/frame/search", query_string={"search": "jacket", **params})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["message"]


@pytest.mark.parametrize(
    ("params", "same_as"),
    [
        ({"page": "-1"}, {}),
        ({"page": "0"}, {}),
        ({"pageSize": "0"}, {}),
        ({"pageSize": "-5"}, {}),
        ({"start": "-1"}, {"start": "0"}),
        ({"count": "0", "start": "0"}, {"start": "0"}),
        ({"orderby": "random"}, {}),
        ({"dir": "up"}, {}),
    ],
)
def test_out_of_range_paging_and_sorting_fall_back(client: FlaskClient, params, same_as):
    """Issue 17: as the PHP adapters, defaults instead of errors (the widget calls by JSONP)."""
    assert search(client, search="jacket", **params) == search(client, search="jacket", **same_as)


@pytest.mark.parametrize("params", [{"page": "9" * 30}, {"page": "1000000", "pageSize": "100"}])
def test_pages_past_the_window_are_empty_with_the_true_total(client: FlaskClient, params):
    total = search(client, search="jacket")["total"]
    assert search(client, search="jacket", **params) == {
        **search(client, search="jacket"),
        "results": [],
        "total": total,
    }


def _prices(results: list[dict]) -> list[Decimal]:
    return [Decimal(p["formattedPrice"].replace("$", "").replace(",", "")) for p in results]


@pytest.mark.parametrize("orderby_name", ["orderby", "orderBy"])
def test_order_by_price_both_directions(client: FlaskClient, orderby_name):
    ascending = search(client, search="jacket", pageSize=100, **{orderby_name: "price"})
    descending = search(
        client, search="jacket", pageSize=100, dir="desc", **{orderby_name: "price"}
    )
    assert _prices(ascending["results"]) == sorted(_prices(ascending["results"]))
    assert _prices(descending["results"]) == sorted(_prices(descending["results"]), reverse=True)


def test_order_by_price_in_another_currency(client: FlaskClient):
    results = search(client, orderby="price", pageSize=50, currency="EUR", locale="en-US")[
        "results"
    ]
    prices = [Decimal(p["formattedPrice"].replace("€", "").replace(",", "")) for p in results]
    assert prices == sorted(prices)


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_order_by_name_uses_the_locale_titles(client: FlaskClient, locale):
    """Names sort without case or accents (`Ébano` beside `ebano`), the same on every backend."""
    for direction in ("asc", "desc"):
        results = search(client, orderby="name", dir=direction, pageSize=100, locale=locale)
        keys = [fold(product["title"]) for product in results["results"]]
        assert keys == sorted(keys, reverse=direction == "desc")
    if locale == "es-ES":
        assert any(
            fold(p["title"]) != p["title"].lower()
            for p in search(client, orderby="name", pageSize=100, locale=locale)["results"]
        )


# -- facets ------------------------------------------------------------------------------------


def offered(result: dict) -> list[tuple[str, str, int]]:
    """Every (param, value, count) that the result offers."""
    return [
        (facet["param"], option["value"], option["count"])
        for facet in result["filters"]["available"]
        for option in facet["options"]
    ]


@pytest.mark.parametrize("text", ["", "jacket", "shoe", "wool"])
def test_every_offered_option_returns_exactly_its_count(client: FlaskClient, text):
    """Spec: count is the "Number of products that match this search criterion, taking into
    account the filters applied and the text string to be found"."""
    result = search(client, search=text)
    options = offered(result)
    assert {param for param, _, _ in options} >= {"category", "brand", "price", "color"}
    for param, value, count in options:
        narrowed = search(client, search=text, **{param: value})
        assert narrowed["total"] == count, (param, value)
        assert 0 < count <= result["total"]


@pytest.mark.parametrize("text", ["", "jacket"])
def test_counts_are_exact_with_a_second_filter(client: FlaskClient, text):
    first_param, first_value, _ = offered(search(client, search=text))[0]
    base = {first_param: first_value}
    narrowed = search(client, search=text, **base)
    options = offered(narrowed)
    assert options
    for param, value, count in options:
        combined = client.get(
            "/oct8ne/frame/search",
            query_string=[("search", text), (first_param, first_value), (param, value)],
        ).get_json()
        assert combined["total"] == count, (param, value)
        assert count <= narrowed["total"]


def test_applied_filters_are_listed_and_not_offered_again(client: FlaskClient):
    """Spec: available filters "must include neither the active filter nor those for which no
    products exist"."""
    result = search(client, search="jacket")
    brand = next(f for f in result["filters"]["available"] if f["param"] == "brand")["options"][0]
    color = next(f for f in result["filters"]["available"] if f["param"] == "color")["options"][0]
    narrowed = search(client, search="jacket", brand=brand["value"], color=color["value"])
    applied = {(a["param"], a["value"]): a for a in narrowed["filters"]["applied"]}
    assert applied[("brand", brand["value"])]["valueLabel"] == brand["valueLabel"]
    assert applied[("brand", brand["value"])]["paramLabel"] == "Brand"
    assert applied[("color", color["value"])]["valueLabel"] == color["valueLabel"]
    for param, value, count in offered(narrowed):
        assert (param, value) not in applied
        assert count > 0
    assert "brand" not in {facet["param"] for facet in narrowed["filters"]["available"]}


def test_category_drills_down_to_subcategories(client: FlaskClient):
    top = next(f for f in search(client)["filters"]["available"] if f["param"] == "category")[
        "options"
    ]
    parent = next(option for option in top if option["count"] > 10)
    children = next(
        (
            f
            for f in search(client, category=parent["value"])["filters"]["available"]
            if f["param"] == "category"
        ),
        None,
    )
    assert children is not None and children["options"]
    assert {o["value"] for o in children["options"]}.isdisjoint({o["value"] for o in top})
    assert sum(o["count"] for o in children["options"]) <= parent["count"]


def test_price_ranges_are_labelled_for_locale_and_currency(client: FlaskClient):
    def price_options(**params: object) -> list[dict]:
        facets = search(client, **params)["filters"]["available"]
        return next(f for f in facets if f["param"] == "price")["options"]

    english = price_options(locale="en-US", currency="USD")
    spanish = price_options(locale="es-ES", currency="EUR")
    assert english[0]["valueLabel"].startswith("$")
    assert "€" in spanish[0]["valueLabel"]
    low, high = english[0]["value"].split("-")
    assert Decimal(low) < Decimal(high)
    applied = search(client, price=english[0]["value"])["filters"]["applied"]
    assert applied == [
        {
            "param": "price",
            "paramLabel": "Price",
            "value": english[0]["value"],
            "valueLabel": english[0]["valueLabel"],
        }
    ]


def test_price_filter_keeps_prices_in_range(client: FlaskClient):
    result = search(client, price="100-200", pageSize=100)
    assert result["total"] > 0
    assert all(Decimal(100) <= price < Decimal(200) for price in _prices(result["results"]))
    open_ended = search(client, price="500-", pageSize=100)
    assert all(price >= Decimal(500) for price in _prices(open_ended["results"]))


@pytest.mark.parametrize(
    "params",
    [
        {"category": "no-such-category"},
        {"brand": "no-such-brand"},
        {"color": "no-such-color"},
        {"price": "abc"},
        {"price": "200-100"},
        {"price": "-5-10"},
        {"price": "1e999-"},
        {"color": "x" * 150},
    ],
)
def test_unknown_filter_values_give_zero_results(client: FlaskClient, params):
    result = search(client, **params)
    assert result["total"] == 0 and result["results"] == []
    assert result["filters"]["available"] == []


@pytest.mark.parametrize("params", [{"color": "red\x00"}, {"brand": "\x1b[31m"}, {"x\x00": "1"}])
def test_filters_with_control_characters_are_a_400(client: FlaskClient, params):
    response = client.get("/oct8ne/frame/search", query_string=params)
    assert response.status_code == 400
    assert "control characters" in response.get_json()["message"]


@pytest.mark.parametrize("params", [{"nosuchfilter": "1"}, {"utm_source": "mail"}, {"_": "123"}])
def test_unknown_filter_params_are_ignored(client: FlaskClient, params):
    assert search(client, search="jacket", **params) == search(client, search="jacket")


def test_facets_follow_the_locale(client: FlaskClient):
    spanish = search(client, locale="es-ES")["filters"]["available"]
    labels = {facet["param"]: facet["paramLabel"] for facet in spanish}
    assert labels["category"] == "Categoría" and labels["brand"] == "Marca"
    assert labels["price"] == "Precio" and labels["size"] == "Talla"


# Issue 17, spec (search): "The collection of available filters must include neither the active
# filter nor those for which no products exist."
def _available(result: dict) -> dict[str, dict[str, int]]:
    return {
        facet["param"]: {option["value"]: option["count"] for option in facet["options"]}
        for facet in result["filters"]["available"]
    }


@pytest.mark.parametrize("group", ["color", "brand"])
def test_the_active_filters_group_is_not_offered(client: FlaskClient, group: str) -> None:
    first = _available(search(client))[group]
    value = max(first, key=lambda option: first[option])
    narrowed = search(client, **{group: value})
    assert narrowed["total"] == first[value]
    assert group not in _available(narrowed)
    # The other groups' counts hold with the filter applied: choosing one gives that many.
    for param, options in _available(narrowed).items():
        if param in ("category", "price"):
            continue
        option, count = next(iter(options.items()))
        assert search(client, **{group: value, param: option})["total"] == count


def test_the_category_drill_down_stays_and_its_counts_hold_when_replaced(
    client: FlaskClient,
) -> None:
    roots = _available(search(client))["category"]
    parent = max(roots, key=lambda option: roots[option])
    children = _available(search(client, category=parent))["category"]
    assert children and parent not in children
    for child, count in children.items():
        # The widget replaces the value: category=<child> alone gives exactly that count.
        assert search(client, category=child)["total"] == count
