"""The search payload: `{total, results: [ProductSummary], filters: {applied, available}}`."""

from __future__ import annotations

from oct8ne_adapter.domain import AppliedFilter, Facet, FacetKind, PriceRange, SearchResult
from oct8ne_adapter.web.pricing import format_price_range
from oct8ne_adapter.web.serializers.formats import Json
from oct8ne_adapter.web.serializers.products import Serializer

#: Labels of the built-in filter groups and common attributes, by language.
_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "category": "Category",
        "brand": "Brand",
        "price": "Price",
        "availability": "Availability",
        "in_stock": "In stock",
        "out_of_stock": "Out of stock",
        "preorder": "Preorder",
        "backorder": "Backorder",
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
        "availability": "Disponibilidad",
        "in_stock": "En stock",
        "out_of_stock": "Agotado",
        "preorder": "Reserva",
        "backorder": "Bajo pedido",
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
        "availability": "Disponibilité",
        "in_stock": "En stock",
        "out_of_stock": "En rupture de stock",
        "preorder": "Précommande",
        "backorder": "Sur commande",
        "color": "Couleur",
        "size": "Taille",
        "material": "Matière",
    },
    "de": {
        "category": "Kategorie",
        "brand": "Marke",
        "price": "Preis",
        "availability": "Verfügbarkeit",
        "in_stock": "Auf Lager",
        "out_of_stock": "Nicht auf Lager",
        "preorder": "Vorbestellung",
        "backorder": "Nachbestellung",
        "color": "Farbe",
        "size": "Größe",
        "material": "Material",
    },
    "it": {
        "category": "Categoria",
        "brand": "Marca",
        "price": "Prezzo",
        "availability": "Disponibilità",
        "in_stock": "Disponibile",
        "out_of_stock": "Esaurito",
        "preorder": "Preordine",
        "backorder": "Su ordinazione",
        "color": "Colore",
        "size": "Taglia",
        "material": "Materiale",
    },
    "pt": {
        "category": "Categoria",
        "brand": "Marca",
        "price": "Preço",
        "availability": "Disponibilidade",
        "in_stock": "Em estoque",
        "out_of_stock": "Esgotado",
        "preorder": "Pré-venda",
        "backorder": "Sob encomenda",
        "color": "Cor",
        "size": "Tamanho",
        "material": "Material",
    },
}


def _label(serializer: Serializer, key: str) -> str | None:
    for language in serializer.presentation.languages:
        labels = _LABELS.get(language.split("-")[0])
        if labels and key in labels:
            return labels[key]
    return None


def _param_label(serializer: Serializer, kind: FacetKind, param: str, label: str | None) -> str:
    if label:
        return label
    key = kind.value if kind is not FacetKind.ATTRIBUTE else param
    return _label(serializer, key) or param.replace("_", " ").capitalize()


def _range_label(
    serializer: Serializer, price_range: PriceRange | None, fallback: str, kind: FacetKind
) -> str:
    if kind is FacetKind.AVAILABILITY:
        return _label(serializer, fallback) or fallback.replace("_", " ").capitalize()
    if price_range is None:
        return fallback
    presentation = serializer.presentation
    return format_price_range(price_range, presentation.basis.currency, presentation.locale)


def _applied(serializer: Serializer, applied: AppliedFilter) -> Json:
    return {
        "param": applied.param,
        "paramLabel": _param_label(serializer, applied.kind, applied.param, applied.label),
        "value": applied.value,
        "valueLabel": _range_label(
            serializer, applied.price_range, applied.value_label, applied.kind
        ),
    }


def _available(serializer: Serializer, facet: Facet) -> Json:
    return {
        "param": facet.param,
        "paramLabel": _param_label(serializer, facet.kind, facet.param, facet.label),
        "options": [
            {
                "value": option.value,
                "valueLabel": _range_label(
                    serializer, option.price_range, option.label, facet.kind
                ),
                "count": option.count,
            }
            for option in facet.options
        ],
    }


def search_result(serializer: Serializer, result: SearchResult) -> Json:
    """`{total, results: [ProductSummary], filters: {applied, available}}`."""
    return {
        "total": result.total,
        "results": [serializer.product_summary(product) for product in result.products],
        "filters": {
            "applied": [_applied(serializer, applied) for applied in result.applied],
            "available": [_available(serializer, facet) for facet in result.facets],
        },
    }
