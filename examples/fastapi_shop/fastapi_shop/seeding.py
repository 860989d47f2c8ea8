"""Writes the example data (seed_data.py) afresh; `python -m fastapi_shop.seeding` at start-up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fastapi_shop.adapter import adapter_database
from fastapi_shop.models import (
    Base,
    Cart,
    CartLine,
    Category,
    Customer,
    Order,
    OrderLine,
    Product,
    ProductPrice,
    ProductText,
    RelatedProduct,
    WishlistItem,
    shop_sessions,
)
from fastapi_shop.search_copy import copy_catalog
from fastapi_shop.seed_data import (
    CATEGORIES,
    CUSTOMERS,
    JANE_CART,
    JANE_CART_DISCOUNT,
    JANE_WISHLIST,
    ORDERS,
    PRODUCTS,
)
from oct8ne_adapter.sql.schema import upgrade


def cents(text: str) -> int:
    """'129.00' -> 12900."""
    return int(Decimal(text).scaleb(2))


def _english_title(product: Product) -> str:
    return next(text.title for text in product.texts if text.language == "en")


def write_data(session: Session) -> None:
    """The catalog, the customers, and Jane's cart, wishlist and orders."""
    categories = {slug: Category(slug=slug, names=names) for slug, names in CATEGORIES.items()}
    products: dict[str, Product] = {}
    for sku, category, brand, color, stock, texts, prices, _related in PRODUCTS:
        products[sku] = Product(
            sku=sku,
            category=categories[category],
            brand=brand,
            color=color,
            stock=stock,
            texts=[
                ProductText(language=language, title=title, description=description)
                for language, (title, description) in texts.items()
            ],
            prices=[
                ProductPrice(
                    currency=currency,
                    amount_cents=cents(price),
                    previous_cents=None if previous is None else cents(previous),
                )
                for currency, (price, previous) in prices.items()
            ],
        )
    session.add_all(products.values())
    customers = {
        email: Customer(email=email, first_name=first, last_name=last)
        for email, first, last in CUSTOMERS
    }
    session.add_all(customers.values())
    session.flush()
    for sku, *_rest, related in PRODUCTS:
        session.add_all(
            RelatedProduct(product_id=products[sku].id, related_id=products[other].id, position=n)
            for n, other in enumerate(related)
        )
    jane = customers["jane.doe@example.com"]
    session.add(
        Cart(
            customer_id=jane.id,
            discount_cents=cents(JANE_CART_DISCOUNT),
            lines=[CartLine(product=products[sku], quantity=qty) for sku, qty in JANE_CART],
        )
    )
    session.add_all(
        WishlistItem(customer_id=jane.id, product=products[sku]) for sku in JANE_WISHLIST
    )
    for (reference, email, placed_at, currency, state, delivered_at, carrier, tracking, lines,
         comment) in ORDERS:
        unit = {
            sku: next(p.amount_cents for p in products[sku].prices if p.currency == currency)
            for sku, _ in lines
        }
        session.add(
            Order(
                reference=reference,
                customer=customers[email],
                placed_at=placed_at,
                currency=currency,
                total_cents=sum(unit[sku] * quantity for sku, quantity in lines),
                state=state,
                delivered_at=delivered_at,
                carrier=carrier,
                tracking_number=tracking,
                customer_comment=comment,
                lines=[
                    OrderLine(product=products[sku], name=_english_title(products[sku]),
                              quantity=quantity)
                    for sku, quantity in lines
                ],
            )
        )


def seed(sessions: sessionmaker[Any]) -> None:
    """Drop and create the shop's tables and write the example data (one transaction)."""
    engine = sessions.kw["bind"]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with sessions.begin() as session:
        write_data(session)


def main() -> None:
    """Seed the shop, migrate the adapter's own database, copy the catalog for search."""
    sessions = shop_sessions()
    seed(sessions)
    database = adapter_database()
    try:
        upgrade(database.engine)  # the adapter's tables: `oct8ne-adapter init-db` does this
        with sessions() as session:
            summary = copy_catalog(session, database)
    finally:
        database.engine.dispose()
        sessions.kw["bind"].dispose()
    print(f"shop seeded; search copy: {summary.describe()}")


if __name__ == "__main__":
    main()
