"""cli.py: the `oct8ne-adapter` command, run through Click's runner over real databases.

Most tests use SQLite files; the import atomicity test also runs on PostgreSQL and MariaDB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import adapter_config, frame
from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from oct8ne_adapter import create_app
from oct8ne_adapter.cli import cli
from oct8ne_adapter.sql.database import create_database_engine
from oct8ne_adapter.sql.models import Base, Product, ProductTranslation
from oct8ne_adapter_demo.loader import CATALOG_FILE

COMMANDS = ["init-db", "load-demo", "import-catalog", "serve", "demo"]


def product_line(product_id: str, title: str = "Imported product", **fields: Any) -> str:
    """One catalog line."""
    data = {
        "id": product_id,
        "title": title,
        "url": f"/p/{product_id}",
        "prices": {"USD": "19.90"},
        **fields,
    }
    return json.dumps(data)


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the command's SQLite database goes (not created yet)."""
    return tmp_path / "x.db"


@pytest.fixture
def config_file(tmp_path: Path, database_path: Path) -> Path:
    """A configuration file pointing at a fresh SQLite database."""
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "sqlite:///{database_path}"\n', encoding="utf-8")
    return path


@pytest.fixture
def engine(database_path: Path) -> Iterator[Engine]:
    """An engine over the command's database, to check what it wrote."""
    database_engine = create_database_engine(f"sqlite:///{database_path}")
    yield database_engine
    database_engine.dispose()


def invoke(runner: CliRunner, config: Path, *args: str) -> Result:
    """Run `oct8ne-adapter --config CONFIG ARGS...`."""
    return runner.invoke(cli, ["--config", str(config), *args], prog_name="oct8ne-adapter")


