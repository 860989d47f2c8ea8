"""params.py: request arguments -> validated ids, paging, sort, filters and presentation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from oct8ne_adapter.domain import FilterValue, SortField
from oct8ne_adapter.errors import InvalidParameter
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.params import (
    MAX_FILTER_VALUE,
    MAX_FILTERS,
    MAX_ID_LENGTH,
    MAX_OFFSET,
    PAST_WINDOW,
    Paging,
    parse_filters,
    parse_paging,
    parse_presentation,
    parse_product_ids,
    parse_search,
    parse_sort,
    parse_text,
)
from oct8ne_adapter.web.pricing import locale_tag

# -- productIds ---------------------------------------------------------------------------------
# Spec (productInfo, productSummary): "Identifiers in the platform for the products whose data are
# to be obtained, separated by the comma character."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        (" ", []),
        (",", []),
        (" , ,, ", []),
        ("1001", ["1001"]),
        ("1001,1002", ["1001", "1002"]),
        (" 1001 ,  1002 ", ["1001", "1002"]),
        ("1002,1001", ["1002", "1001"]),
        ("1001,1002,1001,1002,1003", ["1001", "1002", "1003"]),
        ("1003,1001,1003", ["1003", "1001"]),
        ("1001,,1002,", ["1001", "1002"]),
        # Unknown ids are kept: the repository skips them, the parser cannot know.
        ("1001,no-such-product,1002", ["1001", "no-such-product", "1002"]),
    ],
)
def test_product_ids_are_split_trimmed_and_deduplicated_in_order(
    settings: Settings, raw: str, expected: list[str]
) -> None:
    assert parse_product_ids({"productIds": raw}, settings) == expected


def test_missing_product_ids_is_an_empty_list(settings: Settings) -> None:
    assert parse_product_ids({}, settings) == []


def test_product_ids_can_come_from_another_parameter(settings: Settings) -> None:
    assert parse_product_ids({"productId": "7,8"}, settings, name="productId") == ["7", "8"]


def test_an_id_longer_than_any_stored_id_is_skipped(settings: Settings) -> None:
    longest = "x" * MAX_ID_LENGTH
    too_long = "y" * (MAX_ID_LENGTH + 1)
    raw = f"1001,{too_long},{longest}"
    assert parse_product_ids({"productIds": raw}, settings) == ["1001", longest]


def test_up_to_the_bound_of_ids_is_accepted(settings: Settings) -> None:
    ids = [str(number) for number in range(settings.search.max_product_ids)]
    assert parse_product_ids({"productIds": ",".join(ids)}, settings) == ids


def test_more_distinct_ids_than_the_bound_is_refused(settings: Settings) -> None:
    ids = ",".join(str(number) for number in range(settings.search.max_product_ids + 1))
    with pytest.raises(InvalidParameter, match="productIds") as caught:
        parse_product_ids({"productIds": ids}, settings)
    assert str(settings.search.max_product_ids) in caught.value.message


def test_the_bound_counts_distinct_ids_not_repetitions(settings: Settings) -> None:
    raw = ",".join(["1001"] * (settings.search.max_product_ids * 3))
    assert parse_product_ids({"productIds": raw}, settings) == ["1001"]


def test_the_bound_follows_the_configuration() -> None:
    settings = Settings.from_config({"OCT8NE_MAX_PRODUCT_IDS": 2})
    assert parse_product_ids({"productIds": "1,2"}, settings) == ["1", "2"]
    with pytest.raises(InvalidParameter):
        parse_product_ids({"productIds": "1,2,3"}, settings)


# -- paging -------------------------------------------------------------------------------------
# Spec (search): "page: Page number (one-based) to be returned." "pageSize: Page size. The default
# value is 10." The spec's own example also sends "search=shoes&start=0&count=10&color=black".


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, Paging(offset=0, limit=10)),
        ({"page": "1"}, Paging(offset=0, limit=10)),
        ({"page": "3"}, Paging(offset=20, limit=10)),
        ({"page": "2", "pageSize": "25"}, Paging(offset=25, limit=25)),
        ({"pageSize": "1"}, Paging(offset=0, limit=1)),
        ({"page": "+2"}, Paging(offset=10, limit=10)),
        ({"page": "", "pageSize": ""}, Paging(offset=0, limit=10)),
        # pageSize above the cap is capped (and the offset uses the capped size), not refused.
        ({"pageSize": "101"}, Paging(offset=0, limit=100)),
        ({"page": "2", "pageSize": "500"}, Paging(offset=100, limit=100)),
        ({"pageSize": "999999999"}, Paging(offset=0, limit=100)),
        ({"start": "0", "count": "10"}, Paging(offset=0, limit=10)),
        ({"start": "7", "count": "3"}, Paging(offset=7, limit=3)),
        ({"start": "15"}, Paging(offset=15, limit=10)),
        ({"start": "0", "count": "1000"}, Paging(offset=0, limit=100)),
        # When both styles are sent, page/pageSize wins.
        ({"page": "2", "start": "50"}, Paging(offset=10, limit=10)),
        ({"page": "1000", "pageSize": "100"}, Paging(offset=99_900, limit=100)),
        ({"start": str(MAX_OFFSET)}, Paging(offset=MAX_OFFSET, limit=10)),
        # Issue 17: out-of-range values fall back as the official PHP adapters do, so a JSONP
        # caller (the widget) gets results, not an error: page < 1 is 1, a size < 1 the default.
        ({"page": "0"}, Paging(offset=0, limit=10)),
        ({"page": "-1", "pageSize": "5"}, Paging(offset=0, limit=5)),
        ({"page": "-" + "9" * 50}, Paging(offset=0, limit=10)),
        ({"pageSize": "0"}, Paging(offset=0, limit=10)),
        ({"page": "2", "pageSize": "-10"}, Paging(offset=10, limit=10)),
        ({"pageSize": str(10**20)}, Paging(offset=0, limit=100)),
        ({"start": "-1", "count": "0"}, Paging(offset=0, limit=10)),
    ],
)
def test_paging(settings: Settings, args: dict[str, str], expected: Paging) -> None:
    assert parse_paging(args, settings, allow_offset=True) == expected


def test_start_and_count_are_ignored_where_offsets_are_not_allowed(settings: Settings) -> None:
    # getOrders only knows page/pageSize.
    paging = parse_paging({"start": "30", "count": "5"}, settings, allow_offset=False)
    assert paging == Paging(offset=0, limit=10)


def test_paging_defaults_follow_the_configuration() -> None:
    settings = Settings.from_config({"OCT8NE_DEFAULT_PAGE_SIZE": 4, "OCT8NE_MAX_PAGE_SIZE": 8})
    assert parse_paging({}, settings, allow_offset=True) == Paging(offset=0, limit=4)
    assert parse_paging({"pageSize": "50"}, settings, allow_offset=True) == Paging(0, 8)
    assert parse_paging({"count": "50", "start": "1"}, settings, allow_offset=True) == Paging(1, 8)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "abc"),
        ("page", "1.5"),
        ("page", "1e3"),
        ("page", "0x10"),
        ("page", "--1"),
        ("page", "\uff12"),  # a full-width digit: isdigit() but not ASCII
        ("page", "\u0663"),  # an Arabic-Indic digit
        ("pageSize", "ten"),
        ("start", "1,000"),
        ("count", "NaN"),
        # Integers are exact: blanks are not trimmed (the OpenAPI document says integer).
        ("page", " 2 "),
        ("page", "  "),
    ],
)
def test_paging_that_is_not_a_number_is_refused_with_the_parameter_named(
    settings: Settings, name: str, value: str
) -> None:
    args = {name: value}
    if name == "count":
        args["start"] = "0"  # count is only read in the start/count style
    with pytest.raises(InvalidParameter) as caught:
        parse_paging(args, settings, allow_offset=True)
    assert caught.value.message.startswith(name)
    assert "whole number" in caught.value.message
    assert len(caught.value.message) < 100  # a huge value is not echoed back


@pytest.mark.parametrize(
    "args",
    [
        {"page": "1002", "pageSize": "100"},
        {"page": "999999999"},
        {"page": str(10**20)},
        {"page": "9" * 5000},
        {"page": "999999999", "pageSize": "100"},
        {"start": str(MAX_OFFSET + 1)},
        {"start": "999999999"},
        {"start": str(10**20)},
    ],
)
def test_pages_past_the_window_fetch_no_rows(settings: Settings, args: dict[str, str]) -> None:
    # Issue 17: a page past the paging window answers `results: []` with the true total.
    paging = parse_paging(args, settings, allow_offset=True)
    assert paging == PAST_WINDOW and paging.past_window


# -- sort ---------------------------------------------------------------------------------------
# Spec (search): "orderby: Ordering criteria. It must be one of the following values (case
# sensitive): relevance (default), price, name" and "dir: ... asc (default), desc".


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, (SortField.RELEVANCE, False)),
        ({"orderby": ""}, (SortField.RELEVANCE, False)),
        ({"orderby": "relevance"}, (SortField.RELEVANCE, False)),
        ({"orderby": "price"}, (SortField.PRICE, False)),
        ({"orderby": "name", "dir": "desc"}, (SortField.NAME, True)),
        ({"orderby": "price", "dir": "asc"}, (SortField.PRICE, False)),
        ({"dir": "desc"}, (SortField.RELEVANCE, True)),
        ({"dir": ""}, (SortField.RELEVANCE, False)),
        # One official adapter sends `orderBy` (DESIGN §3).
        ({"orderBy": "price"}, (SortField.PRICE, False)),
        ({"orderBy": "name", "dir": "desc"}, (SortField.NAME, True)),
        # `orderby` is the documented spelling: it wins when both are sent.
        ({"orderby": "name", "orderBy": "price"}, (SortField.NAME, False)),
        # The spec calls the values case sensitive; we are lenient with what callers send.
        ({"orderby": "PRICE"}, (SortField.PRICE, False)),
        ({"orderby": "Name", "dir": "DESC"}, (SortField.NAME, True)),
        ({"orderby": " price ", "dir": " desc "}, (SortField.PRICE, True)),
    ],
)
def test_sort(args: dict[str, str], expected: tuple[SortField, bool]) -> None:
    assert parse_sort(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        {"orderby": "date"},
        {"orderBy": "popularity"},
        {"orderby": "price desc"},
        {"orderby": "x" * 1000},
        {"dir": "down"},
        {"dir": "descending"},
        {"orderby": "date", "dir": "-1"},
    ],
)
def test_an_unknown_sort_is_the_default(args: dict[str, str]) -> None:
    # Issue 17: as the PHP adapters, an unknown orderby/dir is the default, not an error.
    assert parse_sort(args) == (SortField.RELEVANCE, False)


def test_an_unknown_dir_keeps_a_known_orderby() -> None:
    assert parse_sort({"orderby": "price", "dir": "-1"}) == (SortField.PRICE, False)


@pytest.mark.parametrize("args", [{"orderby": " "}, {"dir": " "}, {"orderBy": "\t"}])
def test_a_blank_sort_is_the_default_like_an_empty_one(args: dict[str, str]) -> None:
    assert parse_sort(args) == (SortField.RELEVANCE, False)


# -- filters ------------------------------------------------------------------------------------
# Spec (search): "the widget will include the value of the active filters in the call. For
# example ... a single active filter defined with the name "color" and the value "black" ...
# myserver.com/oct8ne/frame/search?search=shoes&start=0&count=10&color=black"


def test_every_non_search_parameter_is_a_filter() -> None:
    args = MultiDict(
        [
            ("search", "shoes"),
            ("start", "0"),
            ("count", "10"),
            ("color", "black"),
            ("page", "1"),
            ("pageSize", "10"),
            ("orderby", "price"),
            ("orderBy", "price"),
            ("dir", "asc"),
            ("locale", "es-ES"),
            ("currency", "EUR"),
            ("callback", "cb"),
            ("_", "1700000000000"),  # jQuery's cache buster
            ("category", "shoes"),
            ("price", "100-200"),
        ]
    )
    assert parse_filters(args) == (
        FilterValue("color", "black"),
        FilterValue("category", "shoes"),
        FilterValue("price", "100-200"),
    )


@pytest.mark.parametrize("name", ["Search", "PAGE", "pagesize", "ORDERBY", "Dir", "Locale"])
def test_search_parameters_are_never_filters_whatever_their_case(name: str) -> None:
    assert parse_filters(MultiDict([(name, "x"), ("brand", "Northpeak")])) == (
        FilterValue("brand", "Northpeak"),
    )


@pytest.mark.parametrize("value", ["", " ", "\t", "  \n "])
def test_blank_filter_values_are_ignored(value: str) -> None:
    assert parse_filters(MultiDict([("color", value), ("size", "42")])) == (
        FilterValue("size", "42"),
    )


def test_filter_values_are_trimmed_and_duplicates_collapsed_in_order() -> None:
    # A MultiDict (like request.args) keeps a parameter's values together, in arrival order.
    args = MultiDict(
        [
            ("color", "red"),
            ("size", "42"),
            ("color", " red "),
            ("color", "blue"),
            ("size", "42"),
        ]
    )
    assert parse_filters(args) == (
        FilterValue("color", "red"),
        FilterValue("color", "blue"),
        FilterValue("size", "42"),
    )


def test_over_long_filter_names_and_values_are_ignored() -> None:
    args = MultiDict(
        [
            ("color", "x" * (MAX_FILTER_VALUE + 1)),
            ("n" * (MAX_FILTER_VALUE + 1), "red"),
            ("size", "y" * MAX_FILTER_VALUE),
        ]
    )
    assert parse_filters(args) == (FilterValue("size", "y" * MAX_FILTER_VALUE),)


def test_up_to_max_filters_are_accepted() -> None:
    args = MultiDict([(f"attr{number}", "x") for number in range(MAX_FILTERS)])
    assert len(parse_filters(args)) == MAX_FILTERS


def test_more_than_max_filters_are_refused() -> None:
    args = MultiDict([("color", f"value{number}") for number in range(MAX_FILTERS + 1)])
    with pytest.raises(InvalidParameter, match=str(MAX_FILTERS)):
        parse_filters(args)


def test_repeated_filters_count_once_towards_the_limit() -> None:
    args = MultiDict([("color", "red")] * (MAX_FILTERS * 5))
    assert parse_filters(args) == (FilterValue("color", "red"),)


def test_parse_search_puts_it_all_together(settings: Settings) -> None:
    args = MultiDict(
        [
            ("search", "trail shoe"),
            ("page", "2"),
            ("pageSize", "5"),
            ("orderBy", "price"),
            ("dir", "desc"),
            ("locale", "es-ES"),
            ("currency", "eur"),
            ("color", "red"),
        ]
    )
    query, presentation = parse_search(args, settings)
    assert query.text == "trail shoe"
    assert (query.offset, query.limit) == (5, 5)
    assert (query.sort, query.descending) == (SortField.PRICE, True)
    assert query.filters == (FilterValue("color", "red"),)
    assert query.languages == ("es-ES", "es", "en-US", "en")
    assert query.price_basis.currency == "EUR"
    assert presentation.currency == "EUR"


def test_parse_search_bounds_the_text(settings: Settings) -> None:
    query, _ = parse_search(MultiDict([("search", "a" * 50_000)]), settings)
    assert 0 < len(query.text) <= 10_000


# -- presentation -------------------------------------------------------------------------------
# Spec: "locale: Locale to be used to format the query results, for example "en-US" or "es-ES".
# If empty, the default locale will be used." "currency: ... If empty, the site's default currency
# will be used."


@pytest.mark.parametrize(
    ("raw", "tag", "languages"),
    [
        ("es-ES", "es-ES", ("es-ES", "es", "en-US", "en")),
        ("es_ES", "es-ES", ("es-ES", "es", "en-US", "en")),
        (" es-ES ", "es-ES", ("es-ES", "es", "en-US", "en")),
        ("es-MX", "es-MX", ("es-MX", "es", "en-US", "en")),
        ("es", "es", ("es", "en-US", "en")),
        ("en-US", "en-US", ("en-US", "en")),
        ("en-GB", "en-GB", ("en-GB", "en", "en-US")),
        ("", "en-US", ("en-US", "en")),
        ("   ", "en-US", ("en-US", "en")),
        ("garbage!", "en-US", ("en-US", "en")),
        ("xx-YY", "en-US", ("en-US", "en")),
        ("<script>", "en-US", ("en-US", "en")),
        ("es-ES" * 50, "en-US", ("en-US", "en")),
        ("123", "en-US", ("en-US", "en")),
    ],
)
def test_locale(settings: Settings, raw: str, tag: str, languages: tuple[str, ...]) -> None:
    presentation = parse_presentation({"locale": raw}, settings)
    assert locale_tag(presentation.locale) == tag
    assert presentation.languages == languages


def test_missing_locale_is_the_shop_default() -> None:
    settings = Settings.from_config({"OCT8NE_DEFAULT_LOCALE": "es-ES"})
    for args in ({}, {"locale": ""}, {"locale": "nonsense-value!"}):
        presentation = parse_presentation(args, settings)
        assert locale_tag(presentation.locale) == "es-ES"
        assert presentation.languages == ("es-ES", "es")


@pytest.mark.parametrize(
    ("raw", "currency", "rate"),
    [
        (None, "USD", Decimal(1)),
        ("", "USD", Decimal(1)),
        ("USD", "USD", Decimal(1)),
        ("usd", "USD", Decimal(1)),
        ("EUR", "EUR", None),  # stored in the catalog: no conversion
        ("eur", "EUR", None),
        (" Eur ", "EUR", None),
        # Only in exchange_rates: accepted, converted from the shop currency.
        ("GBP", "GBP", Decimal("0.80")),
        ("gbp", "GBP", Decimal("0.80")),
        # Unknown to the shop: the default.
        ("JPY", "USD", Decimal(1)),
        ("XYZ", "USD", Decimal(1)),
        ("EURO", "USD", Decimal(1)),
        ("€", "USD", Decimal(1)),
        ("E" * 1000, "USD", Decimal(1)),
    ],
)
def test_currency(settings: Settings, raw: str | None, currency: str, rate: Decimal | None) -> None:
    args = {} if raw is None else {"currency": raw}
    presentation = parse_presentation(args, settings)
    assert presentation.currency == currency
    assert presentation.basis.currency == currency
    assert presentation.basis.shop_currency == "USD"
    assert presentation.basis.rate_from_shop == rate


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, ""),
        ({"customerEmail": ""}, ""),
        ({"customerEmail": "  jane.doe@example.com "}, "jane.doe@example.com"),
        ({"customerEmail": "a" * 321}, ""),
        ({"customerEmail": "a" * 320}, "a" * 320),
    ],
)
def test_parse_text(args: dict[str, str], expected: str) -> None:
    assert parse_text(args, "customerEmail") == expected
