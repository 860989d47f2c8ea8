"""full-text search index per dialect

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import Session

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create this dialect's index (see oct8ne_adapter.sql.fulltext) and fill it."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE product_search USING fts5("
            "title, brand, categories, attributes, description, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.create_table(
            "product_search_vectors",
            sa.Column(
                "product_pk",
                sa.Integer(),
                sa.ForeignKey("products.pk", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        )
        op.create_index(
            "ix_product_search_vectors_document",
            "product_search_vectors",
            ["document"],
            postgresql_using="gin",
        )
    else:
        op.create_table(
            "product_search_tokens",
            sa.Column(
                "token",
                sa.String(64).with_variant(
                    mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"),
                    "mysql",
                    "mariadb",
                ),
                primary_key=True,
            ),
            sa.Column(
                "product_pk",
                sa.Integer(),
                sa.ForeignKey("products.pk", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("weight", sa.SmallInteger(), nullable=False),
        )
        op.create_index("ix_product_search_tokens_product", "product_search_tokens", ["product_pk"])
    # Databases made at 0001 already hold products: index them now.
    from oct8ne_adapter.sql import fulltext

    with Session(bind=bind) as session:
        fulltext.rebuild(session)
        session.flush()


def downgrade() -> None:
    """Drop the index."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE product_search")
    elif dialect == "postgresql":
        op.drop_table("product_search_vectors")
    else:
        op.drop_table("product_search_tokens")
