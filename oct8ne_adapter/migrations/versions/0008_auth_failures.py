"""failed authentications: counters per client address and window (web.auth_limiter)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0008)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Create auth_failures."""
    op.create_table(
        "auth_failures",
        sa.Column("address", exact(64), primary_key=True),
        sa.Column("window_start", sa.BigInteger(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_index("ix_auth_failures_window_start", "auth_failures", ["window_start"])


def downgrade() -> None:
    """Drop auth_failures."""
    op.drop_index("ix_auth_failures_window_start", table_name="auth_failures")
    op.drop_table("auth_failures")
