"""Locale and currency resolution and CLDR price formatting through Babel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from oct8ne_adapter.domain import Money, PriceBasis, PriceRange, Product, ProductPrice
from oct8ne_adapter.settings import Settings

_LOCALE_SHAPE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")


@lru_cache(maxsize=512)
def parse_locale(raw: str | None, default: str) -> Locale:
    """The Babel locale for `es-ES`/`es_ES`/`es`; the default when empty, malformed or unknown."""
    for candidate in (raw, default, "en-US"):
        if not candidate or not _LOCALE_SHAPE.match(candidate):
            continue
        try:
            return Locale.parse(candidate.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en_US")


def locale_tag(locale: Locale) -> str:
    """BCP 47 tag of a Babel locale: `es-ES`."""
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


@lru_cache(maxsize=512)
def language_chain(locale: Locale, default: Locale) -> tuple[str, ...]:
    """Translation keys to try, best first: `es-MX`, `es`, then the shop's default locale."""
    chain: list[str] = []
    for candidate in (locale, default):
        for tag in (locale_tag(candidate), candidate.language):
            if tag not in chain:
                chain.append(tag)
    return tuple(chain)


def resolve_currency(raw: str | None, settings: Settings) -> str:
    """The requested currency if the shop accepts it, else the shop's default currency."""
    if raw:
        code = raw.strip().upper()
        if code in settings.accepted_currencies:
            return code
    return settings.default_currency


