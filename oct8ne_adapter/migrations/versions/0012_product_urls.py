"""product urls: a product's and a variant's link per language (issue 19, product URLs per locale)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00

`products.url` and `product_variants.url` stay: the feed language's link, the one shown when no
link of the visitor's language chain is stored. The tables start empty: the next import of each
feed fills them (the feed readers' mapping version changed, so every row is written again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact is at 0012)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Create product_urls and product_variant_urls, keyed by (owner, language)."""
    for table, owner, owner_table in (
        ("product_urls", "product_pk", "products"),
        ("product_variant_urls", "variant_pk", "product_variants"),
    ):
        op.create_table(
            table,
            sa.Column(owner, sa.Integer(), nullable=False),
            sa.Column("language", exact(16), nullable=False),
            sa.Column("url", sa.String(length=2000), nullable=False),
            sa.ForeignKeyConstraint([owner], [f"{owner_table}.pk"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint(owner, "language"),
        )


def downgrade() -> None:
    """Drop the per-language links (`products.url` and `product_variants.url` remain)."""
    op.drop_table("product_variant_urls")
    op.drop_table("product_urls")
