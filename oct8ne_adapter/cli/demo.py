"""`demo` and `load-demo`, and the app of a configuration with `demo = true`: the only module of
the package that imports the demo shop (oct8ne_adapter_demo), lazily, as a composition root may.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from oct8ne_adapter.cli.context import config_of, migrated_database, safe_url, settings_of
from oct8ne_adapter.cli.servers import run_server, serve_options
from oct8ne_adapter.settings import Settings, layered_config

#: Settings the demo uses unless the configuration says otherwise.
DEMO_DEFAULTS: dict[str, Any] = {
    "OCT8NE_DEMO": True,
    "OCT8NE_CURRENCIES": ["USD", "EUR"],
    "OCT8NE_EXCHANGE_RATES": {"GBP": "0.79"},
    "OCT8NE_SHOP_URL": "http://127.0.0.1:8000",
    "OCT8NE_LOGIN_PATH": "/demo/login",
    "OCT8NE_CHECKOUT_PATH": "/demo/cart",
    "OCT8NE_CHECKOUT_SUCCESS_PATH": "/demo/checkout/success",
}


def configured_app(config: Mapping[str, Any] | str | os.PathLike[str] | None = None) -> Flask:
    """`create_app(config)`, with the demo pages when the configuration says `demo = true`."""
    from oct8ne_adapter.app import create_app

    layers = layered_config(config)
    if not Settings.from_config(layers).demo:
        return create_app(layers)
    from oct8ne_adapter_demo import create_demo_app

    return create_demo_app(layers)


def _load_demo(settings: Settings) -> None:
    from oct8ne_adapter_demo.loader import load_demo

    with migrated_database(settings) as database:
        summary = load_demo(database)
    click.echo(
        f"demo data loaded into {safe_url(settings.database.url)}: {summary.products} products, "
        f"{summary.customers} customers, {summary.orders} orders"
    )


@click.command("load-demo")
@click.pass_context
def load_demo_command(ctx: click.Context) -> None:
    """Create the tables if needed and load the demo shop (idempotent)."""
    _load_demo(settings_of(ctx))


@click.command()
@serve_options
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Create the database if missing, load the demo shop, and serve it."""
    from oct8ne_adapter_demo import create_demo_app

    extra = {**DEMO_DEFAULTS, "OCT8NE_SHOP_URL": f"http://{host}:{port}"}
    settings = settings_of(ctx, extra)
    _load_demo(settings)
    click.echo(f"demo shop: http://{host}:{port}/demo/  (sign in as Jane at /demo/login)")
    run_server(create_demo_app(config_of(ctx, extra)), host, port, workers)
