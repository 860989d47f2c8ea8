"""The one table of frame methods: what the frame route, its hooks, rate limits and OpenAPI read.

A new frame method is a handler in `handlers.py` and one `FrameMethod` row here: the route
dispatches to it, the hooks mark its answers private, the limiter counts it, and the OpenAPI
document (and the conformance checker through it) describes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from oct8ne_adapter.web import handlers
from oct8ne_adapter.web.handlers import Handler


@dataclass(frozen=True, slots=True)
class FrameMethod:
    """One oct8ne method served at `/oct8ne/frame/<name>` (any case)."""

    #: As the 2.4 document spells it: `productInfo`.
    name: str
    handler: Handler
    #: One line for the OpenAPI document.
    summary: str
    #: Query parameters it reads besides `callback` (see `openapi.PARAMETERS`).
    parameters: tuple[str, ...]
    #: The component schema of its 200 answer (`openapi.SCHEMAS`).
    response: str
    #: The answer is a JSON array of `response`.
    many: bool = False
    #: The answer is about one person: `Cache-Control: private, no-store`.
    private: bool = False
    #: Needs the `apiToken`; a wrong one answers `[]`.
    token_checked: bool = False
    #: Answers from the visitor's shop cookie: a cross-site call is answered as for an
    #: anonymous visitor (`web.cross_site`).
    same_site: bool = False

    @property
    def key(self) -> str:
        """The lower-cased name: method names are case-insensitive."""
        return self.name.lower()

    @property
    def rate_limit_group(self) -> str:
        """The `[ratelimits]` entry that gives it a bucket of its own (else the shared one)."""
        return self.key


PRESENTATION = ("locale", "currency")

FRAME_METHODS: tuple[FrameMethod, ...] = (
    FrameMethod(
        "productInfo",
        handlers.product_info,
        "All the details of products",
        ("productIds", *PRESENTATION),
        "ProductInfo",
        many=True,
    ),
    FrameMethod(
        "productSummary",
        handlers.product_summary,
        "Summary information of products",
        ("productIds", *PRESENTATION),
        "ProductSummary",
        many=True,
    ),
    FrameMethod(
        "productRelated",
        handlers.product_related,
        "Products related to one product",
        ("productId", *PRESENTATION),
        "RelatedResult",
    ),
    FrameMethod(
        "search",
        handlers.search,
        "Search with exact facets; every other parameter is a filter (category, brand, "
        "price=low-high, or an attribute such as color)",
        ("search", "page", "pageSize", "start", "count", "orderby", "dir", *PRESENTATION),
        "SearchResult",
    ),
    FrameMethod(
        "customerData",
        handlers.get_customer_data,
        "The visitor's session: customer (or nulls), wishlist and cart",
        PRESENTATION,
        "CustomerData",
        private=True,
        same_site=True,
    ),
    FrameMethod(
        "addToWishList",
        handlers.add_to_wishlist,
        "Add products to the signed-in customer's wishlist",
        ("productIds",),
        "WishlistResult",
        private=True,
        same_site=True,
    ),
    FrameMethod(
        "getCart",
        handlers.get_cart,
        "The visitor's cart totals",
        PRESENTATION,
        "Cart",
        private=True,
        same_site=True,
    ),
    FrameMethod(
        "getAdapterInfo",
        handlers.get_adapter_info,
        "Information about the adapter",
        (),
        "AdapterInfo",
    ),
    FrameMethod(
        "getOrders",
        handlers.get_orders,
        "A customer's orders (with the token)",
        ("customerEmail", "apiToken", "page", "pageSize", *PRESENTATION),
        "Order",
        many=True,
        private=True,
        token_checked=True,
    ),
    FrameMethod(
        "getOrderDetails",
        handlers.get_order_details,
        "One order (with the token); [] when unknown or the token is wrong",
        ("reference", "apiToken", *PRESENTATION),
        "OrderDetails",
        private=True,
        token_checked=True,
    ),
    FrameMethod(
        "getSalesReport",
        handlers.get_sales_report,
        "Carts and orders of oct8ne visitors changed in a period (with the token), from "
        "recorded commerce events; [] when the token is wrong",
        ("from", "to", "apiToken"),
        "SalesReportRow",
        many=True,
        private=True,
        token_checked=True,
    ),
)

#: Lower-cased name -> method.
BY_KEY: Mapping[str, FrameMethod] = MappingProxyType({m.key: m for m in FRAME_METHODS})


def frame_method(name: str) -> FrameMethod | None:
    """The method called `name` in any case, or None."""
    return BY_KEY.get(name.lower())
