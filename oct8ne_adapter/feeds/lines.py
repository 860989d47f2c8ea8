"""Text lines of a feed, each read with a length limit: an over-long line is skipped, not held.

Python's text files read a whole line whatever its length: a 200 MB line without a line break
costs 200 MB as bytes, again as text, and more when parsed (the attack review measured 481 MB
of peak memory for a 200 MB single-line TSV, 1.08 GB for a JSON Lines one). Here a line is read
from the binary stream up to `limit` bytes; a longer one is skipped in chunks of that size and
reported (`Line.text` None), so that the reader rejects it as a bad row and goes on.

Line breaks are those of Python's universal newlines: `\\n`, `\\r\\n` and a lone `\\r`, each kept
at the end of its line (the CSV reader needs them). The limit counts the bytes up to a `\\n`, so
a feed that breaks its lines with a lone `\\r` only must keep the whole file under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

#: The longest line a feed may have (bytes, besides its line feed). A product row with long
#: descriptions in a few languages is tens of kilobytes; 4 MiB leaves room for any real one.
MAX_LINE_BYTES = 4 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
#: A position right after a lone carriage return (one not followed by a line feed).
_AFTER_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its number (1-based), its text with its line break, or None if over the limit."""

    number: int
    text: str | None

    @property
    def complete(self) -> bool:
        """Whether the line ends with a line break (only the last line of a cut feed does not)."""
        return self.text is None or self.text.endswith(("\n", "\r"))


def read_lines(stream: BinaryIO, *, limit: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """The UTF-8 lines of `stream` (a BOM at the start is dropped); UnicodeDecodeError if not UTF-8.

    An over-long line comes as `Line(number, None)`, its bytes read and dropped `limit` at a
    time: memory stays within a few times `limit` whatever the feed holds.
    """
    number = 0
    first = True
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        if first:
            chunk = chunk.removeprefix(_BOM)
            first = False
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            number += 1
            _skip_rest_of_line(stream, limit)
            yield Line(number, None)
            continue
        text = chunk.decode("utf-8")
        if "\r" not in text.rstrip("\r\n"):
            number += 1
            yield Line(number, text)
            continue
        for piece in _AFTER_LONE_CR.split(text):
            if piece:
                number += 1
                yield Line(number, piece)


def _skip_rest_of_line(stream: BinaryIO, limit: int) -> None:
    while True:
        chunk = stream.readline(limit)
        if not chunk or chunk.endswith(b"\n"):
            return


def too_long(limit: int = MAX_LINE_BYTES) -> str:
    """The reason a bad row gives for an over-long line."""
    return f"the line is longer than {limit} bytes (the limit of a feed line)"
