"""Google Merchant Center TSV and CSV: a header row of field names, then one product per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import FeedRow, Rejected, accepted, row_digester
from oct8ne_adapter.feeds.gmc import normalize_field, to_record
from oct8ne_adapter.feeds.records import InvalidRecord, ProductRecord

#: Cells longer than this are refused by the csv module instead of filling memory.
csv.field_size_limit(1_000_000)


def read_tabular(stream: BinaryIO, language: str, *, delimiter: str) -> Iterator[FeedRow]:
    """Rows of a UTF-8 TSV/CSV stream; the number is the row's first physical line.

    A row that is broken (an unterminated quote) or cut short (the last one, without its line
    break and with fewer or more cells than the header) is fatal.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    last_line = [""]
    lines = _remembering_the_last(text, last_line)
    # Google's TSV has no quoting; CSV quotes cells that hold commas or line breaks.
    if delimiter == "\t":
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    else:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportFailed(f"not a product feed: {error}") from None
    if header is None:
        return
    names = [normalize_field(name) for name in header]
    if "id" not in names or "title" not in names:
        raise ImportFailed(
            "not a product feed: the header row must name at least the id and title columns"
        )
    start = reader.line_num + 1
    id_column = names.index("id")
    group_column = names.index("item_group_id") if "item_group_id" in names else None
    digest_of = row_digester(delimiter.join(names), language)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield Rejected(start, None, f"broken row ({error})", fatal=True)
            break
        number, start = start, reader.line_num + 1
        row_text = "\t".join(cells)
        if not row_text.strip():
            continue  # only blank cells
        if len(cells) != len(names) and not last_line[0].endswith(("\n", "\r")):
            # Only the last row can lack its line break: the file was cut in the middle of it.
            reason = (
                f"the last row is cut short (no line break, {len(cells)} cells, "
                f"the header {len(names)})"
            )
            yield Rejected(number, None, reason, fatal=True)
            break
        raw_id = cells[id_column].strip() if id_column < len(cells) else ""
        if not raw_id:
            yield Rejected(number, None, "id is required")
            continue
        digest = digest_of(row_text)
        group = (
            cells[group_column].strip()
            if group_column is not None and group_column < len(cells)
            else ""
        )
        yield accepted(number, raw_id[:64], digest, partial(_record, names, cells, language), group)
    text.detach()


def _remembering_the_last(lines: Iterator[str], last: list[str]) -> Iterator[str]:
    """The lines, each kept in `last[0]` as it is read: the end of the row just read."""
    for line in lines:
        last[0] = line
        yield line


def _record(names: list[str], cells: list[str], language: str) -> ProductRecord:
    fields: dict[str, list[str]] = {name: [cell] for name, cell in zip(names, cells, strict=False)}
    if len(fields) < min(len(names), len(cells)):
        # A field named twice in the header (rare): keep every value, in order.
        fields = {}
        for name, cell in zip(names, cells, strict=False):
            fields.setdefault(name, []).append(cell)
    try:
        return to_record(fields, language)
    except InvalidRecord as error:
        if len(cells) != len(names):
            raise InvalidRecord(
                f"{error} (the row has {len(cells)} cells, the header {len(names)})"
            ) from None
        raise
