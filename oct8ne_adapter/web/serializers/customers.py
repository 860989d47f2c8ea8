"""Payloads about one person: customerData, getCart, getOrders and getOrderDetails."""

from __future__ import annotations

from decimal import Decimal

from oct8ne_adapter.domain import Cart, Customer, Order, OrderDetails, PriceBasis, Product
from oct8ne_adapter.web.pricing import display_price, format_money, price_basis
from oct8ne_adapter.web.serializers.formats import Json, format_date, json_amount
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
    """The getCart structure (DESIGN §3): subtotal, grand total and lines, as JSON numbers."""
    if cart.currency is not None and cart.subtotal is not None:
        # The repository knows what it charges: answer in the cart's own currency, as the
        # platform adapters do; a conversion would misstate what the visitor pays.
        basis = price_basis(cart.currency, serializer.settings)
    else:
        basis = _requested_basis(serializer, cart)
    items = []
    summed = Decimal(0)
    for line in cart.lines:
        unit = line.unit_price if basis.currency == cart.currency else None
        if unit is None:
            shown = display_price(line.product, basis)
            unit = shown[0].amount if shown else Decimal(0)
        summed += unit * line.quantity
        items.append(
            {
                "internalId": line.product.id,
                "title": line.product.title,
                "qty": line.quantity,
                "price": json_amount(unit),
            }
        )
    known = cart.subtotal is not None and basis.currency == cart.currency
    subtotal = cart.subtotal if known and cart.subtotal is not None else summed
    # Without the repository's totals no cart-level discount is known: the total is the sum.
    total = cart.total if known and cart.total is not None else subtotal
    return {
        "price": json_amount(subtotal),
        "finalPrice": json_amount(total),
        "currency": basis.currency,
        "totalItems": sum(line.quantity for line in cart.lines),
        "cart": items,
    }


def _requested_basis(serializer: Serializer, cart: Cart) -> PriceBasis:
    """The requested currency, or the shop's when some line cannot be priced in it."""
    basis = serializer.presentation.basis
    shown = [display_price(line.product, basis) for line in cart.lines]
    if any(prices is not None and prices[0].currency != basis.currency for prices in shown):
        return price_basis(serializer.settings.default_currency, serializer.settings)
    return basis


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
