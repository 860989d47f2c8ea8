"""settings.py: defaults, the TOML file, environment overrides, and validation of every value."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from oct8ne_adapter import create_app
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import (
    DEFAULT_DATABASE_URL,
    Settings,
    config_keys,
    layered_config,
    load_config_file,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_toml(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    """A configuration file with this text."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def settings_from_file(path: Path) -> Settings:
    """Settings exactly as the CLI and create_app build them from a file."""
    return Settings.from_config(layered_config(path, environ={}))


# -- defaults -----------------------------------------------------------------------------------


def current(value: Any) -> Any:
    """A setting's value; of a secret list (api_token), the current secret."""
    return value[0] if isinstance(value, tuple) else value


def test_defaults() -> None:
    settings = Settings.from_config({})
    assert settings == Settings()
    assert settings.enabled is True
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.database.url.startswith("sqlite:///")  # DESIGN §4: an embedded default
    assert settings.link.api_token == ""
    assert settings.link.license == ""
    assert settings.default_locale == "en-US"
    assert settings.default_currency == "USD"
    assert settings.accepted_currencies == frozenset({"USD"})
    assert settings.search.default_page_size == 10  # spec: "Page size. The default value is 10."
    assert settings.search.max_page_size == 100
    assert settings.search.max_product_ids == 100
    assert "{id}" in settings.widget.add_to_cart_path
    assert settings.demo is False


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().link.license = "changed"  # type: ignore[misc]


def test_flask_config_keys_other_than_settings_are_ignored() -> None:
    settings = Settings.from_config({"SECRET_KEY": "x", "TESTING": True, "OCT8NE_API_TOKEN": "t"})
    assert settings.link.api_token == "t"


def test_accepted_currencies_are_the_shops_the_stored_and_the_converted() -> None:
    settings = Settings.from_config(
        {
            "OCT8NE_DEFAULT_CURRENCY": "EUR",
            "OCT8NE_CURRENCIES": ["USD"],
            "OCT8NE_EXCHANGE_RATES": {"GBP": "0.85"},
        }
    )
    assert settings.accepted_currencies == frozenset({"EUR", "USD", "GBP"})


# -- the TOML file ------------------------------------------------------------------------------


def test_a_toml_file_sets_every_kind_of_value(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        """
enabled = false
database_url = "sqlite:///shop.db"
api_token = "file-token"
license = "LIC-1"
shop_url = "https://shop.example"
add_to_cart_path = "/basket/add?product={id}"
default_locale = "es-ES"
default_currency = "EUR"
currencies = ["USD"]
default_page_size = 20
max_page_size = 50
max_product_ids = 30
demo = true

[exchange_rates]
GBP = 0.85
JPY = "160"
""",
    )
    settings = settings_from_file(path)
    assert settings.enabled is False
    assert settings.database.url == "sqlite:///shop.db"
    assert settings.link.api_token == "file-token"
    assert settings.link.license == "LIC-1"
    assert settings.shop_url == "https://shop.example"
    assert settings.widget.add_to_cart_path == "/basket/add?product={id}"
    assert settings.default_locale == "es-ES"
    assert settings.default_currency == "EUR"
    assert settings.currencies == ("USD",)
    assert (settings.search.default_page_size, settings.search.max_page_size) == (20, 50)
    assert settings.search.max_product_ids == 30
    assert settings.demo is True
    # A TOML float becomes the Decimal it reads as, not 0.84999999...
    assert settings.exchange_rates == {"GBP": Decimal("0.85"), "JPY": Decimal("160")}
    assert str(settings.exchange_rates["GBP"]) == "0.85"


