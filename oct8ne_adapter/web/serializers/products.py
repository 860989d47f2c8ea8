"""Serializer: products as ProductSummary and ProductInfo, for one request's locale and currency."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from oct8ne_adapter.domain import PriceBasis, Product
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.params import Presentation
from oct8ne_adapter.web.pricing import display_price, format_money
from oct8ne_adapter.web.serializers.formats import Json, absolute_url, description_html
from oct8ne_adapter.web.serializers.memo import ProductInfoMemo


@dataclass(frozen=True, slots=True)
class Serializer:
    """Builds protocol payloads for one request's locale and currency."""

    settings: Settings
    presentation: Presentation
    #: The app's memo of ProductInfo payloads; None builds every payload afresh.
    memo: ProductInfoMemo | None = None

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
        if self.memo is None:
            return self.build_product_info(product)
        return self.memo.get(product, self.settings, self.presentation, self.build_product_info)

    def build_product_info(self, product: Product) -> Json:
        """The ProductInfo structure, built (see `product_info` for the memoized one)."""
        price, previous = self._prices(product)
        medias = [self.absolute_url(url) for url in product.medias]
        if not medias and product.thumbnail:
            medias = [self.absolute_url(product.thumbnail)]
        add_to_cart = self.settings.widget.add_to_cart_path.format(id=quote(product.id, safe=""))
        # Out of stock: no one-click add; the visitor sees the product page (and its stock).
        sold_out = product.sold_out
        return {
            "internalId": product.id,
            "title": product.title,
            "description": description_html(product.description),
            "formattedPrice": price,
            "formattedPrevPrice": previous,
            "productUrl": self.absolute_url(product.url),
            "addToCartUrl": "" if sold_out else self.absolute_url(add_to_cart),
            # Products with options (size, color) must be chosen on the product page.
            "useProductUrl": product.has_variants or sold_out,
            "thumbnail": self._thumbnail(product),
            "medias": [{"url": url} for url in medias],
        }
