"""The live catalog: products pushed one request at a time, through the importer's own path.

`push_products` takes products in the JSON Lines format (`feeds.records`) and upserts them as
`import_feed` does, in strict mode: one transaction, holding the catalog write lock
(`sql/writer/lock`: concurrent pushes from several workers queue rather than collide); the first
bad row refuses the whole request (ImportFailed naming its line); the writer and the catalog
change log the importer uses, so every worker's search index and product cache follow within
`search_index_poll_ms`. An unchanged product is skipped (pushing the same rows again changes
nothing). `remove_product` deletes a product, or one variant by its id. The HTTP API
(`web/catalog_api`) and `Oct8neAdapter.push_products` both call these.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds.importer import ImportOptions, write_feed
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database, tune_for_import
from oct8ne_adapter.sql.writer import ImportSummary
from oct8ne_adapter.sql.writer.lock import locked_catalog_transaction
from oct8ne_adapter.sql.writer.removal import Removed, remove_product as remove_stored

#: The most products one push may carry (the HTTP API also caps the body at 5 MB).
MAX_PRODUCTS = 10_000


class TooManyProducts(ImportFailed):
    """A push carries more than MAX_PRODUCTS products."""


def push_lines(database: Database, body: bytes, *, language: str = "en") -> ImportSummary:
    """Upsert the products of a JSON Lines body (UTF-8); ImportFailed, nothing written, if any
    row is bad ("line 3 (id A-3): reason") or there are more than MAX_PRODUCTS."""
    count = sum(1 for line in body.splitlines() if line.strip())
    if count > MAX_PRODUCTS:
        raise TooManyProducts(f"{count} products: a request carries at most {MAX_PRODUCTS}")
    if body and not body.endswith(b"\n"):
        # A request is whole: its last line is a row like any other, not a feed cut short.
        body += b"\n"
    options = ImportOptions(feed_format="jsonl", language=language, strict=True)
    try:
        # import_feed's own steps, inside a transaction no other push or removal overlaps.
        with locked_catalog_transaction(database) as session:
            tune_for_import(session)
            return write_feed(session, io.BytesIO(body), options)
    except UnicodeDecodeError as error:
        raise ImportFailed(f"the body is not UTF-8 text ({error.reason})") from None


def push_products(
    database: Database, products: Iterable[Mapping[str, Any]], *, language: str = "en"
) -> ImportSummary:
    """Upsert products given as JSON objects of the JSON Lines format (product N is line N)."""
    try:
        lines = [json.dumps(product, ensure_ascii=False) for product in products]
    except (TypeError, ValueError) as error:
        raise ImportFailed(f"a product is not JSON: {error}") from None
    if any("\n" in line for line in lines):  # pragma: no cover - json.dumps escapes line breaks
        raise ImportFailed("a product's JSON has a line break")
    return push_lines(database, "".join(line + "\n" for line in lines).encode(), language=language)


def remove_product(database: Database, external_id: str) -> Removed:
    """Delete the product, or only the variant, with this id; "nothing" when neither exists."""
    recorder = ChangeRecorder()
    with locked_catalog_transaction(database) as session:
        removed = remove_stored(session, external_id, recorder)
        recorder.write(session)
    return removed
