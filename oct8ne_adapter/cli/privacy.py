"""Privacy commands: `oct8ne-adapter purge` (retention) and `privacy export|erase`."""

from __future__ import annotations

import click

from oct8ne_adapter.cli.context import current_database, settings_of
from oct8ne_adapter.events.recorder import utcnow
from oct8ne_adapter.events.retention import purge_expired


@click.command("purge")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Rows deleted per transaction.",
)
@click.pass_context
def purge_command(ctx: click.Context, batch_size: int) -> None:
    """Delete recorded carts, orders and finished events older than retention_days."""
    settings = settings_of(ctx)
    days = settings.privacy.retention_days
    with current_database(settings) as database:
        counts = purge_expired(database, days, now=utcnow(), batch_size=batch_size)
    click.echo(f"purged {counts} older than {days} days")
