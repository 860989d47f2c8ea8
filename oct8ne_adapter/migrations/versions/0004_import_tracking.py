"""import tracking: a content digest and the last import that saw each product

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact was at 0004)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Add products.content_hash and products.import_mark."""
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("content_hash", exact(32), nullable=True))
        batch.add_column(sa.Column("import_mark", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the import tracking columns."""
    with op.batch_alter_table("products") as batch:
        batch.drop_column("import_mark")
        batch.drop_column("content_hash")