def assert_clean_failure(result: Result, *needles: str) -> str:
    """A non-zero exit with a one-line `Error: ...` reason (returned) and no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [text for text in result.output.splitlines() if text.startswith("Error")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], result.output
    return errors[0]


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the adapter's schema."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def product_ids(engine: Engine) -> set[str]:
    """External ids of the products in the database."""
    if not inspect(engine).has_table("products"):
        return set()
    with engine.connect() as connection:
        return set(connection.execute(select(Product.external_id)).scalars())


def demo_catalog_size() -> int:
    """Products in the demo catalog: the non-blank lines of its JSON Lines file."""
    return sum(1 for line in CATALOG_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def served_app(database_path: Path) -> Flask:
    """The adapter app serving this SQLite database."""
    return create_app(adapter_config(f"sqlite:///{database_path}"))


# -- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--help"], prog_name="oct8ne-adapter")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: oct8ne-adapter {' '.join(command)}".rstrip())
    assert "--help" in result.output


def test_the_group_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"], prog_name="oct8ne-adapter")
    assert all(name in result.output for name in COMMANDS)
    assert "--config" in result.output


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_serving_commands_document_their_options(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert all(option in result.output for option in ("--host", "--port", "--workers"))


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"], prog_name="oct8ne-adapter")
    assert result.exit_code == 0
    assert "0.1.0" in result.output


def test_an_unknown_command_fails(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# -- init-db and load-demo ----------------------------------------------------------------------


def test_init_db_creates_the_tables(
    runner: CliRunner, config_file: Path, database_path: Path, engine: Engine
) -> None:
    assert not database_path.exists()
    result = invoke(runner, config_file, "init-db")
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    tables = set(inspect(engine).get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    assert all(count == 0 for count in row_counts(engine).values())


def test_init_db_twice_is_harmless(runner: CliRunner, config_file: Path) -> None:
    assert invoke(runner, config_file, "init-db").exit_code == 0
    assert invoke(runner, config_file, "init-db").exit_code == 0


def test_init_db_never_shows_the_database_password(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "pg.toml"
    config.write_text(
        'database_url = "postgresql://shop:s3cret-pw@127.0.0.1:1/shop"\n', encoding="utf-8"
    )
    result = invoke(runner, config, "init-db")
    assert_clean_failure(result)
    assert "s3cret-pw" not in result.output


def test_load_demo_twice_is_idempotent(
    runner: CliRunner, config_file: Path, engine: Engine
) -> None:
    first = invoke(runner, config_file, "load-demo")
    assert first.exit_code == 0, first.output
    assert f"{demo_catalog_size()} products" in first.output
    after_first = row_counts(engine)
    assert after_first["products"] == demo_catalog_size()
    assert after_first["customers"] == 2
    assert after_first["orders"] > 0

    second = invoke(runner, config_file, "load-demo")
    assert second.exit_code == 0, second.output
    after_second = row_counts(engine)
    # Each load appends one "anything changed" entry to the catalog change log; nothing else.
    assert after_second.pop("catalog_changes") == after_first.pop("catalog_changes") + 1
    assert after_second == after_first


# -- import-catalog -----------------------------------------------------------------------------


def test_an_imported_catalog_is_served(
    runner: CliRunner, config_file: Path, tmp_path: Path, database_path: Path
) -> None:
    feed = tmp_path / "catalog.jsonl"
    lines = [
        product_line("A-1", "Granite climbing chalk bag", prices={"USD": "19.90"}),
        product_line(
            "A-2",
            "Alpine rope",
            prices={"USD": {"price": "120.00", "previous": "150.00"}, "EUR": "110.00"},
            variants=True,
        ),
        "",
        product_line("A-3", "Belay device", prices={"USD": "1500.00"}),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, config_file, "import-catalog", str(feed))
    assert result.exit_code == 0, result.output
    assert "imported 3 products" in result.stdout

    app = served_app(database_path)
    try:
        client = app.test_client()
        products = frame(client, "productInfo", productIds="A-3,A-1,A-2,unknown")
        assert [item["internalId"] for item in products] == ["A-3", "A-1", "A-2"]
        assert products[0]["title"] == "Belay device"
        assert products[0]["formattedPrice"] == "$1,500.00"
        assert products[2]["formattedPrevPrice"] == "$150.00"
        assert products[2]["useProductUrl"] is True
        assert products[1]["productUrl"] == "https://shop.example/p/A-1"
        euro = frame(client, "productSummary", productIds="A-2", locale="es-ES", currency="EUR")
        assert euro[0]["formattedPrice"] == "110,00\xa0€"
        found = frame(client, "search", search="climbing chalk")
        assert [item["internalId"] for item in found["results"]] == ["A-1"]
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


def test_importing_again_updates_the_products(
    runner: CliRunner, config_file: Path, tmp_path: Path, engine: Engine
) -> None:
    feed = tmp_path / "catalog.jsonl"
    feed.write_text(product_line("A-1", "Old title") + "\n", encoding="utf-8")
    assert invoke(runner, config_file, "import-catalog", str(feed)).exit_code == 0
    feed.write_text(product_line("A-1", "New title") + "\n", encoding="utf-8")
    assert invoke(runner, config_file, "import-catalog", str(feed)).exit_code == 0
    with engine.connect() as connection:
        titles = connection.execute(select(ProductTranslation.title)).scalars().all()
    assert titles == ["New title"]
    assert product_ids(engine) == {"A-1"}


@pytest.mark.parametrize(("option", "language"), [([], "en"), (["--language", "es"], "es")])
def test_plain_titles_take_the_import_language(
    runner: CliRunner,
    config_file: Path,
    tmp_path: Path,
    engine: Engine,
    option: list[str],
    language: str,
) -> None:
    feed = tmp_path / "catalog.jsonl"
    feed.write_text(product_line("A-1", "Cuerda") + "\n", encoding="utf-8")
    result = invoke(runner, config_file, "import-catalog", *option, str(feed))
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        languages = connection.execute(select(ProductTranslation.language)).scalars().all()
    assert languages == [language]


def test_strict_aborts_on_a_bad_line_and_commits_nothing(
    runner: CliRunner, empty_database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    feed = tmp_path / "catalog.jsonl"
    lines = [product_line("A-1"), product_line("A-2"), product_line("A-3", prices={"USD": "-1"})]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, config, "import-catalog", "--strict", str(feed))
    assert_clean_failure(result, "line 3", "A-3")
    engine = create_database_engine(empty_database_url)
    try:
        assert product_ids(engine) == set()
    finally:
        engine.dispose()


def test_by_default_good_lines_are_imported_and_bad_ones_reported(
    runner: CliRunner, empty_database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    feed = tmp_path / "catalog.jsonl"
    lines = [
        product_line("A-1"),
        product_line("A-2", prices={"USD": "-1"}),
        "{broken",
        product_line("A-3"),
        product_line("A-1", "Again"),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, config, "import-catalog", str(feed))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "rejected line 2 (id A-2): prices.USD must be between 0 and 999999999999",
        "rejected line 3: not valid JSON (Expecting property name enclosed in double quotes)",
        "rejected line 5 (id A-1): the product id appears more than once in the feed",
    ]
    assert result.stdout.strip().endswith(
        "2 inserted, 0 updated, 0 unchanged, 0 pruned, 3 rejected"
    )
    engine = create_database_engine(empty_database_url)
    try:
        assert product_ids(engine) == {"A-1", "A-3"}
    finally:
        engine.dispose()


def test_a_failed_strict_import_leaves_existing_products_unchanged(
    runner: CliRunner, database_file: Path, tmp_path: Path
) -> None:
    config = tmp_path / "seeded.toml"
    config.write_text(f'database_url = "sqlite:///{database_file}"\n', encoding="utf-8")
    feed = tmp_path / "catalog.jsonl"
    lines = [product_line("1001", "Renamed shoe"), product_line("NEW-1"), "{broken"]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, config, "import-catalog", "--strict", str(feed))
    assert_clean_failure(result, "line 3", "not valid JSON")

    app = served_app(database_file)
    try:
        client = app.test_client()
        products = frame(client, "productInfo", productIds="1001,NEW-1")
        assert [item["internalId"] for item in products] == ["1001"]
        assert products[0]["title"] == "Trail Running Shoe"
        assert products[0]["formattedPrice"] == "$89.90"
    finally:
        app.extensions["oct8ne"].database.engine.dispose()


def test_a_file_that_is_not_utf8_is_refused_cleanly(
    runner: CliRunner, config_file: Path, tmp_path: Path, engine: Engine
) -> None:
    feed = tmp_path / "latin1.jsonl"
    text = (
        product_line("A-1")
        + "\n"
        + json.dumps({"id": "A-2", "title": "Caf\u00e9"}, ensure_ascii=False)
    )
    feed.write_bytes(text.encode("latin-1"))
    result = invoke(runner, config_file, "import-catalog", str(feed))
    assert_clean_failure(result, "UTF-8")
    assert product_ids(engine) == set()


def test_a_missing_file_is_refused_cleanly(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    result = invoke(runner, config_file, "import-catalog", str(tmp_path / "nope.jsonl"))
    assert_clean_failure(result, "nope.jsonl")


def test_a_directory_is_refused_cleanly(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    assert_clean_failure(invoke(runner, config_file, "import-catalog", str(tmp_path)))


def test_an_empty_file_imports_nothing(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "empty.jsonl"
    feed.write_text("", encoding="utf-8")
    result = invoke(runner, config_file, "import-catalog", str(feed))
    assert result.exit_code == 0, result.output
    assert "imported 0 products" in result.output


@pytest.mark.parametrize("option", ["--prune", "--force-prune"])
def test_a_localized_feed_cannot_prune(
    runner: CliRunner, config_file: Path, tmp_path: Path, option: str
) -> None:
    feed = tmp_path / "es.jsonl"
    feed.write_text(product_line("A-1") + "\n", encoding="utf-8")
    result = invoke(runner, config_file, "import-catalog", "--locale", "es-ES", option, str(feed))
    assert_clean_failure(result, "a localized feed cannot prune")


def test_a_hostile_line_is_refused_cleanly(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "catalog.jsonl"
    feed.write_text(
        product_line("A-1") + "\n" + product_line("A-2", stock=0).replace("0}", "9" * 5000 + "}"),
        encoding="utf-8",
    )
    result = invoke(runner, config_file, "import-catalog", str(feed))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("rejected line 2: not valid JSON")
    strict = invoke(runner, config_file, "import-catalog", "--strict", str(feed))
    assert_clean_failure(strict, "line 2")


# -- bad configuration --------------------------------------------------------------------------

BAD_CONFIGS = [
    ('colour = "red"\n', "unknown key 'colour'"),
    ('api_token = "unterminated\n', "not valid TOML"),
    ("max_page_size = -1\n", "OCT8NE_MAX_PAGE_SIZE"),
    ('shop_url = "shop.example"\n', "OCT8NE_SHOP_URL"),
    ('database_url = "not a url"\n', "OCT8NE_DATABASE_URL"),
    ('events_secret = "a"\n', "oct8ne-adapter secret"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_CONFIGS, ids=[r for _, r in BAD_CONFIGS])
@pytest.mark.parametrize(
    "command",
    [["init-db"], ["load-demo"], ["import-catalog", "FEED"], ["serve"], ["demo"]],
    ids=lambda command: command[0],
)
def test_a_bad_configuration_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path, text: str, reason: str, command: list[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    feed = tmp_path / "catalog.jsonl"
    feed.write_text(product_line("A-1") + "\n", encoding="utf-8")
    args = [str(feed) if part == "FEED" else part for part in command]
    assert_clean_failure(invoke(runner, config, *args), reason)


def test_a_missing_configuration_file_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert_clean_failure(invoke(runner, tmp_path / "missing.toml", "init-db"), "missing.toml")


def test_oct8ne_config_is_used_without_config_option(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('colour = "red"\n', encoding="utf-8")
    monkeypatch.setenv("OCT8NE_CONFIG", str(config))
    assert_clean_failure(runner.invoke(cli, ["init-db"]), "unknown key 'colour'")


def test_the_database_url_variable_overrides_the_file(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    config_file: Path,
    tmp_path: Path,
    database_path: Path,
) -> None:
    other = tmp_path / "from-env.db"
    monkeypatch.setenv("OCT8NE_DATABASE_URL", f"sqlite:///{other}")
    assert invoke(runner, config_file, "init-db").exit_code == 0
    assert other.exists()
    assert not database_path.exists()


def test_a_configuration_that_is_not_utf8_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes('api_token = "caf\u00e9"\n'.encode("latin-1"))
    assert_clean_failure(invoke(runner, config, "init-db"), "latin1.toml")


def test_an_impossible_sqlite_location_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "sqlite:///{blocker}/sub/x.db"\n', encoding="utf-8")
    assert_clean_failure(invoke(runner, config, "init-db"))
