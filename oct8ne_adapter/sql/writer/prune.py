"""`--prune`: delete the products the import did not see, unless the feed looks cut short."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.models import Product
from oct8ne_adapter.sql.tables import products as _products
from oct8ne_adapter.sql.writer.bulk import CHUNK

#: The default of the `prune_max_share` setting: one import deletes at most a fifth of the catalog.
PRUNE_MAX_SHARE = 0.2


def _unseen(mark: int) -> ColumnElement[bool]:
    return or_(Product.import_mark.is_(None), Product.import_mark != mark)


def prune_refusal(
    session: Session, mark: int, *, inserted: int, rejected: int, max_share: float
) -> str | None:
    """Why pruning the products without this mark is unsafe (without --force-prune), or None.

    A rejected row may be a product whose id could not be read, and a feed cut at a line break
    reads without error but lists fewer products: either would delete products the shop still
    sells. The share is of the catalog as it was before this import (`inserted` products are new).
    """
    unseen = session.scalar(select(func.count()).select_from(Product).where(_unseen(mark))) or 0
    if not unseen:
        return None
    total = session.scalar(select(func.count()).select_from(Product)) or 0
    before = total - inserted
    would_remove = f"would remove {unseen} of {before} products"
    if rejected:
        rows = "row was" if rejected == 1 else "rows were"
        return (
            f"prune skipped: {rejected} {rows} rejected, so the feed may not list every product "
            f"({would_remove}); use --force-prune"
        )
    if unseen / before > max_share:
        return (
            f"prune skipped: {would_remove} (over prune_max_share {max_share:g}); use --force-prune"
        )
    return None


def prune(session: Session, mark: int, recorder: ChangeRecorder) -> int:
    """Delete every product without this import's mark; returns how many."""
    index = fulltext.index_for(session.get_bind().dialect.name)
    pruned = last = 0
    while True:
        # Keyset paging: each query starts where the last one stopped, so pruning many products
        # reads the table once rather than once per chunk.
        pks = list(
            session.scalars(
                select(Product.pk)
                .where(Product.pk > last, _unseen(mark))
                .order_by(Product.pk)
                .limit(CHUNK)
            )
        )
        if not pks:
            return pruned
        last = pks[-1]
        # Child rows go by ON DELETE CASCADE (SQLite: foreign_keys is on); the index has none.
        session.execute(delete(_products).where(_products.c.pk.in_(pks)))
        index.delete(session, pks)
        recorder.add(pks)
        pruned += len(pks)


def prune_unseen(
    session: Session,
    mark: int,
    recorder: ChangeRecorder,
    *,
    inserted: int,
    rejected: int,
    max_share: float | None,
) -> tuple[int, str]:
    """Prune unless it looks unsafe: (products deleted, why skipped or ""); no cap when forced."""
    if max_share is not None:
        refusal = prune_refusal(
            session, mark, inserted=inserted, rejected=rejected, max_share=max_share
        )
        if refusal is not None:
            return 0, refusal
    return prune(session, mark, recorder), ""
