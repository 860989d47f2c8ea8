"""`serve`: the adapter app of the configuration, served (with the demo pages if `demo = true`)."""

from __future__ import annotations

import click

from oct8ne_adapter.cli.context import config_of
from oct8ne_adapter.cli.demo import configured_app
from oct8ne_adapter.cli.servers import run_server, serve_options


@click.command()
@serve_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the adapter (gunicorn when installed)."""
    run_server(configured_app(config_of(ctx)), host, port, workers)
