"""commerce events: the outbox, its deliveries to vendor sinks, recorded carts and orders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0006)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def sequence_key() -> sa.types.TypeEngine[int]:
    """A 64-bit key, INTEGER on SQLite so that it is the rowid and autoincrements."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create event_outbox, event_deliveries, recorded_carts and recorded_orders."""
    op.create_table(
        "event_outbox",
        sa.Column("seq", sequence_key(), primary_key=True, autoincrement=True),
        sa.Column("kind", exact(32), nullable=False),
        sa.Column("subject", exact(128), nullable=False),
        sa.Column("dedupe_key", exact(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_event_outbox_subject", "event_outbox", ["kind", "subject", "seq"])
    op.create_table(
        "event_deliveries",
        sa.Column("pk", sequence_key(), primary_key=True, autoincrement=True),
        sa.Column("event_seq", sequence_key(), nullable=False),
        sa.Column("sink", exact(32), nullable=False),
        sa.Column("ordering_key", exact(136), nullable=False),
        sa.Column("state", exact(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requests_done", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_seq"], ["event_outbox.seq"], ondelete="CASCADE"),
        sa.UniqueConstraint("event_seq", "sink", name="uq_event_deliveries_event_sink"),
    )
    op.create_index("ix_event_deliveries_due", "event_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "ix_event_deliveries_ordering", "event_deliveries", ["sink", "ordering_key", "event_seq"]
    )
    op.create_table(
        "recorded_carts",
        sa.Column("cart_id", exact(128), primary_key=True),
        sa.Column("oct8ne_session", exact(128), nullable=True),
        sa.Column("customer_id", exact(128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("products_count", sa.Integer(), nullable=False),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("order_id", exact(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_recorded_carts_oct8ne_session", "recorded_carts", ["oct8ne_session"])
    op.create_index("ix_recorded_carts_customer_id", "recorded_carts", ["customer_id"])
    op.create_index("ix_recorded_carts_updated_at", "recorded_carts", ["updated_at"])
    op.create_table(
        "recorded_orders",
        sa.Column("order_id", exact(128), primary_key=True),
        sa.Column("cart_id", exact(128), nullable=True),
        sa.Column("oct8ne_session", exact(128), nullable=True),
        sa.Column("customer_id", exact(128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("products_count", sa.Integer(), nullable=False),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_recorded_orders_oct8ne_session", "recorded_orders", ["oct8ne_session"])
    op.create_index("ix_recorded_orders_updated_at", "recorded_orders", ["updated_at"])


def downgrade() -> None:
    """Drop the commerce event tables."""
    op.drop_table("recorded_orders")
    op.drop_table("recorded_carts")
    op.drop_table("event_deliveries")
    op.drop_table("event_outbox")
