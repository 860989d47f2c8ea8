"""Product URLs per locale (issue 19 item 4): links kept per language from JSON Lines objects and
localized Merchant Center feeds, productUrl along the visitor's language chain, and the
configured template per language as the fallback; on the three databases, both search engines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import adapter_app, adapter_config, frame
from flask import Flask

from oct8ne_adapter import create_app
from oct8ne_adapter.cli import cli
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.feeds import Accepted, Rejected
from oct8ne_adapter.feeds.jsonl import parse_line
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.testing import InMemoryRepository

TEMPLATES = {"es": "https://shop.example/es/p/{id}", "fr": "/fr/produit/{id}"}

#: Boot has links in en and es-ES; Cap an old single link; Tent a variant group whose rows
#: carry links per language; "A/B" has an id that a template must quote.
CATALOG = [
    {
        "id": "BOOT",
        "title": {"en": "Trail boot", "es": "Bota"},
        "url": {"en": "https://shop.example/en/p/boot", "es-ES": "https://shop.example/es-es/bota"},
        "prices": {"USD": "90.00"},
    },
    {"id": "CAP", "title": "Trail cap", "url": "/p/cap", "prices": {"USD": "10.00"}},
    {"id": "A/B", "title": "Trail sock", "url": "/p/sock", "prices": {"USD": "5.00"}},
    {
        "id": "TENT-S",
        "group": "TENT",
        "title": "Trail tent S",
        "url": {"en": "/en/p/tent?size=s", "es": "/es/p/tienda?talla=s"},
        "attributes": {"size": "S"},
        "prices": {"USD": "200.00"},
    },
    {
        "id": "TENT-L",
        "group": "TENT",
        "title": "Trail tent L",
        "url": "/en/p/tent?size=l",
        "attributes": {"size": "L"},
        "prices": {"USD": "250.00"},
    },
]

#: Every product's productUrl per requested locale. es-ES: the stored es-ES link, else an es
#: link, else the es template (before the shop's English link); en-GB: English links, the
#: template of no language in the chain; fr-FR: the fr template beats English links; de-DE:
#: no link nor template in German: the shop's default (en) links.
EXPECTED = {
    "es-ES": {
        "BOOT": "https://shop.example/es-es/bota",
        "CAP": "https://shop.example/es/p/CAP",
        "A/B": "https://shop.example/es/p/A%2FB",
        "TENT": "https://shop.example/es/p/tienda?talla=s",
        "TENT-S": "https://shop.example/es/p/tienda?talla=s",
        "TENT-L": "https://shop.example/es/p/TENT-L",
    },
    "en-GB": {
        "BOOT": "https://shop.example/en/p/boot",
        "CAP": "https://shop.example/p/cap",
        "A/B": "https://shop.example/p/sock",
        "TENT": "https://shop.example/en/p/tent?size=s",
        "TENT-S": "https://shop.example/en/p/tent?size=s",
        "TENT-L": "https://shop.example/en/p/tent?size=l",
    },
    "fr-FR": {
        "BOOT": "https://shop.example/fr/produit/BOOT",
        "CAP": "https://shop.example/fr/produit/CAP",
        "A/B": "https://shop.example/fr/produit/A%2FB",
        "TENT": "https://shop.example/fr/produit/TENT",
        "TENT-S": "https://shop.example/fr/produit/TENT-S",
        "TENT-L": "https://shop.example/fr/produit/TENT-L",
    },
    "de-DE": {
        "BOOT": "https://shop.example/en/p/boot",
        "CAP": "https://shop.example/p/cap",
        "A/B": "https://shop.example/p/sock",
        "TENT": "https://shop.example/en/p/tent?size=s",
        "TENT-S": "https://shop.example/en/p/tent?size=s",
        "TENT-L": "https://shop.example/en/p/tent?size=l",
    },
}


def import_feed(config: Path, feed: Path, text: str, *options: str) -> Result:
    """`oct8ne-adapter import-catalog` over the test's database."""
    feed.write_text(text, encoding="utf-8")
    return CliRunner().invoke(
        cli, ["--config", str(config), "import-catalog", *options, str(feed)], prog_name="x"
    )


