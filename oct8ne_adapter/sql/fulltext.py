"""Full-text matching per dialect: SQLite FTS5 on the embedded default, LIKE elsewhere.

The visitor's text is reduced to words before it reaches any query language, so quotes, `*`,
`NEAR(` or `'; DROP` are only ever searched for as words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from .models import Product, ProductTranslation

MAX_WORDS = 32
MAX_WORD_LENGTH = 64
_WORD = re.compile(r"\w+", re.UNICODE)

FTS_TABLE = "product_search"
# Column weights for bm25: a word in the title counts most, in the description least.
FTS_COLUMNS = ("title", "brand", "categories", "attributes", "description")
FTS_WEIGHTS = (10.0, 6.0, 3.0, 3.0, 1.0)


def words(text_query: str) -> list[str]:
    """The words of a visitor's search text, deduplicated, bounded in number and length."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(text_query):
        word = match.group(0).replace("_", " ").strip()
        if word:
            found.setdefault(word[:MAX_WORD_LENGTH].lower(), None)
        if len(found) >= MAX_WORDS:
            break
    return list(found)


def schema_statements(dialect: str) -> list[str]:
    """DDL for the dialect's full-text index."""
    if dialect != "sqlite":
        return []
    columns = ", ".join(FTS_COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        f"{columns}, tokenize = 'unicode61 remove_diacritics 2')"
    ]


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """The text of one product as the full-text index sees it."""

    product_pk: int
    title: str
    brand: str
    categories: str
    attributes: str
    description: str


def replace_documents(session: Session, documents: Sequence[SearchDocument]) -> None:
    """Write these products' documents into the index, replacing older ones."""
    if session.get_bind().dialect.name != "sqlite" or not documents:
        return
    delete_rows(session, [document.product_pk for document in documents])
    placeholders = ", ".join(f":{column}" for column in FTS_COLUMNS)
    session.execute(
        text(
            f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "
            f"VALUES (:pk, {placeholders})"
        ),
        [
            {
                "pk": document.product_pk,
                "title": document.title,
                "brand": document.brand,
                "categories": document.categories,
                "attributes": document.attributes,
                "description": document.description,
            }
            for document in documents
        ],
    )


def delete_rows(session: Session, product_pks: Sequence[int]) -> None:
    """Remove these products from the index."""
    if session.get_bind().dialect.name != "sqlite" or not product_pks:
        return
    statement = text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :pks").bindparams(
        bindparam("pks", expanding=True)
    )
    session.execute(statement, {"pks": list(product_pks)})


def fts5_query(search_words: Sequence[str]) -> str:
    """An FTS5 query in which every word must occur, each also as a prefix (`shoe` -> `shoes`)."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in search_words)


@dataclass(frozen=True, slots=True)
class TextMatch:
    """Products matching the text, with a relevance score where the dialect has one."""

    matches: Select[Any]


def text_match(dialect: str, search_words: Sequence[str]) -> TextMatch:
    """A select of (product_pk, rank) rows; lower rank is more relevant."""
    if dialect == "sqlite":
        weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
        index = table(FTS_TABLE, column("rowid", Integer))
        matches = select(
            index.c.rowid.label("product_pk"),
            literal_column(f"bm25({FTS_TABLE}, {weights})", Float).label("rank"),
        ).where(
            text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=fts5_query(search_words))
        )
        return TextMatch(matches=matches)
    return TextMatch(matches=_like_match(search_words))


def _like_match(search_words: Sequence[str]) -> Select[Any]:
    """Portable fallback: every word must occur in a title or description, no ranking."""
    conditions: list[ColumnElement[bool]] = []
    for word in search_words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            exists().where(
                ProductTranslation.product_pk == Product.pk,
                or_(
                    func.lower(ProductTranslation.title).like(pattern, escape="\\"),
                    func.lower(ProductTranslation.description).like(pattern, escape="\\"),
                ),
            )
        )
    return select(Product.pk.label("product_pk"), cast(literal(0.0), Float).label("rank")).where(
        and_(*conditions)
    )
