"""Domain objects the adapter passes between layers: no Flask, no SQLAlchemy, no formatting."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Sale:
    """A sale price valid from `starts` (included) to `ends` (excluded), both UTC-aware."""

    amount: Decimal
    starts: datetime
    ends: datetime

    def active(self, now: datetime) -> bool:
        """Whether the sale price applies at `now` (UTC-aware)."""
        return self.starts <= now < self.ends


@dataclass(frozen=True, slots=True)
class ProductPrice:
    """A product's price in one currency, with the price before a discount if there is one.

    With a timed `sale`, `amount` and `previous_amount` are the regular price, and
    `effective(now)` the price shown at a moment.
    """

    amount: Decimal
    previous_amount: Decimal | None = None
    sale: Sale | None = None

    def effective(self, now: datetime) -> ProductPrice:
        """The price at `now`: the sale price (the regular one as previous) inside its window."""
        if self.sale is None:
            return self
        if self.sale.active(now) and self.sale.amount < self.amount:
            return ProductPrice(amount=self.sale.amount, previous_amount=self.amount)
        return ProductPrice(amount=self.amount, previous_amount=self.previous_amount)


class Availability(enum.Enum):
    """Whether a product can be bought now (Merchant Center's `availability` values)."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"

    @classmethod
    def of(cls, given: str | None, stock: int | None) -> Availability:
        """The stated availability, else out of stock when a known stock is not positive."""
        if given is not None:
            return cls(given)
        return cls.OUT_OF_STOCK if stock is not None and stock <= 0 else cls.IN_STOCK


@dataclass(frozen=True, slots=True)
class Product:
    """A catalog product with its texts already chosen for the requested languages."""

    id: str
    title: str
    description: str
    url: str
    thumbnail: str | None
    medias: tuple[str, ...]
    prices: Mapping[str, ProductPrice]
    has_variants: bool = False
    stock: int | None = None
    #: None: from `stock` alone (a shop's own repository may know only that).
    availability: Availability | None = None
    #: The language tag of `url` (chosen along the visitor's chain); None: a link of no known
    #: language, which a configured `product_url_templates` link of the chain replaces.
    url_language: str | None = None

    @property
    def sold_out(self) -> bool:
        """Out of stock: the visitor must see the product page (preorder, backorder: addable)."""
        return (
            Availability.of(
                None if self.availability is None else self.availability.value, self.stock
            )
            is Availability.OUT_OF_STOCK
        )


@dataclass(frozen=True, slots=True)
class PriceBasis:
    """How search sorts and filters by price: a currency, and a rate from the shop currency."""

    currency: str
    shop_currency: str
    rate_from_shop: Decimal | None


@dataclass(frozen=True, slots=True)
class PriceRange:
    """A half-open price interval [low, high) in the search's price currency; high None = open."""

    low: Decimal
    high: Decimal | None

    @property
    def value(self) -> str:
        """The filter value sent back by the widget, e.g. `100-200` or `500-`."""
        high = "" if self.high is None else _plain(self.high)
        return f"{_plain(self.low)}-{high}"


def _plain(amount: Decimal) -> str:
    """Render a Decimal without exponent or needless trailing zeros."""
    text = format(amount.normalize(), "f")
    return text


class SortField(enum.Enum):
    """The orderings the protocol allows."""

    RELEVANCE = "relevance"
    PRICE = "price"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class FilterValue:
    """One applied filter as the widget sent it: `<param>=<value>`."""

    param: str
    value: str


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated search request."""

    text: str
    languages: tuple[str, ...]
    price_basis: PriceBasis
    filters: tuple[FilterValue, ...] = ()
    sort: SortField = SortField.RELEVANCE
    descending: bool = False
    offset: int = 0
    limit: int = 10
    #: Leave out-of-stock products out; else they come after the others in relevance order.
    hide_out_of_stock: bool = False


class FacetKind(enum.Enum):
    """Where a facet's options come from."""

    CATEGORY = "category"
    BRAND = "brand"
    PRICE = "price"
    ATTRIBUTE = "attribute"
    AVAILABILITY = "availability"


@dataclass(frozen=True, slots=True)
class FacetOption:
    """One selectable option with the exact number of products it would leave."""

    value: str
    label: str
    count: int
    price_range: PriceRange | None = None


@dataclass(frozen=True, slots=True)
class Facet:
    """A group of options for one filter parameter; label None means the built-in label."""

    kind: FacetKind
    param: str
    label: str | None
    options: tuple[FacetOption, ...]


@dataclass(frozen=True, slots=True)
class AppliedFilter:
    """A filter in force with the labels to show for it."""

    kind: FacetKind
    param: str
    label: str | None
    value: str
    value_label: str
    price_range: PriceRange | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of results, the total, and the facets for refining."""

    total: int
    products: tuple[Product, ...]
    applied: tuple[AppliedFilter, ...] = ()
    facets: tuple[Facet, ...] = ()


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is calling: a signed-in customer's id, and the key of a guest cart, either optional."""

    customer_id: str | None = None
    cart_key: str | None = None


ANONYMOUS = Visitor()


@dataclass(frozen=True, slots=True)
class Customer:
    """A signed-in shop customer."""

    id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True, slots=True)
