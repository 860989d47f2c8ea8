"""Serializer: products as ProductSummary and ProductInfo, for one request's locale and currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from oct8ne_adapter.domain import PriceBasis, Product
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.localized import translation_rank
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

    def product_url(self, product: Product) -> str:
        """The product's link in the best language of the visitor's chain, as titles are chosen:
        a stored link, else the template of a better language than the stored link's, if any."""
        languages = self.presentation.languages
        templates = self.settings.widget.product_url_templates
        if templates:
            template = best_template(tuple(templates.items()), languages)
            if template is not None:
                link_rank = (
                    2 * len(languages)
                    if product.url_language is None
                    else translation_rank(product.url_language, languages)
                )
                # A stored link of the same language as the template wins: it is the shop's own.
                if template[0] < link_rank:
                    return self.absolute_url(template[1].format(id=quote(product.id, safe="")))
        return self.absolute_url(product.url)

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
            "productUrl": self.product_url(product),
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
            "productUrl": self.product_url(product),
            "addToCartUrl": "" if sold_out else self.absolute_url(add_to_cart),
            # Products with options (size, color) must be chosen on the product page.
            "useProductUrl": product.has_variants or sold_out,
            "thumbnail": self._thumbnail(product),
            "medias": [{"url": url} for url in medias],
        }


@lru_cache(maxsize=256)
def best_template(
    templates: tuple[tuple[str, str], ...], languages: Sequence[str]
) -> tuple[int, str] | None:
    """(rank, template) of the template in the best language of the chain; None if no template's
    language is in the chain (nor a sibling region of the visitor's language)."""
    outside = 2 * len(languages)
    ranked = sorted(
        (translation_rank(language, languages), language, template)
        for language, template in templates
    )
    if not ranked or ranked[0][0] >= outside:
        return None
    return ranked[0][0], ranked[0][2]
