"""`oct8ne-adapter check BASE_URL`: the conformance checker on the command line."""

from __future__ import annotations

import os
import sys

import click

from oct8ne_adapter.checker.context import CheckOptions
from oct8ne_adapter.checker.http import InvalidBaseUrl, frame_base
from oct8ne_adapter.checker.report import TableWriter, as_json
from oct8ne_adapter.checker.runner import CHECKS, run_checks


def _base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        frame_base(value)
    except InvalidBaseUrl as error:
        raise click.BadParameter(error.message) from None
    return value


def _product_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    if value is not None and not ids:
        raise click.BadParameter("give comma-separated product ids, e.g. 1001,1002")
    return ids


@click.command("check")
@click.argument("base_url", metavar="BASE_URL", callback=_base_url)
@click.option("--token", help="The adapter's apiToken: checks getOrders/getOrderDetails with it.")
@click.option("--email", help="A customer with orders, for getOrders.")
@click.option(
    "--product-ids",
    callback=_product_ids,
    metavar="ID,ID,...",
    help="Products to ask productInfo/productSummary for (default: the first search results).",
)
@click.option(
    "--search",
    "search_text",
    default="",
    help="Search text that finds products (default: empty, which most adapters answer with all).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=300),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option("--json", "as_json_output", is_flag=True, help="Print the report as JSON.")
def check_command(
    base_url: str,
    token: str | None,
    email: str | None,
    product_ids: tuple[str, ...],
    search_text: str,
    timeout: float,
    as_json_output: bool,
) -> None:
    """Check that the oct8ne adapter at BASE_URL answers the 2.4 protocol correctly.

    BASE_URL is the adapter's frame base (https://shop.example/oct8ne/frame) or the shop root
    (https://shop.example), under which /oct8ne/frame is then assumed. Every frame method is
    called over HTTP (about 80 requests, within the default rate limits) and each answer is
    validated; anonymous calls only: nothing is bought, and addToWishList is called without a
    session. Exits 1 when any check fails.
    """
    options = CheckOptions(
        base_url=base_url,
        token=token or None,
        email=email or None,
        product_ids=product_ids,
        search=search_text,
        timeout=timeout,
    )
    if as_json_output:
        report = run_checks(options)
        click.echo(as_json(report))
    else:
        # Colours only for a person at a terminal (https://no-color.org turns them off there too).
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        table = TableWriter(CHECKS, color=color)
        click.echo(table.header(frame_base(base_url)))
        report = run_checks(options, on_result=lambda result: click.echo(table.row(result)))
        click.echo(table.summary(report))
    if report.failed:
        sys.exit(1)
