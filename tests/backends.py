"""The database servers the suite runs against, and throwaway databases on them.

Each test run creates its own databases (`oct8ne_test_<8 hex>`) on the servers and drops them at
the end, so runs never share data, even when two of them run at the same time.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import (
    Cart,
    CartLine,
    EventDelivery,
    OutboxEvent,
    RecordedCart,
    RecordedOrder,
)
from oct8ne_adapter.sql.schema import create_schema
from oct8ne_adapter_demo.loader import load_demo

#: Every backend the suite runs on; test ids carry these names (`test_x[postgresql]`).
BACKENDS = ("sqlite", "postgresql", "mariadb")
#: Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT = 3
#: Seconds a CREATE or DROP DATABASE may take.
ADMIN_TIMEOUT = 60


@dataclass(frozen=True)
class Server:
    """A database server: where to reach it and how to create a database on it."""

    backend: str
    #: A URL to an existing database (`test`) from which databases are created and dropped.
    admin_url: str
    create_options: str = ""
    drop_options: str = ""

    def url(self, database: str) -> str:
        """The URL of one database on this server."""
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def admin_engine(self, timeout: int = ADMIN_TIMEOUT) -> Engine:
        """An autocommit engine over the admin database that never waits without bound."""
        connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT}
        if self.backend == "mariadb":
            # PyMySQL's connect_timeout covers only the TCP connect, not the server's greeting.
            connect_args.update(read_timeout=timeout, write_timeout=timeout)
        return create_engine(
            self.admin_url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args=connect_args,
        )


SERVERS = {
    "postgresql": Server(
        backend="postgresql",
        admin_url=os.environ.get(
            "OCT8NE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        # FORCE ends connections a test forgot to close, which would block the drop.
        drop_options=" WITH (FORCE)",
    ),
    "mariadb": Server(
        backend="mariadb",
        admin_url=os.environ.get(
            "OCT8NE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
        ),
        create_options=" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    ),
}


def unreachable_reason(server: Server) -> str | None:
    """Why the server cannot be used, or None when it answers."""
    engine = server.admin_engine(timeout=CONNECT_TIMEOUT)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        first_line = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        safe_url = make_url(server.admin_url).render_as_string(hide_password=True)
        return f"{server.backend} server at {safe_url} is unreachable: {first_line}"
    finally:
        engine.dispose()
    return None


def create_database(server: Server) -> str:
    """Create a new, empty database on the server and return its URL."""
    name = f"oct8ne_test_{secrets.token_hex(4)}"
    engine = server.admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{server.create_options}"))
    finally:
        engine.dispose()
    return server.url(name)


def drop_database(server: Server, url: str) -> None:
    """Drop a database that create_database made."""
    name = make_url(url).database
    assert name and name.startswith("oct8ne_test_"), name
    engine = server.admin_engine()
    try:
        with engine.connect() as connection:
            if server.backend == "mariadb":
                # An idle connection inside a transaction would otherwise block the drop forever.
                connection.execute(text("SET SESSION lock_wait_timeout = 30"))
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{server.drop_options}"))
    finally:
        engine.dispose()


def seed_demo(url: str) -> None:
    """Create the adapter's schema in the database and load the demo shop into it."""
    engine = create_database_engine(url)
    try:
        create_schema(engine)
        load_demo(Database(engine))
    finally:
        engine.dispose()


def restore_demo(url: str) -> None:
    """Put a seeded database back as seed_demo left it, after a test that wrote to it.

    load_demo rewrites the catalog and the demo customers' carts, wishlists and orders; carts
    that belong to no customer (a guest's) are not the demo's, so they are deleted here, and so
    are recorded commerce events (a recorded cart wins over the demo's in getCart). Shop
    sessions are left alone: each sign-in makes a new, unguessable one.
    """
    engine = create_database_engine(url)
    try:
        database = Database(engine)
        with database.transaction() as session:
            guest_carts = select(Cart.pk).where(Cart.customer_pk.is_(None))
            session.execute(delete(CartLine).where(CartLine.cart_pk.in_(guest_carts)))
            session.execute(delete(Cart).where(Cart.customer_pk.is_(None)))
            for recorded in (EventDelivery, OutboxEvent, RecordedCart, RecordedOrder):
                session.execute(delete(recorded))
        load_demo(database)
    finally:
        engine.dispose()
