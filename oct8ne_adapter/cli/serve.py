"""`serve`: the adapter app of the configuration, served (with the demo pages if `demo = true`)."""

from __future__ import annotations

import click

from oct8ne_adapter.cli.context import config_of
from oct8ne_adapter.cli.demo import configured_app
from oct8ne_adapter.cli.servers import metrics_directory, run_server, serve_options
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.warm import prepare_to_fork, warm_worker


@click.command()
@serve_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the adapter (gunicorn when installed)."""
    config = config_of(ctx)
    with metrics_directory(Settings.from_config(config).metrics.enabled) as worker_exited:
        app = configured_app(config)
        prepare_to_fork(app)
        run_server(app, host, port, workers, worker_exited, lambda: warm_worker(app))
