"""Search documents of the products an import inserts, built from their records."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from oct8ne_adapter.feeds.records import ProductRecord
from oct8ne_adapter.sql import fulltext
from oct8ne_adapter.sql.writer.reference import ReferenceData, Resolved


@dataclass(frozen=True, slots=True)
class IndexedDocument(fulltext.SearchDocument):
    """A search document whose indexed fields the writer computed, with its caches."""

    indexed: dict[str, str] = field(default_factory=dict)

    def indexed_fields(self) -> dict[str, str]:
        """Field name -> its tokens joined by spaces."""
        return self.indexed


class DocumentBuilder:
    """Search documents of new products, built from their records as `load_documents` reads
    them back. Brand, category and attribute texts repeat from product to product, so each
    distinct one is tokenized once (the caches are dropped when they grow too large)."""

    LIMIT = 50_000

    def __init__(self, reference: ReferenceData) -> None:
        self._reference = reference
        self._brands: dict[int | None, tuple[str, str]] = {None: ("", "")}
        self._categories: dict[tuple[int, ...], tuple[str, str]] = {}
        self._attributes: dict[tuple[int, ...], tuple[str, str]] = {}

    def document(self, pk: int, record: ProductRecord, refs: Resolved) -> IndexedDocument:
        """The document of a product whose child rows are exactly the record's."""
        reference = self._reference
        brand = self._brands.get(refs.brand_pk)
        if brand is None:
            assert refs.brand_pk is not None
            brand = self._brands[refs.brand_pk] = _indexed(reference.brand_names[refs.brand_pk])
        categories = self._categories.get(refs.category_pks)
        if categories is None:
            names = reference.category_names
            text = " ".join(
                dict.fromkeys(name for key in refs.category_pks for name in names[key].values())
            )
            categories = self._categories[refs.category_pks] = _indexed(text)
        attributes = self._attributes.get(refs.value_pks)
        if attributes is None:
            words: list[str] = []
            for value_pk in refs.value_pks:
                code, labels = reference.value_texts[value_pk]
                words.append(code)
                words.extend(labels.values())
            attributes = self._attributes[refs.value_pks] = _indexed(" ".join(dict.fromkeys(words)))
        if len(self._categories) + len(self._attributes) > self.LIMIT:
            self._categories.clear()
            self._attributes.clear()
        languages = sorted(record.titles)
        title = " ".join(record.titles[language] for language in languages)
        description = " ".join(record.descriptions.get(language, "") for language in languages)
        return IndexedDocument(
            product_pk=pk,
            title=title,
            brand=brand[0],
            categories=categories[0],
            attributes=attributes[0],
            description=description,
            indexed={
                "title": _joined_tokens(title),
                "brand": brand[1],
                "categories": categories[1],
                "attributes": attributes[1],
                "description": _joined_tokens(description),
            },
        )


def _joined_tokens(text: str) -> str:
    return " ".join(fulltext.tokens(text))


def _indexed(text: str) -> tuple[str, str]:
    return text, _joined_tokens(text)


def highest_indexed_pk(session: Session) -> int:
    """The highest product pk in the search index (0 if none): a new product above it has no
    entry to replace."""
    dialect = session.get_bind().dialect.name
    key = "rowid" if dialect == "sqlite" else "product_pk"  # FTS5 reads it from its rowid order
    table = {"sqlite": fulltext.FTS5_TABLE, "postgresql": fulltext.TSVECTOR_TABLE}.get(
        dialect, fulltext.TOKEN_TABLE
    )
    found = session.scalar(text(f"SELECT {key} FROM {table} ORDER BY {key} DESC LIMIT 1"))
    return int(found or 0)
