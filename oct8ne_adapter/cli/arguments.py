"""Checks of command-line values, each a click callback: a bad value is a one-line usage error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import click

from oct8ne_adapter.checker.http import InvalidBaseUrl, frame_base


def feed_path(ctx: click.Context, param: click.Parameter, value: str) -> Path:
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


def base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An adapter base URL the checker can call, e.g. https://shop.example/oct8ne/frame."""
    try:
        frame_base(value)
    except InvalidBaseUrl as error:
        raise click.BadParameter(error.message) from None
    return value


def product_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """Comma-separated product ids; None when the option is not given."""
    ids = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    if value is not None and not ids:
        raise click.BadParameter("give comma-separated product ids, e.g. 1001,1002")
    return ids
