"""Generated input never breaks callbacks, parameter parsing or price formatting."""

from __future__ import annotations

import json
from decimal import Decimal

from babel import Locale, localedata
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from oct8ne_adapter.domain import Money
from oct8ne_adapter.errors import InvalidCallback, InvalidParameter
from oct8ne_adapter.javascript import JAVASCRIPT_NAME
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.params import MAX_OFFSET, parse_paging, parse_product_ids, parse_search
from oct8ne_adapter.web.pricing import format_money, language_chain, parse_locale
from oct8ne_adapter.web.responses import render, validate_callback

SETTINGS = Settings(currencies=("EUR",), exchange_rates={"GBP": Decimal("0.8")})
ALL_LOCALES = sorted(localedata.locale_identifiers())
COMMON_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "MXN", "BRL", "CHF", "CNY", "INR", "KWD"]
PARAMETER_NAMES = [
    "page",
    "pageSize",
    "start",
    "count",
    "orderby",
    "orderBy",
    "dir",
    "search",
    "locale",
    "currency",
    "color",
    "price",
    "category",
    "brand",
    "callback",
]
texts = st.text(max_size=300)


@given(texts)
def test_callback_is_either_a_safe_name_or_refused(raw):
    try:
        callback = validate_callback(raw)
    except InvalidCallback as error:
        # The reason is one of two fixed sentences: nothing of the input is reflected.
        assert error.message in {
            "callback must be a JavaScript identifier such as myFunc or a.b",
            "callback must be at most 128 characters of a JavaScript name",
        }
        return
    if callback is not None:
        assert JAVASCRIPT_NAME.fullmatch(callback) and len(callback) <= 128
        body = render({"x": raw}, callback).get_data(as_text=True)
        assert body.startswith(f"/**/{callback}(") and body.endswith(");")
        assert json.loads(body[len(callback) + 5 : -2]) == {"x": raw}


@given(st.dictionaries(st.sampled_from(PARAMETER_NAMES), texts, max_size=8))
def test_paging_is_bounded_or_refused(arguments):
    try:
        paging = parse_paging(arguments, SETTINGS, allow_offset=True)
    except InvalidParameter as error:
        assert error.status == 400 and error.message
        return
    assert 0 <= paging.offset <= MAX_OFFSET
    assert 1 <= paging.limit <= SETTINGS.search.max_page_size


@given(st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES) | texts, texts), max_size=12))
def test_any_search_request_parses_or_is_a_400(pairs):
    try:
        query, presentation = parse_search(MultiDict(pairs), SETTINGS)
    except InvalidParameter:
        return
    assert len(query.text) <= 10_000
    assert presentation.currency in SETTINGS.accepted_currencies
    assert query.limit <= 100


@given(texts)
def test_product_ids_are_clean(raw):
    try:
        ids = parse_product_ids({"productIds": raw}, SETTINGS)
    except InvalidParameter:
        assert raw.count(",") >= SETTINGS.search.max_product_ids
        return
    assert len(ids) == len(set(ids)) <= SETTINGS.search.max_product_ids
    assert all(0 < len(i) <= 64 and i.isprintable() and i == i.strip() for i in ids)


@given(texts)
def test_any_locale_text_gives_a_usable_locale(raw):
    locale = parse_locale(raw, "en-US")
    assert isinstance(locale, Locale)
    assert language_chain(locale, parse_locale("en-US", "en-US"))[-1] == "en"


@settings(max_examples=300)
@given(
    st.sampled_from(ALL_LOCALES),
    st.sampled_from(COMMON_CURRENCIES),
    st.decimals(min_value=0, max_value=Decimal("1e11"), places=2, allow_nan=False),
)
def test_prices_format_in_every_cldr_locale(locale_id, currency, amount):
    formatted = format_money(Money(amount, currency), Locale.parse(locale_id))
    assert formatted and formatted == formatted.strip()
    assert any(character.isdigit() for character in formatted) or not amount
