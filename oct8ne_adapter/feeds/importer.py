"""The catalog import as a plain function: a feed (file or binary stream) into the SQL catalog.

`import_feed` is what `oct8ne-adapter import-catalog`, the benchmark and the demo loader call:
format detection, one transaction (a fatal row, or the first bad row with `strict`, rolls it all
back), the CatalogWriter, and the prune rules (skipped after a rejected row or beyond
`prune_max_share` of the catalog, unless `force_prune`). Messages, progress bars and exit codes
are the caller's.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import detect_format, read_feed
from oct8ne_adapter.feeds.lines import MAX_LINE_BYTES
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database, tune_for_import
from oct8ne_adapter.sql.price_windows import apply_price_windows_in, utc_now
from oct8ne_adapter.sql.writer import CatalogWriter, ImportSummary
from oct8ne_adapter.sql.writer.prune import PRUNE_MAX_SHARE

#: Bytes read ahead to detect the format (and the buffer the import reads through).
_SNIFF_BYTES = 1 << 16
_BUFFER_BYTES = 1 << 20

#: Called with each rejected row's description: `line 3 (id A-3): reason`.
RejectReporter = Callable[[str], None]
#: Called after each row with the bytes of the feed read so far.
ProgressReporter = Callable[[int], None]

FeedSource = IO[bytes] | str | os.PathLike[str]


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read, for progress reports."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read from the wrapped file and count."""
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.position += count or 0
        return int(count or 0)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How a feed is read and written: the options of `import-catalog`."""

    #: "auto" detects JSON Lines, Merchant Center TSV/CSV or RSS/Atom XML from the first bytes.
    feed_format: str = "auto"
    #: The language of texts without one.
    language: str = "en"
    #: The feed is a localized copy (e.g. es-ES): its titles, descriptions and prices go to the
    #: products already imported.
    translation_locale: str | None = None
    #: The first bad row aborts the import (ImportFailed): nothing is written.
    strict: bool = False
    #: A line longer than this (bytes) is a bad row, skipped without being held in memory.
    line_limit: int = MAX_LINE_BYTES
    #: Delete the products the feed does not list; skipped after a rejected row or beyond
    #: `prune_max_share` of the catalog, unless `force_prune`.
    prune: bool = False
    force_prune: bool = False
    prune_max_share: float = PRUNE_MAX_SHARE
    #: Write every product again, even one whose row is unchanged, and tell the caches that
    #: anything may have changed: for loads that reset data others may have edited (the demo).
    rewrite: bool = False


def import_feed(
    database: Database,
    source: FeedSource,
    options: ImportOptions = ImportOptions(),
    *,
    on_reject: RejectReporter | None = None,
    on_progress: ProgressReporter | None = None,
) -> ImportSummary:
    """Import a feed in one transaction; ImportFailed (nothing written) if it cannot be read."""
    with _opened(source) as (raw, name):
        try:
            with database.transaction() as session:
                tune_for_import(session)
                return write_feed(
                    session, raw, options, on_reject=on_reject, on_progress=on_progress
                )
        except UnicodeDecodeError as error:
            raise ImportFailed(f"{name}: not UTF-8 text ({error.reason})") from None


def write_feed(
    session: Session,
    raw: IO[bytes],
    options: ImportOptions = ImportOptions(),
    *,
    on_reject: RejectReporter | None = None,
    on_progress: ProgressReporter | None = None,
) -> ImportSummary:
    """`import_feed` inside the caller's transaction (which must roll back on an exception)."""
    counting = _CountingReader(raw)
    stream = io.BufferedReader(counting, buffer_size=_BUFFER_BYTES)
    feed_format = options.feed_format
    if feed_format == "auto":
        feed_format = detect_format(stream.peek(_SNIFF_BYTES))
    unit = "item" if feed_format == "xml" else "line"

    def report(number: int | None, product_id: str | None, reason: str) -> None:
        product = f" (id {product_id})" if product_id else ""
        description = f"{unit} {number}{product}: {reason}"
        if options.strict:
            raise ImportFailed(description)
        if on_reject is not None:
            on_reject(description)

    recorder = ChangeRecorder()
    if options.rewrite:
        recorder.mark_everything()
    writer = CatalogWriter(
        session,
        # Merchant Center rows carry one currency each: a second feed adds prices.
        merge_prices=feed_format != "jsonl",
        translation_language=options.translation_locale,
        on_reject=report,
        skip_unchanged=not options.rewrite,
        recorder=recorder,
    )
    language = options.translation_locale or options.language
    with closing(writer):
        # A fatal row (the feed broken or cut short) raises: the caller's transaction rolls back.
        for row in read_feed(stream, feed_format, language, line_limit=options.line_limit):
            writer.add_row(row)
            if on_progress is not None:
                on_progress(counting.position)
        # Writes the variant groups; decides whether the prune is safe.
        summary = writer.finish(
            prune=options.prune,
            force_prune=options.force_prune,
            prune_max_share=options.prune_max_share,
        )
    # Rows this feed left alone may hold a sale whose window opened or closed since.
    apply_price_windows_in(session, utc_now())
    return summary


@contextmanager
def _opened(source: FeedSource) -> Iterator[tuple[IO[bytes], str]]:
    """The source as a binary stream and its name for messages (a path is opened and closed)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open("rb") as raw:
            yield raw, str(path)
    else:
        yield source, str(getattr(source, "name", "the feed"))
