"""Google Merchant Center TSV and CSV: a header row of field names, then one product per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import FeedRow, Rejected, accepted, row_digester
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.gmc import normalize_field, to_record
from oct8ne_adapter.feeds.lines import MAX_LINE_BYTES, read_lines, too_long
from oct8ne_adapter.feeds.records import ProductRecord

#: A cell as long as a whole line is read; only a quoted CSV cell spanning lines can be longer,
#: and the csv module refuses that (a broken row) instead of filling memory.
csv.field_size_limit(MAX_LINE_BYTES)


class _Lines:
    """The lines given to the csv reader: which was the first of each row, which were skipped."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self._lines = read_lines(stream, limit=limit)
        #: The number of the first line of the row being read (None until one is read).
        self.first: int | None = None
        self.last_number = 0
        self.last_text = ""
        #: Over-long lines met since the last row, not given to the csv reader.
        self.skipped: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            if line.text is None:
                self.skipped.append(line.number)
                continue
            if self.first is None:
                self.first = line.number
            self.last_number, self.last_text = line.number, line.text
            yield line.text

    def next_row(self) -> None:
        """Start counting the next row's lines."""
        self.first = None

    def rejected(self, limit: int) -> Iterator[Rejected]:
        """The over-long lines skipped since the last call, as bad rows."""
        skipped, self.skipped = self.skipped, []
        for number in skipped:
            yield Rejected(number, None, too_long(limit))


def read_tabular(
    stream: BinaryIO, language: str, *, delimiter: str, line_limit: int = MAX_LINE_BYTES
) -> Iterator[FeedRow]:
    """Rows of a UTF-8 TSV/CSV stream; the number is the row's first physical line.

    A row that is broken (an unterminated quote) or cut short (the last one, without its line
    break and with fewer or more cells than the header) is fatal. A line longer than
    `line_limit` bytes is a bad row, skipped without being held in memory.
    """
    lines = _Lines(stream, line_limit)
    # Google's TSV has no quoting; CSV quotes cells that hold commas or line breaks.
    if delimiter == "\t":
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    else:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportFailed(f"not a product feed: {error}") from None
    if lines.skipped:
        # The header names the columns: without it no row can be read.
        raise ImportFailed(f"not a product feed: the header row is longer than {line_limit} bytes")
    if header is None:
        return
    names = [normalize_field(name) for name in header]
    if "id" not in names or "title" not in names:
        raise ImportFailed(
            "not a product feed: the header row must name at least the id and title columns"
        )
    id_column = names.index("id")
    group_column = names.index("item_group_id") if "item_group_id" in names else None
    digest_of = row_digester(delimiter.join(names), language)
    while True:
        lines.next_row()
        try:
            cells = next(reader)
        except StopIteration:
            yield from lines.rejected(line_limit)
            break
        except csv.Error as error:
            yield from lines.rejected(line_limit)
            number = lines.first or lines.last_number + 1
            yield Rejected(number, None, f"broken row ({error})", fatal=True)
            break
        yield from lines.rejected(line_limit)
        number = lines.first or lines.last_number
        row_text = "\t".join(cells)
        if not row_text.strip():
            continue  # only blank cells
        if len(cells) != len(names) and not lines.last_text.endswith(("\n", "\r")):
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
