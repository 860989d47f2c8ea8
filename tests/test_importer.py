"""The catalog import as a plain function (`feeds/importer.py`), and the demo catalog it loads.

These run on SQLite, PostgreSQL and MariaDB (`empty_database_url`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds.importer import ImportOptions, import_feed, write_feed
from oct8ne_adapter.feeds.records import parse_product
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import CatalogChange, Product
from oct8ne_adapter.sql.schema import create_schema
from oct8ne_adapter_demo.loader import CATALOG_FILE, JANE_CART, JANE_WISHLIST, ORDERS

#: Products 1001 to 1008 are written by hand: the demo's carts, wishlists and orders use them.
FEATURED = [str(number) for number in range(1001, 1009)]


@pytest.fixture
def database(empty_database_url: str) -> Iterator[Database]:
    """An empty catalog on the backend."""
    engine = create_database_engine(empty_database_url)
    create_schema(engine)
    yield Database(engine)
    engine.dispose()


def line(product_id: str, **fields: Any) -> str:
    """One JSON Lines product."""
    data = {"id": product_id, "title": f"Product {product_id}", "url": f"/p/{product_id}"}
    data["prices"] = {"USD": "10.00"}
    return json.dumps({**data, **fields}) + "\n"


def feed(*ids: str, bad: str | None = None) -> bytes:
    """A feed of these products, with one bad row (no price) for `bad`."""
    rows = [line(product_id) for product_id in ids]
    if bad is not None:
        rows.append(json.dumps({"id": bad, "title": "Broken", "url": "/p/x"}) + "\n")
    return "".join(rows).encode()


#: A prune that may delete at most a fifth of the catalog.
PRUNE = ImportOptions(prune=True, prune_max_share=0.2)


def stored_ids(database: Database) -> set[str]:
    """External ids of the catalog's products."""
    with database.transaction() as session:
        return set(session.scalars(select(Product.external_id)))


def test_a_path_is_imported_and_counted(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(feed("A", "B", "C"))
    first = import_feed(database, path)
    assert (first.inserted, first.updated, first.unchanged, first.rejected) == (3, 0, 0, 0)
    again = import_feed(database, str(path))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert stored_ids(database) == {"A", "B", "C"}


def test_a_stream_is_imported_with_progress_and_reports(database: Database) -> None:
    data = feed("A", "B", bad="C")
    positions: list[int] = []
    reports: list[str] = []
    summary = import_feed(
        database, io.BytesIO(data), on_progress=positions.append, on_reject=reports.append
    )
    assert (summary.inserted, summary.rejected) == (2, 1)
    assert len(reports) == 1 and reports[0].startswith("line 3 (id C): prices is required")
    assert len(positions) == 3 and positions == sorted(positions)
    assert positions[-1] == len(data)


def test_xml_rejections_name_the_item(database: Database) -> None:
    rss = (
        '<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<item><g:id>X-1</g:id><g:title>No price</g:title>"
        "<g:link>https://shop.example/x</g:link></item></channel></rss>"
    )
    reports: list[str] = []
    summary = import_feed(database, io.BytesIO(rss.encode()), on_reject=reports.append)
    assert summary.rejected == 1
    assert reports[0].startswith("item 1 (id X-1): ")


def test_strict_rolls_back_at_the_first_bad_row(database: Database) -> None:
    with pytest.raises(ImportFailed, match=r"^line 2 \(id B\): prices is required"):
        import_feed(database, io.BytesIO(feed("A", bad="B")), ImportOptions(strict=True))
    assert stored_ids(database) == set()


def test_a_feed_cut_short_writes_nothing(database: Database) -> None:
    data = feed("A", "B")[:-10]
    with pytest.raises(ImportFailed, match="cut short"):
        import_feed(database, io.BytesIO(data))
    assert stored_ids(database) == set()


def test_text_that_is_not_utf8_names_the_source(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "A", "title": "Caf\xe9", "url": "/p/A", "prices": {"USD": "1.00"}}\n')
    with pytest.raises(ImportFailed, match=r"latin1\.jsonl: not UTF-8 text"):
        import_feed(database, path, ImportOptions(feed_format="jsonl"))
    assert stored_ids(database) == set()


def test_prune_follows_the_hotfix_rules(database: Database) -> None:
    import_feed(database, io.BytesIO(feed(*"ABCDEFGHIJ")))
    # A rejected row skips the prune, and so does deleting more than prune_max_share...
    skipped = import_feed(database, io.BytesIO(feed(*"ABCDEFGHI", bad="Z")), PRUNE)
    assert skipped.pruned == 0 and skipped.prune_skipped.startswith("prune skipped")
    too_many = import_feed(database, io.BytesIO(feed(*"ABCDEFG")), PRUNE)
    assert too_many.pruned == 0 and too_many.prune_skipped
    # ...within the share it runs, and force_prune runs beyond it.
    allowed = import_feed(database, io.BytesIO(feed(*"ABCDEFGHI")), PRUNE)
    assert (allowed.pruned, allowed.prune_skipped) == (1, "")
    forced = import_feed(
        database, io.BytesIO(feed("A")), ImportOptions(force_prune=True, prune_max_share=0.2)
    )
    assert forced.pruned == 8
    assert stored_ids(database) == {"A"}


def test_write_feed_rewrite_writes_unchanged_rows_and_marks_everything(database: Database) -> None:
    import_feed(database, io.BytesIO(feed("A", "B")))
    with database.transaction() as session:
        before = session.scalar(select(func.count()).select_from(CatalogChange))
        summary = write_feed(session, io.BytesIO(feed("A", "B")), ImportOptions(rewrite=True))
    assert (summary.updated, summary.unchanged) == (2, 0)
    with database.transaction() as session:
        changes = session.scalars(select(CatalogChange).order_by(CatalogChange.seq)).all()
    assert len(changes) == (before or 0) + 1
    assert changes[-1].product_pk is None  # "anything may have changed"


# -- the demo catalog (package data) ---------------------------------------------------------------


def demo_lines() -> list[str]:
    """The demo catalog's lines."""
    return [text for text in CATALOG_FILE.read_text(encoding="utf-8").splitlines() if text.strip()]


def test_every_demo_line_is_a_valid_product_with_a_unique_id() -> None:
    records = [parse_product(json.loads(text), "en") for text in demo_lines()]
    ids = [record.id for record in records]
    assert len(ids) == len(set(ids)) == 276
    assert ids[:8] == FEATURED
    assert all(set(record.titles) == {"en", "es"} for record in records)
    assert all(set(record.prices) == {"USD", "EUR"} for record in records)
    known = set(ids)
    assert all(set(record.related) <= known for record in records)


def test_the_demo_customers_use_products_of_the_catalog() -> None:
    known = {json.loads(text)["id"] for text in demo_lines()}
    used = {product_id for product_id, _ in JANE_CART} | set(JANE_WISHLIST)
    used |= {product_id for order in ORDERS for product_id, _ in order.lines}
    assert used <= set(FEATURED) <= known


def test_the_demo_catalog_imports_strictly(database: Database) -> None:
    with CATALOG_FILE.open("rb") as catalog:
        summary = import_feed(database, catalog, ImportOptions(feed_format="jsonl", strict=True))
    assert (summary.inserted, summary.rejected) == (276, 0)
