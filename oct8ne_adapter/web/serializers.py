"""Domain objects -> the exact JSON structures of the oct8ne 2.4 protocol."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from markupsafe import escape

from oct8ne_adapter.domain import (
    AppliedFilter,
    Cart,
    Customer,
    Facet,
    FacetKind,
    Money,
    Order,
    OrderDetails,
    PriceBasis,
    PriceRange,
    Product,
    SearchResult,
)
from oct8ne_adapter.events.sales_report import RecordedCartView, SalesRow
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.params import Presentation
from oct8ne_adapter.web.pricing import display_price, format_money, format_price_range, price_basis

API_VERSION = "2.4"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_LOOKS_LIKE_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
#: An absolute http(s) URL that urljoin gives back unchanged: no parameters, query or fragment
#: delimiters it could drop when empty, no IPv6 brackets, no characters it would strip.
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9._~%!$&()*+,=:@-]+(?:/[A-Za-z0-9._~%!$&()*+,=:@/-]*)?"
)
#: A root-relative path that urljoin only prefixes with the base's origin: as above, and no
#: empty, `.` or `..` segments, which it would remove or resolve.
_PLAIN_ROOT_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~%!$&()*+,=:@-]+)+/?")

Json = dict[str, Any]

#: Labels of the built-in filter groups and common attributes, by language.
_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "category": "Category",
        "brand": "Brand",
        "price": "Price",
        "color": "Color",
        "size": "Size",
        "material": "Material",
        "gender": "Gender",
        "pattern": "Pattern",
        "age_group": "Age group",
    },
    "es": {
        "category": "Categoría",
        "brand": "Marca",
        "price": "Precio",
        "color": "Color",
        "size": "Talla",
        "material": "Material",
        "gender": "Género",
        "pattern": "Estampado",
        "age_group": "Edad",
    },
    "fr": {
        "category": "Catégorie",
        "brand": "Marque",
        "price": "Prix",
        "color": "Couleur",
        "size": "Taille",
        "material": "Matière",
    },
    "de": {
        "category": "Kategorie",
        "brand": "Marke",
        "price": "Preis",
        "color": "Farbe",
        "size": "Größe",
        "material": "Material",
    },
    "it": {
        "category": "Categoria",
        "brand": "Marca",
        "price": "Prezzo",
        "color": "Colore",
        "size": "Taglia",
        "material": "Materiale",
    },
    "pt": {
        "category": "Categoria",
        "brand": "Marca",
        "price": "Preço",
        "color": "Cor",
        "size": "Tamanho",
        "material": "Material",
    },
}


def description_html(text: str) -> str:
    """Descriptions are shown as HTML: plain text is escaped and its line breaks become <br/>."""
    html = text if _LOOKS_LIKE_HTML.search(text) else str(escape(text))
    return html.replace("\r\n", "\n").replace("\n", "<br/>")


def format_date(moment: datetime | None) -> str:
    """`YYYY-MM-DD HH:MM:SS`, or an empty string."""
    return "" if moment is None else moment.strftime(DATE_FORMAT)


def plain_amount(amount: Decimal) -> str:
    """A machine-readable amount: `1500.00`."""
    return format(amount, "f")


def absolute_url(base: str, url: str) -> str:
    """`urljoin(base, url)`, without parsing the common cases: absolute and root-relative URLs."""
    # urljoin parses both URLs on every call: a third of productInfo's serialization time.
    if _PLAIN_ABSOLUTE_URL.fullmatch(url):
        return url
    if _PLAIN_ROOT_PATH.fullmatch(url):
        origin = _origin(base)
        if origin is not None:
            return origin + url
    return urljoin(base, url)


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    """`https://host` of an http(s) base URL that urljoin treats plainly, else None."""
    if not _PLAIN_ABSOLUTE_URL.fullmatch(base):
        return None
    scheme, netloc, *_ = urlsplit(base)
    return f"{scheme}://{netloc}"


class _ProductInfoMemo:
    """Recently built ProductInfo payloads, by product object and presentation.

    The product cache hands out the same Product objects until the catalog changes, so the same
    object asked again in the same locale and currency gets the payload built the first time
    (formatting ten prices and URLs is most of a productInfo request). An entry keeps its product
    alive, so a key's object id cannot be reused while the entry exists.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int, Presentation], tuple[Product, Settings, Json]]
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, serializer: Serializer, product: Product) -> Json:
        key = (id(product), id(serializer.settings), serializer.presentation)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is product and entry[1] is serializer.settings:
                self._entries.move_to_end(key)
                return entry[2]
        payload = serializer.build_product_info(product)
        with self._lock:
            self._entries[key] = (product, serializer.settings, payload)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return payload


