"""What a visitor sees of stored rows: texts and links in the best language of their chain, and
amounts from the minor units they are stored in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TypeVar

from babel.numbers import get_currency_precision
from sqlalchemy import ColumnElement, SQLColumnExpression, case

K = TypeVar("K")
V = TypeVar("V")


def from_minor_units(amount_minor: int, currency: str) -> Decimal:
    """1990 USD -> Decimal('19.90')."""
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def _sibling_rank(languages: Sequence[str]) -> tuple[str, int] | None:
    """Texts in another region of the visitor's language (es-ES for es-MX) rank just after the
    bare language (`es`) and before the shop's default: (language prefix, rank)."""
    if not languages:
        return None
    base = languages[0].split("-")[0]
    return f"{base}-", 2 * languages.index(base) + 1 if base in languages else 1


def language_rank(column: SQLColumnExpression[str], languages: Sequence[str]) -> ColumnElement[int]:
    """The SQL form of `translation_rank`: lower is a better language for the visitor."""
    sibling = _sibling_rank(languages)
    whens: list[tuple[ColumnElement[bool], int]] = [
        (column == language, 2 * rank) for rank, language in enumerate(languages)
    ]
    if sibling is not None:
        whens.append((column.startswith(sibling[0], autoescape=True), sibling[1]))
    return case(*whens, else_=2 * len(languages))


def translation_rank(language: str, languages: Sequence[str]) -> int:
    """Chain position x 2; a sibling region of the visitor's language between; others last."""
    if language in languages:
        return 2 * languages.index(language)
    sibling = _sibling_rank(languages)
    if sibling is not None and language.startswith(sibling[0]):
        return sibling[1]
    return 2 * len(languages)


def pick_translation(rows: Iterable[tuple[K, str, V]], languages: Sequence[str]) -> dict[K, V]:
    """Of (key, language, text) rows, the text in the best available language per key."""
    best: dict[K, tuple[int, str, V]] = {}
    for key, language, text in rows:
        score = translation_rank(language, languages)
        current = best.get(key)
        # Ties outside the chain go to the alphabetically first language: stable answers.
        if current is None or (score, language) < (current[0], current[1]):
            best[key] = (score, language, text)
    return {key: text for key, (_, _, text) in best.items()}


def best_links(
    rows: Iterable[tuple[K, str, str]], languages: Sequence[str]
) -> dict[K, tuple[str, str]]:
    """Of (key, language, link) rows, the (language, link) in the best language per key: the
    language goes along, so that a template of a better language may replace the link."""
    return pick_translation(((key, tag, (tag, url)) for key, tag, url in rows), languages)
