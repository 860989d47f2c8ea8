"""Payloads about one person: customerData, getCart, getOrders and getOrderDetails."""

from __future__ import annotations

from decimal import Decimal

from oct8ne_adapter.domain import Cart, Customer, Money, Order, OrderDetails, Product
from oct8ne_adapter.web.pricing import display_price, format_money, price_basis
from oct8ne_adapter.web.serializers.formats import Json, format_date, plain_amount
from oct8ne_adapter.web.serializers.products import Serializer


def customer_data(
    serializer: Serializer, customer: Customer | None, wishlist: list[Product], cart: Cart
) -> Json:
    """The CustomerData structure; nulls for an anonymous visitor."""
    return {
        "id": customer.id if customer else None,
        "firstName": customer.first_name if customer else None,
        "lastName": customer.last_name if customer else None,
        "email": customer.email if customer else None,
        "wishlist": [serializer.product_summary(product) for product in wishlist],
        "cart": [
            {**serializer.product_summary(line.product), "qty": line.quantity}
            for line in cart.lines
        ],
    }


def cart_totals(serializer: Serializer, cart: Cart) -> Json:
    """The getCart structure: totals before and after discounts, as plain amounts."""
    settings = serializer.settings
    basis = serializer.presentation.basis
    shown = [display_price(line.product, basis) for line in cart.lines]
    if any(prices is not None and prices[0].currency != basis.currency for prices in shown):
        # Some product cannot be priced in the requested currency: total in the shop's.
        basis = price_basis(settings.default_currency, settings)
        shown = [display_price(line.product, basis) for line in cart.lines]
    zero = Money(Decimal(0), basis.currency)
    price = final = Decimal(0)
    items = []
    for line, prices in zip(cart.lines, shown, strict=True):
        current, previous = prices or (zero, zero)
        price += previous.amount * line.quantity
        final += current.amount * line.quantity
        items.append(
            {
                "internalId": line.product.id,
                "title": line.product.title,
                "qty": line.quantity,
                "price": plain_amount(current.amount),
            }
        )
    return {
        "price": plain_amount(price),
        "finalPrice": plain_amount(final),
        "currency": basis.currency,
        "totalItems": sum(line.quantity for line in cart.lines),
        "cart": items,
    }


def order_summary(serializer: Serializer, order: Order) -> Json:
    """An order as getOrders lists it."""
    return {
        "date": format_date(order.placed_at),
        "reference": order.reference,
        # An order is shown in the currency it was paid in, formatted for the locale.
        "total": format_money(order.total, serializer.presentation.locale),
        "currency": order.total.currency,
        "labelState": order.state_label,
        "deliveryDate": format_date(order.delivery_date),
    }


def order_details(serializer: Serializer, details: OrderDetails) -> Json:
    """An order as getOrderDetails shows it."""
    return {
        **order_summary(serializer, details.order),
        "carrier": details.carrier,
        "trackingNumber": details.tracking_number,
        "trackingUrl": details.tracking_url,
        "products": [{"quantity": str(line.quantity), "name": line.name} for line in details.lines],
        "comments": [
            {"message": comment.message, "customer": comment.from_customer}
            for comment in details.comments
        ],
    }
