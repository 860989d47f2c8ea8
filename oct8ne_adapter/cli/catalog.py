"""`import-catalog`: a product feed into the catalog, with progress and bad-row reports."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from oct8ne_adapter.cli import arguments
from oct8ne_adapter.cli.context import migrated_database, settings_of
from oct8ne_adapter.feeds import FORMATS

#: Rejected rows printed one by one; after that only their number is given.
MAX_REPORTED_REJECTIONS = 100


@click.command("import-catalog")
@click.argument("file", metavar="FILE|file://URL", callback=arguments.feed_path)
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
    from oct8ne_adapter.feeds.importer import ImportOptions, import_feed

    settings = settings_of(ctx)
    if translation_locale is not None:
        if not _LOCALE_TAG.match(translation_locale):
            raise click.BadParameter("not a locale such as es-ES", param_hint="--locale")
        if prune or force_prune:
            raise click.BadParameter("a localized feed cannot prune", param_hint="--prune")
    reported = 0

    def report(description: str) -> None:
        nonlocal reported
        reported += 1
        if reported <= MAX_REPORTED_REJECTIONS:
            click.echo(f"rejected {description}", err=True)

    with (
        migrated_database(settings) as database,
        _progress(file.stat().st_size, file.name) as progress,
    ):
        options = ImportOptions(
            feed_format=feed_format,
            language=language or settings.default_locale.split("-")[0],
            translation_locale=translation_locale,
            strict=strict,
            prune=prune,
            force_prune=force_prune,
            prune_max_share=settings.prune_max_share,
        )
        summary = import_feed(database, file, options, on_reject=report, on_progress=progress)
    if reported > MAX_REPORTED_REJECTIONS:
        click.echo(f"... and {reported - MAX_REPORTED_REJECTIONS} more rejected rows", err=True)
    written = summary.inserted + summary.updated + summary.unchanged
    click.echo(f"imported {written} products from {file}: {summary.describe()}")
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
