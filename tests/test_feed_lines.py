"""Feed lines read with a length limit: an over-long line is a bad row, skipped without being held.

The attack review imported a 200 MB single-line TSV (peak 481 MB of memory) and JSON Lines file
(1.08 GB). The readers now read each line up to a limit (4 MiB) and reject a longer one as a bad
row while the others go in. These tests use a small limit; the 200 MB figures are in the issue's
note (measured with /usr/bin/time -v).
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import Accepted, Rejected, read_feed
from oct8ne_adapter.feeds.importer import ImportOptions, import_feed
from oct8ne_adapter.feeds.lines import Line, read_lines
from oct8ne_adapter.sql.database import Database

LIMIT = 200
TOO_LONG = f"the line is longer than {LIMIT} bytes (the limit of a feed line)"


def jsonl_row(number: int, title: str) -> str:
    return (
        f'{{"id": "A-{number}", "title": {{"en": "{title}"}}, "url": "/p/a-{number}", '
        f'"prices": {{"USD": {{"price": "9.99"}}}}}}\n'
    )


def tabular_row(number: int, title: str, delimiter: str) -> str:
    cells = [f"A-{number}", title, f"https://shop.example/a-{number}", "9.99 USD", "in stock"]
    return delimiter.join(cells) + "\n"


def feed(feed_format: str, titles: list[str]) -> bytes:
    if feed_format == "jsonl":
        return "".join(jsonl_row(n, title) for n, title in enumerate(titles, 1)).encode()
    delimiter = "\t" if feed_format == "tsv" else ","
    header = delimiter.join(["id", "title", "link", "price", "availability"]) + "\n"
    rows = "".join(tabular_row(n, title, delimiter) for n, title in enumerate(titles, 1))
    return (header + rows).encode()


def summary(rows: list[Accepted | Rejected]) -> list[tuple[str, int, str]]:
    return [
        ("accepted", row.number, row.product_id)
        if isinstance(row, Accepted)
        else ("rejected", row.number, f"{row.reason}{' (fatal)' if row.fatal else ''}")
        for row in rows
    ]


# --- the line reader ------------------------------------------------------------------------


def test_lines_keep_their_breaks_and_numbers_and_an_over_long_one_is_skipped():
    data = b"\xef\xbb\xbffirst\r\nsecond\rthird\n" + b"x" * 1000 + b"\nfifth\n\nlast"
    lines = list(read_lines(io.BytesIO(data), limit=LIMIT))
    assert lines == [
        Line(1, "first\r\n"),
        Line(2, "second\r"),
        Line(3, "third\n"),
        Line(4, None),
        Line(5, "fifth\n"),
        Line(6, "\n"),
        Line(7, "last"),
    ]
    assert [line.complete for line in lines] == [True] * 6 + [False]


def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_not():
    exact = b"y" * LIMIT
    lines = list(read_lines(io.BytesIO(exact + b"\n" + exact + b"z\nend\n"), limit=LIMIT))
    assert lines == [Line(1, exact.decode() + "\n"), Line(2, None), Line(3, "end\n")]


def test_invalid_utf8_in_a_line_is_an_error():
    with pytest.raises(UnicodeDecodeError):
        list(read_lines(io.BytesIO(b"fine\n\xff\xfe\n"), limit=LIMIT))


# --- the readers ------------------------------------------------------------------------------


@pytest.mark.parametrize("feed_format", ["jsonl", "tsv", "csv"])
def test_an_over_long_row_is_a_bad_row_and_the_others_are_read(feed_format):
    data = feed(feed_format, ["Small", "x" * 5 * LIMIT, "After"])
    rows = list(read_feed(io.BytesIO(data), feed_format, "en", line_limit=LIMIT))
    first = 1 if feed_format == "jsonl" else 2  # a header row comes first
    assert summary(rows) == [
        ("accepted", first, "A-1"),
        ("rejected", first + 1, TOO_LONG),
        ("accepted", first + 2, "A-3"),
    ]


@pytest.mark.parametrize("feed_format", ["jsonl", "tsv"])
def test_an_over_long_last_line_without_a_break_is_a_bad_row_not_a_fatal_one(feed_format):
    data = feed(feed_format, ["Small"]) + b"z" * 5 * LIMIT
    rows = list(read_feed(io.BytesIO(data), feed_format, "en", line_limit=LIMIT))
    assert [row.fatal for row in rows if isinstance(row, Rejected)] == [False]


@pytest.mark.parametrize("feed_format", ["tsv", "csv"])
def test_an_over_long_header_is_not_a_feed(feed_format):
    delimiter = "\t" if feed_format == "tsv" else ","
    data = (delimiter.join(["id", "title", "z" * 5 * LIMIT]) + "\nA-1\tT\tz\n").encode()
    with pytest.raises(ImportFailed, match=f"the header row is longer than {LIMIT} bytes"):
        list(read_feed(io.BytesIO(data), feed_format, "en", line_limit=LIMIT))


def test_a_quoted_csv_cell_over_several_lines_keeps_the_row_s_first_line_number():
    data = b'id,title\nA-1,"two\nlines"\n' + b"x" * 1000 + b"\nA-3,three\n"
    rows = list(read_feed(io.BytesIO(data), "csv", "en", line_limit=LIMIT))
    assert summary(rows)[:3] == [
        ("accepted", 2, "A-1"),
        ("rejected", 4, TOO_LONG),
        ("accepted", 5, "A-3"),
    ]


@pytest.mark.parametrize("feed_format", ["jsonl", "tsv"])
def test_an_over_long_line_is_never_held_in_memory(feed_format):
    """20 MB on one line, read with a 64 KiB limit: Python allocates well under 1 MB for it."""
    limit = 64 * 1024
    data = feed(feed_format, ["Small", "x" * 20_000_000, "After"])
    stream = io.BufferedReader(io.BytesIO(data))
    tracemalloc.start()
    try:
        rows = list(read_feed(stream, feed_format, "en", line_limit=limit))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [isinstance(row, Rejected) for row in rows] == [False, True, False]
    # Before the limit the whole line was decoded and split: over 40 MB here.
    assert peak < 1_000_000, peak


# --- an import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("feed_format", ["jsonl", "tsv"])
def test_an_import_rejects_the_over_long_row_and_writes_the_others(
    feed_format, sqlite_database: Database, tmp_path: Path
):
    path = tmp_path / f"feed.{feed_format}"
    path.write_bytes(feed(feed_format, ["Small", "x" * 5 * LIMIT, "After"]))
    rejected: list[str] = []
    result = import_feed(
        sqlite_database,
        path,
        ImportOptions(line_limit=LIMIT),
        on_reject=rejected.append,
    )
    assert (result.inserted, result.rejected) == (2, 1)
    first = 2 if feed_format == "jsonl" else 3
    assert rejected == [f"line {first}: {TOO_LONG}"]