def test_load_config_file_prefixes_the_keys(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'api_token = "x"\nmax_page_size = 40\n')
    assert load_config_file(path) == {"OCT8NE_API_TOKEN": "x", "OCT8NE_MAX_PAGE_SIZE": 40}
    assert load_config_file(str(path)) == load_config_file(path)


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert settings_from_file(write_toml(tmp_path, "# nothing\n")) == Settings()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('colour = "red"\n', "colour"),
        ('api_token = "x"\napiToken = "y"\n', "apiToken"),
        ('OCT8NE_API_TOKEN = "x"\n', "OCT8NE_API_TOKEN"),
        ('[database]\nurl = "sqlite:///x.db"\n', "database"),
    ],
)
def test_an_unknown_key_is_refused_by_name(tmp_path: Path, text: str, key: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError, match=f"unknown key '{key}'") as caught:
        load_config_file(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "api_token = \n",
        'api_token = "unterminated\n',
        "[exchange_rates\n",
        'api_token = "a"\napi_token = "b"\n',  # TOML forbids redefining a key
        "just some words\n",
    ],
)
def test_bad_toml_is_refused(tmp_path: Path, text: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config_file(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_a_file_that_is_not_utf8_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('api_token = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="config.toml"):
        load_config_file(path)


def test_a_directory_is_refused_cleanly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=str(tmp_path)):
        load_config_file(tmp_path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="not found") as caught:
        load_config_file(missing)
    assert str(missing) in str(caught.value)


# -- layering: file < environment < explicit mapping ---------------------------------------------
# DESIGN §4: "The file is chosen by --config or OCT8NE_CONFIG; these environment variables override
# it: OCT8NE_DATABASE_URL, OCT8NE_API_TOKEN, OCT8NE_LICENSE."

FILE_VALUES = """
database_url = "sqlite:///from-file.db"
api_token = "file-token"
license = "file-license"
shop_url = "https://file.example"
"""


@pytest.mark.parametrize(
    ("variable", "field", "value"),
    [
        ("OCT8NE_DATABASE_URL", "database_url", "sqlite:///from-env.db"),
        ("OCT8NE_API_TOKEN", "api_token", "env-token"),
        ("OCT8NE_LICENSE", "license", "env-license"),
    ],
)
def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, field: str, value: str
) -> None:
    path = write_toml(tmp_path, FILE_VALUES)
    monkeypatch.setenv(variable, value)
    settings = Settings.from_config(layered_config(path))
    assert current(settings.value_of(field)) == value
    # The other keys still come from the file.
    assert settings.shop_url == "https://file.example"
    others = {"database_url", "api_token", "license"} - {field}
    assert all(
        current(settings.value_of(name)).startswith(("file-", "sqlite:///from-file"))
        for name in others
    )


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("OCT8NE_DATABASE_URL", "database_url"),
        ("OCT8NE_API_TOKEN", "api_token"),
        ("OCT8NE_LICENSE", "license"),
    ],
)
def test_an_explicit_mapping_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, field: str
) -> None:
    monkeypatch.setenv("OCT8NE_CONFIG", str(write_toml(tmp_path, FILE_VALUES)))
    monkeypatch.setenv(variable, "from-env")
    explicit = "sqlite:///explicit.db" if field == "database_url" else "explicit"
    settings = Settings.from_config(layered_config({variable: explicit}))
    assert current(settings.value_of(field)) == explicit
    assert settings.shop_url == "https://file.example"  # the file is still read


def test_only_the_listed_variables_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path, FILE_VALUES)
    monkeypatch.setenv("OCT8NE_SHOP_URL", "https://env.example")
    monkeypatch.setenv("OCT8NE_DEMO", "true")
    settings = Settings.from_config(layered_config(path))
    assert settings.shop_url == "https://file.example"
    assert settings.demo is False


def test_an_empty_variable_does_not_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCT8NE_API_TOKEN", "")
    settings = Settings.from_config(layered_config(write_toml(tmp_path, FILE_VALUES)))
    assert settings.link.api_token == "file-token"


def test_oct8ne_config_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCT8NE_CONFIG", str(write_toml(tmp_path, FILE_VALUES)))
    assert Settings.from_config(layered_config(None)).link.api_token == "file-token"


