"""platform link: credentials stored by link-up

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact was at 0003)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Create the platform_link table."""
    op.create_table(
        "platform_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("api_token", exact(128), nullable=False),
        sa.Column("license_id", exact(128), nullable=False),
        sa.Column("server", sa.String(260), nullable=False),
        sa.Column("static_server", sa.String(260), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("platform", sa.String(100), nullable=False),
        sa.Column("shop_url", sa.String(2000), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the platform_link table."""
    op.drop_table("platform_link")
