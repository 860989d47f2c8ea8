"""Writes ProductRecords into the SQL catalog in batches and keeps the search index in step.

Records are buffered and written `BATCH_SIZE` at a time (`core`): one SELECT finds the batch's
existing products, new ones go in with one executemany per table (`products`, `children`),
changed ones are updated by primary key and their child rows replaced, and a product whose
content digest is the one stored by the last import is skipped. New products' search documents
are built from their records (`documents`), updated ones re-read. Brands, categories, attributes
and their values are cached by external id for the whole import (`reference`). Rows sharing a
variant group become one product (`groups`); a localized feed adds texts and prices
(`translations`). Each import takes a new *mark*; every product it sees gets it, so a product id
repeated in the feed is recognised without keeping the ids in memory, and `finish(prune=True)`
deletes the products that did not get it (`prune`), unless a row was rejected or more than
`prune_max_share` of the catalog would go (`force_prune=True` deletes anyway). A fatal row (the
feed broken or cut short) aborts the import: `add_row` raises ImportFailed. Every product written
or deleted is noted in the catalog change log in the same transaction.
"""

from __future__ import annotations

from oct8ne_adapter.feeds.fields import slug
from oct8ne_adapter.sql.writer.children import to_minor_units
from oct8ne_adapter.sql.writer.core import (
    BATCH_SIZE,
    CatalogWriter,
    RejectHandler,
    content_hash,
)
from oct8ne_adapter.sql.writer.summary import ImportSummary

__all__ = [
    "BATCH_SIZE",
    "CatalogWriter",
    "ImportSummary",
    "RejectHandler",
    "content_hash",
    "slug",
    "to_minor_units",
]
