"""security: recorded carts keep the hash of the shop session that owns them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0007)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Add recorded_carts.shop_session_hash (carts recorded before have none: never answered)."""
    with op.batch_alter_table("recorded_carts") as batch:
        batch.add_column(sa.Column("shop_session_hash", exact(64), nullable=True))
        batch.create_index("ix_recorded_carts_shop_session_hash", ["shop_session_hash"])


def downgrade() -> None:
    """Drop recorded_carts.shop_session_hash."""
    with op.batch_alter_table("recorded_carts") as batch:
        batch.drop_index("ix_recorded_carts_shop_session_hash")
        batch.drop_column("shop_session_hash")
