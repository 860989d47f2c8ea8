"""The relay commands: `oct8ne-adapter relay-worker` and `relay list|retry|purge`."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Any

import click
from sqlalchemy import and_, delete, func, select, update

from oct8ne_adapter.cli.context import current_database, safe_url, settings_of
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.events.recorder import DEAD, DELIVERED, PENDING, STATES, utcnow
from oct8ne_adapter.events.relay import Relay, RelayOptions
from oct8ne_adapter.events.sinks import build_sinks
from oct8ne_adapter.events.sinks.base import Sink
from oct8ne_adapter.platform.credentials import CredentialSource
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.platform_link import stored_credentials
from oct8ne_adapter.sql.tables import event_deliveries as _deliveries, event_outbox as _outbox

log = logging.getLogger(__name__)


def _sinks(settings: Settings, database: Database) -> list[Sink]:
    credentials = CredentialSource(settings.link, partial(stored_credentials, database))
    return build_sinks(settings.events.sinks, oct8ne_server=lambda: credentials.current().server)


@click.command("relay-worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=None,
    help="Deliveries claimed at a time (default: relay_batch_size).",
)
@click.pass_context
def relay_worker(ctx: click.Context, once: bool, batch_size: int | None) -> None:
    """Deliver recorded commerce events to the vendors in event_sinks until stopped."""
    settings = settings_of(ctx)
    if not settings.events.sinks:
        raise ConfigError(
            "no vendor is switched on: add an [event_sinks.<vendor>] table to the configuration"
        )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("oct8ne_adapter").setLevel(logging.INFO)
    limit = batch_size or settings.relay.batch_size
    with current_database(settings) as database:
        sinks = _sinks(settings, database)
        relay = Relay(
            database,
            sinks,
            options=RelayOptions.from_settings(settings.relay, settings.ratelimits.storage),
            retention_days=settings.privacy.retention_days,
            switch_prices=True,
        )
        with relay:
            if once:
                total = 0
                while processed := relay.run_once(limit):
                    total += processed
                click.echo(f"processed {total} deliveries")
                if counts := relay.purge_if_due():
                    click.echo(f"purged {counts} (retention_days)")
                relay.switch_prices_if_due()
                return
            stop = threading.Event()

            def _stop(_signal: int, _frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            relay.run_forever(stop, limit)
            click.echo(
                f"relay worker {relay.worker_id} stopped "
                f"({', '.join(sorted(relay.sinks))} on {safe_url(settings.database.url)})"
            )


@click.group("relay")
def relay_group() -> None:
    """Inspect and manage the commerce event deliveries."""


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = value[:-1], value[-1:]
    if unit not in units or not number.isdigit():
        raise click.BadParameter(f"{value!r} is not a duration such as 30m, 12h or 7d")
    return timedelta(seconds=int(number) * units[unit])


@relay_group.command("list")
@click.option(
    "--state",
    type=click.Choice([*STATES, "all"]),
    default="all",
    show_default=True,
    help="Only deliveries in this state.",
)
@click.option("--sink", help="Only deliveries to this vendor.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.pass_context
def relay_list(ctx: click.Context, state: str, sink: str | None, limit: int) -> None:
    """Count deliveries per vendor and state, and list the newest ones."""
    settings = settings_of(ctx)
    with current_database(settings) as database, database.session() as session:
        conditions = []
        if state != "all":
            conditions.append(_deliveries.c.state == state)
        if sink:
            conditions.append(_deliveries.c.sink == sink)
        where = and_(*conditions) if conditions else and_(True)
        counts = session.execute(
            select(_deliveries.c.sink, _deliveries.c.state, func.count())
            .where(where)
            .group_by(_deliveries.c.sink, _deliveries.c.state)
            .order_by(_deliveries.c.sink, _deliveries.c.state)
        ).all()
        if not counts:
            click.echo("no deliveries")
            return
        for name, row_state, count in counts:
            click.echo(f"{name:10} {row_state:10} {count}")
        rows = session.execute(
            select(
                _deliveries.c.pk,
                _deliveries.c.sink,
                _deliveries.c.state,
                _deliveries.c.attempts,
                _deliveries.c.requests_done,
                _deliveries.c.next_attempt_at,
                _deliveries.c.last_error,
                _outbox.c.kind,
                _outbox.c.subject,
            )
            .join(_outbox, _outbox.c.seq == _deliveries.c.event_seq)
            .where(where)
            .order_by(_deliveries.c.pk.desc())
            .limit(limit)
        ).all()
    click.echo("")
    click.echo("id\tsink\tstate\tattempts\tdone\tnext attempt\tevent\terror")
    for pk, name, row_state, attempts, done, next_at, error, kind, subject in rows:
        next_text = next_at.isoformat(sep=" ", timespec="seconds") if row_state == PENDING else "-"
        click.echo(
            f"{pk}\t{name}\t{row_state}\t{attempts}\t{done}\t{next_text}\t"
            f"{kind} {subject}\t{error[:120]}"
        )


@relay_group.command("retry")
@click.argument("delivery_ids", nargs=-1, type=click.IntRange(1))
@click.option("--all-dead", is_flag=True, help="Every dead delivery (of --sink if given).")
@click.option("--sink", help="Only deliveries to this vendor.")
@click.pass_context
def relay_retry(
    ctx: click.Context, delivery_ids: tuple[int, ...], all_dead: bool, sink: str | None
) -> None:
    """Try dead (or waiting) deliveries again now, with a fresh count of attempts."""
    if not delivery_ids and not all_dead:
        raise click.UsageError("name delivery ids (see `relay list`) or pass --all-dead")
    settings = settings_of(ctx)
    with current_database(settings) as database, database.transaction() as session:
        conditions = [_deliveries.c.state != DELIVERED]
        if delivery_ids:
            conditions.append(_deliveries.c.pk.in_(delivery_ids))
        if all_dead:
            conditions.append(_deliveries.c.state == DEAD)
        if sink:
            conditions.append(_deliveries.c.sink == sink)
        now = utcnow()
        result = session.execute(
            update(_deliveries)
            .where(*conditions)
            .values(
                state=PENDING,
                attempts=0,
                next_attempt_at=now,
                # A fresh age too: max_age counts from here.
                created_at=now,
                finished_at=None,
                claimed_by=None,
                claimed_until=None,
            )
        )
    click.echo(f"{result.rowcount} deliveries will be tried again")  # type: ignore[attr-defined]


@relay_group.command("purge")
@click.option(
    "--older-than",
    callback=_duration,
    default="7d",
    show_default=True,
    help="Events recorded longer ago than this (30m, 12h, 7d).",
)
@click.option("--dead", "include_dead", is_flag=True, help="Also events with dead deliveries.")
@click.pass_context
def relay_purge(ctx: click.Context, older_than: timedelta, include_dead: bool) -> None:
    """Delete old events whose deliveries are all finished (delivered, or dead with --dead).

    The newest event of each cart and order is kept: the next cart snapshot is diffed against it
    and an order's status changes are sent with the order as placed. After retention_days even
    those go (the relay worker, or `oct8ne-adapter purge`).
    """
    settings = settings_of(ctx)
    final = [DELIVERED, DEAD] if include_dead else [DELIVERED]
    cutoff = utcnow() - older_than
    unfinished = select(_deliveries.c.event_seq).where(_deliveries.c.state.not_in(final))
    newest = select(func.max(_outbox.c.seq)).group_by(_outbox.c.kind, _outbox.c.subject)
    purged = 0
    with current_database(settings) as database:
        while True:
            with database.transaction() as session:
                seqs = list(
                    session.scalars(
                        select(_outbox.c.seq)
                        .where(
                            _outbox.c.recorded_at < cutoff,
                            _outbox.c.seq.not_in(unfinished),
                            _outbox.c.seq.not_in(newest),
                        )
                        .limit(1000)
                    )
                )
                if not seqs:
                    break
                session.execute(delete(_deliveries).where(_deliveries.c.event_seq.in_(seqs)))
                session.execute(delete(_outbox).where(_outbox.c.seq.in_(seqs)))
                purged += len(seqs)
    click.echo(f"purged {purged} events recorded before {cutoff:%Y-%m-%d %H:%M} UTC")
