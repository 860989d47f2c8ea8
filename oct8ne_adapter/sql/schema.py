"""The schema's life cycle through the Alembic migrations shipped in `oct8ne_adapter/migrations`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from oct8ne_adapter.sql.database import unavailable_on_failure

HEAD = "head"


def migration_config() -> Config:
    """An Alembic configuration pointing at the package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", "oct8ne_adapter:migrations")
    return config


def head_revision() -> str:
    """The newest revision the package knows."""
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for an empty database."""
    with unavailable_on_failure(), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = HEAD) -> tuple[str | None, str | None]:
    """Migrate the database to `revision` in one transaction; returns (before, after)."""
    config = migration_config()
    with unavailable_on_failure(), engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema through the migrations (a new one is created)."""
    upgrade(engine)
