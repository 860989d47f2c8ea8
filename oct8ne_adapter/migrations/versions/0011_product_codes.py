"""product codes: the SKU, GTIN and MPN of each product and variant, searched exactly

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:00:00

Existing products get their codes when next imported: the feed readers' mapping version changed,
so every row is written again once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0011)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Create product_codes with its lookup index."""
    op.create_table(
        "product_codes",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("variant_pk", sa.Integer(), nullable=True),
        sa.Column("kind", exact(8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("normalized", exact(64), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["variant_pk"], ["product_variants.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("product_codes") as batch:
        batch.create_index("ix_product_codes_normalized", ["normalized", "product_pk"])
        batch.create_index(batch.f("ix_product_codes_product_pk"), ["product_pk"])
        batch.create_index(batch.f("ix_product_codes_variant_pk"), ["variant_pk"])


def downgrade() -> None:
    """Drop product_codes."""
    op.drop_table("product_codes")
