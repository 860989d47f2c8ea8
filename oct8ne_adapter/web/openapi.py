"""The OpenAPI 3.1 document of the frame methods, with JSON Schemas of the 2.4 structures.

Served at `/oct8ne/openapi.json`; the schemas in `components` are also what tests (and the
conformance checker) validate real answers against. Every method also answers as JSONP when a
`callback` is given: `/**/<callback>(<the same JSON>);` as `application/javascript`.
"""

from __future__ import annotations

from typing import Any

from oct8ne_adapter.javascript import JAVASCRIPT_NAME, MAX_NAME_LENGTH
from oct8ne_adapter.web.methods import FRAME_METHODS, FrameMethod
from oct8ne_adapter.web.openapi_catalog import CATALOG_SCHEMAS, SECURITY_SCHEMES, catalog_paths
from oct8ne_adapter.web.params import MAX_OFFSET, REPORT_TIME_PATTERN

Schema = dict[str, Any]

API_VERSION = "2.4"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer", "minimum": 0}
DATE_TIME: Schema = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"}
OPTIONAL_DATE_TIME: Schema = {"anyOf": [DATE_TIME, {"const": ""}]}
#: A UTC time as the platform adapters send getSalesReport's: `2026-11-26 13:07:06`.
UTC_TIME: Schema = {**DATE_TIME, "description": "UTC"}
#: getCart's and getSalesReport's amounts: JSON numbers, as the platform adapters send them.
AMOUNT: Schema = {"type": "number", "minimum": 0}

SUMMARY_FIELDS: dict[str, Schema] = {
    "internalId": STRING,
    "title": STRING,
    "formattedPrice": NULLABLE_STRING,
    "formattedPrevPrice": NULLABLE_STRING,
    "productUrl": STRING,
    "thumbnail": STRING,
}
ORDER_FIELDS: dict[str, Schema] = {
    "date": DATE_TIME,
    "reference": STRING,
    "total": STRING,
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "labelState": STRING,
    "deliveryDate": OPTIONAL_DATE_TIME,
}

SCHEMAS: dict[str, Schema] = {
    "Media": _object({"url": STRING}),
    "ProductSummary": _object(SUMMARY_FIELDS),
    "ProductInfo": _object(
        {
            **SUMMARY_FIELDS,
            "description": STRING,
            "addToCartUrl": STRING,
            "useProductUrl": {"type": "boolean"},
            "medias": {"type": "array", "items": _ref("Media")},
        }
    ),
    "ProductInCart": _object({**SUMMARY_FIELDS, "qty": {"type": "integer", "minimum": 1}}),
    "FilterOption": _object(
        {"value": STRING, "valueLabel": STRING, "count": {"type": "integer", "minimum": 1}}
    ),
    "AppliedFilter": _object(
        {"param": STRING, "paramLabel": STRING, "value": STRING, "valueLabel": STRING}
    ),
    "AvailableFilter": _object(
        {
            "param": STRING,
            "paramLabel": STRING,
            "options": {"type": "array", "items": _ref("FilterOption"), "minItems": 1},
        }
    ),
    "FilterInfo": _object(
        {
            "applied": {"type": "array", "items": _ref("AppliedFilter")},
            "available": {"type": "array", "items": _ref("AvailableFilter")},
        }
    ),
    "SearchResult": _object(
        {
            "total": INTEGER,
            "results": {"type": "array", "items": _ref("ProductSummary")},
            "filters": _ref("FilterInfo"),
        }
    ),
    "RelatedResult": _object(
        {"total": INTEGER, "results": {"type": "array", "items": _ref("ProductSummary")}}
    ),
    "CustomerData": _object(
        {
            "id": NULLABLE_STRING,
            "firstName": NULLABLE_STRING,
            "lastName": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "wishlist": {"type": "array", "items": _ref("ProductSummary")},
            "cart": {"type": "array", "items": _ref("ProductInCart")},
        }
    ),
    "WishlistResult": _object({"result": {"enum": ["true", "false"]}}),
    "Cart": _object(
        {
            # As the platform adapters send them: numbers, the subtotal before cart-level
            # discounts and the grand total after them; 0 for an empty cart.
            "price": AMOUNT,
            "finalPrice": AMOUNT,
            "currency": STRING,
            "totalItems": INTEGER,
            "cart": {
                "type": "array",
                "items": _object(
                    {"internalId": STRING, "title": STRING, "qty": INTEGER, "price": AMOUNT}
                ),
            },
        }
    ),
    "AdapterInfo": _object(
        {
            "platform": STRING,
            "adapterName": STRING,
            "adapterVersion": STRING,
            "developedBy": STRING,
            "supportUrl": STRING,
            "apiVersion": {"const": API_VERSION},
            "enabled": {"type": "boolean"},
        }
    ),
    "Order": _object(ORDER_FIELDS),
    "OrderDetails": _object(
        {
            **ORDER_FIELDS,
            "carrier": STRING,
            "trackingNumber": STRING,
            "trackingUrl": STRING,
            "products": {
                "type": "array",
                "items": _object(
                    {"quantity": {"type": "string", "pattern": "^[0-9]+$"}, "name": STRING}
                ),
            },
            "comments": {
                "type": "array",
                "items": _object({"message": STRING, "customer": {"type": "boolean"}}),
            },
        }
    ),
    "SalesReportRow": _object(
        {
            "quoteId": NULLABLE_STRING,
            "orderId": NULLABLE_STRING,
            "sessionId": STRING,
            "customerId": NULLABLE_STRING,
            "price": AMOUNT,
            "finalPrice": AMOUNT,
            "currency": STRING,
            "productsCount": INTEGER,
            "itemsCount": INTEGER,
            "lastAction": {"enum": ["C", "U"]},
            "utcCreated": UTC_TIME,
            "utcLastUpdated": UTC_TIME,
        }
    ),
    "Error": _object(
        {"error": STRING, "message": STRING, "retryAfter": {"type": "integer", "minimum": 1}},
        optional=("retryAfter",),
    ),
    "Health": _object({"status": STRING, "database": STRING}),
}


