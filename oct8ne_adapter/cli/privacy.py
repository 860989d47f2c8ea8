"""Privacy commands: `oct8ne-adapter purge` (retention) and `privacy export|erase`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from oct8ne_adapter.cli.context import current_database, settings_of
from oct8ne_adapter.events.recorder import utcnow
from oct8ne_adapter.events.retention import purge_expired
from oct8ne_adapter.sql.privacy import Subject, erase_subject, export_subject, find_subject

T = TypeVar("T")


@click.command("purge")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Rows deleted per transaction.",
)
@click.pass_context
def purge_command(ctx: click.Context, batch_size: int) -> None:
    """Delete recorded carts, orders and finished events older than retention_days."""
    settings = settings_of(ctx)
    days = settings.privacy.retention_days
    with current_database(settings) as database:
        counts = purge_expired(database, days, now=utcnow(), batch_size=batch_size)
    click.echo(f"purged {counts} older than {days} days")


def _email(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    email = value.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or len(email) > 320 or any(c.isspace() for c in email):
        raise click.BadParameter(f"{value!r} is not an e-mail address")
    return email


_EMAIL = click.option(
    "--email", required=True, callback=_email, help="The customer's e-mail address."
)


@click.group("privacy")
def privacy_group() -> None:
    """Answer a customer's request to see (export) or erase what the adapter stores about them."""


def _on_subject(ctx: click.Context, email: str, act: Callable[[Session, Subject], T]) -> T:
    """Run `act` on what is stored about `email`, in one transaction (export only reads)."""
    with current_database(settings_of(ctx)) as database, database.transaction() as session:
        return act(session, find_subject(session, email))


@privacy_group.command("export")
@_EMAIL
@click.pass_context
def privacy_export(ctx: click.Context, email: str) -> None:
    """Print, as JSON, everything the adapter's tables hold about the customer with EMAIL."""
    data = _on_subject(ctx, email, export_subject)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@privacy_group.command("erase")
@_EMAIL
@click.pass_context
def privacy_erase(ctx: click.Context, email: str) -> None:
    """Delete (or anonymise) what the adapter stores about EMAIL; list vendors to tell."""
    erasure = _on_subject(ctx, email, erase_subject)
    changed = {table: count for table, count in erasure.counts.items() if count}
    if not changed:
        click.echo("nothing stored about this e-mail address")
    for table, count in changed.items():
        click.echo(f"{table}: {count}")
    if erasure.vendors_dropped:
        click.echo("pending deliveries dropped (never sent): " + ", ".join(erasure.vendors_dropped))
    if erasure.vendors_informed:
        click.echo(
            "forward the request to these vendors, which received events about this customer: "
            + ", ".join(erasure.vendors_informed)
        )
    else:
        click.echo("no vendor received events about this customer")
