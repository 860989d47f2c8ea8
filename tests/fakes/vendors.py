"""All five fake vendors at once, knowing the sample visitor and keys; the sample events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fakes.alhena import FakeAlhena
from fakes.oct8ne import FakeOct8ne
from fakes.octocom import FakeOctocom
from fakes.optico import FakeOptico
from fakes.pa import FakePa
from fakes.vendor_server import FakeVendor
from oct8ne_adapter.events.model import CartUpdated, EventLine, OrderPlaced, VisitorIds

# --- sample events, with the ids and keys the fakes are told to know -------------------------

COMPANY_KEY = "gleen"
OPTICO_KEY = "b7e2c8a14f9d3650a1e7c4d8b2f6a395e"
PA_TOKEN = "pa-access-token-0123"
PA_CLIENT = "eab34b0a-47ed-ec11-aae9-02dca44cceec"
VISITOR = VisitorIds(
    oct8ne_session="oct8ne-session-1",
    oct8ne_visitor="3847",
    octocom_session="0b6f8a52-3c1e-4f7a-9d2b-8e4c5a1f7b3d",
    alhena_fingerprint="550e8400-e29b-41d4-a716-446655440000",
    alhena_faq_fingerprint="660e8400-e29b-41d4-a716-446655441111",
    optico_visit="3617898c651df0f8617f70a0",
    pa_customer="1c7e5f0a-2b3d-4e6f-8a9b-0c1d2e3f4a5b",
    pa_session="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
)
WHEN = datetime(2026, 3, 1, 14, 0, 0, 250000, tzinfo=UTC)


def line(product_id: str, quantity: int, price: str = "9.99", **fields: Any) -> EventLine:
    """A line of `quantity` units of "Product <id>" at `price`."""
    return EventLine(
        product_id=product_id,
        name=f"Product {product_id}",
        quantity=quantity,
        unit_price=Decimal(price),
        **fields,
    )


def cart(*lines: EventLine, **fields: Any) -> CartUpdated:
    """A snapshot of cart-1 of VISITOR with these lines."""
    total = sum((item.total for item in lines), Decimal(0))
    values: dict[str, Any] = {
        "cart_id": "cart-1",
        "currency": "USD",
        "lines": lines,
        "subtotal": total,
        "total": total,
        "occurred_at": WHEN,
        "visitor": VISITOR,
    }
    values.update(fields)
    return CartUpdated(**values)


def order(**fields: Any) -> OrderPlaced:
    """Order ORD-7890 of VISITOR: the purchase of Octocom's example, 99.99 USD."""
    values: dict[str, Any] = {
        "order_id": "ORD-7890",
        "cart_id": "cart-1",
        "currency": "USD",
        "lines": (
            line("product-123", 2, "19.99"),
            line("product-456", 1, "60.01", variant_id="variant-789"),
        ),
        "subtotal": Decimal("99.99"),
        "total": Decimal("99.99"),
        "status": "Completed",
        "occurred_at": WHEN,
        "visitor": VISITOR,
        "customer_id": "customer-1",
        "page_url": "https://shop.example/checkout/success",
    }
    values.update(fields)
    return OrderPlaced(**values)


@dataclass
class Vendors:
    """All five fakes, knowing VISITOR and the keys above."""

    oct8ne: FakeOct8ne
    octocom: FakeOctocom
    alhena: FakeAlhena
    optico: FakeOptico
    pa: FakePa

    def __iter__(self) -> Iterator[FakeVendor]:
        return iter((self.oct8ne, self.octocom, self.alhena, self.optico, self.pa))

    def sink_options(self, *vendors: str) -> dict[str, dict[str, Any]]:
        """OCT8NE_EVENT_SINKS pointing at the fakes (all five, or those named)."""
        options: dict[str, dict[str, Any]] = {
            "oct8ne": {"base_url": self.oct8ne.base_url},
            "octocom": {"base_url": self.octocom.base_url},
            "alhena": {"company_key": COMPANY_KEY, "base_url": self.alhena.base_url},
            "optico": {"key": OPTICO_KEY, "base_url": self.optico.base_url},
            "pa": {
                "endpoint": self.pa.base_url,
                "access_token": PA_TOKEN,
                "client_id": PA_CLIENT,
                "base_url": self.pa.base_url,
            },
        }
        return {name: options[name] for name in (vendors or options)}

    @property
    def problems(self) -> list[str]:
        """What any request to any of them did wrong."""
        return [f"{fake.name}: {problem}" for fake in self for problem in fake.problems]


@contextmanager
def running_vendors(*, octocom_requests_per_minute: int | None = 100) -> Iterator[Vendors]:
    """The five fakes, started, knowing VISITOR's ids; stopped afterwards."""
    vendors = Vendors(
        FakeOct8ne(),
        FakeOctocom(requests_per_minute=octocom_requests_per_minute),
        FakeAlhena(COMPANY_KEY),
        FakeOptico(OPTICO_KEY),
        FakePa(PA_TOKEN, PA_CLIENT),
    )
    started: list[FakeVendor] = []
    try:
        for fake in vendors:
            started.append(fake.start())
        vendors.octocom.add_session(VISITOR.octocom_session or "")
        vendors.alhena.add_active_visitor(VISITOR.alhena_fingerprint or "")
        vendors.optico.add_visit(VISITOR.optico_visit or "")
        yield vendors
    finally:
        for fake in started:
            fake.stop()