@pytest.fixture
def config(empty_database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    return path


@pytest.fixture(params=["index", "sql"])
def shop(
    request: pytest.FixtureRequest, config: Path, empty_database_url: str, tmp_path: Path
) -> Iterator[Flask]:
    """The catalog above imported, served with the templates by the search engine asked for."""
    text = "".join(json.dumps(item) + "\n" for item in CATALOG)
    result = import_feed(config, tmp_path / "catalog.jsonl", text)
    assert result.exit_code == 0, result.output
    settings = adapter_config(
        empty_database_url,
        OCT8NE_PRODUCT_URL_TEMPLATES=TEMPLATES,
        OCT8NE_SEARCH_ENGINE=request.param,
    )
    with adapter_app(settings) as application:
        yield application


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_product_url_follows_the_language_chain(shop: Flask, locale: str) -> None:
    client = shop.test_client()
    expected = EXPECTED[locale]
    ids = ",".join(expected)
    infos = frame(client, "productInfo", productIds=ids, locale=locale)
    assert {info["internalId"]: info["productUrl"] for info in infos} == expected
    summaries = frame(client, "productSummary", productIds=ids, locale=locale)
    assert {item["internalId"]: item["productUrl"] for item in summaries} == expected
    found = frame(client, "search", search="trail", locale=locale)
    assert {item["internalId"]: item["productUrl"] for item in found["results"]} == {
        product: url
        for product, url in expected.items()
        if product in {"BOOT", "CAP", "A/B", "TENT"}
    }


def test_without_templates_every_link_is_as_before_or_the_languages_own(
    config: Path, empty_database_url: str, tmp_path: Path
) -> None:
    text = "".join(json.dumps(item) + "\n" for item in CATALOG)
    assert import_feed(config, tmp_path / "catalog.jsonl", text).exit_code == 0
    with adapter_app(adapter_config(empty_database_url)) as application:
        client = application.test_client()
        cap, boot = frame(client, "productInfo", productIds="CAP,BOOT", locale="es-ES")
        # An old single-string url: the same link for every visitor, as before.
        assert cap["productUrl"] == "https://shop.example/p/cap"
        assert boot["productUrl"] == "https://shop.example/es-es/bota"
        [boot_mx] = frame(client, "productInfo", productIds="BOOT", locale="es-MX")
        # es-ES is a sibling region of es-MX: it ranks before the shop's English link.
        assert boot_mx["productUrl"] == "https://shop.example/es-es/bota"


GMC_HEADER = "id\ttitle\tdescription\tlink\tprice\tavailability\titem_group_id\tsize\n"


def test_a_merchant_center_feed_imported_again_for_another_locale_keeps_both_links(
    config: Path, empty_database_url: str, tmp_path: Path
) -> None:
    english = GMC_HEADER + (
        "MUG\tMug\tA mug.\thttps://shop.example/en/mug\t9.00 USD\tin_stock\t\t\n"
        "JK-M\tJacket M\t\thttps://shop.example/en/jacket?s=m\t50.00 USD\tin_stock\tJK\tM\n"
        "JK-L\tJacket L\t\thttps://shop.example/en/jacket?s=l\t50.00 USD\tin_stock\tJK\tL\n"
    )
    spanish = GMC_HEADER + (
        "MUG\tTaza\tUna taza.\thttps://shop.example/es/taza\t8.00 EUR\tin_stock\t\t\n"
        "JK-M\tChaqueta M\t\thttps://shop.example/es/chaqueta?t=m\t45.00 EUR\tin_stock\tJK\tM\n"
        "JK-L\tChaqueta L\t\thttps://shop.example/es/chaqueta?t=l\t45.00 EUR\tin_stock\tJK\tL\n"
    )
    assert import_feed(config, tmp_path / "en.tsv", english).exit_code == 0
    result = import_feed(config, tmp_path / "es.tsv", spanish, "--locale", "es-ES")
    assert result.exit_code == 0, result.output
    # The English feed imported again (unchanged) must not drop the Spanish links either.
    assert import_feed(config, tmp_path / "en.tsv", english).exit_code == 0
    with adapter_app(adapter_config(empty_database_url)) as application:
        client = application.test_client()

        def links(locale: str) -> dict[str, str]:
            infos = frame(client, "productInfo", productIds="MUG,JK,JK-M,JK-L", locale=locale)
            return {info["internalId"]: info["productUrl"] for info in infos}

        assert links("es-ES") == {
            "MUG": "https://shop.example/es/taza",
            "JK": "https://shop.example/es/chaqueta?t=m",
            "JK-M": "https://shop.example/es/chaqueta?t=m",
            "JK-L": "https://shop.example/es/chaqueta?t=l",
        }
        assert links("en-GB") == {
            "MUG": "https://shop.example/en/mug",
            "JK": "https://shop.example/en/jacket?s=m",
            "JK-M": "https://shop.example/en/jacket?s=m",
            "JK-L": "https://shop.example/en/jacket?s=l",
        }
        found = frame(client, "search", search="taza", locale="es-ES")
        assert [item["productUrl"] for item in found["results"]] == ["https://shop.example/es/taza"]


def row(url: Any) -> dict[str, Any]:
    return {"id": "X1", "title": "Thing", "url": url, "prices": {"USD": "1.00"}}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ({"en": 42}, "url.en must be a string, not int"),
        ({"en": ["/p/1"]}, "url.en must be a string, not list"),
        ({"en": None}, "url.en must be a string, not NoneType"),
        ({"e n": "/p/1"}, "url: 'e n' is not a language tag such as 'en' or 'es-ES'"),
        ({"xx": "/p/1"}, "url: 'xx' is not a language or locale Babel knows"),
        ({"es-XX": "/p/1"}, "url: 'es-XX' is not a language or locale Babel knows"),
        ({"en": "javascript:alert(1)"}, "url.en must be absolute (https://...) or start with /"),
        ({"en": "ftp://shop.example/p/1"}, "url.en must be absolute (https://...) or start with /"),
        ({"en": ""}, "url.en is required"),
        ({}, "url must not be empty"),
        ({"es-ES": "/a", "es-es": "/b"}, "url: 'es-es' names the language 'es-ES' twice"),
        ("mailto:shop@example.com", "url must be absolute (https://...) or start with /"),
        (7, "url must be a URL or path without spaces"),
    ],
)
def test_a_hostile_url_is_a_bad_row_with_its_reason(url: Any, reason: str) -> None:
    parsed = parse_line(3, json.dumps(row(url)), "en")
    assert isinstance(parsed, Accepted)
    with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(").replace(")", r"\)")):
        parsed.build()


