"""`--prune`: delete the products the import did not see."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from .. import fulltext
from ..catalog_changes import ChangeRecorder
from ..models import Product
from .bulk import CHUNK, table_of

_products = table_of(Product)


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
                .where(
                    Product.pk > last,
                    or_(Product.import_mark.is_(None), Product.import_mark != mark),
                )
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
