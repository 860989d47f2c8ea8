"""The live catalog API's part of the OpenAPI document (`web/catalog_api`), kept apart from the
frame methods' so that `web/openapi` stays one concern per module."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_ERROR = {"$ref": "#/components/schemas/Error"}
#: A product or variant id (`feeds.fields.check_code`).
_ID: Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$"}
_TEXT: Schema = {
    "anyOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "string"}},
    ]
}

#: One product of the JSON Lines format (`feeds.records`): its shape. The values (URLs, prices,
#: texts, attribute names) are checked by the server, whose 400 names the bad one.
PRODUCT: Schema = {
    "type": "object",
    "required": ["id", "title", "url", "prices"],
    "additionalProperties": False,
    "properties": {
        "id": _ID,
        "title": _TEXT,
        "description": _TEXT,
        "url": {"type": "string"},
        "thumbnail": {"type": "string"},
        "images": {"type": "array", "items": {"type": "string"}},
        "prices": {"type": "object"},
        "brand": {"type": "string"},
        "category": {"type": "array", "items": {"type": "object"}},
        "attributes": {"type": "object"},
        "variants": {"type": "boolean"},
        "stock": {"type": ["integer", "null"]},
        "availability": {"type": "string"},
        "active": {"type": "boolean"},
        "related": {"type": "array", "items": _ID},
        "group": _ID,
    },
}

_COUNTS = ("inserted", "updated", "unchanged")
CATALOG_SCHEMAS: dict[str, Schema] = {
    "CatalogProduct": PRODUCT,
    "CatalogPushResult": {
        "type": "object",
        "properties": {name: {"type": "integer", "minimum": 0} for name in _COUNTS},
        "required": list(_COUNTS),
        "additionalProperties": False,
    },
    "CatalogRemoval": {
        "type": "object",
        "properties": {"id": _ID, "removed": {"enum": ["product", "variant", "nothing"]}},
        "required": ["id", "removed"],
        "additionalProperties": False,
    },
}

SECURITY_SCHEMES: Schema = {
    "catalogSecret": {
        "type": "http",
        "scheme": "bearer",
        "description": "catalog_secret (any secret in force during a rollover)",
    }
}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_ERRORS: dict[str, Schema] = {
    "401": _error("The catalog secret is missing or wrong"),
    "403": _error("The catalog API is off: no catalog_secret is configured"),
    "429": _error("Too many failed secret checks from this address; see Retry-After"),
    "503": _error("The database does not answer"),
}


def catalog_paths(prefix: str) -> dict[str, Schema]:
    """The paths of the catalog API for an adapter mounted at `prefix`."""
    return {
        f"{prefix}/catalog/products": {
            "post": {
                "operationId": "pushProducts",
                "summary": "Insert or replace products, all or none (at most 5 MB, 10,000)",
                "security": [{"catalogSecret": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/CatalogProduct"},
                                # Not maxItems: more than 10,000 is a 413, not a 400.
                                "description": "at most 10,000 products (else 413)",
                            }
                        },
                        "application/x-ndjson": {
                            "schema": {"type": "string", "description": "one product a line"}
                        },
                    },
                },
                "responses": {
                    "200": {
                        "description": "Written (products whose row is unchanged are skipped)",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CatalogPushResult"}
                            }
                        },
                    },
                    "400": _error("A bad row ('line N (id X): reason'); nothing was written"),
                    **_ERRORS,
                    "413": _error("Over 5 MB, or over 10,000 products"),
                    "415": _error("Neither application/json nor application/x-ndjson"),
                },
            }
        },
        f"{prefix}/catalog/products/{{productId}}": {
            "delete": {
                "operationId": "removeProduct",
                "summary": "Remove a product, or only the variant with this id (idempotent)",
                "security": [{"catalogSecret": []}],
                "parameters": [
                    {"name": "productId", "in": "path", "required": True, "schema": _ID}
                ],
                "responses": {
                    "200": {
                        "description": "What was removed ('nothing' for an unknown id)",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CatalogRemoval"}
                            }
                        },
                    },
                    "400": _error("The id is not a product id"),
                    "404": _error("No such path (an id that is not one URL path, e.g. empty)"),
                    **_ERRORS,
                },
            }
        },
    }
