"""Writes the example data (seed_data.py) afresh: catalog, customers, cart, wishlist, orders."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction

from django_shop import models
from django_shop.seed_data import (
    CATEGORIES,
    CUSTOMERS,
    JANE_CART,
    JANE_CART_DISCOUNT,
    JANE_WISHLIST,
    ORDERS,
    PRODUCTS,
)


@transaction.atomic
def seed() -> None:
    """Delete the shop's rows and write the example data again (one transaction)."""
    for model in (models.Order, models.WishlistItem, models.Cart, models.Customer,
                  models.Product, models.Category, Session):
        model.objects.all().delete()
    User.objects.all().delete()
    categories = {
        slug: models.Category.objects.create(slug=slug, names=names)
        for slug, names in CATEGORIES.items()
    }
    products: dict[str, models.Product] = {}
    for sku, category, brand, color, stock, texts, prices, _related in PRODUCTS:
        product = models.Product.objects.create(
            sku=sku, category=categories[category], brand=brand, color=color, stock=stock
        )
        for language, (title, description) in texts.items():
            product.texts.create(language=language, title=title, description=description)
        for currency, (amount, previous) in prices.items():
            product.prices.create(
                currency=currency,
                amount=Decimal(amount),
                previous_amount=None if previous is None else Decimal(previous),
            )
        products[sku] = product
    for sku, *_rest, related in PRODUCTS:
        products[sku].related.add(*(products[other] for other in related))
    customers = {}
    for email, first_name, last_name in CUSTOMERS:
        user = User.objects.create_user(username=email, email=email)  # no password: demo sign-in
        customers[email] = models.Customer.objects.create(
            user=user, first_name=first_name, last_name=last_name, email=email
        )
    jane = customers["jane.doe@example.com"]
    cart = models.Cart.objects.create(customer=jane, discount=Decimal(JANE_CART_DISCOUNT))
    for sku, quantity in JANE_CART:
        cart.lines.create(product=products[sku], quantity=quantity)
    for sku in JANE_WISHLIST:
        models.WishlistItem.objects.create(customer=jane, product=products[sku])
    for (reference, email, placed_at, currency, state, delivered_at, carrier, tracking, lines,
         comment) in ORDERS:
        total = sum(
            (products[sku].prices.get(currency=currency).amount * quantity
             for sku, quantity in lines),
            Decimal(0),
        )
        order = models.Order.objects.create(
            reference=reference,
            customer=customers[email],
            placed_at=placed_at.replace(tzinfo=UTC),
            currency=currency,
            total=total,
            state=state,
            delivered_at=delivered_at.replace(tzinfo=UTC) if delivered_at else None,
            carrier=carrier,
            tracking_number=tracking,
            customer_comment=comment,
        )
        for sku, quantity in lines:
            title = products[sku].texts.get(language="en").title
            order.lines.create(product=products[sku], name=title, quantity=quantity)
