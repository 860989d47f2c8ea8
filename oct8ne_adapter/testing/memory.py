"""InMemoryRepository: every repository Protocol in memory, the reference a shop's own is held to.

Its catalog is not the demo's: six products (translations in English and Spanish, prices in
USD and EUR, categories, brands and a color attribute), one customer with a wishlist, a cart
and three orders, a guest cart, shop sessions, and recorded carts for the reports. It passes
the contract kit (`RepositoryContract`, with `REFERENCE_DATA`), and tests that only exercise
the handlers run over it: `create_app(repository=InMemoryRepository())`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from oct8ne_adapter import domain
from oct8ne_adapter.domain import FacetKind, SortField


@dataclass(frozen=True)
class Item:
    """A catalog product before its texts are chosen for a visitor's languages."""

    id: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    prices: dict[str, tuple[str, str | None]]
    category: str
    brand: str
    color: str
    has_variants: bool = False
    medias: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    def product(self, languages: Sequence[str]) -> domain.Product:
        """The product with the first of `languages` it has a text in (else English)."""
        language = next((code for code in _codes(languages) if code in self.titles), "en")
        return domain.Product(
            id=self.id,
            title=self.titles[language],
            description=self.descriptions.get(language, ""),
            url=f"/shop/{self.id}",
            thumbnail=f"/img/{self.id}.jpg",
            medias=self.medias,
            prices=MappingProxyType(
                {
                    currency: domain.ProductPrice(
                        Decimal(amount), None if previous is None else Decimal(previous)
                    )
                    for currency, (amount, previous) in self.prices.items()
                }
            ),
            has_variants=self.has_variants,
        )


def _codes(languages: Sequence[str]) -> Iterable[str]:
    """`es-ES, es, en` -> es, es, en: the fake keeps texts by bare language."""
    return (language.split("-")[0] for language in languages)


CATALOG: tuple[Item, ...] = (
    Item(
        "1001",
        {"en": "Harbour Rain Jacket", "es": "Chaqueta de lluvia Harbour"},
        {"en": "Taped seams.\nPacks into its pocket.", "es": "Costuras selladas."},
        {"USD": ("120.00", "150.00"), "EUR": ("110.00", "140.00")},
        "jackets",
        "harbour",
        "blue",
        has_variants=True,
        medias=("/img/1001-a.jpg", "/img/1001-b.jpg"),
        related=("1004", "1005", "nope"),
    ),
    Item(
        "1002",
        {"en": "Summit Tent", "es": "Tienda Summit"},
        {"en": "<p>Two people, <b>three</b> seasons.</p>"},
        {"USD": ("300.00", None), "EUR": ("280.00", None)},
        "camping",
        "summit",
        "green",
        related=("1003",),
    ),
    Item(
        "1003",
        {"en": "Enamel Trail Mug", "es": "Taza esmaltada"},
        {"en": "Holds 350 ml."},
        {"USD": ("12.50", None), "EUR": ("11.50", None)},
        "camping",
        "summit",
        "blue",
    ),
    Item(
        "1004",
        {"en": "Canvas Day Pack"},
        {"en": "Twenty litres."},
        {"USD": ("80.00", "95.00"), "EUR": ("75.00", "90.00")},
        "bags",
        "harbour",
        "green",
    ),
    Item(
        "1005",
        {"en": "Merino Hiking Socks", "es": "Calcetines de merino"},
        {"en": "Two pairs."},
        {"USD": ("18.00", None)},
        "clothing",
        "harbour",
        "grey",
    ),
    Item(
        "1006",
        {"en": "Folding Camp Stool", "es": "Taburete plegable"},
        {"en": "Aluminium frame."},
        {"USD": ("40.00", None), "EUR": ("37.00", None)},
        "camping",
        "summit",
        "green",
    ),
)

ADA = domain.Customer("c-7", "Ada", "Lovelace", "ada@example.com")
#: Shop session cookies (`shop_session`) and whom they stand for.
ADA_SESSION = "session-ada"
GUEST_SESSION = "session-guest"
STATES = {
    "delivered": {"en": "Delivered", "es": "Entregado"},
    "shipped": {"en": "Shipped", "es": "Enviado"},
    "paid": {"en": "Payment accepted", "es": "Pago aceptado"},
}


@dataclass(frozen=True)
class FakeOrder:
    """An order with its state key (labels per language) and details."""

    reference: str
    email: str
    placed_at: datetime
    total: domain.Money
    state: str
    delivered_at: datetime | None = None
    carrier: str = ""
    tracking_number: str = ""
    lines: tuple[domain.OrderLine, ...] = ()
    comments: tuple[domain.OrderComment, ...] = ()

    def header(self, languages: Sequence[str]) -> domain.Order:
        """The order as listed, its state in the first of `languages` known."""
        labels = STATES[self.state]
        label = next((labels[code] for code in _codes(languages) if code in labels), labels["en"])
        return domain.Order(self.reference, self.placed_at, self.total, label, self.delivered_at)


