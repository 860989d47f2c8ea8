"""timed variant prices: a variant price's sale window, as a product price's (issue 23 item 5)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:00:00

The columns of 0013, on product_variant_prices. They start NULL (no timed sale): the next
import of a feed with a sale window fills them (the feed readers' mapping version changed, so
every row is written again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The window columns and their types, as 0013 added them to product_prices.
COLUMNS = (
    ("regular_minor", sa.BigInteger),
    ("regular_previous_minor", sa.BigInteger),
    ("sale_minor", sa.BigInteger),
    ("sale_from", sa.DateTime),
    ("sale_until", sa.DateTime),
)


def upgrade() -> None:
    """Add the regular price, the sale price and its window to product_variant_prices."""
    with op.batch_alter_table("product_variant_prices", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind(), nullable=True))
        for column in ("sale_from", "sale_until"):
            batch_op.create_index(f"ix_product_variant_prices_{column}", [column], unique=False)


def downgrade() -> None:
    """Drop the sale window columns."""
    with op.batch_alter_table("product_variant_prices", schema=None) as batch_op:
        for column in ("sale_until", "sale_from"):
            batch_op.drop_index(f"ix_product_variant_prices_{column}")
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
