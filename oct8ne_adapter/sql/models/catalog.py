"""The catalog: categories, brands, attributes and their values, products and their children.

Names are translated in rows of one shape (owner key, language, text); a product's category rows
include every ancestor of its category, so a filter on a parent finds all.
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
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import (
    EXTERNAL_ID,
    Base,
    ShopKeyed,
    exact,
    language_key,
    owner_key,
    serial_key,
)

__all__ = [
    "Category",
    "CategoryTranslation",
    "Brand",
    "Attribute",
    "AttributeTranslation",
    "AttributeValue",
    "AttributeValueTranslation",
    "Product",
    "ProductTranslation",
    "TimedPrice",
    "ProductPrice",
    "ProductUrl",
    "ProductMedia",
    "ProductCategory",
    "ProductAttributeValue",
    "ProductRelation",
    "ProductVariant",
    "ProductVariantPrice",
    "ProductVariantValue",
    "ProductVariantUrl",
    "ProductCodeRow",
]


class Category(ShopKeyed, Base):
    __tablename__ = "categories"

    parent_pk: Mapped[int | None] = mapped_column(ForeignKey("categories.pk", ondelete="SET NULL"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CategoryTranslation(Base):
    __tablename__ = "category_translations"

    category_pk: Mapped[int] = owner_key("categories")
    language: Mapped[str] = language_key()
    name: Mapped[str] = mapped_column(String(200))


class Brand(ShopKeyed, Base):
    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(200))


class Attribute(Base):
    """A filterable product property such as color or size; `code` is the filter parameter."""

    __tablename__ = "attributes"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(exact(EXTERNAL_ID), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AttributeTranslation(Base):
    __tablename__ = "attribute_translations"

    attribute_pk: Mapped[int] = owner_key("attributes")
    language: Mapped[str] = language_key()
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

    value_pk: Mapped[int] = owner_key("attribute_values")
    language: Mapped[str] = language_key()
    label: Mapped[str] = mapped_column(String(200))


class Product(ShopKeyed, Base):
    __tablename__ = "products"

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
    #: A domain.Availability value: out_of_stock products are shown, never added to a cart.
    #: A server default only: older revisions' statements (tests, migrations) name no value.
    availability: Mapped[str] = mapped_column(exact(16), server_default="in_stock")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    #: Digest of the imported record: an import skips a product whose digest has not changed.
    content_hash: Mapped[str | None] = mapped_column(exact(32))
    #: Number of the last import that saw the product, for --prune and repeated ids.
    import_mark: Mapped[int | None] = mapped_column(Integer)


class ProductTranslation(Base):
    __tablename__ = "product_translations"

    product_pk: Mapped[int] = owner_key("products")
    language: Mapped[str] = language_key()
    title: Mapped[str] = mapped_column(String(500))
    #: The title folded (no case, no accents), for the same name ordering on every backend.
    sort_key: Mapped[str] = mapped_column(exact(500))
    description: Mapped[str] = mapped_column(Text, default="")


class TimedPrice:
    """The price columns of a product's or a variant's row in one currency (a mixin).

    `amount_minor` is the effective price (the sale one inside its window): what search
    filters, sorts and counts facets by. A timed sale fills the other columns (all NULL without
    one): the regular price, the sale price and its window (naive UTC); `sql/price_windows.py`
    switches the effective price at the boundaries.
    """

    currency: Mapped[str] = mapped_column(exact(3), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    previous_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    regular_minor: Mapped[int | None] = mapped_column(BigInteger)
    regular_previous_minor: Mapped[int | None] = mapped_column(BigInteger)
    sale_minor: Mapped[int | None] = mapped_column(BigInteger)
    sale_from: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    sale_until: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class ProductPrice(TimedPrice, Base):
    __tablename__ = "product_prices"
    __table_args__ = (Index("ix_product_prices_currency_amount", "currency", "amount_minor"),)

    product_pk: Mapped[int] = owner_key("products")


class ProductUrl(Base):
    """The product's page in one language (`products.url` is the feed language's, the fallback)."""

    __tablename__ = "product_urls"

    product_pk: Mapped[int] = owner_key("products")
    language: Mapped[str] = language_key()
    url: Mapped[str] = mapped_column(String(2000))


class ProductMedia(Base):
    __tablename__ = "product_media"

    product_pk: Mapped[int] = owner_key("products")
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))


class ProductCategory(Base):
    """A product's category and every ancestor of it, so a filter on a parent finds all."""

    __tablename__ = "product_categories"
    __table_args__ = (Index("ix_product_categories_category", "category_pk", "product_pk"),)

    product_pk: Mapped[int] = owner_key("products")
    category_pk: Mapped[int] = owner_key("categories")


class ProductAttributeValue(Base):
    __tablename__ = "product_attribute_values"
    __table_args__ = (Index("ix_product_attribute_values_value", "value_pk", "product_pk"),)

    product_pk: Mapped[int] = owner_key("products")
    value_pk: Mapped[int] = owner_key("attribute_values")


class ProductRelation(Base):
    __tablename__ = "product_relations"

    product_pk: Mapped[int] = owner_key("products")
    related_pk: Mapped[int] = owner_key("products")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductVariant(ShopKeyed, Base):
    """A feed row (size, color, SKU) of a product: its own id, link, stock and prices.

    Kept by its shop id across imports (updated in place, never deleted and re-inserted), so the
    carts and wishlists naming it stay.
    """

    __tablename__ = "product_variants"

    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    stock: Mapped[int | None] = mapped_column(Integer)
    availability: Mapped[str] = mapped_column(exact(16), default="in_stock")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductVariantPrice(TimedPrice, Base):
    """A variant's price in one currency, timed as a product's (shown when its id is asked)."""

    __tablename__ = "product_variant_prices"

    variant_pk: Mapped[int] = owner_key("product_variants")


class ProductVariantValue(Base):
    """A value that tells the variant from its siblings ("Red", "M"), in title order."""

    __tablename__ = "product_variant_values"

    variant_pk: Mapped[int] = owner_key("product_variants")
    value_pk: Mapped[int] = owner_key("attribute_values")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductVariantUrl(Base):
    """The variant's page in one language, as `ProductUrl` is the product's."""

    __tablename__ = "product_variant_urls"

    variant_pk: Mapped[int] = owner_key("product_variants")
    language: Mapped[str] = language_key()
    url: Mapped[str] = mapped_column(String(2000))


class ProductCodeRow(Base):
    """A SKU, GTIN or MPN of a product, or of one of its variants (`variant_pk`).

    `normalized` is the form search compares (feeds/codes.normalize_code): a code found resolves
    to its product, whichever row of the product carries it.
    """

    __tablename__ = "product_codes"
    __table_args__ = (Index("ix_product_codes_normalized", "normalized", "product_pk"),)

    pk: Mapped[int] = serial_key()
    product_pk: Mapped[int] = mapped_column(
        ForeignKey("products.pk", ondelete="CASCADE"), index=True
    )
    variant_pk: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.pk", ondelete="CASCADE"), index=True
    )
    #: sku, gtin or mpn (feeds/codes.KINDS).
    kind: Mapped[str] = mapped_column(exact(8))
    #: As the feed gave it.
    code: Mapped[str] = mapped_column(String(64))
    normalized: Mapped[str] = mapped_column(exact(64))
