"""The shop's repository: the adapter's Protocols (oct8ne_adapter.repository) over Django's ORM.

Nothing here imports the adapter's Protocols: they are structural. Search is the one method that
is not answered from these models directly: see `search_copy.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from django.db import transaction

from django_shop import models
from django_shop.seed_data import ORDER_STATES
from oct8ne_adapter import domain

Searcher = Callable[[domain.SearchQuery], domain.SearchResult]

#: The language a product always has a text in.
DEFAULT_LANGUAGE = "en"


def _candidates(languages: Sequence[str]) -> list[str]:
    """`es-MX, en` -> es-MX, es, en, en: each language, then its bare form."""
    codes: list[str] = []
    for language in languages:
        codes += [language.lower(), language.split("-")[0].lower()]
    return [*codes, DEFAULT_LANGUAGE]


def _naive_utc(moment: datetime | None) -> datetime | None:
    """Django keeps aware datetimes; the adapter's domain is in naive UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _product(product: models.Product, languages: Sequence[str]) -> domain.Product:
    texts = {text.language.lower(): text for text in product.texts.all()}
    text = next((texts[code] for code in _candidates(languages) if code in texts), None)
    prices = {
        price.currency: domain.ProductPrice(price.amount, price.previous_amount)
        for price in product.prices.all()
    }
    return domain.Product(
        id=product.sku,
        title=text.title if text else product.sku,
        description=text.description if text else "",
        url=f"/product/{product.sku}",
        thumbnail=f"/product/{product.sku}/image.svg",
        medias=(f"/product/{product.sku}/image.svg",),
        prices=MappingProxyType(prices),
        stock=product.stock,
    )


def _customer_pk(customer_id: str) -> int | None:
    """Customer ids are the customers' primary keys; anything else names nobody."""
    return int(customer_id) if customer_id.isascii() and customer_id.isdigit() else None


def _state_label(state: str, languages: Sequence[str]) -> str:
    labels = ORDER_STATES.get(state, {})
    return next((labels[code] for code in _candidates(languages) if code in labels), state)


class DjangoShopRepository:
    """Catalog, customers, carts, wishlists and orders from the shop's own Django models."""

    def __init__(self, searcher: Searcher) -> None:
        #: Finds products (ids, total, facets): the adapter's search over its copy of the catalog.
        self.searcher = searcher

    # -- catalog ---------------------------------------------------------------------------------

    def get_products(self, ids: Sequence[str], languages: Sequence[str]) -> list[domain.Product]:
        """Active products for these SKUs, in the order asked; unknown ones are left out."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        found = models.Product.objects.filter(sku__in=wanted, active=True).prefetch_related(
            "texts", "prices"
        )
        by_sku = {product.sku: product for product in found}
        return [_product(by_sku[sku], languages) for sku in wanted if sku in by_sku]

    def search(self, query: domain.SearchQuery) -> domain.SearchResult:
        """The adapter's search finds the page; the products themselves come from our models."""
        result = self.searcher(query)
        products = self.get_products([product.id for product in result.products], query.languages)
        return replace(result, products=tuple(products))

    def related_products(
        self, product_id: str, languages: Sequence[str], limit: int
    ) -> list[domain.Product]:
        """The products this one names as related, in the order they were linked."""
        links = models.Product.related.through.objects.filter(
            from_product__sku=product_id, from_product__active=True
        ).order_by("id")
        skus = [link.to_product.sku for link in links.select_related("to_product")]
        return self.get_products(skus, languages)[:limit]

    # -- customers -------------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> domain.Customer | None:
        """The customer with this id, or None."""
        pk = _customer_pk(customer_id)
        customer = None if pk is None else models.Customer.objects.filter(pk=pk).first()
        if customer is None:
            return None
        return domain.Customer(
            str(customer.pk), customer.first_name, customer.last_name, customer.email
        )

    def get_cart(self, visitor: domain.Visitor, languages: Sequence[str]) -> domain.Cart:
        """The signed-in customer's cart, else the guest cart of this Django session."""
        pk = _customer_pk(visitor.customer_id) if visitor.customer_id else None
        if pk is not None:
            cart = models.Cart.objects.filter(customer_id=pk).first()
        elif visitor.cart_key:
            cart = models.Cart.objects.filter(session_key=visitor.cart_key).first()
        else:
            cart = None
        if cart is None:
            return domain.Cart()
        lines = list(cart.lines.select_related("product"))
        products = {
            product.id: product
            for product in self.get_products([line.product.sku for line in lines], languages)
        }
        charged = [
            (products[line.product.sku], line.quantity)
            for line in lines
            if line.product.sku in products
        ]
        if not charged:
            return domain.Cart()
        return domain.charged_cart(charged, cart.currency, cart.discount)

    def get_wishlist(self, customer_id: str, languages: Sequence[str]) -> list[domain.Product]:
        """The customer's wishlist, oldest first."""
        pk = _customer_pk(customer_id)
        if pk is None:
            return []
        items = models.WishlistItem.objects.filter(customer_id=pk).select_related("product")
        return self.get_products([item.product.sku for item in items], languages)

    def add_to_wishlist(self, customer_id: str, product_ids: Sequence[str]) -> int:
        """Add the known products not already wished; how many were added."""
        pk = _customer_pk(customer_id)
        if pk is None or not models.Customer.objects.filter(pk=pk).exists():
            return 0
        with transaction.atomic():
            wished = set(
                models.WishlistItem.objects.filter(customer_id=pk).values_list(
                    "product__sku", flat=True
                )
            )
            known = {
                product.sku: product
                for product in models.Product.objects.filter(sku__in=product_ids, active=True)
            }
            new = [known[sku] for sku in dict.fromkeys(product_ids) if sku in known]
            new = [product for product in new if product.sku not in wished]
            for product in new:
                models.WishlistItem.objects.create(customer_id=pk, product=product)
        return len(new)

    # -- orders ----------------------------------------------------------------------------------

    def list_orders(
        self, email: str, languages: Sequence[str], offset: int, limit: int
    ) -> list[domain.Order]:
        """The orders of the customer with this e-mail, newest first."""
        orders = models.Order.objects.filter(customer__email__iexact=email.strip()).order_by(
            "-placed_at", "-id"
        )
        return [_order(order, languages) for order in orders[offset : offset + limit]]

    def get_order(self, reference: str, languages: Sequence[str]) -> domain.OrderDetails | None:
        """The order with this reference, with its lines and the customer's comment."""
        order = models.Order.objects.filter(reference=reference).first()
        if order is None:
            return None
        lines = tuple(
            domain.OrderLine(line.name, line.quantity, line.product.sku if line.product else None)
            for line in order.lines.select_related("product")
        )
        comments = (
            (domain.OrderComment(order.customer_comment, True),) if order.customer_comment else ()
        )
        return domain.OrderDetails(
            _order(order, languages),
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            lines=lines,
            comments=comments,
        )


def _order(order: models.Order, languages: Sequence[str]) -> domain.Order:
    placed_at = _naive_utc(order.placed_at)
    assert placed_at is not None
    return domain.Order(
        order.reference,
        placed_at,
        domain.Money(order.total, order.currency),
        _state_label(order.state, languages),
        _naive_utc(order.delivered_at),
    )
