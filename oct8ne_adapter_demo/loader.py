"""Loads the demo shop into the SQL schema: catalog, two customers, a cart, a wishlist, orders.

The catalog is `data/catalog.jsonl`, in the adapter's JSON Lines format (`feeds/records.py`),
written by the normal importer. Products 1001 to 1008 were written by hand: the tests and the
demo customers' carts, wishlists and orders below rely on them; the others were generated once
from word lists with a fixed seed, and the file is now the catalog's only source.

The customers are `customers.CUSTOMERS`, which also says how the demo tells its own database.
Loading is idempotent: products and customers are upserted, and the demo customers' carts,
wishlists and orders are deleted and written again, so running it twice leaves the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.importer import ImportOptions, write_feed
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import (
    Cart,
    CartLine,
    Customer,
    Order,
    OrderComment,
    OrderLine,
    OrderStateLabel,
    Product,
    ProductTranslation,
    WishlistItem,
)
from oct8ne_adapter_demo.customers import (
    CUSTOMERS,
    JANE,
    DemoCustomer,
    refuse_foreign_customers,
)

#: The demo catalog, one product per line (package data: it ships in the wheel).
CATALOG_FILE: Traversable = files("oct8ne_adapter_demo") / "data" / "catalog.jsonl"
#: The language of the catalog's texts and of the order lines' product names.
CATALOG_LANGUAGE = "en"


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo wrote."""

    products: int
    customers: int
    orders: int


@dataclass(frozen=True, slots=True)
class _DemoOrder:
    customer_id: str
    reference: str
    placed_at: datetime
    currency: str
    total_minor: int
    state: str
    lines: tuple[tuple[str, int], ...]  # (product id, quantity)
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    delivery_date: datetime | None = None
    comments: tuple[tuple[str, bool, datetime], ...] = ()  # (message, from customer, when)


STATE_LABELS: dict[str, dict[str, str]] = {
    "awaiting_payment": {"en": "Awaiting payment", "es": "Pendiente de pago"},
    "processing": {"en": "Processing", "es": "En preparación"},
    "shipped": {"en": "Shipped", "es": "Enviado"},
    "delivered": {"en": "Delivered", "es": "Entregado"},
    "cancelled": {"en": "Cancelled", "es": "Cancelado"},
}

#: Jane's cart (USD): (product id, quantity).
JANE_CART: tuple[tuple[str, int], ...] = (("1001", 2), ("1003", 1), ("1007", 1))
JANE_CART_UPDATED_AT = datetime(2026, 4, 5, 12, 0)
#: Jane's wishlist, oldest first.
JANE_WISHLIST: tuple[str, ...] = ("1002", "1005", "1006")

# Totals are what was charged when the order was placed (shipping included where charged), so
# they are fixed figures rather than sums of today's catalog prices.
ORDERS: tuple[_DemoOrder, ...] = (
    _DemoOrder(
        customer_id="1",
        reference="JDX1001A",
        placed_at=datetime(2026, 1, 14, 10, 32),
        currency="USD",
        total_minor=11970,
        state="delivered",
        lines=(("1001", 1), ("1004", 2)),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        delivery_date=datetime(2026, 1, 17, 15, 5),
        comments=(
            ("Please leave the parcel with the concierge.", True, datetime(2026, 1, 14, 10, 35)),
            ("Delivered to the concierge as requested.", False, datetime(2026, 1, 17, 15, 10)),
        ),
    ),
    _DemoOrder(
        customer_id="1",
        reference="JDX1002B",
        placed_at=datetime(2026, 2, 3, 18, 10),
        currency="USD",
        total_minor=24900,
        state="shipped",
        lines=(("1005", 1),),
        carrier="DHL Express",
        tracking_number="JD014600006101234567",
        tracking_url="https://www.dhl.com/en/express/tracking.html?AWB=JD014600006101234567",
    ),
    _DemoOrder(
        customer_id="1",
        reference="JDX1003C",
        placed_at=datetime(2026, 2, 20, 8, 45),
        currency="USD",
        total_minor=17990,
        state="cancelled",
        lines=(("1008", 1),),
        comments=(
            (
                "Cancelled at the customer's request; the refund has been issued.",
                False,
                datetime(2026, 2, 21, 9, 0),
            ),
        ),
    ),
    _DemoOrder(
        customer_id="1",
        reference="JDX1004D",
        placed_at=datetime(2026, 3, 12, 9, 45),
        currency="EUR",
        total_minor=14289,
        state="processing",
        lines=(("1006", 1), ("1007", 1)),
        comments=(("Could you gift-wrap the beanie, please?", True, datetime(2026, 3, 12, 9, 50)),),
    ),
    _DemoOrder(
        customer_id="1",
        reference="JDX1005E",
        placed_at=datetime(2026, 4, 2, 20, 15),
        currency="USD",
        total_minor=150000,
        state="awaiting_payment",
        lines=(("1002", 1),),
    ),
    _DemoOrder(
        customer_id="2",
        reference="JSM2001A",
        placed_at=datetime(2026, 3, 1, 16, 20),
        currency="USD",
        total_minor=14900,
        state="delivered",
        lines=(("1003", 1),),
        carrier="FedEx",
        tracking_number="449044304137821",
        tracking_url="https://www.fedex.com/fedextrack/?trknbr=449044304137821",
        delivery_date=datetime(2026, 3, 4, 11, 30),
    ),
)


