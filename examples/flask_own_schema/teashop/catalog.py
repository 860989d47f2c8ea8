"""The shop's catalog as the adapter's search index reads it: a `CatalogSource`.

Items become the records the adapter's feed importer understands (`ProductRecord`): names and
blurbs by language, the euro price (and the price before a discount), the maker as brand, the
section path from the top as categories, origin and pack size as attributes, stock, and whether
the item is listed. The version is the highest item revision; `changes_since` lists the SKUs of
the items whose revision is higher. Items are never deleted (orders name them): taken off sale,
they are unlisted, which is a change like any other.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds.records import AttributeValueRef, CategoryRef, ProductRecord
from teashop.models import Item, Section

#: Items read per batch (and per IN list of SKUs).
BATCH_SIZE = 500

ORIGIN_LABELS = {
    "china": {"en": "China", "es": "China"},
    "japan": {"en": "Japan", "es": "Japón"},
    "india": {"en": "India", "es": "India"},
    "kenya": {"en": "Kenya", "es": "Kenia"},
    "taiwan": {"en": "Taiwan", "es": "Taiwán"},
}


class TeaCatalogSource:
    """The shop's items as product records, and which changed since a revision."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def version(self) -> int:
        """The highest revision of any item."""
        with self.sessions() as session:
            return session.scalar(select(func.coalesce(func.max(Item.revision), 0))) or 0

    def changes_since(self, version: Hashable, limit: int) -> tuple[list[str], int] | None:
        """The SKUs of the items changed after this revision, and the newest revision."""
        if not isinstance(version, int):
            return None  # not one of ours: the index reads the catalog again
        with self.sessions() as session:
            rows = session.execute(
                select(Item.sku, Item.revision).where(Item.revision > version).limit(limit + 1)
            ).all()
        if len(rows) > limit:
            return None
        return [sku for sku, _ in rows], max((revision for _, revision in rows), default=version)

    def records(self, ids: Collection[str] | None = None) -> Iterator[Sequence[ProductRecord]]:
        """Every item's record in batches (for None), else the records of these SKUs."""
        with self.sessions() as session:
            paths = section_paths(session)
            if ids is None:
                after = 0
                while True:
                    items = session.scalars(
                        select(Item).where(Item.id > after).order_by(Item.id).limit(BATCH_SIZE)
                    ).all()
                    if not items:
                        return
                    yield [item_record(item, paths) for item in items]
                    after = items[-1].id
            wanted = list(ids)
            for start in range(0, len(wanted), BATCH_SIZE):
                chunk = wanted[start : start + BATCH_SIZE]
                items = session.scalars(select(Item).where(Item.sku.in_(chunk))).all()
                yield [item_record(item, paths) for item in items]


def section_paths(session: Session) -> dict[int, tuple[CategoryRef, ...]]:
    """Each section's path from the top, as category references."""
    sections = {section.id: section for section in session.scalars(select(Section))}
    paths: dict[int, tuple[CategoryRef, ...]] = {}
    for section in sections.values():
        path: list[CategoryRef] = []
        current: Section | None = section
        while current is not None:
            names = {"en": current.title_en, "es": current.title_es}
            path.insert(0, CategoryRef(current.slug, names))
            current = sections.get(current.parent_id) if current.parent_id is not None else None
        paths[section.id] = tuple(path)
    return paths


def item_record(item: Item, paths: dict[int, tuple[CategoryRef, ...]]) -> ProductRecord:
    """An item as the record the adapter's importer would write."""
    attributes: dict[str, tuple[AttributeValueRef, ...]] = {}
    if item.origin:
        attributes["origin"] = (AttributeValueRef(item.origin, ORIGIN_LABELS.get(item.origin, {})),)
    if item.pack:
        attributes["pack"] = (AttributeValueRef(item.pack),)
    titles = {"en": item.name_en} | ({"es": item.name_es} if item.name_es else {})
    descriptions = {"en": item.blurb_en} | ({"es": item.blurb_es} if item.blurb_es else {})
    return ProductRecord(
        id=item.sku,
        titles=titles,
        descriptions=descriptions,
        url=f"/items/{item.sku}",
        thumbnail=f"{item.image}?size=120",
        images=(item.image,),
        prices={"EUR": ProductPrice(item.price_eur, item.was_eur)},
        brand=item.maker.name if item.maker is not None else None,
        category_path=paths[item.section_id],
        attributes=attributes,
        stock=item.on_hand,
        active=item.listed,
    )
