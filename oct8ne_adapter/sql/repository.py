"""SqlRepository: the default implementation of every repository Protocol over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oct8ne_adapter import domain
from oct8ne_adapter.sql import catalog, customer_view, customers, orders, sessions
from oct8ne_adapter.sql.database import Database


class SqlRepository:
    """Catalog, customers, orders and shop sessions in one SQL database; one session per call."""

    def __init__(
        self,
        database: Database,
        *,
        searcher: Callable[[domain.SearchQuery], domain.SearchResult],
    ) -> None:
        self.database = database
        #: Answers searches: a search engine's `search` (search/ sits above sql/, so the
        #: composition root chooses and passes it: the SQL engine or the in-memory index).
        self.searcher = searcher

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[domain.Product]:
        """Products for these ids in the requested order; unknown ids are skipped."""
        cached = self.database.product_cache.cached(ids, tuple(languages))
        if cached is not None:
            return cached
        with self.database.session() as session:
            return catalog.get_products(session, ids, languages)

    def catalog_generation(self) -> int:
        """Changes whenever the catalog changed (read from the change log when a read is due)."""
        cache = self.database.product_cache
        if cache.due():
            with self.database.session() as session:
                cache.follow(session)
        return cache.generation

    def search(self, query: domain.SearchQuery) -> domain.SearchResult:
        """A page of matching products with the total and exact facets."""
        return self.searcher(query)

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[domain.Product]:
        """Products related to this one."""
        with self.database.session() as session:
            return catalog.related_products(session, product_id, languages, limit)

    def get_customer(self, customer_id: str) -> domain.Customer | None:
        """The customer with this id."""
        with self.database.session() as session:
            return customers.get_customer(session, customer_id)

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        """The visitor's cart."""
        with self.database.session() as session:
            return customers.get_cart(session, visitor, languages)

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[domain.Product]:
        """The customer's wishlist."""
        with self.database.session() as session:
            return customers.get_wishlist(session, customer_id, languages)

    def customer_view(self, token: str | None, languages: Sequence[str]) -> domain.CustomerView:
        """customerData's customer, wishlist and cart for a shop-session cookie.

        One prebuilt statement on a plain connection; the products from the cache when cached.
        """
        with self.database.connection() as connection:
            rows = customer_view.visitor_rows(connection, token)
        return customer_view.customer_view(rows, languages, self.get_products)

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add products to the wishlist without duplicates."""
        with self.database.transaction() as session:
            return customers.add_to_wishlist(session, customer_id, product_ids)

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[domain.Order]:
        """The customer's orders, newest first."""
        with self.database.session() as session:
            return orders.list_orders(session, email, languages, offset, limit)

    def get_order(self, reference: str, languages: Sequence[str]) -> domain.OrderDetails | None:
        """One order with its details."""
        with self.database.session() as session:
            return orders.get_order(session, reference, languages)

    def visitor_for_session(self, token: str) -> domain.Visitor | None:
        """The visitor behind a shop session cookie."""
        with self.database.session() as session:
            return sessions.visitor_for_session(session, token)

    def create_session(self, customer_id: str | None) -> str:
        """Start a shop session (demo sign-in); returns the cookie token."""
        with self.database.transaction() as session:
            return sessions.create_session(session, customer_id)
