"""The default SQL schema: catalog, customers, sessions, carts, wishlists and orders.

Money is stored as integer minor units (cents) with its currency, so that every backend compares
and sums it exactly; products have an integer surrogate key for joins and the shop's own id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EXTERNAL_ID = 64
LANGUAGE = 16


def exact(length: int) -> String:
    """A string compared byte for byte on every backend.

    Identifiers and sort keys must not match case- or accent-insensitively on MariaDB
    (`utf8mb4_unicode_ci`) nor sort by the server locale on PostgreSQL while SQLite compares
    bytes: the same catalog would answer differently.
    """
    return (
        String(length)
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


class Base(DeclarativeBase):
    """Declarative base of the adapter's tables."""


class Category(Base):
    __tablename__ = "categories"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    parent_pk: Mapped[int | None] = mapped_column(ForeignKey("categories.pk", ondelete="SET NULL"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CategoryTranslation(Base):
    __tablename__ = "category_translations"

    category_pk: Mapped[int] = mapped_column(
        ForeignKey("categories.pk", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(exact(LANGUAGE), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Brand(Base):
    __tablename__ = "brands"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Attribute(Base):
    """A filterable product property such as color or size; `code` is the filter parameter."""

    __tablename__ = "attributes"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AttributeTranslation(Base):
    __tablename__ = "attribute_translations"

    attribute_pk: Mapped[int] = mapped_column(
        ForeignKey("attributes.pk", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(exact(LANGUAGE), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))


class AttributeValue(Base):
    __tablename__ = "attribute_values"
    __table_args__ = (UniqueConstraint("attribute_pk", "code"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute_pk: Mapped[int] = mapped_column(ForeignKey("attributes.pk", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(exact(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class AttributeValueTranslation(Base):
    __tablename__ = "attribute_value_translations"

    value_pk: Mapped[int] = mapped_column(
        ForeignKey("attribute_values.pk", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(exact(LANGUAGE), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))


class Product(Base):
    __tablename__ = "products"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    brand_pk: Mapped[int | None] = mapped_column(
        ForeignKey("brands.pk", ondelete="SET NULL"), index=True
    )
    category_pk: Mapped[int | None] = mapped_column(
        ForeignKey("categories.pk", ondelete="SET NULL")
    )
    url: Mapped[str] = mapped_column(String(2000))
    thumbnail_url: Mapped[str | None] = mapped_column(String(2000))
    has_variants: Mapped[bool] = mapped_column(Boolean, default=False)
    stock: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    #: Digest of the imported record: an import skips a product whose digest has not changed.
    content_hash: Mapped[str | None] = mapped_column(exact(32))
    #: Number of the last import that saw the product, for --prune and repeated ids.
    import_mark: Mapped[int | None] = mapped_column(Integer)


class ProductTranslation(Base):
    __tablename__ = "product_translations"

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(exact(LANGUAGE), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    #: The title folded (no case, no accents), for the same name ordering on every backend.
    sort_key: Mapped[str] = mapped_column(exact(500))
    description: Mapped[str] = mapped_column(Text, default="")


class ProductPrice(Base):
    __tablename__ = "product_prices"
    __table_args__ = (Index("ix_product_prices_currency_amount", "currency", "amount_minor"),)

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(exact(3), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    previous_amount_minor: Mapped[int | None] = mapped_column(BigInteger)


class ProductMedia(Base):
    __tablename__ = "product_media"

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))


class ProductCategory(Base):
    """A product's category and every ancestor of it, so a filter on a parent finds all."""

    __tablename__ = "product_categories"
    __table_args__ = (Index("ix_product_categories_category", "category_pk", "product_pk"),)

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    category_pk: Mapped[int] = mapped_column(
        ForeignKey("categories.pk", ondelete="CASCADE"), primary_key=True
    )


class ProductAttributeValue(Base):
    __tablename__ = "product_attribute_values"
    __table_args__ = (Index("ix_product_attribute_values_value", "value_pk", "product_pk"),)

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    value_pk: Mapped[int] = mapped_column(
        ForeignKey("attribute_values.pk", ondelete="CASCADE"), primary_key=True
    )


class ProductRelation(Base):
    __tablename__ = "product_relations"

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    related_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class Customer(Base):
    __tablename__ = "customers"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")


class ShopSession(Base):
    """A shop visitor's session; only a SHA-256 of the cookie value is stored."""

    __tablename__ = "shop_sessions"

    token_hash: Mapped[str] = mapped_column(exact(64), primary_key=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.pk", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class Cart(Base):
    """A cart owned by a customer, or by a guest session key until the guest signs in."""

    __tablename__ = "carts"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_pk: Mapped[int | None] = mapped_column(
        ForeignKey("customers.pk", ondelete="CASCADE"), index=True
    )
    session_key: Mapped[str | None] = mapped_column(exact(128), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CartLine(Base):
    __tablename__ = "cart_lines"

    cart_pk: Mapped[int] = mapped_column(
        ForeignKey("carts.pk", ondelete="CASCADE"), primary_key=True
    )
    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class WishlistItem(Base):
    __tablename__ = "wishlist_items"

    customer_pk: Mapped[int] = mapped_column(
        ForeignKey("customers.pk", ondelete="CASCADE"), primary_key=True
    )
    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime)


class OrderStateLabel(Base):
    __tablename__ = "order_state_labels"

    state: Mapped[str] = mapped_column(exact(64), primary_key=True)
    language: Mapped[str] = mapped_column(exact(LANGUAGE), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_placed", "customer_pk", "placed_at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.pk", ondelete="CASCADE"))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(64))
    delivery_date: Mapped[datetime | None] = mapped_column(DateTime)
    carrier: Mapped[str] = mapped_column(String(200), default="")
    tracking_number: Mapped[str] = mapped_column(String(200), default="")
    tracking_url: Mapped[str] = mapped_column(String(2000), default="")


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_pk: Mapped[int] = mapped_column(
        ForeignKey("orders.pk", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_external_id: Mapped[str | None] = mapped_column(exact(EXTERNAL_ID))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)


class OrderComment(Base):
    __tablename__ = "order_comments"

    order_pk: Mapped[int] = mapped_column(
        ForeignKey("orders.pk", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    from_customer: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class PlatformLink(Base):
    """What link-up returned: one row (id 1) while the shop is linked. The password is not here."""

    __tablename__ = "platform_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_token: Mapped[str] = mapped_column(exact(128))
    license_id: Mapped[str] = mapped_column(exact(128))
    server: Mapped[str] = mapped_column(String(260))
    static_server: Mapped[str] = mapped_column(String(260))
    email: Mapped[str] = mapped_column(String(320))
    platform: Mapped[str] = mapped_column(String(100))
    shop_url: Mapped[str] = mapped_column(String(2000))
    linked_at: Mapped[datetime] = mapped_column(DateTime)


class CatalogChange(Base):
    """One catalog change, newest last: processes that cache the catalog follow this log.

    `product_pk` names the product whose row or children changed (it may since have been
    deleted); NULL means anything may have changed, so caches rebuild from scratch.
    """

    __tablename__ = "catalog_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    product_pk: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


#: Identifiers a shop gives carts, orders and customers in recorded commerce events.
EVENT_ID = 128


class OutboxEvent(Base):
    """A recorded commerce event (oct8ne_adapter.events), kept until every delivery is final.

    `dedupe_key` (a SHA-256) makes recording the same event twice a no-op; `subject` is the cart
    or order id, so a cart's previous snapshot and an order as placed are found for the sinks.
    """

    __tablename__ = "event_outbox"
    __table_args__ = (Index("ix_event_outbox_subject", "kind", "subject", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(exact(32))
    subject: Mapped[str] = mapped_column(exact(EVENT_ID))
    dedupe_key: Mapped[str] = mapped_column(exact(64), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class EventDelivery(Base):
    """One event to one vendor sink: pending until delivered, or dead with the reason.

    `requests_done` counts the sink's requests already accepted, so a delivery interrupted by a
    crash resumes at the first request not yet delivered. A worker owns a row while
    `claimed_until` is in the future; deliveries with the same `ordering_key` (one cart, one
    order) go to a sink one at a time, oldest first.
    """

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("event_seq", "sink", name="uq_event_deliveries_event_sink"),
        Index("ix_event_deliveries_due", "state", "next_attempt_at"),
        Index("ix_event_deliveries_ordering", "sink", "ordering_key", "event_seq"),
    )

    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("event_outbox.seq", ondelete="CASCADE"),
    )
    sink: Mapped[str] = mapped_column(exact(32))
    ordering_key: Mapped[str] = mapped_column(exact(EVENT_ID + 8))
    state: Mapped[str] = mapped_column(exact(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requests_done: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class RecordedCart(Base):
    """The latest snapshot of a cart recorded through commerce events (getCart, getSalesReport)."""

    __tablename__ = "recorded_carts"

    cart_id: Mapped[str] = mapped_column(exact(EVENT_ID), primary_key=True)
    oct8ne_session: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    customer_id: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    products_count: Mapped[int] = mapped_column(Integer)
    items_count: Mapped[int] = mapped_column(Integer)
    #: The lines as JSON: [{"id", "name", "quantity", "unit_price"}].
    lines: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RecordedOrder(Base):
    """An order recorded through commerce events, with its latest status (getSalesReport)."""

    __tablename__ = "recorded_orders"

    order_id: Mapped[str] = mapped_column(exact(EVENT_ID), primary_key=True)
    cart_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    oct8ne_session: Mapped[str | None] = mapped_column(exact(EVENT_ID), index=True)
    customer_id: Mapped[str | None] = mapped_column(exact(EVENT_ID))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    products_count: Mapped[int] = mapped_column(Integer)
    items_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)
