"""Locale and currency resolution and CLDR price formatting through Babel."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision

from .domain import Money, PriceBasis, PriceRange, Product, ProductPrice
from .settings import Settings

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
    return format_currency(money.amount, money.currency, locale=locale)


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


def format_price_range(price_range: PriceRange, currency: str, locale: Locale) -> str:
    """A facet label such as `$100 – $200`, or `$500+` for an open range."""
    low = format_whole_amount(price_range.low, currency, locale)
    if price_range.high is None:
        return f"{low}+"
    return f"{low} – {format_whole_amount(price_range.high, currency, locale)}"
