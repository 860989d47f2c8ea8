"""timed prices: a product price's sale window (issue 23 item 5, sale_price_effective_date)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00

The new columns start NULL (no timed sale): the next import of a feed with a sale window fills
them (the feed readers' mapping version changed, so every row is written again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the regular price, the sale price and its window to product_prices."""
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regular_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("regular_previous_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("sale_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("sale_from", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sale_until", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_product_prices_sale_from", ["sale_from"], unique=False)
        batch_op.create_index("ix_product_prices_sale_until", ["sale_until"], unique=False)


def downgrade() -> None:
    """Drop the sale window columns."""
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.drop_index("ix_product_prices_sale_until")
        batch_op.drop_index("ix_product_prices_sale_from")
        for column in ("sale_until", "sale_from", "sale_minor", "regular_previous_minor"):
            batch_op.drop_column(column)
        batch_op.drop_column("regular_minor")
