"""Product feeds in, ProductRecords out: format detection and one streaming reader per format.

Every reader yields `Accepted` rows (a validated record) and `Rejected` rows (where, which
product, why) so that the caller decides whether one bad row aborts the import (`--strict`) or is
reported while the good rows go in. Readers keep no per-row state: memory does not grow with the
feed's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds.fields import InvalidRecord, check_code
from oct8ne_adapter.feeds.lines import MAX_LINE_BYTES
from oct8ne_adapter.feeds.records import ProductRecord

FORMATS = ("jsonl", "tsv", "csv", "xml")
_SNIFF_BYTES = 64 * 1024


#: Bump when a reader maps fields differently: rows stored by an older mapping are rewritten.
#: 2: rows sharing an item_group_id become one product. 3: links are kept per language, and
#: codes (id as SKU, gtin, mpn) are read. 4: sale_price_effective_date (timed sale prices).
#: 5: variants keep their sale windows too.
MAPPING_VERSION = "5"


def row_digest(*parts: str) -> str:
    """The digest of a raw row (with the format, language and mapping version it was read with).

    Equal digests mean equal records, so an unchanged row is skipped before it is even validated.
    """
    digest = hashlib.blake2b(MAPPING_VERSION.encode(), digest_size=16)
    for part in parts:
        digest.update(b"\x1e" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def row_digester(*prefix: str) -> Callable[[str], str]:
    """`row_digest(*prefix, part)` as a function of `part`, the prefix hashed once per feed."""
    base = hashlib.blake2b(MAPPING_VERSION.encode(), digest_size=16)
    for part in prefix:
        base.update(b"\x1e" + part.encode("utf-8", "surrogatepass"))

    def digest_of(part: str) -> str:
        digest = base.copy()
        digest.update(b"\x1e" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    return digest_of


@dataclass(frozen=True, slots=True)
class Accepted:
    """A well-formed row: its product id, the digest of its raw content, and how to validate it.

    `number` is its line (text) or item (XML) number; `build()` returns the ProductRecord or
    raises InvalidRecord, and is only called for rows that are new or changed. `group` is the
    row's variant group (item_group_id), already checked, read without validating the row.
    """

    number: int
    product_id: str
    digest: str
    build: Callable[[], ProductRecord]
    group: str | None = None

    @property
    def record(self) -> ProductRecord:
        """The validated record (InvalidRecord if the row breaks the format)."""
        return self.build()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was refused, with the product id when the row had a readable one."""

    number: int
    product_id: str | None
    reason: str
    unit: str = "line"
    #: True when the feed was not read to its end (broken XML, an unterminated quote, a last line
    #: cut short): the whole import is abandoned (`CatalogWriter.add_row`).
    fatal: bool = False

    def describe(self) -> str:
        """`line 3 (id A-3): reason`, the form every report uses."""
        product = f" (id {self.product_id})" if self.product_id else ""
        return f"{self.unit} {self.number}{product}: {self.reason}"


FeedRow = Accepted | Rejected


def accepted(
    number: int,
    product_id: str,
    digest: str,
    build: Callable[[], ProductRecord],
    group: str,
    *,
    unit: str = "line",
    field: str = "item_group_id",
) -> FeedRow:
    """An Accepted row, or a Rejected one if its group (item_group_id) is not a valid id."""
    if not group:
        return Accepted(number, product_id, digest, build)
    try:
        return Accepted(number, product_id, digest, build, check_code(group, field))
    except InvalidRecord as error:
        return Rejected(number, product_id, str(error), unit=unit)


def detect_format(head: bytes) -> str:
    """The format of a feed from its first bytes; ImportFailed if it is not a feed at all."""
    if b"\x00" in head:
        raise ImportFailed("not a product feed (binary data)")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return "jsonl"  # an empty file: nothing to import, in any format
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"{"):
        return "jsonl"
    first_line = text.split(b"\n", 1)[0]
    if b"\t" in first_line:
        return "tsv"
    if b"," in first_line:
        return "csv"
    raise ImportFailed(
        "not a product feed: expected JSON Lines, a Google Merchant Center TSV/CSV with a "
        "header row, or RSS/Atom XML"
    )


def read_feed(
    stream: BinaryIO,
    feed_format: str,
    language: str,
    *,
    head: bytes | None = None,
    line_limit: int = MAX_LINE_BYTES,
) -> Iterator[FeedRow]:
    """Rows of a binary stream in `feed_format` ("auto" detects it from the first bytes).

    Texts without a language (every Merchant Center text, plain JSON strings) get `language`.
    A line of a text format longer than `line_limit` bytes is a bad row (JSON Lines, TSV, CSV).
    """
    if feed_format == "auto":
        if head is None:
            head = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(stream, "peek") else b""
        feed_format = detect_format(head)
    if feed_format == "jsonl":
        from oct8ne_adapter.feeds.jsonl import read_jsonl_rows

        return read_jsonl_rows(stream, language, line_limit=line_limit)
    if feed_format in ("tsv", "csv"):
        from oct8ne_adapter.feeds.tabular import read_tabular

        delimiter = "\t" if feed_format == "tsv" else ","
        return read_tabular(stream, language, delimiter=delimiter, line_limit=line_limit)
    if feed_format == "xml":
        from oct8ne_adapter.feeds.xml import read_xml

        return read_xml(stream, language)
    raise ImportFailed(f"unknown feed format {feed_format!r}; use one of {', '.join(FORMATS)}")
