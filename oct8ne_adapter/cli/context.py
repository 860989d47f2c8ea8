"""What every command shares: the configuration, the database, and one-line errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable, Oct8neError
from oct8ne_adapter.settings import Settings, layered_config
from oct8ne_adapter.sql.database import Database, database_engine
from oct8ne_adapter.sql.schema import create_schema, current_revision, head_revision


class AdapterCommands(click.Group):
    """Turns the adapter's expected failures into one-line messages and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; the adapter's own errors become `Error: <reason>`."""
        try:
            return super().invoke(ctx)
        except Oct8neError as error:
            raise click.ClickException(one_line(error)) from None


def one_line(error: Oct8neError) -> str:
    """The reason a command failed, as one line for a person."""
    if isinstance(error, DataSourceUnavailable):
        # The HTTP answer hides the driver's reason; the operator at the console needs it.
        cause = error.__cause__
        detail = str(getattr(cause, "orig", cause) or "").strip().splitlines()
        return f"{error.message}: {detail[0]}" if detail else error.message
    return str(error)


def config_of(ctx: click.Context, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The layered configuration (file < environment), over `extra` defaults."""
    layers = layered_config(ctx.find_root().obj.get("config_path"))
    if extra:
        layers = {**extra, **layers}
    return layers


def settings_of(ctx: click.Context, extra: dict[str, Any] | None = None) -> Settings:
    """The validated settings of the command's configuration."""
    return Settings.from_config(config_of(ctx, extra))


@contextmanager
def migrated_database(settings: Settings) -> Iterator[Database]:
    """The configured database, brought to the newest schema first (created if new)."""
    with open_database(settings) as opened:
        create_schema(opened.engine)
        yield opened


@contextmanager
def migrated_session(settings: Settings, *, write: bool = False) -> Iterator[Session]:
    """A session on the migrated database; one transaction, committed at the end, if it writes."""
    with migrated_database(settings) as database:
        with database.transaction() if write else database.session() as session:
            yield session


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The configured database, its connections closed when the command is done."""
    opened = Database(database_engine(settings.database))
    try:
        yield opened
    finally:
        opened.engine.dispose()


@contextmanager
def current_database(settings: Settings) -> Iterator[Database]:
    """The configured database, which must be at the newest schema."""
    database = Database(database_engine(settings.database))
    try:
        revision = current_revision(database.engine)
        if revision != head_revision():
            raise ConfigError(
                f"the database is at revision {revision or 'none'}, this version needs "
                f"{head_revision()}: run `oct8ne-adapter migrate` first"
            )
        yield database
    finally:
        database.engine.dispose()


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def remember_config_path(ctx: click.Context, config_path: str | os.PathLike[str] | None) -> None:
    """Keep `--config` where every command finds it."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = os.fspath(config_path) if config_path else None
