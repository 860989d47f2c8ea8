"""The `oct8ne-adapter` command: one group over the command modules of this package.

context (configuration, database, one-line errors) < db, catalog, platform, serve, demo, relay,
check, secret, privacy: each module is one concern; this one only assembles them.
"""

from __future__ import annotations

from pathlib import Path

import click

from oct8ne_adapter.cli.catalog import import_catalog
from oct8ne_adapter.cli.check import check_command
from oct8ne_adapter.cli.context import AdapterCommands, remember_config_path
from oct8ne_adapter.cli.db import init_db, migrate
from oct8ne_adapter.cli.demo import demo, load_demo_command
from oct8ne_adapter.cli.platform import linkup, status, unlink
from oct8ne_adapter.cli.privacy import privacy_group, purge_command
from oct8ne_adapter.cli.relay import relay_group, relay_worker
from oct8ne_adapter.cli.secret import secret_command
from oct8ne_adapter.cli.serve import serve


@click.group(cls=AdapterCommands)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML configuration file (default: $OCT8NE_CONFIG).",
)
@click.version_option(package_name="oct8ne-adapter")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """oct8ne adapter: serve the oct8ne 2.4 frame protocol from your shop's catalog."""
    remember_config_path(ctx, config_path)


for command in (
    init_db,
    migrate,
    load_demo_command,
    import_catalog,
    linkup,
    unlink,
    status,
    serve,
    demo,
    check_command,
    relay_worker,
    relay_group,
    secret_command,
    purge_command,
    privacy_group,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="oct8ne-adapter")
