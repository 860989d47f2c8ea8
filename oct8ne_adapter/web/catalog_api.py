"""The live catalog API: `POST /oct8ne/catalog/products`, `DELETE /oct8ne/catalog/products/<id>`.

A shop in any language keeps the catalog current in real time (docs/catalog-api.md). POST takes
a JSON array of products (`application/json`) or JSON Lines (`application/x-ndjson`), in the
JSON Lines format of `feeds.records`, and upserts them in one transaction through the importer's
writer and change log (`feeds.push`). DELETE removes a product, or only the variant with that
id. Authentication: `Authorization: Bearer <catalog_secret>`, checked like the events secret
(`web.bearer`, failures through the failed-authentication limiter).

Answers (JSON): POST 200 `{"inserted", "updated", "unchanged"}`; DELETE 200 `{"id", "removed":
"product" | "variant" | "nothing"}` (idempotent); 400 naming the first bad row ("line N (id X):
reason", product N of an array), nothing written; 401 without the right secret; 403 when no
catalog_secret is configured; 413 for a body over 5 MB or more than 10,000 products; 415 for
another content type; 429 after too many failed checks; 503 when the database does not answer.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import PathConverter

from oct8ne_adapter.errors import (
    DataSourceUnavailable,
    ImportFailed,
    InvalidProducts,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from oct8ne_adapter.feeds import fields
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.push import (
    MAX_PRODUCTS,
    TooManyProducts,
    push_lines,
    push_products,
    remove_product as remove_pushed,
)
from oct8ne_adapter.web.bearer import check_bearer
from oct8ne_adapter.web.responses import answer_errors_as_json, render
from oct8ne_adapter.web.state import AdapterState, current_state

log = logging.getLogger(__name__)
catalog_blueprint = Blueprint("oct8ne_catalog", __name__)


class ProductIdConverter(PathConverter):
    """Any id, slashes and line breaks included: the view judges it and answers JSON.

    Werkzeug's `path` stops at a line break, which sent such a request to Flask's HTML 404.
    """

    regex = "(?s:[^/].*?)"


@catalog_blueprint.record_once
def _add_converter(state: BlueprintSetupState) -> None:
    # Recorded before the routes below, so the converter exists when they are added.
    state.app.url_map.converters["product_id"] = ProductIdConverter


MAX_BODY_BYTES = 5 * 1024 * 1024
JSON_LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/jsonlines"})


def _authorized() -> AdapterState:
    state = current_state()
    check_bearer(
        request, state.settings.catalog.secrets, "catalog_secret", state.auth, "the catalog API"
    )
    return state


def _body() -> bytes:
    """The body, read one byte past the limit and no further (a chunked one has no length)."""
    too_large = PayloadTooLarge(f"a request is at most {MAX_BODY_BYTES // (1024 * 1024)} MB")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_large
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    return body


def _language(state: AdapterState) -> str:
    return state.settings.default_locale.split("-")[0]


@catalog_blueprint.post("/catalog/products")
def upsert_products() -> Response:
    """Insert or replace the products of the body, all or none."""
    state = _authorized()
    mimetype = request.mimetype
    if mimetype != "application/json" and mimetype not in JSON_LINES_TYPES:
        raise UnsupportedMediaType(
            "send a JSON array as application/json or JSON Lines as application/x-ndjson"
        )
    body = _body()
    if state.database is None:
        raise DataSourceUnavailable("the catalog API needs the adapter's SQL database")
    try:
        if mimetype == "application/json":
            summary = push_products(state.database, _array(body), language=_language(state))
        else:
            summary = push_lines(state.database, body, language=_language(state))
    except TooManyProducts as error:
        raise PayloadTooLarge(str(error)) from None
    except ImportFailed as error:
        raise InvalidProducts(str(error)) from None
    return render(
        {"inserted": summary.inserted, "updated": summary.updated, "unchanged": summary.unchanged},
        None,
        200,
    )


def _array(body: bytes) -> list[dict[str, object]]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidProducts(f"the body is not JSON: {str(error)[:100]}") from None
    if not isinstance(data, list):
        raise InvalidProducts("the body must be a JSON array of products")
    if len(data) > MAX_PRODUCTS:
        raise PayloadTooLarge(f"{len(data)} products: a request carries at most {MAX_PRODUCTS}")
    return data


@catalog_blueprint.delete("/catalog/products/<product_id:product_id>")
def delete_product(product_id: str) -> Response:
    """Remove a product, or only the variant with this id; removing nothing is not an error."""
    state = _authorized()
    try:
        fields.check_code(product_id, "id")
    except InvalidRecord as error:
        raise InvalidProducts(str(error)) from None
    if state.database is None:
        raise DataSourceUnavailable("the catalog API needs the adapter's SQL database")
    removed = remove_pushed(state.database, product_id)
    return render({"id": product_id, "removed": removed}, None, 200)


@catalog_blueprint.route("/catalog/products", methods=["GET", "PUT", "PATCH", "DELETE"])
def wrong_collection_method() -> Response:
    """Products are POSTed: any other method is a JSON 405."""
    raise MethodNotAllowed(valid_methods=["POST"])


@catalog_blueprint.route(
    "/catalog/products/<product_id:product_id>", methods=["GET", "POST", "PUT", "PATCH"]
)
def wrong_item_method(product_id: str) -> Response:
    """A product is DELETEd: any other method is a JSON 405."""
    raise MethodNotAllowed(valid_methods=["DELETE"])


answer_errors_as_json(catalog_blueprint, "oct8ne-catalog")