def price_basis(currency: str, settings: Settings) -> PriceBasis:
    """How search compares prices in `currency`: stored prices, else converted shop prices."""
    shop_currency = settings.default_currency
    if currency == shop_currency:
        rate: Decimal | None = Decimal(1)
    else:
        rate = settings.exchange_rates.get(currency)
    return PriceBasis(currency=currency, shop_currency=shop_currency, rate_from_shop=rate)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (2 for EUR, 0 for JPY), half up."""
    digits = get_currency_precision(currency)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def display_price(product: Product, basis: PriceBasis) -> tuple[Money, Money] | None:
    """The product's price and previous price to show in the basis currency, with fallbacks.

    A price stored in the requested currency wins; else the shop price converted at the
    configured rate; else the shop price as it is; else nothing (the widget then hides it).
    """
    stored = product.prices.get(basis.currency)
    if stored is not None:
        return _with_previous(stored, basis.currency)
    shop_price = product.prices.get(basis.shop_currency)
    if shop_price is None:
        return None
    if basis.rate_from_shop is None:
        return _with_previous(shop_price, basis.shop_currency)
    converted = ProductPrice(
        amount=quantize(shop_price.amount * basis.rate_from_shop, basis.currency),
        previous_amount=(
            None
            if shop_price.previous_amount is None
            else quantize(shop_price.previous_amount * basis.rate_from_shop, basis.currency)
        ),
    )
    return _with_previous(converted, basis.currency)


def _with_previous(price: ProductPrice, currency: str) -> tuple[Money, Money]:
    previous = price.previous_amount
    # No discount: the protocol wants the previous price equal to the price.
    if previous is None or previous <= price.amount:
        previous = price.amount
    return Money(price.amount, currency), Money(previous, currency)


def format_money(money: Money, locale: Locale) -> str:
    """CLDR currency formatting: `1.500,00 €` in es-ES, `$1,500.00` in en-US."""
    compiled = currency_format(locale, money.currency)
    if compiled is None or not money.amount.is_finite():
        return format_currency(money.amount, money.currency, locale=locale)
    return compiled.format(money.amount)


@dataclass(frozen=True, slots=True)
class CurrencyFormat:
    """A locale's standard currency pattern for one currency, with its symbols looked up once.

    `format` gives exactly what `babel.numbers.format_currency(amount, currency, locale=...)`
    gives (the tests compare them over every locale), without looking the locale data up again
    on every call: formatting was a fifth of a productInfo request's time.
    """

    positive: tuple[str, str]
    negative: tuple[str, str]
    quantum: Decimal
    digits: int
    minimum_integer_digits: int
    grouping: tuple[int, int]
    group_symbol: str
    decimal_symbol: str

    def format(self, amount: Decimal) -> str:
        """The formatted amount (finite amounts only)."""
        # The same Decimal operations as NumberPattern.apply, in the same (default) context.
        prefix, suffix = self.negative if amount.is_signed() else self.positive
        rounded = abs(amount).normalize().quantize(self.quantum)
        whole, _, fraction = f"{rounded:f}".partition(".")
        return prefix + self._integer(whole) + self._fraction(fraction or "0") + suffix

    def _integer(self, digits: str) -> str:
        if len(digits) < self.minimum_integer_digits:
            digits = "0" * (self.minimum_integer_digits - len(digits)) + digits
        size, grouped = self.grouping[0], ""
        while len(digits) > size:
            grouped = self.group_symbol + digits[-size:] + grouped
            digits = digits[:-size]
            size = self.grouping[1]
        return digits + grouped

    def _fraction(self, digits: str) -> str:
        if len(digits) < self.digits:
            digits += "0" * (self.digits - len(digits))
        if self.digits == 0:
            return ""
        # Minimum and maximum fraction digits are both the currency's: no zeros are trimmed.
        return self.decimal_symbol + digits


@lru_cache(maxsize=1024)
def currency_format(locale: Locale, currency: str) -> CurrencyFormat | None:
    """The compiled standard format, or None when the pattern needs Babel's general path."""
    pattern = locale.currency_formats.get("standard")
    if pattern is None:
        return None
    symbol = get_currency_symbol(currency, locale)
    group = get_group_symbol(locale, numbering_system="latn")
    decimal = get_decimal_symbol(locale, numbering_system="latn")
    affixes = []
    for prefix, suffix in zip(pattern.prefix, pattern.suffix, strict=True):
        if "¤¤¤" in prefix + suffix:
            return None  # the currency's plural name depends on the amount
        affixes.append(
            tuple(
                text.replace("¤¤", currency.upper()).replace("¤", symbol)
                for text in (prefix, suffix)
            )
        )
    special = (
        pattern.exp_prec
        or "@" in pattern.pattern
        or pattern.scale
        or not pattern.number_pattern
        # Quotes are unescaped over the whole text; affixes without any need none of it.
        or any("'" in text for text in (*affixes[0], *affixes[1], group, decimal))
        or any("¤" in text for text in (group, decimal))
    )
    if special:
        return None
    digits = get_currency_precision(currency)
    return CurrencyFormat(
        positive=(affixes[0][0], affixes[0][1]),
        negative=(affixes[1][0], affixes[1][1]),
        quantum=Decimal(10) ** -digits,
        digits=digits,
        minimum_integer_digits=pattern.int_prec[0],
        grouping=(pattern.grouping[0], pattern.grouping[1]),
        group_symbol=group,
        decimal_symbol=decimal,
    )


@lru_cache(maxsize=256)
def _whole_amount_pattern(locale: Locale) -> str:
    pattern = locale.currency_formats["standard"].pattern
    # Range labels read better without cents: "$100 – $200", "100 € – 200 €".
    return re.sub(r"\.0+", "", pattern.split(";")[0])


def format_whole_amount(amount: Decimal, currency: str, locale: Locale) -> str:
    """A currency amount without cents if it is whole, with them otherwise."""
    if amount != amount.to_integral_value():
        return format_currency(amount, currency, locale=locale)
    return format_currency(
        amount, currency, format=_whole_amount_pattern(locale), locale=locale, currency_digits=False
    )


@lru_cache(maxsize=4096)
def format_price_range(price_range: PriceRange, currency: str, locale: Locale) -> str:
    """A facet label such as `$100 – $200`, or `$500+` for an open range."""
    low = format_whole_amount(price_range.low, currency, locale)
    if price_range.high is None:
        return f"{low}+"
    return f"{low} – {format_whole_amount(price_range.high, currency, locale)}"