#: About as many entries as the product cache keeps products.
_product_infos = _ProductInfoMemo(max_entries=10_000)


@dataclass(frozen=True, slots=True)
class Serializer:
    """Builds protocol payloads for one request's locale and currency."""

    settings: Settings
    presentation: Presentation

    # -- products ---------------------------------------------------------------------------

    def absolute_url(self, url: str) -> str:
        """A catalog URL made absolute against the shop's base URL."""
        return absolute_url(self.settings.shop_url.rstrip("/") + "/", url)

    def _prices(
        self, product: Product, basis: PriceBasis | None = None
    ) -> tuple[str | None, str | None]:
        shown = display_price(product, basis or self.presentation.basis)
        if shown is None:
            return None, None  # null hides the price in the widget, as the protocol allows.
        price, previous = shown
        locale = self.presentation.locale
        return format_money(price, locale), format_money(previous, locale)

    def _thumbnail(self, product: Product) -> str:
        thumbnail = product.thumbnail or (product.medias[0] if product.medias else "")
        return self.absolute_url(thumbnail) if thumbnail else ""

    def product_summary(self, product: Product) -> Json:
        """The ProductSummary structure."""
        price, previous = self._prices(product)
        return {
            "internalId": product.id,
            "title": product.title,
            "formattedPrice": price,
            "formattedPrevPrice": previous,
            "productUrl": self.absolute_url(product.url),
            "thumbnail": self._thumbnail(product),
        }

    def product_info(self, product: Product) -> Json:
        """The ProductInfo structure; medias always has at least the thumbnail."""
        return _product_infos.get(self, product)

    def build_product_info(self, product: Product) -> Json:
        """The ProductInfo structure, built (see `product_info` for the memoized one)."""
        price, previous = self._prices(product)
        medias = [self.absolute_url(url) for url in product.medias]
        if not medias and product.thumbnail:
            medias = [self.absolute_url(product.thumbnail)]
        add_to_cart = self.settings.add_to_cart_path.format(id=quote(product.id, safe=""))
        return {
            "internalId": product.id,
            "title": product.title,
            "description": description_html(product.description),
            "formattedPrice": price,
            "formattedPrevPrice": previous,
            "productUrl": self.absolute_url(product.url),
            "addToCartUrl": self.absolute_url(add_to_cart),
            # Products with options (size, color) must be chosen on the product page.
            "useProductUrl": product.has_variants,
            "thumbnail": self._thumbnail(product),
            "medias": [{"url": url} for url in medias],
        }

    # -- search -----------------------------------------------------------------------------

    def _label(self, key: str) -> str | None:
        for language in self.presentation.languages:
            labels = _LABELS.get(language.split("-")[0])
            if labels and key in labels:
                return labels[key]
        return None

    def _param_label(self, kind: FacetKind, param: str, label: str | None) -> str:
        if label:
            return label
        key = kind.value if kind is not FacetKind.ATTRIBUTE else param
        return self._label(key) or param.replace("_", " ").capitalize()

    def _range_label(self, price_range: PriceRange | None, fallback: str) -> str:
        if price_range is None:
            return fallback
        return format_price_range(
            price_range, self.presentation.basis.currency, self.presentation.locale
        )

    def _applied(self, applied: AppliedFilter) -> Json:
        return {
            "param": applied.param,
            "paramLabel": self._param_label(applied.kind, applied.param, applied.label),
            "value": applied.value,
            "valueLabel": self._range_label(applied.price_range, applied.value_label),
        }

    def _available(self, facet: Facet) -> Json:
        return {
            "param": facet.param,
            "paramLabel": self._param_label(facet.kind, facet.param, facet.label),
            "options": [
                {
                    "value": option.value,
                    "valueLabel": self._range_label(option.price_range, option.label),
                    "count": option.count,
                }
                for option in facet.options
            ],
        }

    def search_result(self, result: SearchResult) -> Json:
        """`{total, results: [ProductSummary], filters: {applied, available}}`."""
        return {
            "total": result.total,
            "results": [self.product_summary(product) for product in result.products],
            "filters": {
                "applied": [self._applied(applied) for applied in result.applied],
                "available": [self._available(facet) for facet in result.facets],
            },
        }

    # -- customer ---------------------------------------------------------------------------

    def customer_data(self, customer: Customer | None, wishlist: list[Product], cart: Cart) -> Json:
        """The CustomerData structure; nulls for an anonymous visitor."""
        return {
            "id": customer.id if customer else None,
            "firstName": customer.first_name if customer else None,
            "lastName": customer.last_name if customer else None,
            "email": customer.email if customer else None,
            "wishlist": [self.product_summary(product) for product in wishlist],
            "cart": [
                {**self.product_summary(line.product), "qty": line.quantity} for line in cart.lines
            ],
        }

    def cart(self, cart: Cart) -> Json:
        """The getCart structure: totals before and after discounts, as plain amounts."""
        basis = self.presentation.basis
        shown = [display_price(line.product, basis) for line in cart.lines]
        if any(prices is not None and prices[0].currency != basis.currency for prices in shown):
            # Some product cannot be priced in the requested currency: total in the shop's.
            basis = price_basis(self.settings.default_currency, self.settings)
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

    # -- orders -----------------------------------------------------------------------------

    def order(self, order: Order) -> Json:
        """An order as getOrders lists it."""
        return {
            "date": format_date(order.placed_at),
            "reference": order.reference,
            # An order is shown in the currency it was paid in, formatted for the locale.
            "total": format_money(order.total, self.presentation.locale),
            "currency": order.total.currency,
            "labelState": order.state_label,
            "deliveryDate": format_date(order.delivery_date),
        }

    def order_details(self, details: OrderDetails) -> Json:
        """An order as getOrderDetails shows it."""
        return {
            **self.order(details.order),
            "carrier": details.carrier,
            "trackingNumber": details.tracking_number,
            "trackingUrl": details.tracking_url,
            "products": [
                {"quantity": str(line.quantity), "name": line.name} for line in details.lines
            ],
            "comments": [
                {"message": comment.message, "customer": comment.from_customer}
                for comment in details.comments
            ],
        }


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


