"""A shop's repository with our search: what the adapter serves beside a `CatalogSource`.

The shop implements product reads (`repository.ProductReads`), and customers, carts, wishlists
and orders if it wants those methods answered; `search` comes from the index over its source.
Methods the shop's object lacks answer as for a shop that has none of them: no customer, an
empty cart and wishlist, no orders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oct8ne_adapter.domain import (
    Cart,
    Customer,
    Order,
    OrderDetails,
    Product,
    SearchQuery,
    SearchResult,
    Visitor,
)
from oct8ne_adapter.repository import CustomerRepository, OrderRepository, ProductReads


class SourcedRepository:
    """The shop's repository, its `search` answered by the adapter's index (AdapterRepository)."""

    def __init__(self, shop: ProductReads, searcher: Callable[[SearchQuery], SearchResult]) -> None:
        self.shop = shop
        self.searcher = searcher
        self.customers = shop if isinstance(shop, CustomerRepository) else None
        self.orders = shop if isinstance(shop, OrderRepository) else None

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[Product]:
        """The shop's products."""
        return self.shop.get_products(ids, languages)

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[Product]:
        """The shop's related products."""
        return self.shop.related_products(product_id, languages, limit)

    def search(self, query: SearchQuery) -> SearchResult:
        """The index's answer over the shop's catalog source."""
        return self.searcher(query)

    def get_customer(self, customer_id: str) -> Customer | None:
        """The shop's customer, if the shop has customers."""
        return None if self.customers is None else self.customers.get_customer(customer_id)

    def get_cart(self, visitor: Visitor, languages: Sequence[str]) -> Cart:
        """The shop's cart of this visitor; empty if the shop has no carts."""
        return Cart() if self.customers is None else self.customers.get_cart(visitor, languages)

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[Product]:
        """The shop's wishlist; empty if the shop has none."""
        if self.customers is None:
            return []
        return self.customers.get_wishlist(customer_id, languages)

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Added to the shop's wishlist; none if the shop has none."""
        if self.customers is None:
            return 0
        return self.customers.add_to_wishlist(customer_id, product_ids)

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[Order]:
        """The shop's orders of this customer; none if the shop has no orders."""
        if self.orders is None:
            return []
        return self.orders.list_orders(email, languages, offset, limit)

    def get_order(self, reference: str, languages: Sequence[str]) -> OrderDetails | None:
        """The shop's order; None if the shop has no orders."""
        return None if self.orders is None else self.orders.get_order(reference, languages)
