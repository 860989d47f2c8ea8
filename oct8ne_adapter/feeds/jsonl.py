"""The adapter's JSON Lines format (see `catalog_feed`), one row per line, bad lines reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any, BinaryIO

from oct8ne_adapter.feeds import FeedRow, Rejected, accepted, row_digest
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.lines import MAX_LINE_BYTES, read_lines, too_long
from oct8ne_adapter.feeds.records import parse_product


def read_jsonl_rows(
    stream: BinaryIO, language: str, *, line_limit: int = MAX_LINE_BYTES
) -> Iterator[FeedRow]:
    """Rows of a UTF-8 JSON Lines stream; blank lines are skipped.

    A last line without its line break that is not valid JSON is a feed cut short: fatal. A
    line longer than `line_limit` bytes is a bad row, skipped without being held in memory.
    """
    for line in read_lines(stream, limit=line_limit):
        if line.text is None:
            yield Rejected(line.number, None, too_long(line_limit))
        elif line.text.strip():
            yield parse_line(line.number, line.text, language, complete=line.complete)


def parse_line(number: int, line: str, language: str, *, complete: bool = True) -> FeedRow:
    """One line as an Accepted row (validated later, if new or changed) or a Rejected one.

    `complete` is False for a last line without its line break.
    """
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        if not complete:
            # Only the last line can lack its line break: the file was cut in the middle of it.
            reason = f"the last line is cut short (no line break, not valid JSON: {error.msg})"
            return Rejected(number, None, reason, fatal=True)
        return Rejected(number, None, f"not valid JSON ({error.msg})")
    except (ValueError, RecursionError) as error:
        # json.loads also refuses over-long integers (ValueError) and deep nesting.
        return Rejected(number, None, f"not valid JSON ({error})")
    product_id = _raw_id(data)
    if product_id is None:
        try:
            parse_product(data, language)
        except InvalidRecord as error:
            return Rejected(number, None, str(error))
        return Rejected(number, None, "id is required")  # pragma: no cover - parse refuses first
    group = data.get("group")
    return accepted(
        number,
        product_id,
        row_digest("jsonl", language, line.strip()),
        partial(parse_product, data, language),
        "" if group is None else str(group) if isinstance(group, str | int) else "?",
        field="group",
    )


def _raw_id(data: Any) -> str | None:
    raw = data.get("id") if isinstance(data, dict) else None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return str(raw)[:64]
    return None