def test_a_hostile_url_is_reported_by_the_import_and_the_good_rows_go_in(
    config: Path, tmp_path: Path
) -> None:
    text = json.dumps(row({"en": 42})) + "\n" + json.dumps({**row("/p/2"), "id": "X2"}) + "\n"
    result = import_feed(config, tmp_path / "feed.jsonl", text)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "rejected line 1 (id X1): url.en must be a string, not int"
    ]
    assert "1 inserted" in result.stdout


def test_a_single_string_url_is_the_feed_languages_link() -> None:
    parsed = parse_line(1, json.dumps(row("/p/1")), "de")
    assert isinstance(parsed, Accepted) and not isinstance(parsed, Rejected)
    record = parsed.build()
    assert record.url == "/p/1" and dict(record.urls) == {"de": "/p/1"}
    record = parse_line(1, json.dumps(row({"fr": "/fr/1", "de-de": "/de/1"})), "de-DE").build()  # type: ignore[union-attr]
    # Tags are stored as visitors' chains write them; url is the feed language's link.
    assert record.url == "/de/1" and dict(record.urls) == {"fr": "/fr/1", "de-DE": "/de/1"}


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        ("https://x/{id}", "must be a table"),
        ({"es": "https://shop.example/es/p/"}, "containing '{id}'"),
        ({"es": "shop.example/{id}"}, "must start with https://"),
        ({"es": "https://shop.example/{id}/{sku}"}, "only {id} may be in braces"),
        ({"e s": "https://shop.example/{id}"}, "is not a language tag"),
        ({"es": 3}, "containing '{id}'"),
    ],
)
def test_a_bad_template_is_refused_at_start_up(templates: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        Settings.from_config({"OCT8NE_PRODUCT_URL_TEMPLATES": templates})


def test_template_tags_are_written_as_chains_write_them() -> None:
    settings = Settings.from_config({"OCT8NE_PRODUCT_URL_TEMPLATES": {"es-mx": "/mx/{id}"}})
    assert dict(settings.widget.product_url_templates) == {"es-MX": "/mx/{id}"}


def test_a_repository_without_link_languages_gets_the_chains_template(
    adapter_tables_url: str,
) -> None:
    """A shop's own repository returning links of no known language (`url_language` None):
    the template of the visitor's chain replaces them; no template, the link as before."""
    config = adapter_config(adapter_tables_url, OCT8NE_PRODUCT_URL_TEMPLATES=TEMPLATES)
    config.pop("OCT8NE_DEMO", None)
    client = create_app(config, repository=InMemoryRepository()).test_client()
    [spanish] = frame(client, "productInfo", productIds="1001", locale="es-ES")
    assert spanish["productUrl"] == "https://shop.example/es/p/1001"
    [german] = frame(client, "productSummary", productIds="1001", locale="de-DE")
    assert german["productUrl"] == "https://shop.example/shop/1001"
    found = frame(client, "search", search="", locale="fr-FR")
    assert found["results"] and all(
        item["productUrl"] == f"https://shop.example/fr/produit/{item['internalId']}"
        for item in found["results"]
    )
