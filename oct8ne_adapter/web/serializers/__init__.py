"""Domain objects -> the exact JSON structures of the oct8ne 2.4 protocol, by concern.

`products` (ProductSummary, ProductInfo: the per-request `Serializer`), `search` (results and
filters), `customers` (customerData, getCart, orders), `reports` (recorded carts, sales-report
rows, getAdapterInfo), `formats` (dates, amounts, URLs, HTML) and `memo` (an app's ProductInfo
payloads). They read domain objects only: nothing from `sql` or `events`.
"""

from __future__ import annotations

from oct8ne_adapter.web.serializers.customers import (
    cart_totals,
    customer_data,
    order_details,
    order_summary,
)
from oct8ne_adapter.web.serializers.formats import (
    DATE_FORMAT,
    Json,
    absolute_url,
    description_html,
    format_date,
    json_amount,
    plain_amount,
    utc_timestamp,
)
from oct8ne_adapter.web.serializers.memo import ProductInfoMemo
from oct8ne_adapter.web.serializers.products import Serializer
from oct8ne_adapter.web.serializers.reports import (
    API_VERSION,
    adapter_info,
    recorded_cart,
    sales_report_row,
)
from oct8ne_adapter.web.serializers.search import search_result

__all__ = [
    "API_VERSION",
    "DATE_FORMAT",
    "Json",
    "ProductInfoMemo",
    "Serializer",
    "absolute_url",
    "adapter_info",
    "cart_totals",
    "customer_data",
    "description_html",
    "format_date",
    "json_amount",
    "order_details",
    "order_summary",
    "plain_amount",
    "recorded_cart",
    "sales_report_row",
    "search_result",
    "utc_timestamp",
]
