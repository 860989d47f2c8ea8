"""The shop's repository: the adapter's Protocols (oct8ne_adapter.repository) over SQLAlchemy.

Nothing here imports the adapter's Protocols: they are structural. Search is the one method that
is not answered from these tables directly: see `search_copy.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from fastapi_shop.models import (
    Cart,
    Customer,
    Order,
    OrderLine,
    Product,
    RelatedProduct,
    WishlistItem,
    amount,
)
from fastapi_shop.seed_data import ORDER_STATES
from oct8ne_adapter import domain

Searcher = Callable[[domain.SearchQuery], domain.SearchResult]

#: The language a product always has a text in.
DEFAULT_LANGUAGE = "en"


def _candidates(languages: Sequence[str]) -> list[str]:
    """`es-MX, en` -> es-MX, es, en, en: each language, then its bare form."""
    codes: list[str] = []
    for language in languages:
        codes += [language.lower(), language.split("-")[0].lower()]
    return [*codes, DEFAULT_LANGUAGE]


def _product(product: Product, languages: Sequence[str]) -> domain.Product:
    texts = {text.language.lower(): text for text in product.texts}
    text = next((texts[code] for code in _candidates(languages) if code in texts), None)
    prices = {
        price.currency: domain.ProductPrice(
            amount(price.amount_cents),
            None if price.previous_cents is None else amount(price.previous_cents),
        )
        for price in product.prices
    }
    return domain.Product(
        id=product.sku,
        title=text.title if text else product.sku,
        description=text.description if text else "",
        url=f"/product/{product.sku}",
        thumbnail=f"/product/{product.sku}/image.svg",
        medias=(f"/product/{product.sku}/image.svg",),
        prices=MappingProxyType(prices),
        stock=product.stock,
    )


def _customer_pk(customer_id: str | None) -> int | None:
    """Customer ids are the customers' primary keys; anything else names nobody."""
    if not customer_id or not (customer_id.isascii() and customer_id.isdigit()):
        return None
    return int(customer_id)


def _order(order: Order, languages: Sequence[str]) -> domain.Order:
    labels = ORDER_STATES.get(order.state, {})
    label = next((labels[code] for code in _candidates(languages) if code in labels), order.state)
    return domain.Order(
        order.reference,
        order.placed_at,
        domain.Money(amount(order.total_cents), order.currency),
        label,
        order.delivered_at,
    )