def test_an_explicit_path_wins_over_oct8ne_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCT8NE_CONFIG", str(write_toml(tmp_path, FILE_VALUES, "env.toml")))
    chosen = write_toml(tmp_path, 'api_token = "chosen"\n', "chosen.toml")
    assert Settings.from_config(layered_config(chosen)).link.api_token == "chosen"


def test_no_file_and_no_environment_is_the_defaults() -> None:
    assert Settings.from_config(layered_config(None, environ={})) == Settings()


def test_a_missing_oct8ne_config_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCT8NE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml"):
        layered_config(None)


def test_create_app_layers_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "app.db"
    path = write_toml(tmp_path, FILE_VALUES + 'default_currency = "EUR"\n')
    monkeypatch.setenv("OCT8NE_CONFIG", str(path))
    monkeypatch.setenv("OCT8NE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("OCT8NE_API_TOKEN", "env-token")
    app = create_app({"OCT8NE_LICENSE": "explicit"})
    try:
        settings = app.extensions["oct8ne"].settings
        assert settings.default_currency == "EUR"  # file
        assert settings.database.url == f"sqlite:///{database}"  # environment over file
        assert settings.link.api_token == "env-token"  # environment over file
        assert settings.link.license == "explicit"  # mapping over file
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


# -- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("enabled", "maybe"),
        ("enabled", 1),
        ("enabled", None),
        ("demo", "sometimes"),
        ("demo", []),
        ("max_page_size", -1),
        ("max_page_size", 0),
        ("max_page_size", "many"),
        ("max_page_size", 2.5),
        ("max_page_size", True),
        ("default_page_size", -5),
        ("max_product_ids", 0),
        ("max_product_ids", "-3"),
        ("related_limit", []),
        ("shop_url", "shop.example"),
        ("shop_url", "ftp://shop.example"),
        ("shop_url", "/relative"),
        ("shop_url", 5),
        ("add_to_cart_path", "/cart/add"),
        ("add_to_cart_path", "/cart/add/{product}"),
        ("api_token", 12345),
        ("database_url", ["sqlite:///x.db"]),
        ("default_locale", None),
        ("currencies", 5),
        ("currencies", ["USD", 5]),
        ("exchange_rates", "GBP=0.8"),
        ("exchange_rates", ["GBP", "0.8"]),
        ("prune_max_share", 1.5),
        ("prune_max_share", -0.1),
        ("prune_max_share", "a fifth"),
        ("prune_max_share", "nan"),
        ("prune_max_share", True),
        ("prune_max_share", None),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(field: str, value: Any) -> None:
    key = "OCT8NE_" + field.upper()
    with pytest.raises(ConfigError) as caught:
        Settings.from_config({key: value})
    assert key in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("default_currency", "usd"),
        ("default_currency", "EURO"),
        ("default_currency", "U$D"),
        ("default_currency", ""),
        ("currencies", ["USD", "eur"]),
        ("currencies", ["EU"]),
        ("exchange_rates", {"gbp": "0.8"}),
        ("exchange_rates", {"POUND": "0.8"}),
    ],
)
def test_a_bad_currency_code_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match="ISO 4217"):
        Settings.from_config({"OCT8NE_" + field.upper(): value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("default_currency", "usd"),
        ("currencies", ["USD", "eur"]),
        ("exchange_rates", {"gbp": "0.8"}),
    ],
)
def test_a_bad_currency_code_names_its_key(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_config({"OCT8NE_" + field.upper(): value})
    assert field in str(caught.value).lower()


@pytest.mark.parametrize(
    "rate",
    ["abc", "", 0, "0", -1, "-0.5", "NaN", "Infinity", "-inf", True, [1], {"x": 1}, None],
)
def test_a_bad_exchange_rate_is_refused_naming_the_currency(rate: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_config({"OCT8NE_EXCHANGE_RATES": {"GBP": rate}})
    message = str(caught.value)
    assert "exchange rate" in message and "GBP" in message


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("0.79", "0.79"), (0.92, "0.92"), (160, "160"), ("1e2", "1E+2"), (" 1.5 ", "1.5")],
)
def test_good_exchange_rates_are_decimals(rate: Any, expected: str) -> None:
    settings = Settings.from_config({"OCT8NE_EXCHANGE_RATES": {"GBP": rate}})
    assert settings.exchange_rates["GBP"] == Decimal(expected)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        # Values from the environment or a Flask config file arrive as strings.
        ("enabled", "false", False),
        ("enabled", "0", False),
        ("enabled", "off", False),
        ("enabled", "Yes", True),
        ("enabled", " TRUE ", True),
        ("demo", "1", True),
        ("max_page_size", "50", 50),
        ("max_page_size", " 60 ", 60),
        ("currencies", "USD,EUR", ("USD", "EUR")),
        ("currencies", "USD EUR", ("USD", "EUR")),
        ("currencies", ("EUR",), ("EUR",)),
        ("shop_url", "//shop.example", "//shop.example"),
        ("shop_url", "http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("prune_max_share", "0.5", 0.5),
        ("prune_max_share", 0, 0.0),
        ("prune_max_share", 1, 1.0),
    ],
)
def test_good_values_are_converted(field: str, value: Any, expected: Any) -> None:
    settings = Settings.from_config({"OCT8NE_" + field.upper(): value})
    assert settings.value_of(field) == expected