class CartLine:
    """A product in a cart, how many of it, and the unit price charged (None: unknown)."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Cart:
    """A visitor's cart in the currency it was filled in, with its totals in that currency.

    `subtotal` is the sum of the lines at the prices charged, before cart-level discounts;
    `total` the grand total after them. None means the repository does not know them: the
    adapter then sums the lines at the catalog prices, with no cart-level discount.
    """

    lines: tuple[CartLine, ...] = ()
    currency: str | None = None
    subtotal: Decimal | None = None
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CustomerView:
    """What customerData shows of a visitor: the signed-in customer (or None), wishlist, cart."""

    customer: Customer | None = None
    wishlist: tuple[Product, ...] = ()
    cart: Cart = Cart()


def charged_cart(
    lines: Sequence[tuple[Product, int]], currency: str, discount: Decimal = Decimal(0)
) -> Cart:
    """A cart charged at the products' own prices in `currency`, less a cart-level discount.

    When a product has no price stored in `currency` the totals are unknown (None) and the
    adapter prices the lines itself, converting as it does for any product.
    """
    charged = tuple(
        CartLine(product, quantity, _stored_price(product, currency)) for product, quantity in lines
    )
    if any(line.unit_price is None for line in charged):
        return Cart(charged, currency)
    subtotal = sum(
        ((line.unit_price or Decimal(0)) * line.quantity for line in charged), Decimal(0)
    )
    return Cart(charged, currency, subtotal, max(subtotal - discount, Decimal(0)))


def _stored_price(product: Product, currency: str) -> Decimal | None:
    price = product.prices.get(currency)
    return None if price is None else price.amount


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A product line of an order, as it was sold."""

    name: str
    quantity: int
    product_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderComment:
    """A message attached to an order, by the customer or by the shop."""

    message: str
    from_customer: bool


@dataclass(frozen=True, slots=True)
class Order:
    """An order header as listed to an agent."""

    reference: str
    placed_at: datetime
    total: Money
    state_label: str
    delivery_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderDetails:
    """An order with its lines, shipping and comments."""

    order: Order
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    lines: tuple[OrderLine, ...] = ()
    comments: tuple[OrderComment, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SalesReportRow:
    """One getSalesReport row: a recorded cart (with its order once placed) or a lone order."""

    quote_id: str | None
    order_id: str | None
    session_id: str
    customer_id: str | None
    price: Decimal
    final_price: Decimal
    currency: str
    products_count: int
    items_count: int
    created_at: datetime
    updated_at: datetime
    created_in_period: bool


@dataclass(frozen=True, slots=True)
class RecordedCartLine:
    """A product in a recorded cart, as the shop described it."""

    product_id: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class RecordedCart:
    """The latest snapshot of a visitor's cart recorded through commerce events."""

    cart_id: str
    currency: str
    subtotal: Decimal
    total: Decimal
    lines: tuple[RecordedCartLine, ...]
