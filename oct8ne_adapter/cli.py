"""The `oct8ne-adapter` command: database set-up, demo data, catalog import and serving."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url

from .catalog_feed import read_jsonl
from .errors import ConfigError, DataSourceUnavailable, ImportFailed
from .settings import Settings, layered_config
from .sql.database import Database, create_schema, settings_engine
from .sql.schema import HEAD, upgrade

#: Settings the demo uses unless the configuration says otherwise.
DEMO_DEFAULTS: dict[str, Any] = {
    "OCT8NE_DEMO": True,
    "OCT8NE_CURRENCIES": ["USD", "EUR"],
    "OCT8NE_EXCHANGE_RATES": {"GBP": "0.79"},
    "OCT8NE_SHOP_URL": "http://127.0.0.1:8000",
}


class AdapterCommands(click.Group):
    """Turns the adapter's expected failures into one-line messages and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; known errors become `Error: <reason>`."""
        try:
            return super().invoke(ctx)
        except (ConfigError, ImportFailed) as error:
            raise click.ClickException(str(error)) from None
        except DataSourceUnavailable as error:
            cause = error.__cause__
            detail = str(getattr(cause, "orig", cause) or "").strip().splitlines()
            reason = f": {detail[0]}" if detail else ""
            raise click.ClickException(f"{error.message}{reason}") from None


def _config(ctx: click.Context, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    layers = layered_config(ctx.obj.get("config_path"))
    if extra:
        layers = {**extra, **layers}
    return layers


def _settings(ctx: click.Context, extra: dict[str, Any] | None = None) -> Settings:
    return Settings.from_config(_config(ctx, extra))


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    """The configured database, its connections closed when the command is done."""
    database = Database(settings_engine(settings))
    try:
        yield database
    finally:
        database.engine.dispose()


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


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
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = os.fspath(config_path) if config_path else None


@cli.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create the adapter's tables in the configured database (through the migrations)."""
    settings = _settings(ctx)
    with _database(settings) as database:
        _, after = upgrade(database.engine)
    click.echo(f"database ready at revision {after}: {_safe_url(settings.database_url)}")


@cli.command()
@click.option("--revision", default=HEAD, show_default=True, help="Target revision.")
@click.pass_context
def migrate(ctx: click.Context, revision: str) -> None:
    """Upgrade an existing database to the newest schema (back it up first)."""
    settings = _settings(ctx)
    try:
        with _database(settings) as database:
            before, after = upgrade(database.engine, revision)
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    if before == after:
        click.echo(f"already at revision {after}: {_safe_url(settings.database_url)}")
    else:
        click.echo(f"migrated {_safe_url(settings.database_url)} from {before} to {after}")


def _load_demo(settings: Settings) -> None:
    from .sql.demo_loader import load_demo

    with _database(settings) as database:
        create_schema(database.engine)
        summary = load_demo(database)
    click.echo(
        f"demo data loaded into {_safe_url(settings.database_url)}: {summary.products} products, "
        f"{summary.customers} customers, {summary.orders} orders"
    )


@cli.command("load-demo")
@click.pass_context
def load_demo_command(ctx: click.Context) -> None:
    """Create the tables if needed and load the demo shop (idempotent)."""
    _load_demo(_settings(ctx))


def _lines_with_progress(handle: IO[str], size: int, label: str) -> Iterator[str]:
    with click.progressbar(length=size, label=label, file=sys.stderr) as bar:
        for line in handle:
            bar.update(len(line.encode("utf-8")))
            yield line


@cli.command("import-catalog")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--language",
    help="Language of plain-string texts in the file (default: the shop's default locale).",
)
@click.pass_context
def import_catalog(ctx: click.Context, file: Path, language: str | None) -> None:
    """Import a JSON Lines catalog; a bad line aborts the import and nothing is committed."""
    from .sql.writer import CatalogWriter

    settings = _settings(ctx)
    default_language = language or settings.default_locale.split("-")[0]
    try:
        with (
            _database(settings) as database,
            file.open(encoding="utf-8") as handle,
        ):
            create_schema(database.engine)
            with database.transaction() as session:
                writer = CatalogWriter(session)
                size = file.stat().st_size
                lines = _lines_with_progress(handle, size, f"importing {file.name}")
                for _, record in read_jsonl(lines, default_language):
                    writer.upsert(record)
                writer.finish()
    except UnicodeDecodeError as error:
        raise ImportFailed(f"{file}: not UTF-8 text ({error.reason})") from None
    click.echo(f"imported {writer.written} products from {file}")


def _serve(app: Any, host: str, port: int, workers: int) -> None:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        from werkzeug.serving import run_simple

        click.echo("gunicorn is not installed: using the development server", err=True)
        run_simple(host, port, app, threaded=True)
        return

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # gunicorn's control socket lives in $HOME, shared by every server on the machine.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return app

    _Gunicorn().run()


def _serve_options(function: Any) -> Any:
    function = click.option(
        "--workers",
        default=2,
        show_default=True,
        type=click.IntRange(1, 64),
        help="gunicorn worker processes.",
    )(function)
    function = click.option(
        "--port", default=8000, show_default=True, type=click.IntRange(1, 65535)
    )(function)
    return click.option("--host", default="127.0.0.1", show_default=True)(function)


@cli.command()
@_serve_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the adapter (gunicorn when installed)."""
    from .app import create_app

    _serve(create_app(_config(ctx)), host, port, workers)


@cli.command()
@_serve_options
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Create the database if missing, load the demo shop, and serve it."""
    from .app import create_app

    extra = {**DEMO_DEFAULTS, "OCT8NE_SHOP_URL": f"http://{host}:{port}"}
    settings = _settings(ctx, extra)
    _load_demo(settings)
    click.echo(f"demo shop: http://{host}:{port}/demo/  (sign in as Jane at /demo/login)")
    _serve(create_app(_config(ctx, extra)), host, port, workers)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="oct8ne-adapter")
