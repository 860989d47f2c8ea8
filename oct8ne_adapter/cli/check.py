"""`oct8ne-adapter check BASE_URL`: the conformance checker on the command line."""

from __future__ import annotations

import os
import sys

import click

from oct8ne_adapter.checker.context import CheckOptions
from oct8ne_adapter.checker.http import frame_base
from oct8ne_adapter.checker.report import TableWriter, as_json
from oct8ne_adapter.checker.results import Level
from oct8ne_adapter.checker.runner import CHECKS, run_checks
from oct8ne_adapter.cli import arguments

#: Where the apiToken comes from: an argument would show in `ps` and in shell history.
TOKEN_VARIABLE = "OCT8NE_CHECK_TOKEN"


@click.command("check")
@click.argument("base_url", metavar="BASE_URL", callback=arguments.base_url)
@click.option(
    "--token",
    "argv_token",
    hidden=True,
    help=f"Deprecated (visible in `ps`): set {TOKEN_VARIABLE} or use --ask-token.",
)
@click.option(
    "--ask-token",
    is_flag=True,
    help=f"Prompt for the adapter's apiToken (default: ${TOKEN_VARIABLE}, if set).",
)
@click.option("--email", help="A customer with orders, for getOrders.")
@click.option(
    "--product-ids",
    callback=arguments.product_ids,
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
@click.option(
    "--fail-on",
    type=click.Choice([level.label for level in Level]),
    default=Level.PROTOCOL.label,
    show_default=True,
    help="Exit 1 when a cause at this level or a higher one is found.",
)
@click.option("--json", "as_json_output", is_flag=True, help="Print the report as JSON.")
def check_command(
    base_url: str,
    argv_token: str | None,
    ask_token: bool,
    email: str | None,
    product_ids: tuple[str, ...],
    search_text: str,
    timeout: float,
    fail_on: str,
    as_json_output: bool,
) -> None:
    """Check that the oct8ne adapter at BASE_URL answers the 2.4 protocol correctly.

    BASE_URL is the adapter's frame base (https://shop.example/oct8ne/frame) or the shop root
    (https://shop.example), under which /oct8ne/frame is then assumed. Every frame method is
    called over HTTP (about 80 requests, within the default rate limits) and each answer is
    validated; anonymous calls only: nothing is bought, and addToWishList is called without a
    session. The apiToken (for getOrders, getOrderDetails, getSalesReport) is read from
    $OCT8NE_CHECK_TOKEN, or asked for with --ask-token. Exits 1 when a cause at the --fail-on
    level or above is found (security > protocol > compatibility > hardening).
    """
    token = _token(argv_token, ask_token)
    options = CheckOptions(
        base_url=base_url,
        token=token,
        email=email or None,
        product_ids=product_ids,
        search=search_text,
        timeout=timeout,
        fail_on=Level.named(fail_on),
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
        causes = table.causes(report)
        if causes:
            click.echo(causes)
        click.echo(table.summary(report))
    if report.failed:
        sys.exit(1)


def _token(argv_token: str | None, ask: bool) -> str | None:
    """The apiToken: prompted for, else from the environment, else (deprecated) from argv."""
    if ask:
        value: str = click.prompt("apiToken", hide_input=True, err=True)
        return value.strip() or None
    if argv_token:
        click.echo(
            f"Warning: --token is visible to every user in `ps` and stays in shell history; "
            f"set {TOKEN_VARIABLE} or use --ask-token instead.",
            err=True,
        )
        return argv_token
    return os.environ.get(TOKEN_VARIABLE) or None