def utc_timestamp(moment: datetime) -> str:
    """A naive UTC time as ISO 8601 with `Z`: `2026-11-26T13:07:06Z`."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def sales_report_row(row: SalesRow) -> Json:
    """One getSalesReport row (DESIGN §3)."""
    return {
        "quoteId": row.quote_id,
        "orderId": row.order_id,
        "sessionId": row.session_id,
        "customerId": row.customer_id,
        "price": plain_amount(row.price),
        "finalPrice": plain_amount(row.final_price),
        "currency": row.currency,
        "productsCount": row.products_count,
        "itemsCount": row.items_count,
        "lastAction": "C" if row.created_in_period else "U",
        "utcCreated": utc_timestamp(row.created_at),
        "utcLastUpdated": utc_timestamp(row.updated_at),
    }


def recorded_cart(cart: RecordedCartView) -> Json:
    """The getCart structure of a cart recorded through commerce events, in its own currency."""
    return {
        "price": plain_amount(cart.subtotal),
        "finalPrice": plain_amount(cart.total),
        "currency": cart.currency,
        "totalItems": sum(line.quantity for line in cart.lines),
        "cart": [
            {
                "internalId": line.product_id,
                "title": line.name,
                "qty": line.quantity,
                "price": plain_amount(line.unit_price),
            }
            for line in cart.lines
        ],
    }
