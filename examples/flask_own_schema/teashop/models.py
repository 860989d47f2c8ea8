"""The tea shop's own tables: nothing here is the adapter's schema.

Teas and teaware sit in sections (a tree), made by makers, with one price in euros, an origin and
a pack size; customers sign in with a session token, keep a basket and a wishlist, and place
orders. The catalog keeps a revision on every item, bumped by each change (see `bump_revisions`),
which is how the adapter's search index learns what changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    """The shop's declarative base."""


class Section(Base):
    """A shelf of the shop, under another or at the top."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title_en: Mapped[str] = mapped_column(String(120))
    title_es: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    parent: Mapped[Section | None] = relationship(remote_side=[id])


class Maker(Base):
    """Who makes or blends an item."""

    __tablename__ = "makers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Item(Base):
    """Something the shop sells, under its SKU."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_es: Mapped[str | None] = mapped_column(String(200))
    blurb_en: Mapped[str] = mapped_column(Text, default="")
    blurb_es: Mapped[str | None] = mapped_column(Text)
    price_eur: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    was_eur: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    maker_id: Mapped[int | None] = mapped_column(ForeignKey("makers.id"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"))
    origin: Mapped[str | None] = mapped_column(String(60))
    pack: Mapped[str | None] = mapped_column(String(20))
    on_hand: Mapped[int] = mapped_column(default=0)
    #: Off sale items stay (orders name them) but are no longer shown.
    listed: Mapped[bool] = mapped_column(default=True)
    image: Mapped[str] = mapped_column(String(200))
    #: The catalog revision of the item's last change.
    revision: Mapped[int] = mapped_column(default=0, index=True)

    maker: Mapped[Maker | None] = relationship()
    section: Mapped[Section] = relationship()


class Pairing(Base):
    """An item that goes with another (a teapot with a tea), best first."""

    __tablename__ = "pairings"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    paired_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(default=0)


class Customer(Base):
    """A customer account."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    #: The token of the signed-in session (the `teashop_session` cookie), if any.
    session_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class BasketLine(Base):
    """An item in a customer's basket."""

    __tablename__ = "basket_lines"
    __table_args__ = (UniqueConstraint("customer_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[int]
    item: Mapped[Item] = relationship()


class Wish(Base):
    """An item a customer keeps for later."""

    __tablename__ = "wishes"
    __table_args__ = (UniqueConstraint("customer_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    added_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    item: Mapped[Item] = relationship()


class Purchase(Base):
    """An order."""

    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    placed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    total_eur: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking: Mapped[str] = mapped_column(String(60), default="")
    lines: Mapped[list[PurchaseLine]] = relationship(order_by="PurchaseLine.id")


class PurchaseLine(Base):
    """An item of an order, as it was sold."""

    __tablename__ = "purchase_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    item: Mapped[Item] = relationship()


@event.listens_for(Session, "before_flush")
def bump_revisions(session: Session, _context: object, _instances: object) -> None:
    """Give every new or changed item the next catalog revision, in the same transaction."""
    changed = [
        item
        for item in (*session.new, *session.dirty)
        if isinstance(item, Item) and (item in session.new or session.is_modified(item))
    ]
    if not changed:
        return
    with session.no_autoflush:
        revision = session.scalar(select(func.coalesce(func.max(Item.revision), 0))) or 0
    for item in changed:
        item.revision = revision + 1
