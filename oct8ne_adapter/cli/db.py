"""`init-db` and `migrate`: the schema through the migrations."""

from __future__ import annotations

import click
from alembic.util.exc import CommandError

from oct8ne_adapter.cli.context import open_database, safe_url, settings_of
from oct8ne_adapter.sql.schema import HEAD, upgrade


@click.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create the adapter's tables in the configured database (through the migrations)."""
    settings = settings_of(ctx)
    with open_database(settings) as database:
        _, after = upgrade(database.engine)
    click.echo(f"database ready at revision {after}: {safe_url(settings.database.url)}")


@click.command()
@click.option("--revision", default=HEAD, show_default=True, help="Target revision.")
@click.pass_context
def migrate(ctx: click.Context, revision: str) -> None:
    """Upgrade an existing database to the newest schema (back it up first)."""
    settings = settings_of(ctx)
    try:
        with open_database(settings) as database:
            before, after = upgrade(database.engine, revision)
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    if before == after:
        click.echo(f"already at revision {after}: {safe_url(settings.database.url)}")
    else:
        click.echo(f"migrated {safe_url(settings.database.url)} from {before} to {after}")