def test_default_page_size_cannot_exceed_the_maximum() -> None:
    with pytest.raises(ConfigError, match="OCT8NE_DEFAULT_PAGE_SIZE"):
        Settings.from_config({"OCT8NE_DEFAULT_PAGE_SIZE": 50, "OCT8NE_MAX_PAGE_SIZE": 20})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('enabled = "maybe"\n', "OCT8NE_ENABLED"),
        ("max_page_size = -1\n", "OCT8NE_MAX_PAGE_SIZE"),
        ('shop_url = "shop.example"\n', "OCT8NE_SHOP_URL"),
        ('add_to_cart_path = "/cart"\n', "OCT8NE_ADD_TO_CART_PATH"),
        ("[exchange_rates]\nGBP = -1\n", "GBP"),
        ('exchange_rates = "0.8"\n', "OCT8NE_EXCHANGE_RATES"),
        ("prune_max_share = 2\n", "OCT8NE_PRUNE_MAX_SHARE"),
    ],
)
def test_bad_values_in_a_file_are_refused_too(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        settings_from_file(write_toml(tmp_path, text))


# -- config.example.toml ------------------------------------------------------------------------


@pytest.fixture
def example_config() -> Path:
    """The repository's documented example configuration."""
    path = REPO_ROOT / "config.example.toml"
    if not path.exists():
        pytest.skip("config.example.toml is not written yet")
    return path


def test_the_example_configuration_loads_cleanly(example_config: Path) -> None:
    settings = settings_from_file(example_config)
    assert settings == Settings()  # it documents the defaults


def test_the_example_configuration_documents_every_key(example_config: Path) -> None:
    # DESIGN §4: "config.example.toml documents every key."
    text = example_config.read_text(encoding="utf-8")
    missing = [key for key in config_keys() if key not in text]
    assert missing == []


# -- [ratelimits] merges with the defaults (issue 16, item 4) -----------------------------------


def test_a_ratelimits_table_adds_to_the_default_limits_instead_of_replacing_them(
    tmp_path: Path, database_file: Path
) -> None:
    """`search = "60/minute"` alone once dropped the order methods' strict limit.

    Since issue 17 the token methods are guarded by the failed-authentication limiter, which no
    `[ratelimits]` table can change: failed getOrders checks are still refused after ten.
    """
    path = write_toml(
        tmp_path,
        f'database_url = "sqlite:///{database_file}"\napi_token = "t-0123456789"\n'
        '[ratelimits]\nsearch = "60/minute"\n',
    )
    assert dict(settings_from_file(path).ratelimits.methods) == {"search": "60/minute"}
    client = create_app(path).test_client()
    statuses = [
        client.get("/oct8ne/frame/getOrders", query_string={"apiToken": "wrong"}).status_code
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]
