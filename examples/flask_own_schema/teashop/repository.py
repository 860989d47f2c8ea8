"""The shop's repository for the adapter: products, customers, baskets and orders, no search.

It implements `oct8ne_adapter.ShopRepository` (everything but `search`) over the shop's own
tables and returns the adapter's domain objects; the adapter searches the shop's products with
its own index, fed by `catalog.TeaCatalogSource`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from oct8ne_adapter import domain
from teashop.models import BasketLine, Customer, Item, Pairing, Purchase, Wish

CURRENCY = "EUR"
STATUS_LABELS = {"paid": "Paid", "shipped": "Shipped", "delivered": "Delivered"}


def spanish_first(languages: Sequence[str]) -> bool:
    """True when Spanish comes before English in the visitor's chain."""
    for language in languages:
        base = language.split("-")[0].lower()
        if base in {"es", "en"}:
            return base == "es"
    return False


def item_product(item: Item, languages: Sequence[str]) -> domain.Product:
    """An item as the adapter's Product, in the visitor's language."""
    spanish = spanish_first(languages) and item.name_es is not None
    return domain.Product(
        id=item.sku,
        title=(item.name_es or item.name_en) if spanish else item.name_en,
        description=(item.blurb_es or "") if spanish else item.blurb_en,
        url=f"/items/{item.sku}",
        thumbnail=f"{item.image}?size=120",
        medias=(item.image,),
        prices=MappingProxyType({CURRENCY: domain.ProductPrice(item.price_eur, item.was_eur)}),
        stock=item.on_hand,
    )


class TeaShopRepository:
    """The adapter's view of the shop's tables (oct8ne_adapter.ShopRepository)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- products ---------------------------------------------------------------------------

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[domain.Product]:
        """Listed items by SKU, in the order asked; unknown SKUs left out."""
        if not ids:
            return []
        with self.sessions() as session:
            items = session.scalars(select(Item).where(Item.sku.in_(ids), Item.listed)).all()
            by_sku = {item.sku: item_product(item, languages) for item in items}
        return [by_sku[sku] for sku in dict.fromkeys(ids) if sku in by_sku]

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[domain.Product]:
        """The listed items paired with this one, best first."""
        with self.sessions() as session:
            item_id = session.scalar(select(Item.id).where(Item.sku == product_id))
            if item_id is None:
                return []
            paired = session.scalars(
                select(Item)
                .join(Pairing, Pairing.paired_id == Item.id)
                .where(Pairing.item_id == item_id, Item.listed)
                .order_by(Pairing.rank, Item.id)
                .limit(limit)
            ).all()
            return [item_product(item, languages) for item in paired]

    # -- customers --------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> domain.Customer | None:
        """The customer with this id."""
        if not customer_id.isdigit():
            return None
        with self.sessions() as session:
            customer = session.get(Customer, int(customer_id))
            if customer is None:
                return None
            return domain.Customer(
                str(customer.id), customer.first_name, customer.last_name, customer.email
            )

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        """A signed-in customer's basket at today's prices; guests have no basket here."""
        if visitor.customer_id is None or not visitor.customer_id.isdigit():
            return domain.Cart()
        with self.sessions() as session:
            lines = session.scalars(
                select(BasketLine)
                .where(BasketLine.customer_id == int(visitor.customer_id))
                .order_by(BasketLine.id)
            ).all()
            products = [(item_product(line.item, languages), line.quantity) for line in lines]
        return domain.charged_cart(products, CURRENCY) if products else domain.Cart()

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[domain.Product]:
        """The customer's wishes, oldest first."""
        if not customer_id.isdigit():
            return []
        with self.sessions() as session:
            wishes = session.scalars(
                select(Wish)
                .where(Wish.customer_id == int(customer_id))
                .order_by(Wish.added_at, Wish.id)
            ).all()
            return [item_product(wish.item, languages) for wish in wishes]

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add the listed items not already wished for; how many were added."""
        if not customer_id.isdigit() or not product_ids:
            return 0
        with self.sessions.begin() as session:
            if session.get(Customer, int(customer_id)) is None:
                return 0
            wished = set(
                session.scalars(select(Wish.item_id).where(Wish.customer_id == int(customer_id)))
            )
            items = session.scalars(
                select(Item).where(Item.sku.in_(product_ids), Item.listed)
            ).all()
            by_sku = {item.sku: item for item in items}
            added = 0
            for sku in dict.fromkeys(product_ids):
                item = by_sku.get(sku)
                if item is not None and item.id not in wished:
                    session.add(Wish(customer_id=int(customer_id), item_id=item.id))
                    session.flush()  # one at a time: each gets its own added_at order
                    wished.add(item.id)
                    added += 1
            return added

    # -- orders -----------------------------------------------------------------------------

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[domain.Order]:
        """The orders of the customer with this e-mail, newest first."""
        with self.sessions() as session:
            purchases = session.scalars(
                select(Purchase)
                .join(Customer, Customer.id == Purchase.customer_id)
                .where(Customer.email == email.strip().lower())
                .order_by(Purchase.placed_at.desc(), Purchase.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return [order_of(purchase) for purchase in purchases]

    def get_order(self, reference: str, languages: Sequence[str]) -> domain.OrderDetails | None:
        """The order with this reference, with its lines."""
        with self.sessions() as session:
            purchase = session.scalar(select(Purchase).where(Purchase.reference == reference))
            if purchase is None:
                return None
            return domain.OrderDetails(
                order=order_of(purchase),
                carrier=purchase.carrier,
                tracking_number=purchase.tracking,
                lines=tuple(
                    domain.OrderLine(line.name, line.quantity, line.item.sku)
                    for line in purchase.lines
                ),
            )


def order_of(purchase: Purchase) -> domain.Order:
    """An order's header."""
    return domain.Order(
        reference=purchase.reference,
        placed_at=purchase.placed_at,
        total=domain.Money(purchase.total_eur, CURRENCY),
        state_label=STATUS_LABELS.get(purchase.status, purchase.status),
    )
