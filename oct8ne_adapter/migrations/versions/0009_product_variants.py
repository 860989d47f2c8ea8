"""product variants: every feed row of a group keeps its own id; carts and wishlists name items;
products and variants say whether they can be bought now (availability)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

Cart lines and wishlist items are keyed by the id the shop named (a product's or a variant's),
so two variants of one product can both be in a cart. Their tables are rebuilt (a primary key
cannot be changed in place on SQLite): the rows are copied under their product's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact was at 0009)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def _items_table(name: str, owner: str, owner_table: str, extra: list[sa.Column[Any]]) -> None:
    """cart_lines / wishlist_items keyed by (owner, item_id), with product and variant keys."""
    op.create_table(
        name,
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("item_id", exact(64), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("variant_pk", sa.Integer(), nullable=True),
        *extra,
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["variant_pk"], ["product_variants.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(owner, "item_id"),
    )


def _old_items_table(name: str, owner: str, owner_table: str, extra: list[sa.Column[Any]]) -> None:
    """The tables as revision 0001 made them (for the downgrade)."""
    op.create_table(
        name,
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        *extra,
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(owner, "product_pk"),
    )


def _cart_extra() -> list[sa.Column[Any]]:
    return [
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    ]


def _wishlist_extra() -> list[sa.Column[Any]]:
    return [sa.Column("added_at", sa.DateTime(), nullable=False)]


_TABLES = (
    ("cart_lines", "cart_pk", "carts", _cart_extra, "quantity, position"),
    ("wishlist_items", "customer_pk", "customers", _wishlist_extra, "added_at"),
)


def upgrade() -> None:
    """Create the variant tables and rebuild cart_lines and wishlist_items keyed by item id."""
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("availability", exact(16), nullable=False, server_default="in_stock")
        )
    # What the stock said until now: none left is out of stock.
    op.execute("UPDATE products SET availability = 'out_of_stock' WHERE stock <= 0")
    op.create_table(
        "product_variants",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("external_id", exact(64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("availability", exact(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("external_id"),
    )
    with op.batch_alter_table("product_variants") as batch:
        batch.create_index(batch.f("ix_product_variants_product_pk"), ["product_pk"])
    op.create_table(
        "product_variant_prices",
        sa.Column("variant_pk", sa.Integer(), nullable=False),
        sa.Column("currency", exact(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("previous_amount_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["variant_pk"], ["product_variants.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("variant_pk", "currency"),
    )
    op.create_table(
        "product_variant_values",
        sa.Column("variant_pk", sa.Integer(), nullable=False),
        sa.Column("value_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["variant_pk"], ["product_variants.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_pk"], ["attribute_values.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("variant_pk", "value_pk"),
    )
    for name, owner, owner_table, extra, columns in _TABLES:
        # Copied under a temporary name, then renamed: the old table and its constraint names
        # are gone before the new one takes the name.
        _items_table(f"{name}_new", owner, owner_table, extra())
        op.execute(
            f"INSERT INTO {name}_new ({owner}, item_id, product_pk, variant_pk, {columns}) "
            f"SELECT o.{owner}, p.external_id, o.product_pk, NULL, "
            f"{', '.join(f'o.{c.strip()}' for c in columns.split(','))} "
            f"FROM {name} o JOIN products p ON p.pk = o.product_pk"
        )
        op.drop_table(name)
        op.rename_table(f"{name}_new", name)


def downgrade() -> None:
    """Back to lines keyed by product: variant lines are dropped, then the variant tables."""
    for name, owner, owner_table, extra, columns in _TABLES:
        _old_items_table(f"{name}_old", owner, owner_table, extra())
        op.execute(
            f"INSERT INTO {name}_old ({owner}, product_pk, {columns}) "
            f"SELECT {owner}, product_pk, {columns} FROM {name} WHERE variant_pk IS NULL"
        )
        op.drop_table(name)
        op.rename_table(f"{name}_old", name)
    op.drop_table("product_variant_values")
    op.drop_table("product_variant_prices")
    with op.batch_alter_table("product_variants") as batch:
        batch.drop_index(batch.f("ix_product_variants_product_pk"))
    op.drop_table("product_variants")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("availability")
