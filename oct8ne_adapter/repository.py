"""The interfaces a shop's data layer implements; structural, so no import of ours is needed.

A shop with its own search engine implements `AdapterRepository` (its `search` answers the
widget). A shop without one implements `ShopRepository` (everything but `search`) and hands the
adapter a `CatalogSource`: the adapter's in-memory index then searches its products, with exact
facets, and follows its changes.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from oct8ne_adapter.domain import (
    Cart,
    Customer,
    Order,
    OrderDetails,
    Product,
    RecordedCart,
    SalesReportRow,
    SearchQuery,
    SearchResult,
    Visitor,
)

if TYPE_CHECKING:
    from oct8ne_adapter.feeds.records import ProductRecord


@runtime_checkable
class ProductReads(Protocol):
    """Products by id, and the products related to one."""

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[Product]:
        """Products for these ids in the same order; unknown or inactive ids are left out."""
        ...

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[Product]:
        """Products related to this one, best first; empty for an unknown id."""
        ...


@runtime_checkable
class CatalogRepository(ProductReads, Protocol):
    """Products and search."""

    def search(self, query: SearchQuery) -> SearchResult:
        """One page of products matching the query, its total and exact facet counts."""
        ...


@runtime_checkable
class CatalogSource(Protocol):
    """A shop's catalog as the adapter's search index reads it: records, and what changed.

    Products are `feeds.records.ProductRecord`s, the records our feed importer writes (texts in
    every language, prices in every currency, brand, category path, attribute values), one per
    product that search shows (a variant group merged into one record, as
    `sql/writer/groups.merge_variants` does). A version is any hashable value that changes
    whenever the catalog does (a change log's last id, a revision counter); the index compares
    versions for equality only and hands them back to `changes_since`.
    """

    def version(self) -> Hashable:
        """Where the catalog stands now; read before the records, so no change is missed."""
        ...

    def changes_since(
        self, version: Hashable, limit: int
    ) -> tuple[Collection[str], Hashable] | None:
        """The ids of the products changed, added or deleted after `version`, and the version
        that includes them; None when they cannot be listed (more than `limit`, an unknown
        version): the index then reads the whole catalog again."""
        ...

    def records(self, ids: Collection[str] | None = None) -> Iterable[Sequence[ProductRecord]]:
        """Every product's record, in batches, for None; else those of these ids that still
        exist (a deleted product's id is left out)."""
        ...


@runtime_checkable
class CustomerRepository(Protocol):
    """Customers, their carts and wishlists."""

    def get_customer(self, customer_id: str) -> Customer | None:
        """The customer with this id, or None."""
        ...

    def get_cart(self, visitor: Visitor, languages: Sequence[str]) -> Cart:
        """The visitor's cart: the customer's if signed in, else the guest cart; may be empty."""
        ...

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[Product]:
        """The customer's wishlist, oldest first."""
        ...

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add the known products not already there; returns how many were added."""
        ...


@runtime_checkable
class OrderRepository(Protocol):
    """The order book, as agents see it."""

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[Order]:
        """The orders of the customer with this email, newest first."""
        ...

    def get_order(self, reference: str, languages: Sequence[str]) -> OrderDetails | None:
        """The order with this reference, or None."""
        ...


@runtime_checkable
class SessionRepository(Protocol):
    """The adapter's own session table, used by the standalone cookie resolver."""

    def visitor_for_session(self, token: str) -> Visitor | None:
        """The visitor that this shop session token belongs to, or None if unknown or expired."""
        ...


@runtime_checkable
class ReportRepository(Protocol):
    """What oct8ne reads back from recorded commerce events: carts and the sales report."""

    def recorded_cart(self, visitor: Visitor) -> RecordedCart | None:
        """The newest recorded cart, not yet ordered, that this visitor owns.

        A signed-in customer owns the carts recorded with their customer id; an anonymous cart
        belongs only to the shop session (`Visitor.cart_key`) it was recorded with. The
        oct8ne-session cookie is never an identity: a visitor sets it at will.
        """
        ...

    def sales_report(self, start: datetime, end: datetime) -> list[SalesReportRow]:
        """Carts and orders of oct8ne visitors changed in [start, end) (naive UTC), oldest first."""
        ...


class AdapterRepository(CatalogRepository, CustomerRepository, OrderRepository, Protocol):
    """Everything the frame methods read and write."""


class ShopRepository(ProductReads, CustomerRepository, OrderRepository, Protocol):
    """Everything but search: what a shop implements beside a `CatalogSource`."""