def load_demo(database: Database) -> DemoSummary:
    """Write the demo catalog, customers, cart, wishlist and orders in one transaction.

    Refused (ConfigError, nothing written) on a database holding customers the demo did not
    create: it would overwrite a shop's customers 1 and 2, and sign anyone in as them.
    """
    with database.transaction() as session, CATALOG_FILE.open("rb") as catalog:
        refuse_foreign_customers(session)
        # Rewrite every product, even one whose row is unchanged: loading the demo resets it,
        # and the change log says anything may have changed (caches rebuild once, not per
        # product). Strict: a bad row in the shipped file is a bug, not a report.
        options = ImportOptions(
            feed_format="jsonl", language=CATALOG_LANGUAGE, strict=True, rewrite=True
        )
        catalog_summary = write_feed(session, catalog, options)
        _write_state_labels(session)
        customer_pks = {
            customer.external_id: _upsert_customer(session, customer) for customer in CUSTOMERS
        }
        _delete_customer_data(session, list(customer_pks.values()))
        wanted = [product_id for product_id, _quantity in JANE_CART] + list(JANE_WISHLIST)
        product_pks = _product_pks(session, wanted)
        _write_cart(session, customer_pks[JANE.external_id], product_pks)
        _write_wishlist(session, customer_pks[JANE.external_id], product_pks)
        ordered = {product_id for order in ORDERS for product_id, _quantity in order.lines}
        titles = _titles(session, ordered)
        for order in ORDERS:
            _write_order(session, order, customer_pks[order.customer_id], titles)
    return DemoSummary(
        products=catalog_summary.inserted + catalog_summary.updated + catalog_summary.unchanged,
        customers=len(CUSTOMERS),
        orders=len(ORDERS),
    )


def _write_state_labels(session: Session) -> None:
    for state, labels in STATE_LABELS.items():
        for language, label in labels.items():
            session.merge(OrderStateLabel(state=state, language=language, label=label))


def _upsert_customer(session: Session, demo: DemoCustomer) -> int:
    customer = session.scalars(
        select(Customer).where(Customer.external_id == demo.external_id)
    ).one_or_none()
    if customer is None:
        customer = Customer(external_id=demo.external_id)
        session.add(customer)
    customer.email = demo.email
    customer.first_name = demo.first_name
    customer.last_name = demo.last_name
    session.flush()
    return customer.pk


def _delete_customer_data(session: Session, customer_pks: Sequence[int]) -> None:
    # Child rows are deleted explicitly: not every backend enforces ON DELETE CASCADE.
    carts = select(Cart.pk).where(Cart.customer_pk.in_(customer_pks))
    orders = select(Order.pk).where(Order.customer_pk.in_(customer_pks))
    session.execute(delete(CartLine).where(CartLine.cart_pk.in_(carts)))
    session.execute(delete(Cart).where(Cart.customer_pk.in_(customer_pks)))
    session.execute(delete(WishlistItem).where(WishlistItem.customer_pk.in_(customer_pks)))
    session.execute(delete(OrderLine).where(OrderLine.order_pk.in_(orders)))
    session.execute(delete(OrderComment).where(OrderComment.order_pk.in_(orders)))
    session.execute(delete(Order).where(Order.customer_pk.in_(customer_pks)))
    session.flush()


def _product_pks(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(Product.external_id, Product.pk).where(Product.external_id.in_(external_ids))
    )
    return dict(rows.all())


def _titles(session: Session, external_ids: set[str]) -> dict[str, str]:
    """The catalog's titles of these products, for the order lines' names."""
    rows = session.execute(
        select(Product.external_id, ProductTranslation.title)
        .join(ProductTranslation, ProductTranslation.product_pk == Product.pk)
        .where(
            Product.external_id.in_(sorted(external_ids)),
            ProductTranslation.language == CATALOG_LANGUAGE,
        )
    )
    return dict(rows.all())


def _write_cart(session: Session, customer_pk: int, product_pks: dict[str, int]) -> None:
    cart = Cart(customer_pk=customer_pk, currency="USD", updated_at=JANE_CART_UPDATED_AT)
    session.add(cart)
    session.flush()
    session.add_all(
        CartLine(
            cart_pk=cart.pk,
            item_id=product_id,
            product_pk=product_pks[product_id],
            quantity=quantity,
            position=position,
        )
        for position, (product_id, quantity) in enumerate(JANE_CART)
    )


def _write_wishlist(session: Session, customer_pk: int, product_pks: dict[str, int]) -> None:
    session.add_all(
        WishlistItem(
            customer_pk=customer_pk,
            item_id=product_id,
            product_pk=product_pks[product_id],
            added_at=datetime(2026, 3, 20 + position, 19, 0),
        )
        for position, product_id in enumerate(JANE_WISHLIST)
    )


def _write_order(
    session: Session, demo: _DemoOrder, customer_pk: int, titles: dict[str, str]
) -> None:
    order = Order(
        reference=demo.reference,
        customer_pk=customer_pk,
        placed_at=demo.placed_at,
        currency=demo.currency,
        total_minor=demo.total_minor,
        state=demo.state,
        delivery_date=demo.delivery_date,
        carrier=demo.carrier,
        tracking_number=demo.tracking_number,
        tracking_url=demo.tracking_url,
    )
    session.add(order)
    session.flush()
    session.add_all(
        OrderLine(
            order_pk=order.pk,
            position=position,
            product_external_id=product_id,
            name=titles[product_id],
            quantity=quantity,
        )
        for position, (product_id, quantity) in enumerate(demo.lines)
    )
    session.add_all(
        OrderComment(
            order_pk=order.pk,
            position=position,
            message=message,
            from_customer=from_customer,
            created_at=created_at,
        )
        for position, (message, from_customer, created_at) in enumerate(demo.comments)
    )