class FastapiShopRepository:
    """Catalog, customers, carts, wishlists and orders from the shop's own tables."""

    def __init__(self, sessions: sessionmaker[Any], searcher: Searcher) -> None:
        self.sessions = sessions
        #: Finds products (ids, total, facets): the adapter's search over its copy of the catalog.
        self.searcher = searcher

    # -- catalog ---------------------------------------------------------------------------------

    def _products(
        self, session: Session, skus: Sequence[str], languages: Sequence[str]
    ) -> list[domain.Product]:
        wanted = list(dict.fromkeys(skus))
        if not wanted:
            return []
        found = session.scalars(
            select(Product)
            .where(Product.sku.in_(wanted), Product.active)
            .options(selectinload(Product.texts), selectinload(Product.prices))
        )
        by_sku = {product.sku: product for product in found}
        return [_product(by_sku[sku], languages) for sku in wanted if sku in by_sku]

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[domain.Product]:
        """Active products for these SKUs, in the order asked; unknown ones are left out."""
        with self.sessions() as session:
            return self._products(session, ids, languages)

    def search(self, query: domain.SearchQuery) -> domain.SearchResult:
        """The adapter's search finds the page; the products themselves come from our tables."""
        result = self.searcher(query)
        products = self.get_products([product.id for product in result.products], query.languages)
        return replace(result, products=tuple(products))

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[domain.Product]:
        """The products this one names as related, best first."""
        related = (
            select(Product.sku)
            .join(RelatedProduct, RelatedProduct.related_id == Product.id)
            .where(
                RelatedProduct.product_id
                == select(Product.id).where(Product.sku == product_id).scalar_subquery()
            )
            .order_by(RelatedProduct.position)
        )
        with self.sessions() as session:
            return self._products(session, list(session.scalars(related)), languages)[:limit]

    # -- customers -------------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> domain.Customer | None:
        """The customer with this id, or None."""
        pk = _customer_pk(customer_id)
        with self.sessions() as session:
            customer = None if pk is None else session.get(Customer, pk)
            if customer is None:
                return None
            return domain.Customer(
                str(customer.id), customer.first_name, customer.last_name, customer.email
            )

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        """The signed-in customer's cart, else the guest cart of the visitor's session."""
        pk = _customer_pk(visitor.customer_id)
        if pk is not None:
            wanted = select(Cart).where(Cart.customer_id == pk)
        elif visitor.cart_key:
            wanted = select(Cart).where(Cart.guest_key == visitor.cart_key)
        else:
            return domain.Cart()
        with self.sessions() as session:
            cart = session.scalar(wanted)
            if cart is None:
                return domain.Cart()
            lines = [(line.product.sku, line.quantity) for line in cart.lines]
            products = {
                product.id: product
                for product in self._products(session, [sku for sku, _ in lines], languages)
            }
            charged = [(products[sku], quantity) for sku, quantity in lines if sku in products]
            if not charged:
                return domain.Cart()
            return domain.charged_cart(charged, cart.currency, amount(cart.discount_cents))

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[domain.Product]:
        """The customer's wishlist, oldest first."""
        pk = _customer_pk(customer_id)
        if pk is None:
            return []
        skus = (
            select(Product.sku)
            .join(WishlistItem, WishlistItem.product_id == Product.id)
            .where(WishlistItem.customer_id == pk)
            .order_by(WishlistItem.id)
        )
        with self.sessions() as session:
            return self._products(session, list(session.scalars(skus)), languages)

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add the known products not already wished; how many were added."""
        pk = _customer_pk(customer_id)
        if pk is None:
            return 0
        with self.sessions.begin() as session:
            if session.get(Customer, pk) is None:
                return 0
            wished = set(
                session.scalars(
                    select(WishlistItem.product_id).where(WishlistItem.customer_id == pk)
                )
            )
            known = {
                product.sku: product.id
                for product in session.scalars(
                    select(Product).where(Product.sku.in_(product_ids), Product.active)
                )
            }
            new = [
                known[sku]
                for sku in dict.fromkeys(product_ids)
                if sku in known and known[sku] not in wished
            ]
            session.add_all(WishlistItem(customer_id=pk, product_id=new_id) for new_id in new)
            return len(new)

    # -- orders ----------------------------------------------------------------------------------

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[domain.Order]:
        """The orders of the customer with this e-mail, newest first."""
        orders = (
            select(Order)
            .join(Order.customer)
            .where(func.lower(Customer.email) == email.strip().lower())
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.sessions() as session:
            return [_order(order, languages) for order in session.scalars(orders)]

    def get_order(self, reference: str, languages: Sequence[str]) -> domain.OrderDetails | None:
        """The order with this reference, with its lines and the customer's comment."""
        wanted = (
            select(Order)
            .where(Order.reference == reference)
            .options(selectinload(Order.lines).selectinload(OrderLine.product))
        )
        with self.sessions() as session:
            order = session.scalar(wanted)
            if order is None:
                return None
            lines = tuple(
                domain.OrderLine(line.name, line.quantity, line.product and line.product.sku)
                for line in order.lines
            )
            comments = (
                (domain.OrderComment(order.customer_comment, True),)
                if order.customer_comment
                else ()
            )
            return domain.OrderDetails(
                _order(order, languages),
                carrier=order.carrier,
                tracking_number=order.tracking_number,
                lines=lines,
                comments=comments,
            )
