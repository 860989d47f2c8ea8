"""The `oct8ne-adapter` command: database set-up, demo data, catalog import and serving."""

from __future__ import annotations

import io
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse
from urllib.request import url2pathname

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url

from oct8ne_adapter.cli.check import check_command
from oct8ne_adapter.cli.relay import relay_group, relay_worker
from oct8ne_adapter.cli.serve import serve as serve_app
from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable, ImportFailed, PlatformError
from oct8ne_adapter.feeds import FORMATS
from oct8ne_adapter.platform.client import LinkupRequest, PlatformClient
from oct8ne_adapter.platform.credentials import effective_credentials
from oct8ne_adapter.settings import REGION_HOSTS, Settings, layered_config
from oct8ne_adapter.sql.database import Database, settings_engine
from oct8ne_adapter.sql.platform_link import clear_link, load_link, save_link
from oct8ne_adapter.sql.schema import HEAD, create_schema, upgrade

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


class AdapterCommands(click.Group):
    """Turns the adapter's expected failures into one-line messages and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; known errors become `Error: <reason>`."""
        try:
            return super().invoke(ctx)
        except (ConfigError, ImportFailed, PlatformError) as error:
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
def _migrated_database(settings: Settings) -> Iterator[Database]:
    """The configured database, brought to the newest schema first (created if new)."""
    with _database(settings) as database:
        create_schema(database.engine)
        yield database


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
    from oct8ne_adapter_demo.loader import load_demo

    with _migrated_database(settings) as database:
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


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read, for the progress bar."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read from the wrapped file and count."""
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.position += count or 0
        return int(count or 0)


#: Rejected rows printed one by one; after that only their number is given.
MAX_REPORTED_REJECTIONS = 100


