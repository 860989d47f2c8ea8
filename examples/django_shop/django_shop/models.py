"""The shop's own tables: catalog, customers, carts, wishlists and orders (Django ORM)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Category(models.Model):
    """A catalog category with its names by language."""

    slug = models.SlugField(unique=True)
    names = models.JSONField(default=dict)


class Product(models.Model):
    """A product, sold under its SKU."""

    sku = models.CharField(max_length=40, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    brand = models.CharField(max_length=80)
    color = models.CharField(max_length=20)
    stock = models.IntegerField(default=0)
    active = models.BooleanField(default=True)
    related = models.ManyToManyField("self", symmetrical=False, blank=True)

    class Meta:
        ordering = ["sku"]


class ProductText(models.Model):
    """A product's title and description in one language."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "language"], name="one_text_per_language")
        ]


class ProductPrice(models.Model):
    """A product's price in one currency, and the price before a discount."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    previous_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="one_price_per_currency")
        ]


class Customer(models.Model):
    """A shop customer, signed in through Django's auth user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField(unique=True)


class Cart(models.Model):
    """A customer's cart, or a guest's, keyed by the Django session key."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, null=True)
    session_key = models.CharField(max_length=40, unique=True, null=True)
    currency = models.CharField(max_length=3, default="USD")
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)


class CartLine(models.Model):
    """A product in a cart."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]


class WishlistItem(models.Model):
    """A product a customer wished for."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="wishlist")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "product"], name="wished_once")
        ]


class Order(models.Model):
    """An order as the shop keeps it."""

    reference = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    state = models.CharField(max_length=20)
    delivered_at = models.DateTimeField(null=True)
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    customer_comment = models.TextField(blank=True)


class OrderLine(models.Model):
    """A product line of an order, named as it was sold."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