def _parameter(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or STRING,
    }


CALLBACK = _parameter(
    "callback",
    "JSONP: a dotted ASCII JavaScript name of at most 128 characters; anything else is a 400.",
    # Empty means no callback: plain JSON.
    {"type": "string", "pattern": f"^({JAVASCRIPT_NAME.pattern})?$", "maxLength": MAX_NAME_LENGTH},
)
LOCALE = _parameter("locale", "e.g. en-US or es-ES; malformed or unknown: the default.")
CURRENCY = _parameter("currency", "e.g. USD or EUR; not accepted by the shop: the default.")
PRODUCT_IDS = _parameter(
    "productIds",
    "Comma-separated product ids, at most 100 (more is a 400).",
    {"type": "string", "pattern": "^[^,]*(,[^,]*){0,99}$"},
)
TOKEN = _parameter("apiToken", "The security token; a wrong one answers [].")


#: A keyword: an unknown one (or none) is the default, as the official PHP adapters answer.
KEYWORD: Schema = {"type": "string"}
#: A whole number in ASCII digits (or empty: the default); out of range it falls back (see each
#: parameter), never refused. A pattern, not `integer`: JSON Schema counts 2.0 as an integer.
WHOLE_NUMBER: Schema = {"type": "string", "pattern": "^([+-]?[0-9]+)?$"}

PAGE = _parameter(
    "page",
    "1-based page; below 1 is page 1; a page past the last (or past the first 100,000 "
    "results) has no results and the true total.",
    WHOLE_NUMBER,
)
PAGE_SIZE = _parameter(
    "pageSize", "Default 10; below 1 is the default, above 100 (the maximum) is 100.", WHOLE_NUMBER
)

