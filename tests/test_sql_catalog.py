"""Choosing a translation for the visitor's language chain (oct8ne_adapter.sql.catalog)."""

from __future__ import annotations

import pytest

from oct8ne_adapter.pricing import language_chain, parse_locale
from oct8ne_adapter.sql.catalog import pick_translation

DEFAULT = parse_locale("en-US", "en-US")


def chain(locale: str) -> tuple[str, ...]:
    return language_chain(parse_locale(locale, "en-US"), DEFAULT)


@pytest.mark.parametrize(
    ("locale", "stored", "expected"),
    [
        ("es-MX", ["es-MX", "es", "en"], "es-MX"),
        ("es-MX", ["es", "es-ES", "en"], "es"),
        # A feed imported with --locale es-ES still serves Mexican visitors in Spanish.
        ("es-MX", ["es-ES", "en"], "es-ES"),
        ("es", ["es-ES", "en-US"], "es-ES"),
        ("fr-FR", ["es-ES", "en"], "en"),
        ("fr-FR", ["es-ES", "de"], "de"),  # nothing in the chain: a stable first choice
        ("en-GB", ["en-US", "es"], "en-US"),
    ],
)
def test_the_best_language_is_picked(locale, stored, expected):
    rows = [(1, language, language) for language in stored]
    assert pick_translation(rows, chain(locale)) == {1: expected}
