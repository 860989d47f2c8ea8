"""CatalogWriter: buffers records, sorts each batch into new, changed and unchanged products, and
writes it through the modules of this package."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import Accepted, FeedRow
from oct8ne_adapter.feeds.fields import InvalidRecord
from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.models import Product
from oct8ne_adapter.sql.writer.bulk import stored_products
from oct8ne_adapter.sql.writer.children import (
    Written,
    delete_children,
    insert_children,
    write_relations,
)
from oct8ne_adapter.sql.writer.documents import DocumentBuilder, highest_indexed_pk
from oct8ne_adapter.sql.writer.groups import (
    TOO_MANY_VARIANTS,
    Group,
    GroupStaging,
    Member,
    members_digest,
    merge_variants,
)
from oct8ne_adapter.sql.writer.products import (
    insert_products,
    product_values,
    set_mark,
    update_products,
)
from oct8ne_adapter.sql.writer.prune import PRUNE_MAX_SHARE, prune_unseen
from oct8ne_adapter.sql.writer.reference import ReferenceData, reindex_renamed
from oct8ne_adapter.sql.writer.summary import ImportSummary
from oct8ne_adapter.sql.writer.translations import NOT_IN_CATALOG, write_translations
from oct8ne_adapter.sql.writer.variants import write_variants

BATCH_SIZE = 1000
DUPLICATE = "the product id appears more than once in the feed"

#: Called with (number, product id, reason) for each refused row, in row order per batch.
RejectHandler = Callable[[int | None, str | None, str], None]


def content_hash(record: ProductRecord, merge_prices: bool) -> str:
    """A digest of everything the writer stores about a record."""
    # The dataclass repr is deterministic: fields in order, dicts in the feed's order.
    text = f"{merge_prices}|{record!r}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(slots=True)
class _Pending:
    number: int | None
    product_id: str
    digest: str
    record: ProductRecord | None
    build: Callable[[], ProductRecord] | None = None
    #: The rows of a variant group, merged into one record when it is validated.
    members: tuple[Member, ...] = ()


def _returns(record: ProductRecord) -> ProductRecord:
    return record


class CatalogWriter:
    """Upserts products inside the caller's transaction; call `finish()` before committing.

    `merge_prices`: a record's prices replace only the same currencies, and its texts only the
    same languages (Merchant Center feeds carry one currency and one language each, so a second
    feed adds prices). `translation_language`: the records are a localized feed: only their
    titles, descriptions (stored under that language) and prices are written, to products that
    must exist already. `skip_unchanged=False` rewrites products whose digest matches too (for
    data that may have been changed outside the writer). Every product written or deleted is
    noted in `recorder`, which `finish()` writes to the catalog change log.
    """

    def __init__(
        self,
        session: Session,
        *,
        merge_prices: bool = False,
        translation_language: str | None = None,
        on_reject: RejectHandler | None = None,
        batch_size: int = BATCH_SIZE,
        skip_unchanged: bool = True,
        recorder: ChangeRecorder | None = None,
    ) -> None:
        self._session = session
        self._merge_prices = merge_prices or translation_language is not None
        self._translation_language = translation_language
        self._on_reject = on_reject
        self._batch_size = batch_size
        self._skip_unchanged = skip_unchanged
        self.recorder = recorder if recorder is not None else ChangeRecorder()
        self._reference = ReferenceData(session, self.recorder)
        self._documents = DocumentBuilder(self._reference)
        self._groups = GroupStaging()
        self._pending: dict[str, _Pending] = {}
        self._keep: list[str] = []
        self._rejections: list[tuple[int | None, str | None, str]] = []
        self._pending_relations: list[tuple[int, tuple[str, ...]]] = []
        self._index = fulltext.index_for(session.get_bind().dialect.name)
        #: The highest product pk in the search index before this import's first write.
        self._indexed_ceiling: int | None = None
        self._mark: int | None = None
        self.inserted = self.updated = self.unchanged = self.pruned = self.rejected = 0
        self.prune_skipped = ""

    @property
    def written(self) -> int:
        """Products the feed named that are now in the catalog (inserted, updated, unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> ImportSummary:
        """The counters so far."""
        return ImportSummary(
            self.inserted,
            self.updated,
            self.unchanged,
            self.pruned,
            self.rejected,
            self.prune_skipped,
        )

    def add_row(self, row: FeedRow) -> None:
        """Offer a feed reader's row, or note a refused one; a fatal one aborts the import.

        A fatal row (broken XML, an unterminated quote, a last line cut short) means the feed
        was not read to its end: ImportFailed, so the caller's transaction writes nothing.
        """
        if isinstance(row, Accepted):
            self.offer(row.number, row.product_id, row.digest, row.build, row.group)
        elif row.fatal:
            raise ImportFailed(
                f"{row.describe()}; the feed is broken or cut short, nothing was imported"
            )
        else:
            self.reject_row(row.number, row.product_id, row.reason)

    def upsert(self, record: ProductRecord, number: int | None = None) -> None:
        """Insert the product or replace everything stored about it (buffered)."""
        digest = content_hash(record, self._merge_prices)
        if record.group is not None:
            self._stage(record.group, Member(number, record.id, digest, partial(_returns, record)))
        else:
            self._add(_Pending(number, record.id, digest, record))

    def offer(
        self,
        number: int,
        product_id: str,
        digest: str,
        build: Callable[[], ProductRecord],
        group: str | None = None,
    ) -> None:
        """Like upsert, for a raw row: `build()` validates it only if the digest has changed.

        A row with a `group` is a variant: the group's rows become one product when the whole
        feed has been read (see `groups`).
        """
        if group is not None:
            self._stage(group, Member(number, product_id, digest, build))
        else:
            self._add(_Pending(number, product_id, digest, None, build))

    def _stage(self, group: str, member: Member) -> None:
        if not self._groups.add(group, member):
            self._reject(member.number, member.product_id, DUPLICATE)

    def _add(self, item: _Pending) -> None:
        if item.product_id in self._pending:
            self._reject(item.number, item.product_id, DUPLICATE)
        else:
            self._pending[item.product_id] = item
        if len(self._pending) + len(self._keep) >= self._batch_size:
            self.flush()

    def reject_row(self, number: int, product_id: str | None, reason: str) -> None:
        """A row the reader refused: reported in order with the batch; `--prune` keeps its id."""
        self._reject(number, product_id, reason)
        if product_id is not None:
            self._keep.append(product_id)
        if len(self._pending) + len(self._keep) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records, then report the batch's rejected rows in row order."""
        pending, self._pending = list(self._pending.values()), {}
        if pending or self._keep:
            if self._translation_language is not None:
                self._write_translations(pending, self._translation_language)
            else:
                self._write_products(pending)
            self._keep.clear()
        rejections, self._rejections = self._rejections, []
        if self._on_reject is not None:
            for number, product_id, reason in sorted(rejections, key=lambda item: item[0] or 0):
                self._on_reject(number, product_id, reason)

    def finish(
        self,
        *,
        prune: bool = False,
        force_prune: bool = False,
        prune_max_share: float = PRUNE_MAX_SHARE,
    ) -> ImportSummary:
        """Write what is buffered and the variant groups, resolve related ids, optionally prune,
        re-index products whose shared names changed, and write the change log.

        The prune is skipped (`prune_skipped` says why) if a row was rejected or it would delete
        more than `prune_max_share` of the catalog; `force_prune` prunes anyway.
        """
        self.flush()
        try:
            for group in self._groups.groups():
                self._add_group(group)
        finally:
            self._groups.close()
        self.flush()
        write_relations(self._session, self._pending_relations)
        self._pending_relations.clear()
        if prune or force_prune:
            if self._translation_language is not None:
                raise ValueError("a localized feed cannot prune")
            if not self.written:
                raise ImportFailed("--prune refused: the feed has no valid product")
            pruned, self.prune_skipped = prune_unseen(
                self._session,
                self._import_mark(),
                self.recorder,
                inserted=self.inserted,
                rejected=self.rejected,
                max_share=None if force_prune else prune_max_share,
            )
            self.pruned += pruned
        reindex_renamed(self._session, self._reference)
        self.recorder.write(self._session)
        return self.summary()

    def close(self) -> None:
        """Delete the staged variant rows of an import that is abandoned."""
        self._groups.close()

    # -- batches -------------------------------------------------------------------------------

    def _reject(self, number: int | None, product_id: str | None, reason: str) -> None:
        self.rejected += 1
        self._rejections.append((number, product_id, reason))

    def _add_group(self, group: Group) -> None:
        for number, product_id in group.overflow:
            self._reject(number, product_id, TOO_MANY_VARIANTS)
        first = group.members[0]
        self._add(_Pending(first.number, group.id, group.digest, None, members=group.members))

    def _validated(self, item: _Pending) -> ProductRecord | None:
        """The item's record, or None (and a rejection) if the row breaks the format."""
        if item.record is not None:
            return item.record
        if item.members:
            return self._merged(item)
        assert item.build is not None
        try:
            item.record = item.build()
        except InvalidRecord as error:
            self._reject(item.number, item.product_id, str(error))
            return None
        return item.record

    def _merged(self, item: _Pending) -> ProductRecord | None:
        """A group's record from its valid rows; each bad row is rejected on its own."""
        valid: list[Member] = []
        records: list[ProductRecord] = []
        for member in item.members:
            try:
                records.append(member.build())
            except InvalidRecord as error:
                self._reject(member.number, member.product_id, str(error))
            else:
                valid.append(member)
        if not records:
            return None
        if len(valid) < len(item.members):
            # Stored with the digest of its good rows only: the next import, seeing the bad
            # rows again, validates the group again and reports them again.
            item.digest = members_digest(valid)
        item.record = merge_variants(item.product_id, records)
        return item.record

    def _import_mark(self) -> int:
        if self._mark is None:
            current = self._session.scalar(select(func.max(Product.import_mark)))
            self._mark = (current or 0) + 1
        return self._mark

    def _write_products(self, pending: list[_Pending]) -> None:
        session = self._session
        mark = self._import_mark()
        if self._indexed_ceiling is None:
            self._indexed_ceiling = highest_indexed_pk(session)
        existing = stored_products(session, [item.product_id for item in pending] + self._keep)
        kept = [existing[i][0] for i in self._keep if i in existing]
        new: list[tuple[_Pending, ProductRecord]] = []
        changed: list[tuple[int, _Pending, ProductRecord]] = []
        for item in pending:
            found = existing.get(item.product_id)
            if found is not None and found[2] == mark:
                self._reject(item.number, item.product_id, DUPLICATE)
            elif found is not None and found[1] == item.digest and self._skip_unchanged:
                kept.append(found[0])
                self.unchanged += 1
            elif (record := self._validated(item)) is None:
                if found is not None:
                    kept.append(found[0])  # a bad row does not make --prune delete the product
            elif found is None:
                new.append((item, record))
            else:
                changed.append((found[0], item, record))
        now = datetime.now(UTC).replace(tzinfo=None)
        reference = self._reference
        new_refs = [(item, record, reference.resolve(record)) for item, record in new]
        created = insert_products(
            session,
            [
                (record.id, *product_values(record, refs, item.digest, mark, now))
                for item, record, refs in new_refs
            ],
        )
        inserted = [(created[record.id], record, refs) for _, record, refs in new_refs]
        updated = [(pk, record, reference.resolve(record)) for pk, _, record in changed]
        if changed:
            update_products(
                session,
                [
                    (pk, product_values(record, refs, item.digest, mark, now))
                    for (pk, item, record), (_, _, refs) in zip(changed, updated, strict=True)
                ],
            )
            delete_children(
                session,
                [(pk, record) for pk, record, _ in updated],
                keep_other_currencies=self._merge_prices,
            )
        insert_children(session, inserted + updated)
        # An updated product may have lost its variants; a new one without any has none.
        write_variants(
            session,
            reference,
            [(pk, record) for pk, record, _ in inserted if record.variants]
            + [(pk, record) for pk, record, _ in updated],
            keep_other_currencies=self._merge_prices,
        )
        set_mark(session, kept, mark)
        self.inserted += len(inserted)
        self.updated += len(updated)
        for pk, record, _ in inserted + updated:
            if record.related:
                self._pending_relations.append((pk, record.related))
        # New products' documents come from their records; an updated one may keep texts from
        # another feed (another language), so it is read back from the tables.
        # A new pk above the index's highest has no entry to replace (SQLite may reuse the pk
        # of a deleted product, so the ones below are replaced, not only added).
        built = [self._documents.document(pk, record, refs) for pk, record, refs in inserted]
        ceiling = self._indexed_ceiling
        self._index.add(session, [document for document in built if document.product_pk > ceiling])
        self._index.write(
            session, [document for document in built if document.product_pk <= ceiling]
        )
        fulltext.refresh(session, [pk for pk, _, _ in updated])
        self.recorder.add(pk for pk, _, _ in inserted + updated)

    def _write_translations(self, pending: list[_Pending], language: str) -> None:
        existing = stored_products(self._session, [item.product_id for item in pending])
        items: list[Written] = []
        for item in pending:
            found = existing.get(item.product_id)
            record = self._validated(item)
            if record is None:
                continue
            if found is None:
                self._reject(item.number, item.product_id, NOT_IN_CATALOG)
            else:
                items.append((found[0], record))
        write_translations(self._session, language, items)
        self.updated += len(items)
        self.recorder.add(pk for pk, _ in items)
