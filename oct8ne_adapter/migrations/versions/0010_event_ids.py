"""event ids: each outbox event gets a random id, from which the relay's Idempotency-Key is built

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Rows given their ids per statement.
_BATCH = 1_000


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0010)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Add event_outbox.event_id, give every stored event a random one, then make it unique."""
    # NOT NULL with a default instead of a batch rebuild: rebuilding event_outbox on SQLite
    # drops the table, and with foreign keys on that cascades to every delivery.
    op.add_column(
        "event_outbox",
        sa.Column("event_id", exact(32), nullable=False, server_default=""),
    )
    outbox = sa.table("event_outbox", sa.column("seq", sa.BigInteger), sa.column("event_id"))
    connection = op.get_bind()
    seqs = list(connection.scalars(sa.select(outbox.c.seq).order_by(outbox.c.seq)))
    assign = (
        sa.update(outbox)
        .where(outbox.c.seq == sa.bindparam("row_seq"))
        .values(event_id=sa.bindparam("row_event_id"))
    )
    for start in range(0, len(seqs), _BATCH):
        connection.execute(
            assign,
            [
                {"row_seq": seq, "row_event_id": secrets.token_hex(16)}
                for seq in seqs[start : start + _BATCH]
            ],
        )
    op.create_index("uq_event_outbox_event_id", "event_outbox", ["event_id"], unique=True)


def downgrade() -> None:
    """Drop event_outbox.event_id."""
    op.drop_index("uq_event_outbox_event_id", table_name="event_outbox")
    # A plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: see upgrade().
    op.drop_column("event_outbox", "event_id")
