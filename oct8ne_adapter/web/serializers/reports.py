"""Payloads from recorded events (getSalesReport rows, a recorded getCart), and getAdapterInfo."""

from __future__ import annotations

from oct8ne_adapter.domain import RecordedCart, SalesReportRow
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.serializers.formats import Json, json_amount, utc_timestamp

API_VERSION = "2.4"


def adapter_info(settings: Settings, version: str) -> Json:
    """The getAdapterInfo structure."""
    return {
        "platform": settings.platform,
        "adapterName": settings.adapter_name,
        "adapterVersion": version,
        "developedBy": "oct8ne-adapter contributors",
        "supportUrl": settings.support_url,
        "apiVersion": API_VERSION,
        "enabled": settings.enabled,
    }


def sales_report_row(row: SalesReportRow) -> Json:
    """One getSalesReport row (DESIGN §3)."""
    return {
        "quoteId": row.quote_id,
        "orderId": row.order_id,
        "sessionId": row.session_id,
        "customerId": row.customer_id,
        "price": json_amount(row.price),
        "finalPrice": json_amount(row.final_price),
        "currency": row.currency,
        "productsCount": row.products_count,
        "itemsCount": row.items_count,
        "lastAction": "C" if row.created_in_period else "U",
        "utcCreated": utc_timestamp(row.created_at),
        "utcLastUpdated": utc_timestamp(row.updated_at),
    }


def recorded_cart(cart: RecordedCart) -> Json:
    """The getCart structure of a cart recorded through commerce events, in its own currency."""
    return {
        "price": json_amount(cart.subtotal),
        "finalPrice": json_amount(cart.total),
        "currency": cart.currency,
        "totalItems": sum(line.quantity for line in cart.lines),
        "cart": [
            {
                "internalId": line.product_id,
                "title": line.name,
                "qty": line.quantity,
                "price": json_amount(line.unit_price),
            }
            for line in cart.lines
        ],
    }
