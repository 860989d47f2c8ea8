"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:42:44.124901
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def exact(length: int) -> sa.String:
    """A string compared byte for byte on every backend (as models.exact was at 0001)."""
    return (
        sa.String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "attributes",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("code", exact(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "brands",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("external_id", exact(64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("external_id"),
    )
    op.create_table(
        "categories",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("external_id", exact(64), nullable=False),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_pk"], ["categories.pk"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("external_id"),
    )
    op.create_table(
        "customers",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("external_id", exact(64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("external_id"),
    )
    op.create_table(
        "order_state_labels",
        sa.Column("state", exact(64), nullable=False),
        sa.Column("language", exact(16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("state", "language"),
    )
    op.create_table(
        "attribute_translations",
        sa.Column("attribute_pk", sa.Integer(), nullable=False),
        sa.Column("language", exact(16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["attribute_pk"], ["attributes.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("attribute_pk", "language"),
    )
    op.create_table(
        "attribute_values",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("attribute_pk", sa.Integer(), nullable=False),
        sa.Column("code", exact(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attribute_pk"], ["attributes.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("attribute_pk", "code"),
    )
    op.create_table(
        "carts",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=True),
        sa.Column("session_key", exact(128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_pk"], ["customers.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carts_customer_pk"), ["customer_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_carts_session_key"), ["session_key"], unique=False)

    op.create_table(
        "category_translations",
        sa.Column("category_pk", sa.Integer(), nullable=False),
        sa.Column("language", exact(16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["category_pk"], ["categories.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("category_pk", "language"),
    )
    op.create_table(
        "orders",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("reference", exact(64), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("delivery_date", sa.DateTime(), nullable=True),
        sa.Column("carrier", sa.String(length=200), nullable=False),
        sa.Column("tracking_number", sa.String(length=200), nullable=False),
        sa.Column("tracking_url", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["customer_pk"], ["customers.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_customer_placed", ["customer_pk", "placed_at"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("external_id", exact(64), nullable=False),
        sa.Column("brand_pk", sa.Integer(), nullable=True),
        sa.Column("category_pk", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("thumbnail_url", sa.String(length=2000), nullable=True),
        sa.Column("has_variants", sa.Boolean(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["brand_pk"], ["brands.pk"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["category_pk"], ["categories.pk"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("external_id"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_brand_pk"), ["brand_pk"], unique=False)

    op.create_table(
        "shop_sessions",
        sa.Column("token_hash", exact(64), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_pk"], ["customers.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "attribute_value_translations",
        sa.Column("value_pk", sa.Integer(), nullable=False),
        sa.Column("language", exact(16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["value_pk"], ["attribute_values.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("value_pk", "language"),
    )
    op.create_table(
        "cart_lines",
        sa.Column("cart_pk", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cart_pk"], ["carts.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cart_pk", "product_pk"),
    )
    op.create_table(
        "order_comments",
        sa.Column("order_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_pk", "position"),
    )
    op.create_table(
        "order_lines",
        sa.Column("order_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_external_id", exact(64), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_pk", "position"),
    )
    op.create_table(
        "product_attribute_values",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("value_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_pk"], ["attribute_values.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "value_pk"),
    )
    with op.batch_alter_table("product_attribute_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_attribute_values_value", ["value_pk", "product_pk"], unique=False
        )

    op.create_table(
        "product_categories",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("category_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_pk"], ["categories.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "category_pk"),
    )
    with op.batch_alter_table("product_categories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_categories_category", ["category_pk", "product_pk"], unique=False
        )

    op.create_table(
        "product_media",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "position"),
    )
    op.create_table(
        "product_prices",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("currency", exact(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("previous_amount_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "currency"),
    )
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_prices_currency_amount", ["currency", "amount_minor"], unique=False
        )

    op.create_table(
        "product_relations",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("related_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["related_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "related_pk"),
    )
    op.create_table(
        "product_translations",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("language", exact(16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("sort_key", exact(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_pk", "language"),
    )
    op.create_table(
        "wishlist_items",
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_pk"], ["customers.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_pk"], ["products.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_pk", "product_pk"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("wishlist_items")
    op.drop_table("product_translations")
    op.drop_table("product_relations")
    with op.batch_alter_table("product_prices", schema=None) as batch_op:
        batch_op.drop_index("ix_product_prices_currency_amount")

    op.drop_table("product_prices")
    op.drop_table("product_media")
    with op.batch_alter_table("product_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_product_categories_category")

    op.drop_table("product_categories")
    with op.batch_alter_table("product_attribute_values", schema=None) as batch_op:
        batch_op.drop_index("ix_product_attribute_values_value")

    op.drop_table("product_attribute_values")
    op.drop_table("order_lines")
    op.drop_table("order_comments")
    op.drop_table("cart_lines")
    op.drop_table("attribute_value_translations")
    op.drop_table("shop_sessions")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_brand_pk"))

    op.drop_table("products")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_customer_placed")

    op.drop_table("orders")
    op.drop_table("category_translations")
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carts_session_key"))
        batch_op.drop_index(batch_op.f("ix_carts_customer_pk"))

    op.drop_table("carts")
    op.drop_table("attribute_values")
    op.drop_table("attribute_translations")
    op.drop_table("order_state_labels")
    op.drop_table("customers")
    op.drop_table("categories")
    op.drop_table("brands")
    op.drop_table("attributes")