ORDERS: tuple[FakeOrder, ...] = (
    FakeOrder(
        "FK-0001",
        ADA.email,
        datetime(2026, 3, 2, 9, 30),
        domain.Money(Decimal("132.50"), "USD"),
        "delivered",
        delivered_at=datetime(2026, 3, 5, 14, 0),
        carrier="Parcel Co",
        tracking_number="PC123456",
        lines=(
            domain.OrderLine("Harbour Rain Jacket", 1, "1001"),
            domain.OrderLine("Enamel Trail Mug", 1, "1003"),
        ),
        comments=(domain.OrderComment("Ring twice, please.", True),),
    ),
    FakeOrder(
        "FK-0002",
        ADA.email,
        datetime(2026, 4, 10, 18, 5),
        domain.Money(Decimal("75.00"), "EUR"),
        "shipped",
        lines=(domain.OrderLine("Canvas Day Pack", 1, "1004"),),
    ),
    FakeOrder(
        "FK-0003",
        ADA.email,
        datetime(2026, 5, 1, 8, 0),
        domain.Money(Decimal("300.00"), "USD"),
        "paid",
        lines=(domain.OrderLine("Summit Tent", 1, "1002"),),
    ),
)


def _recorded_cart() -> domain.RecordedCart:
    line = domain.RecordedCartLine("1006", "Folding Camp Stool", 2, Decimal("40.00"))
    return domain.RecordedCart("rc-1", "USD", Decimal("80.00"), Decimal("72.00"), (line,))


SALES = (
    domain.SalesReportRow(
        quote_id="rc-1",
        order_id=None,
        session_id="oct8ne-session-1",
        customer_id=None,
        price=Decimal("80.00"),
        final_price=Decimal("72.00"),
        currency="USD",
        products_count=1,
        items_count=2,
        created_at=datetime(2026, 5, 2, 10, 0),
        updated_at=datetime(2026, 5, 2, 10, 30),
        created_in_period=True,
    ),
)