#: Every query parameter a frame method reads (the methods' table names them), callback aside.
PARAMETERS: dict[str, Schema] = {
    "productIds": PRODUCT_IDS,
    "productId": _parameter("productId", "A product id."),
    "locale": LOCALE,
    "currency": CURRENCY,
    "search": _parameter("search", "Text; reduced to words."),
    "page": PAGE,
    "pageSize": PAGE_SIZE,
    "start": _parameter(
        "start",
        f"0-based offset (with count); below 0 is 0; past {MAX_OFFSET:,} no results.",
        WHOLE_NUMBER,
    ),
    "count": _parameter("count", "Page size (with start), as pageSize.", WHOLE_NUMBER),
    "orderby": _parameter(
        "orderby",
        "relevance (default), price or name in any case; also spelled orderBy; any other "
        "value is the default.",
        KEYWORD,
    ),
    "dir": _parameter("dir", "asc (default) or desc; any other value is asc.", KEYWORD),
    "customerEmail": _parameter("customerEmail", "The customer's e-mail."),
    "reference": _parameter("reference", "The order reference."),
    "apiToken": TOKEN,
    "from": _parameter(
        "from",
        "Start: a UTC date (2026-11-26), time (2026-11-26T13:07:06Z) or Unix seconds; "
        "default: one day before to. After to: an empty period; more than 93 days "
        "before to: 93 days before to.",
        {"type": "string", "pattern": REPORT_TIME_PATTERN},
    ),
    "to": _parameter(
        "to",
        "End, as from (a date includes its whole day); default: now.",
        {"type": "string", "pattern": REPORT_TIME_PATTERN},
    ),
}


def answer_schema(method: FrameMethod) -> Schema:
    """The JSON Schema of a method's 200 answer."""
    if method.many:
        return {"type": "array", "items": _ref(method.response)}
    if method.token_checked:
        # A wrong token (or an unknown key) answers [], the same as for the array methods.
        return {"anyOf": [_ref(method.response), {"type": "array", "maxItems": 0}]}
    return _ref(method.response)


#: Method name as documented -> (summary, parameters, 200 schema), from the methods' table.
METHODS: dict[str, tuple[str, list[Schema], Schema]] = {
    method.name: (
        method.summary,
        [PARAMETERS[name] for name in method.parameters],
        answer_schema(method),
    )
    for method in FRAME_METHODS
}

_JSONP: Schema = {"schema": {"type": "string"}}


def _error(description: str) -> Schema:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": _ref("Error")},
            "application/javascript": _JSONP,
        },
    }


def _operation(method: str) -> Schema:
    summary, parameters, schema = METHODS[method]
    return {
        "get": {
            "operationId": method,
            "summary": summary,
            "parameters": [*parameters, CALLBACK],
            "responses": {
                "200": {
                    "description": "JSON, or JSONP when a callback is given; with a valid "
                    "callback, every error below is answered 200 inside it (a browser runs no "
                    "script served with an error status): {error, message, retryAfter?}",
                    "content": {
                        "application/json": {"schema": schema},
                        "application/javascript": _JSONP,
                    },
                },
                "400": _error("A malformed parameter or callback (never reflected)"),
                "429": _error(
                    "Too many requests, or failed token checks, from this address; see "
                    "Retry-After and retryAfter"
                ),
                "503": _error("The catalog database is unavailable"),
            },
        }
    }


def document(prefix: str = "/oct8ne") -> Schema:
    """The OpenAPI document for an adapter mounted at `prefix`."""
    paths: dict[str, Schema] = {
        f"{prefix}/frame/{method}": _operation(method) for method in METHODS
    }
    paths[f"{prefix}/health"] = {
        "get": {
            "operationId": "health",
            "summary": "Whether the adapter and its database answer",
            "responses": {
                "200": {
                    "description": "Healthy",
                    "content": {"application/json": {"schema": _ref("Health")}},
                },
                "503": {
                    "description": "The database does not answer (`unavailable`), or this "
                    "worker's search index is not in use yet (`starting`)",
                    "content": {"application/json": {"schema": _ref("Health")}},
                },
            },
        }
    }
    paths.update(catalog_paths(prefix))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "oct8ne adapter frame API",
            "version": API_VERSION,
            "description": "The oct8ne API 2.4 methods. Method names are case-insensitive; an "
            "unknown method is a 404 JSON error. Also the live catalog API (docs/catalog-api.md).",
        },
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **CATALOG_SCHEMAS},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
