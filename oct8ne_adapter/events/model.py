"""Canonical commerce events, as a shop records them: no vendor's shape, no HTTP, no SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class VisitorIds:
    """The identifiers each vendor knows the visitor by; None where the shop has none."""

    oct8ne_session: str | None = None
    oct8ne_visitor: str | None = None
    octocom_session: str | None = None
    alhena_fingerprint: str | None = None
    alhena_faq_fingerprint: str | None = None
    optico_visit: str | None = None
    pa_customer: str | None = None
    pa_session: str | None = None


@dataclass(frozen=True)
class EventLine:
    """One product in a cart or order; `unit_price` is after discounts."""

    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    variant_id: str | None = None
    on_sale: bool = False
    #: Discount amount on this line, if any.
    discount: Decimal | None = None
    coupon_code: str | None = None
    #: Free-form details (a string or nested JSON-like mapping) shown to call-centre agents.
    details: str | Mapping[str, Any] | None = None

    @property
    def total(self) -> Decimal:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class PromotionCode:
    """A promotion (e.g. PA Price Beat) code applied to an order, with its discount value."""

    code: str
    value: Decimal


@dataclass(frozen=True)
class CartUpdated:
    """The full cart after a change (a snapshot, not a delta); an empty `lines` is an empty cart."""

    cart_id: str
    currency: str
    lines: tuple[EventLine, ...]
    #: Before discounts, and what the visitor pays.
    subtotal: Decimal
    total: Decimal
    occurred_at: datetime
    visitor: VisitorIds = field(default_factory=VisitorIds)
    customer_id: str | None = None
    logged_in: bool = False
    #: The shop's own key of the visitor's session or cart (`Visitor.cart_key`): getCart answers
    #: an anonymous cart only to this session. Stored hashed, never sent to a vendor or logged.
    shop_session: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OrderPlaced:
    """An order as placed; recording the same `order_id` twice is one order."""

    order_id: str
    currency: str
    lines: tuple[EventLine, ...]
    #: Before tax and shipping, and the total paid (tax and delivery included).
    subtotal: Decimal
    total: Decimal
    status: str
    occurred_at: datetime
    cart_id: str | None = None
    tax: Decimal = Decimal(0)
    delivery_fee: Decimal = Decimal(0)
    visitor: VisitorIds = field(default_factory=VisitorIds)
    customer_id: str | None = None
    customer_email: str | None = None
    #: The page the purchase was completed on (PA's currentUrl).
    page_url: str | None = None
    promotion_codes: tuple[PromotionCode, ...] = ()


@dataclass(frozen=True)
class OrderStatusChanged:
    """An order's new status."""

    order_id: str
    status: str
    occurred_at: datetime


CommerceEvent = CartUpdated | OrderPlaced | OrderStatusChanged


@dataclass(frozen=True)
class EventContext:
    """What the outbox knows beyond one event, given to sinks with it."""

    #: The snapshot of the same cart recorded just before this one (for cart diffs), if any.
    previous_cart: CartUpdated | None = None
    #: The order a status change is about, as placed, if it was recorded.
    order: OrderPlaced | None = None
