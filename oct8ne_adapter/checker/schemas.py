"""JSON Schemas of the 2.4 answers: the OpenAPI document's own, plus those it does not describe."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from oct8ne_adapter.checker.http import shorten
from oct8ne_adapter.checker.results import Fault, Level
from oct8ne_adapter.web.openapi import METHODS, SCHEMAS, Schema

_NULLABLE_ID: Schema = {"type": ["string", "integer", "null"]}
_AMOUNT: Schema = {"type": ["string", "number"]}
_COUNT: Schema = {
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}]
}

#: Answers of methods that our OpenAPI document does not list (yet): DESIGN §3.
EXTRA_RESPONSES: dict[str, Schema] = {
    "getSalesReport": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "quoteId": _NULLABLE_ID,
                "orderId": _NULLABLE_ID,
                "sessionId": {"type": ["string", "null"]},
                "customerId": _NULLABLE_ID,
                "price": _AMOUNT,
                "finalPrice": _AMOUNT,
                "currency": {"type": "string"},
                "productsCount": _COUNT,
                "itemsCount": _COUNT,
                "lastAction": {"enum": ["C", "U"]},
                "utcCreated": {"type": "string"},
                "utcLastUpdated": {"type": "string"},
            },
            "required": [
                "quoteId",
                "orderId",
                "sessionId",
                "customerId",
                "price",
                "finalPrice",
                "currency",
                "productsCount",
                "itemsCount",
                "lastAction",
                "utcCreated",
                "utcLastUpdated",
            ],
        },
    },
}


def response_schema(method: str) -> Schema:
    """The schema of a 200 answer of `method` (the OpenAPI document's when it has one)."""
    if method in METHODS:
        return METHODS[method][2]
    return EXTRA_RESPONSES[method]


#: Where the 2.4 document asks for less than our own answers promise, other adapters are held
#: to the document: FilterInfo's `applied` "is optional"; AdapterInfo marks only these Required.
_DOCUMENT_REQUIRES: dict[str, list[str]] = {
    "FilterInfo": ["available"],
    "AdapterInfo": ["platform", "adapterVersion", "developedBy", "apiVersion"],
}
#: Amounts the platform adapters (and ours) send as JSON numbers (DESIGN §3); some adapters
#: send strings: either type is valid here, and extras.cart rates getCart's strings on their own
#: (compatibility), so one such answer is not also a schema failure.
_AMOUNTS: dict[str, tuple[str, ...]] = {
    "Cart": ("price", "finalPrice"),
    "SalesReportRow": ("price", "finalPrice"),
}


def _component(name: str, schema: Schema) -> Schema:
    if name in _DOCUMENT_REQUIRES:
        schema = {**schema, "required": _DOCUMENT_REQUIRES[name]}
    if name in _AMOUNTS:
        properties = {**schema["properties"], **dict.fromkeys(_AMOUNTS[name], _AMOUNT)}
        if name == "Cart":
            lines = schema["properties"]["cart"]
            items = lines["items"]
            line = {**items, "properties": {**items["properties"], "price": _AMOUNT}}
            properties["cart"] = {**lines, "items": line}
        schema = {**schema, "properties": properties}
    return schema


COMPONENTS: dict[str, Schema] = {name: _component(name, schema) for name, schema in SCHEMAS.items()}


def _without_additional(schema: Any) -> Any:
    """The schema with every `additionalProperties` dropped: extra fields allowed."""
    if isinstance(schema, dict):
        return {
            key: _without_additional(value)
            for key, value in schema.items()
            if key != "additionalProperties"
        }
    if isinstance(schema, list):
        return [_without_additional(item) for item in schema]
    return schema


@cache
def _validator(method: str, *, strict: bool = False) -> Draft202012Validator:
    # The document's `$ref`s point into components/schemas: give the validator that root.
    root = {**response_schema(method), "components": {"schemas": COMPONENTS}}
    return Draft202012Validator(root if strict else _without_additional(root))


def _where(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "the answer"


def _explain(error: ValidationError) -> str:
    if error.validator == "required" or error.validator == "additionalProperties":
        return f"{_where(error)}: {error.message}"
    return f"{_where(error)}: {shorten(error.instance, 60)} {_rule(error)}"


def _rule(error: ValidationError) -> str:
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "type":
        expected = schema.get("type")
        if isinstance(error.instance, str) and expected == "boolean":
            # The widget tests it in JavaScript, where any non-empty string is true.
            return "is a string, not a boolean (the string 'false' is true in JavaScript)"
        if isinstance(error.instance, str) and expected in ("number", "integer"):
            return f"is a string, not a JSON {expected}"
        if isinstance(error.instance, int | float) and expected == "string":
            return "is a number, not a string (ids and texts are strings)"
        return f"is not of type {expected!r}"
    if error.validator in ("enum", "const"):
        return f"is not {error.validator_value!r}"
    if error.validator == "minimum":
        return f"is less than {error.validator_value}"
    if error.validator == "pattern":
        return f"does not match {error.validator_value!r}"
    return f"is invalid ({error.validator})"


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the failure of the alternative that came closest."""
    while error.context:
        closest = best_match(error.context)
        if closest is None:
            break
        error = closest
    return error


def _position(error: ValidationError) -> list[str]:
    return [f"{part:09d}" if isinstance(part, int) else str(part) for part in error.absolute_path]


def schema_problems(method: str, payload: Any, limit: int = 2) -> list[str]:
    """Why `payload` is not a valid answer of `method`: the first few reasons, or []."""
    return _reasons(_validator(method), payload, limit)


def unknown_fields(method: str, payload: Any, limit: int = 2) -> list[str]:
    """Fields the 2.4 structures do not have (a misspelling, or an extension): worth a warning."""
    if schema_problems(method, payload):
        return []
    return _reasons(_validator(method, strict=True), payload, limit)


def _reasons(validator: Draft202012Validator, payload: Any, limit: int) -> list[str]:
    return [reason for _, reason in _keyed(validator, payload)][:limit]


def _keyed(validator: Draft202012Validator, payload: Any) -> list[tuple[tuple[str, ...], str]]:
    """(cause, reason) per problem; the cause leaves out list positions and values, so one
    wrong field in every result of every page is one cause."""
    errors = sorted((_deepest(error) for error in validator.iter_errors(payload)), key=_position)
    keyed: dict[tuple[str, ...], str] = {}
    for error in errors:
        path = "".join(
            "[]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        )
        # A missing field is its own cause; a wrong type or value is one per field.
        named = error.validator in ("required", "additionalProperties")
        rule = error.message if named else str(error.validator_value)[:80]
        cause = (path, str(error.validator), rule)
        keyed.setdefault(cause, _explain(error))
    return list(keyed.items())


def schema_faults(
    method: str, payload: Any, request: str, level: Level = Level.PROTOCOL
) -> list[Fault]:
    """Each distinct problem of `payload` as an answer of `method`, as a Fault of its own."""
    return [
        Fault(f"{request}: {reason}", level=level, key=("schema", method.lower(), *cause))
        for cause, reason in _keyed(_validator(method), payload)
    ]
