"""pricing.py: locale and currency resolution, price fallbacks and CLDR formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale, localedata
from babel.numbers import format_currency

from oct8ne_adapter.domain import Money, PriceBasis, PriceRange, Product, ProductPrice
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.pricing import (
    currency_format,
    display_price,
    format_money,
    format_price_range,
    format_whole_amount,
    language_chain,
    locale_tag,
    parse_locale,
    price_basis,
    quantize,
    resolve_currency,
)

D = Decimal


def locale(tag: str) -> Locale:
    """A Babel locale from a BCP 47 tag."""
    return Locale.parse(tag.replace("-", "_"))


def product(**prices: ProductPrice) -> Product:
    """A product with the given prices per currency."""
    return Product(
        id="1",
        title="Trail Running Shoe",
        description="",
        url="/p/1",
        thumbnail=None,
        medias=(),
        prices=prices,
    )


def basis(currency: str, rate: str | None, shop_currency: str = "USD") -> PriceBasis:
    """A price basis in `currency`, converted from `shop_currency` at `rate`."""
    return PriceBasis(
        currency=currency,
        shop_currency=shop_currency,
        rate_from_shop=None if rate is None else D(rate),
    )


# -- format_money -------------------------------------------------------------------------------
# Spec (ProductInfo.formattedPrice): "It must be formatted before returning it to the widget, for
# example, by entering commas to separate thousands and periods to separate decimals, and adding
# the currency suffix or prefix, attending to the value of the "locale" and "currency" query
# parameters."


@pytest.mark.parametrize(
    ("tag", "amount", "currency", "expected"),
    [
        ("es-ES", "1500", "EUR", "1.500,00\xa0€"),
        ("es-ES", "1500.00", "EUR", "1.500,00\xa0€"),
        ("en-US", "1500", "USD", "$1,500.00"),
        ("en-US", "89.90", "USD", "$89.90"),
        ("en-US", "0", "USD", "$0.00"),
        ("en-US", "1234567.89", "USD", "$1,234,567.89"),
        ("en-US", "1500", "EUR", "€1,500.00"),
        ("es-ES", "84.90", "EUR", "84,90\xa0€"),
        ("es-ES", "1500", "USD", "1.500,00\xa0US$"),
        ("de-DE", "1500", "EUR", "1.500,00\xa0€"),
        ("fr-FR", "1500", "EUR", "1\u202f500,00\xa0€"),
        ("it-IT", "1500", "EUR", "1.500,00\xa0€"),
        ("nl-NL", "1500", "EUR", "€\xa01.500,00"),
        ("en-GB", "1500", "GBP", "£1,500.00"),
        ("pt-BR", "1500", "BRL", "R$\xa01.500,00"),
        ("en-IN", "1234567.89", "INR", "₹12,34,567.89"),
        ("sv-SE", "1500", "SEK", "1\xa0500,00\xa0kr"),
        ("en-US", "1500", "JPY", "¥1,500"),  # no minor unit
        ("ja-JP", "1500", "JPY", "￥1,500"),
    ],
)
def test_format_money(tag: str, amount: str, currency: str, expected: str) -> None:
    assert format_money(Money(D(amount), currency), locale(tag)) == expected


def test_swiss_grouping_uses_an_apostrophe() -> None:
    # CLDR 47 (Babel 2.17+) groups with U+0027 where older CLDR used U+2019: either is Swiss.
    assert format_money(Money(D("1500"), "CHF"), locale("de-CH")) in {
        "CHF\xa01’500.00",
        "CHF\xa01'500.00",
    }


#: Rounding both ways and half-even ties, groups of every size, signs, exponents.
AMOUNTS = ["0", "0.015", "-0.004", "19.99", "-1234.5", "1234567.891", "12345678901234.56", "1E+3"]


@pytest.mark.parametrize("currency", ["USD", "JPY", "BHD"])  # 2, 0 and 3 decimals
def test_format_money_is_babels_format_currency_in_every_locale(currency: str) -> None:
    """The compiled formats give byte for byte what Babel gives, or Babel itself is used."""
    for identifier in localedata.locale_identifiers():
        each = Locale.parse(identifier)
        for amount in AMOUNTS:
            expected = format_currency(D(amount), currency, locale=each)
            assert format_money(Money(D(amount), currency), each) == expected, identifier


@pytest.mark.parametrize(
    ("tag", "compiled"),
    [
        ("en-US", True),
        ("es-ES", True),
        ("en-IN", True),  # grouping 3 then 2
        ("de-CH", False),  # an apostrophe group symbol: Babel's quote handling applies
    ],
)
def test_which_locales_get_a_compiled_format(tag: str, compiled: bool) -> None:
    assert (currency_format(locale(tag), "USD") is not None) is compiled


def test_non_finite_amounts_are_left_to_babel() -> None:
    infinity = Money(D("Infinity"), "USD")
    assert format_money(infinity, locale("en-US")) == format_currency(
        infinity.amount, "USD", locale=locale("en-US")
    )


# -- parse_locale and locale_tag ----------------------------------------------------------------
# Spec: "locale: Locale to be used to format the query results, for example "en-US" or "es-ES".
# If empty, the default locale will be used."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("es-ES", "es-ES"),
        ("es_ES", "es-ES"),
        ("es-es", "es-ES"),
        ("ES-ES", "es-ES"),
        ("es", "es"),
        ("es-MX", "es-MX"),
        ("es-419", "es-419"),
        ("pt-BR", "pt-BR"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        # Malformed: the default.
        (None, "en-US"),
        ("", "en-US"),
        ("e", "en-US"),
        ("es ES", "en-US"),
        ("es-ES;drop table", "en-US"),
        ("../../etc/passwd", "en-US"),
        ("es-ES-", "en-US"),
        ("1234", "en-US"),
        ("é-ES", "en-US"),
        ("x" * 1000, "en-US"),
        # Well-formed but unknown to CLDR: the default.
        ("xx", "en-US"),
        ("xx-YY", "en-US"),
        ("qaa", "en-US"),
    ],
)
def test_parse_locale(raw: str | None, expected: str) -> None:
    assert locale_tag(parse_locale(raw, "en-US")) == expected


@pytest.mark.parametrize("raw", [None, "", "garbage!", "xx-YY"])
def test_parse_locale_falls_back_to_the_given_default(raw: str | None) -> None:
    assert locale_tag(parse_locale(raw, "es-ES")) == "es-ES"


@pytest.mark.parametrize("default", ["", "nonsense!", "xx-YY"])
def test_a_bad_default_falls_back_to_en_us(default: str) -> None:
    assert locale_tag(parse_locale("also bad", default)) == "en-US"


# -- language_chain -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "default", "expected"),
    [
        ("es-MX", "en-US", ("es-MX", "es", "en-US", "en")),
        ("es-ES", "en-US", ("es-ES", "es", "en-US", "en")),
        ("en-US", "en-US", ("en-US", "en")),
        ("en-GB", "en-US", ("en-GB", "en", "en-US")),
        ("es", "en-US", ("es", "en-US", "en")),
        ("es", "es-ES", ("es", "es-ES")),
        ("fr-FR", "es-ES", ("fr-FR", "fr", "es-ES", "es")),
        ("zh-Hant-TW", "en-US", ("zh-Hant-TW", "zh", "en-US", "en")),
    ],
)
def test_language_chain(requested: str, default: str, expected: tuple[str, ...]) -> None:
    assert language_chain(locale(requested), locale(default)) == expected


# -- resolve_currency and price_basis ------------------------------------------------------------
# Spec: "currency: Currency to be used to get the product prices, for example "USD" or "EUR". If
# empty, the site's default currency will be used."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "USD"),
        ("", "USD"),
        ("USD", "USD"),
        ("eur", "EUR"),
        (" EUR ", "EUR"),
        ("GBP", "GBP"),  # only in exchange_rates
        ("gbp", "GBP"),
        ("JPY", "USD"),  # a real currency the shop does not accept
        ("nonsense", "USD"),
    ],
)
def test_resolve_currency(settings: Settings, raw: str | None, expected: str) -> None:
    assert resolve_currency(raw, settings) == expected


@pytest.mark.parametrize(
    ("currency", "rate"),
    [("USD", D(1)), ("EUR", None), ("GBP", D("0.80"))],
)
def test_price_basis(settings: Settings, currency: str, rate: Decimal | None) -> None:
    assert price_basis(currency, settings) == PriceBasis(currency, "USD", rate)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.125", "EUR", "1.13"),  # half up, not half even (which gives 1.12)
        ("1.135", "EUR", "1.14"),
        ("1.124", "EUR", "1.12"),
        ("2.5", "JPY", "3"),  # JPY has no minor unit; half even would give 2
        ("0.005", "USD", "0.01"),
        ("7", "USD", "7.00"),
        ("1.2345", "BHD", "1.235"),  # three minor digits
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(
    amount: str, currency: str, expected: str
) -> None:
    result = quantize(D(amount), currency)
    assert result == D(expected)
    assert str(result) == expected  # the exponent too: "7.00", not "7"


# -- display_price ------------------------------------------------------------------------------
# Spec (formattedPrevPrice): "Price of the product before applying the discount. If the product does
# not have a discount, it contains the same value as the price property." and (formattedPrice) "If
# you don't want oct8ne show the product price, simply set this value as null."

SHOE = product(
    USD=ProductPrice(D("89.90"), D("99.90")),
    EUR=ProductPrice(D("84.90"), D("94.90")),
)


@pytest.mark.parametrize(
    ("item", "price_basis_", "expected"),
    [
        # A price stored in the requested currency wins, even when a rate is configured.
        (SHOE, basis("EUR", "0.92"), (Money(D("84.90"), "EUR"), Money(D("94.90"), "EUR"))),
        (SHOE, basis("EUR", None), (Money(D("84.90"), "EUR"), Money(D("94.90"), "EUR"))),
        (SHOE, basis("USD", "1"), (Money(D("89.90"), "USD"), Money(D("99.90"), "USD"))),
        # Else the shop price converted at the configured rate, rounded half up.
        (SHOE, basis("GBP", "0.80"), (Money(D("71.92"), "GBP"), Money(D("79.92"), "GBP"))),
        (
            product(USD=ProductPrice(D("2.25"), D("3.75"))),
            basis("EUR", "0.5"),
            (Money(D("1.13"), "EUR"), Money(D("1.88"), "EUR")),
        ),
        (
            product(USD=ProductPrice(D("1.00"))),
            basis("JPY", "2.5"),
            (Money(D("3"), "JPY"), Money(D("3"), "JPY")),
        ),
        (
            product(USD=ProductPrice(D("89.90"))),
            basis("JPY", "150"),
            (Money(D("13485"), "JPY"), Money(D("13485"), "JPY")),
        ),
        # Else the shop price as it is, in the shop currency.
        (SHOE, basis("CHF", None), (Money(D("89.90"), "USD"), Money(D("99.90"), "USD"))),
        (
            product(USD=ProductPrice(D("1500.00"))),
            basis("EUR", None),
            (Money(D("1500.00"), "USD"), Money(D("1500.00"), "USD")),
        ),
        # Else nothing: the widget hides the price.
        (product(), basis("USD", "1"), None),
        (product(), basis("EUR", "0.92"), None),
        (product(EUR=ProductPrice(D("84.90"))), basis("USD", "1"), None),
        (product(EUR=ProductPrice(D("84.90"))), basis("GBP", "0.80"), None),
    ],
)
def test_display_price_fallbacks(
    item: Product, price_basis_: PriceBasis, expected: tuple[Money, Money] | None
) -> None:
    assert display_price(item, price_basis_) == expected


@pytest.mark.parametrize(
    ("price", "previous", "shown_previous"),
    [
        ("1500.00", None, "1500.00"),  # no discount
        ("89.90", "89.90", "89.90"),
        ("89.90", "79.90", "89.90"),  # a "previous" below the price is no discount
        ("89.90", "0", "89.90"),
        ("89.90", "99.90", "99.90"),  # a real discount keeps its previous price
    ],
)
@pytest.mark.parametrize(("currency", "rate"), [("USD", "1"), ("GBP", "1")])
def test_previous_price_is_the_price_unless_discounted(
    price: str, previous: str | None, shown_previous: str, currency: str, rate: str
) -> None:
    item = product(
        USD=ProductPrice(D(price), None if previous is None else D(previous)),
    )
    shown = display_price(item, basis(currency, rate))
    assert shown == (Money(D(price), currency), Money(D(shown_previous), currency))


# -- format_price_range -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "currency", "low", "high", "expected"),
    [
        ("en-US", "USD", "100", "200", "$100 – $200"),
        ("en-US", "USD", "0", "50", "$0 – $50"),
        ("en-US", "USD", "500", None, "$500+"),
        ("en-US", "USD", "1000", "2500", "$1,000 – $2,500"),
        ("en-US", "USD", "99.50", "200", "$99.50 – $200"),
        ("en-US", "USD", "100.00", "200.00", "$100 – $200"),
        ("es-ES", "EUR", "100", "200", "100\xa0€ – 200\xa0€"),
        ("es-ES", "EUR", "1000", None, "1.000\xa0€+"),
        ("es-ES", "EUR", "99.5", "1000", "99,50\xa0€ – 1.000\xa0€"),
        ("de-DE", "EUR", "1000", "2000", "1.000\xa0€ – 2.000\xa0€"),
        ("en-GB", "GBP", "50", "100", "£50 – £100"),
        ("nl-NL", "EUR", "100", "200", "€\xa0100 – €\xa0200"),
        ("pt-BR", "BRL", "100", None, "R$\xa0100+"),
        ("ja-JP", "JPY", "1000", "5000", "￥1,000 – ￥5,000"),
    ],
)
def test_format_price_range(
    tag: str, currency: str, low: str, high: str | None, expected: str
) -> None:
    price_range = PriceRange(D(low), None if high is None else D(high))
    assert format_price_range(price_range, currency, locale(tag)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("100", "$100"), ("100.00", "$100"), ("100.5", "$100.50"), ("0.99", "$0.99")],
)
def test_format_whole_amount(amount: str, expected: str) -> None:
    assert format_whole_amount(D(amount), "USD", locale("en-US")) == expected