def _feed_path(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    """A path, or a file:// URL naming a local file; remote URLs are refused."""
    if value.startswith("file://"):
        parsed = urlparse(value)
        if parsed.netloc not in ("", "localhost"):
            raise click.BadParameter("only local file:// URLs are read", ctx, param)
        value = url2pathname(parsed.path)
    elif "://" in value:
        raise click.BadParameter(
            "download the feed first: only files and file:// URLs are read", ctx, param
        )
    path: Path = click.Path(exists=True, dir_okay=False, path_type=Path).convert(value, param, ctx)
    return path


@cli.command("import-catalog")
@click.argument("file", metavar="FILE|file://URL", callback=_feed_path)
@click.option(
    "--format",
    "feed_format",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="Feed format; auto detects JSON Lines, Merchant Center TSV/CSV and RSS/Atom XML.",
)
@click.option(
    "--language",
    help="Language of texts without one in the feed (default: the shop's default locale).",
)
@click.option(
    "--locale",
    "translation_locale",
    help="The feed is a localized copy (e.g. es-ES): add its titles, descriptions and prices "
    "to the products already imported.",
)
@click.option("--strict", is_flag=True, help="The first bad row aborts; nothing is committed.")
@click.option(
    "--prune",
    is_flag=True,
    help="Delete the products the feed does not list; skipped if a row is rejected or more "
    "than prune_max_share of the catalog would go.",
)
@click.option(
    "--force-prune",
    is_flag=True,
    help="--prune even if rows were rejected or over prune_max_share.",
)
@click.pass_context
def import_catalog(
    ctx: click.Context,
    file: Path,
    feed_format: str,
    language: str | None,
    translation_locale: str | None,
    strict: bool,
    prune: bool,
    force_prune: bool,
) -> None:
    """Import a product feed (JSON Lines, Google Merchant Center TSV/CSV/XML).

    Bad rows are reported (line or item number, product id, reason) and the good ones imported;
    the command then exits with status 1. With --strict the first bad row aborts the import.
    A feed that is broken or cut short (broken XML, an unterminated quote, a last line cut in
    the middle) aborts the import with nothing written.
    Rows sharing an item_group_id (JSON Lines: "group") are the variants of one product, stored
    under the group's id; the visitor picks the variant on its page.
    """
    from oct8ne_adapter.feeds import detect_format, read_feed
    from oct8ne_adapter.sql.database import tune_for_import
    from oct8ne_adapter.sql.writer import CatalogWriter

    settings = _settings(ctx)
    if translation_locale is not None:
        if not _LOCALE_TAG.match(translation_locale):
            raise click.BadParameter("not a locale such as es-ES", param_hint="--locale")
        if prune or force_prune:
            raise click.BadParameter("a localized feed cannot prune", param_hint="--prune")
    default_language = translation_locale or language or settings.default_locale.split("-")[0]
    reported = 0

    def report(number: int | None, product_id: str | None, reason: str) -> None:
        nonlocal reported
        unit = "item" if concrete_format == "xml" else "line"
        product = f" (id {product_id})" if product_id else ""
        description = f"{unit} {number}{product}: {reason}"
        if strict:
            raise ImportFailed(description)
        reported += 1
        if reported <= MAX_REPORTED_REJECTIONS:
            click.echo(f"rejected {description}", err=True)

    size = file.stat().st_size
    concrete_format = feed_format
    try:
        with (
            _migrated_database(settings) as database,
            file.open("rb") as raw,
            _progress(size, file.name) as progress,
        ):
            counting = _CountingReader(raw)
            stream = io.BufferedReader(counting, buffer_size=1 << 20)
            concrete_format = (
                detect_format(stream.peek(1 << 16)) if feed_format == "auto" else feed_format
            )
            with database.transaction() as session:
                tune_for_import(session)
                writer = CatalogWriter(
                    session,
                    # Merchant Center rows carry one currency each: a second feed adds prices.
                    merge_prices=concrete_format != "jsonl",
                    translation_language=translation_locale,
                    on_reject=report,
                )
                with closing(writer):
                    # A fatal row (the feed broken or cut short) raises: nothing is committed.
                    for row in read_feed(stream, concrete_format, default_language):
                        writer.add_row(row)
                        progress(counting.position)
                    # Writes the variant groups; decides whether the prune is safe.
                    summary = writer.finish(
                        prune=prune,
                        force_prune=force_prune,
                        prune_max_share=settings.prune_max_share,
                    )
    except UnicodeDecodeError as error:
        raise ImportFailed(f"{file}: not UTF-8 text ({error.reason})") from None
    if reported > MAX_REPORTED_REJECTIONS:
        click.echo(f"... and {reported - MAX_REPORTED_REJECTIONS} more rejected rows", err=True)
    click.echo(f"imported {writer.written} products from {file}: {summary.describe()}")
    if summary.prune_skipped:
        click.echo(summary.prune_skipped, err=True)
    if summary.rejected or summary.prune_skipped:
        ctx.exit(1)


_LOCALE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


@contextmanager
def _progress(size: int, label: str) -> Iterator[Callable[[int], None]]:
    """A callback taking the bytes read so far: a progress bar on a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield lambda position: None
        return
    started = time.monotonic()
    rows = 0

    def show(_: Any) -> str:
        elapsed = max(time.monotonic() - started, 1e-6)
        return f"{rows:,} rows, {rows / elapsed:,.0f} rows/s"

    with click.progressbar(
        length=max(size, 1),
        label=f"importing {label}",
        file=sys.stderr,
        show_eta=True,
        item_show_func=show,
    ) as bar:
        done = 0

        def update(position: int) -> None:
            nonlocal done, rows
            rows += 1
            # Redraw at most every 1000 rows: the bar must not slow the import down.
            if rows % 1000 == 0:
                bar.update(position - done, rows)
                done = position

        yield update
        bar.update(size - done, rows)


def _masked(secret: str) -> str:
    """A secret as `status` shows it: only its last four characters."""
    if len(secret) < 12:
        return "*" * len(secret)
    return "*" * (len(secret) - 4) + secret[-4:]


@cli.command()
@click.option("--email", required=True, help="The e-mail of your oct8ne account.")
@click.option(
    "--url", "shop_url", required=True, help="The shop's base URL, e.g. https://shop.example."
)
@click.option("--platform", "platform_name", default="Custom", show_default=True)
@click.option(
    "--region", type=click.Choice(sorted(REGION_HOSTS)), help="Default: the configured region."
)
@click.pass_context
def linkup(
    ctx: click.Context, email: str, shop_url: str, platform_name: str, region: str | None
) -> None:
    """Link the shop to your oct8ne account and store the token, license and hosts it returns.

    The password is asked for (or read from standard input); it is sent once over verified TLS
    and never stored, logged or passed as an argument.
    """
    settings = _settings(ctx)
    if "@" not in email or len(email) > 320 or not email.isprintable():
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    if not shop_url.startswith(("http://", "https://")) or not shop_url.isprintable():
        raise click.BadParameter("must start with http:// or https://", param_hint="--url")
    region = region or settings.region
    password = click.prompt("oct8ne password", hide_input=True, err=True)
    request = LinkupRequest(
        email=email,
        password=password,
        platform=platform_name,
        shop_url=shop_url,
        enabled=settings.enabled,
    )
    client = PlatformClient(
        settings.oct8ne_server or REGION_HOSTS[region][0],
        timeout=settings.platform_timeout,
        verify=settings.platform_ca_bundle or True,
    )
    try:
        credentials = client.linkup(request, region)
    finally:
        client.close()
    with _migrated_database(settings) as database:
        with database.transaction() as session:
            save_link(session, credentials, email=email, platform=platform_name, shop_url=shop_url)
    click.echo(
        f"linked to oct8ne: license {credentials.license_id}, server {credentials.server}, "
        f"static {credentials.static_server}, token {_masked(credentials.api_token)}"
    )


@cli.command()
@click.pass_context
def unlink(ctx: click.Context) -> None:
    """Forget the stored link-up credentials."""
    settings = _settings(ctx)
    with _migrated_database(settings) as database:
        with database.transaction() as session:
            existed = clear_link(session)
    click.echo("unlinked from oct8ne" if existed else "the shop was not linked")


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the oct8ne account in force (token masked) and where each value comes from."""
    settings = _settings(ctx)
    with _migrated_database(settings) as database:
        with database.session() as session:
            link = load_link(session)
    stored = link.credentials if link else None
    current = effective_credentials(settings, stored)
    if link:
        click.echo(
            f"linked by {link.email} on {link.linked_at:%Y-%m-%d %H:%M} UTC for {link.shop_url}"
        )
    else:
        click.echo("not linked (run oct8ne-adapter linkup)")
    rows = [
        ("license", current.license_id, settings.license),
        ("api token", _masked(current.api_token), settings.api_token),
        ("server", current.server, settings.oct8ne_server),
        ("static server", current.static_server, settings.oct8ne_static_server),
    ]
    for label, value, configured in rows:
        origin = "configuration" if configured else ("link-up" if stored else "default")
        click.echo(f"{label:>14}: {value or '(none)'}  [{origin}]")


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
    from oct8ne_adapter.app import create_app

    serve_app(create_app(_config(ctx)), host, port, workers)


@cli.command()
@_serve_options
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Create the database if missing, load the demo shop, and serve it."""
    from oct8ne_adapter.app import create_app

    extra = {**DEMO_DEFAULTS, "OCT8NE_SHOP_URL": f"http://{host}:{port}"}
    settings = _settings(ctx, extra)
    _load_demo(settings)
    click.echo(f"demo shop: http://{host}:{port}/demo/  (sign in as Jane at /demo/login)")
    serve_app(create_app(_config(ctx, extra)), host, port, workers)


cli.add_command(check_command)
cli.add_command(relay_worker)
cli.add_command(relay_group)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="oct8ne-adapter")