@dataclass
class InMemoryRepository:
    """Catalog, customers, orders, shop sessions and reports, in memory."""

    catalog: tuple[Item, ...] = CATALOG
    customers: dict[str, domain.Customer] = field(default_factory=lambda: {ADA.id: ADA})
    wishlists: dict[str, list[str]] = field(default_factory=lambda: {ADA.id: ["1002"]})
    #: Carts by customer id or guest cart key: (product id, quantity) lines.
    carts: dict[str, list[tuple[str, int]]] = field(
        default_factory=lambda: {ADA.id: [("1001", 2), ("1003", 1)], "guest": [("1002", 3)]}
    )
    #: Cart-level discounts (a coupon, say) by cart owner, in the cart's currency.
    cart_discounts: dict[str, Decimal] = field(default_factory=lambda: {ADA.id: Decimal("20.00")})
    sessions: dict[str, domain.Visitor] = field(
        default_factory=lambda: {
            ADA_SESSION: domain.Visitor(customer_id=ADA.id),
            GUEST_SESSION: domain.Visitor(cart_key="guest"),
        }
    )
    orders: tuple[FakeOrder, ...] = ORDERS
    #: Recorded carts by owner (customer id, or the guest session's cart key); the report rows.
    recorded_carts: dict[str, domain.RecordedCart] = field(
        default_factory=lambda: {"guest": _recorded_cart()}
    )
    sales: tuple[domain.SalesReportRow, ...] = SALES

    def _items(self, ids: Iterable[str]) -> list[Item]:
        by_id = {item.id: item for item in self.catalog}
        return [by_id[product_id] for product_id in dict.fromkeys(ids) if product_id in by_id]

    # -- CatalogRepository ---------------------------------------------------------------------

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[domain.Product]:
        """Products for these ids in the same order; unknown ids are left out."""
        return [item.product(languages) for item in self._items(ids)]

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[domain.Product]:
        """The products an item names as related, known ones only."""
        items = self._items([product_id])
        return self.get_products(items[0].related, languages)[:limit] if items else []

    def search(self, query: domain.SearchQuery) -> domain.SearchResult:
        """Every word in the title; category, brand and color filters; exact facet counts."""
        words = query.text.casefold().split()
        filters = {(f.param.lower(), f.value) for f in query.filters}

        def matches(item: Item, skip: str | None = None) -> bool:
            title = item.product(query.languages).title.casefold()
            return all(word in title for word in words) and all(
                _value(item, param) == value for param, value in filters if param != skip
            )

        found = [item for item in self.catalog if matches(item)]
        found.sort(key=_sort_key(query), reverse=query.descending)
        page = found[query.offset : query.offset + query.limit]
        applied_params = {param for param, _ in filters}
        facets = []
        for param, kind in FACETS.items():
            if param in applied_params:
                continue
            counts: dict[str, int] = {}
            for item in self.catalog:
                if matches(item, skip=param):
                    counts[_value(item, param)] = counts.get(_value(item, param), 0) + 1
            options = tuple(
                domain.FacetOption(value, value.capitalize(), count)
                for value, count in sorted(counts.items())
            )
            if options:
                facets.append(domain.Facet(kind, param, None, options))
        applied = tuple(
            domain.AppliedFilter(FACETS.get(param, FacetKind.ATTRIBUTE), param, None, value, value)
            for param, value in sorted(filters)
        )
        return domain.SearchResult(
            total=len(found),
            products=tuple(item.product(query.languages) for item in page),
            applied=applied,
            facets=tuple(facets),
        )

    # -- CustomerRepository and SessionRepository ------------------------------------------------

    def get_customer(self, customer_id: str) -> domain.Customer | None:
        """The customer with this id, or None."""
        return self.customers.get(customer_id)

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        """The customer's cart if signed in, else the guest cart."""
        owner = visitor.customer_id or visitor.cart_key
        lines = self.carts.get(owner, []) if owner else []
        if not owner or not lines:
            return domain.Cart()
        # From its own catalog, not through get_products, which a subclass may override.
        items = self._items(pid for pid, _ in lines)
        products = {item.id: item.product(languages) for item in items}
        return domain.charged_cart(
            [(products[pid], qty) for pid, qty in lines if pid in products],
            "USD",
            self.cart_discounts.get(owner, Decimal(0)),
        )

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[domain.Product]:
        """The customer's wishlist, oldest first."""
        return self.get_products(self.wishlists.get(customer_id, []), languages)

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add the known products not already there; how many were added."""
        wishlist = self.wishlists.setdefault(customer_id, [])
        added = [item.id for item in self._items(product_ids) if item.id not in wishlist]
        wishlist.extend(added)
        return len(added)

    def visitor_for_session(self, token: str) -> domain.Visitor | None:
        """The visitor of a shop session cookie."""
        return self.sessions.get(token)

    # -- OrderRepository ---------------------------------------------------------------------------

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[domain.Order]:
        """The customer's orders, newest first."""
        mine = [order for order in self.orders if order.email == email.strip().casefold()]
        mine.sort(key=lambda order: order.placed_at, reverse=True)
        return [order.header(languages) for order in mine[offset : offset + limit]]

    def get_order(self, reference: str, languages: Sequence[str]) -> domain.OrderDetails | None:
        """The order with this reference, or None."""
        order = next((order for order in self.orders if order.reference == reference), None)
        if order is None:
            return None
        return domain.OrderDetails(
            order.header(languages),
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            lines=order.lines,
            comments=order.comments,
        )

    # -- ReportRepository ----------------------------------------------------------------------

    def recorded_cart(self, visitor: domain.Visitor) -> domain.RecordedCart | None:
        """The recorded cart of this customer, else of this guest session."""
        for owner in (visitor.customer_id, visitor.cart_key):
            if owner and owner in self.recorded_carts:
                return self.recorded_carts[owner]
        return None

    def sales_report(self, start: datetime, end: datetime) -> list[domain.SalesReportRow]:
        """The rows changed in [start, end)."""
        rows = [row for row in self.sales if start <= row.updated_at < end]
        return [replace(row, created_in_period=row.created_at >= start) for row in rows]


#: Filter parameter -> facet kind, in the order the facets are listed.
FACETS = {"category": FacetKind.CATEGORY, "brand": FacetKind.BRAND, "color": FacetKind.ATTRIBUTE}


def _value(item: Item, param: str) -> str:
    return str(getattr(item, param, ""))


def _sort_key(query: domain.SearchQuery) -> Callable[[Item], tuple[Decimal | str, str]]:
    currency = query.price_basis.currency

    def key(item: Item) -> tuple[Decimal | str, str]:
        if query.sort is SortField.PRICE:
            amount, _ = item.prices.get(currency, item.prices["USD"])
            return Decimal(amount), item.id
        if query.sort is SortField.NAME:
            return item.product(query.languages).title.casefold(), item.id
        return "", item.id  # relevance: catalog order

    return key
