"""Schema life cycle: init-db and migrate through the packaged Alembic migrations, per backend."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from conftest import adapter_config
from sqlalchemy import insert, inspect

from oct8ne_adapter import create_app
from oct8ne_adapter.cli import cli
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import Product, ProductPrice, ProductTranslation
from oct8ne_adapter.sql.schema import current_revision, head_revision, upgrade

FIRST_REVISION = "0001"


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "{database_url}"\n', encoding="utf-8")
    return path


def test_init_db_creates_the_newest_schema(empty_database_url: str, tmp_path: Path):
    config = write_config(tmp_path, empty_database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "init-db"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    engine = create_database_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert {"products", "orders", "shop_sessions"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_database_made_by_an_older_migration_is_upgraded(empty_database_url: str, tmp_path: Path):
    """Products written at revision 0001 (before the search index) are searchable after migrate."""
    engine = create_database_engine(empty_database_url)
    try:
        assert upgrade(engine, FIRST_REVISION) == (None, FIRST_REVISION)
        with Database(engine).transaction() as session:
            # Core, naming only the columns revision 0001 has (later ones add columns).
            inserted = session.execute(
                insert(Product.__table__).values(
                    external_id="OLD-1",
                    url="/p/old-1",
                    thumbnail_url=None,
                    has_variants=False,
                    stock=3,
                    active=True,
                    position=0,
                    updated_at=datetime(2026, 1, 1),
                )
            )
            product_pk = inserted.inserted_primary_key[0]
            session.add_all(
                [
                    ProductTranslation(
                        product_pk=product_pk,
                        language="en",
                        title="Heritage Lantern",
                        sort_key="heritage lantern",
                        description="Brass, from 0001.",
                    ),
                ]
            )
            # Core again: 0013 added the sale window columns.
            session.execute(
                insert(ProductPrice).values(
                    product_pk=product_pk, currency="USD", amount_minor=4500
                )
            )
    finally:
        engine.dispose()

    config = write_config(tmp_path, empty_database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "migrate"])
    assert result.exit_code == 0, result.output
    assert f"from {FIRST_REVISION} to {head_revision()}" in result.output

    app = create_app(adapter_config(empty_database_url))
    try:
        found = app.test_client().get("/oct8ne/frame/search?search=lantern").get_json()
        assert found["total"] == 1
        assert found["results"][0]["internalId"] == "OLD-1"
        assert found["results"][0]["formattedPrice"] == "$45.00"
    finally:
        app.extensions["oct8ne"].database.engine.dispose()

    again = CliRunner().invoke(cli, ["--config", str(config), "migrate"])
    assert again.exit_code == 0 and "already at revision" in again.output


def test_migrate_to_an_unknown_revision_is_a_one_line_error(
    empty_database_url: str, tmp_path: Path
):
    config = write_config(tmp_path, empty_database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "migrate", "--revision", "9999"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "9999" in result.output
