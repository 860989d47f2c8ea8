"""Full-text search per dialect, with the same matching rules everywhere.

Text is folded (accents removed, case folded) and cut into runs of letters and digits in Python,
both when a product is indexed and when a visitor searches; every search word must occur in the
product, as a word or as the start of one (`shoe` finds `shoes`). So quotes, `*`, `NEAR(` or
`'; DROP` are only ever searched for as words, and each backend returns the same products:

- SQLite: an FTS5 table ranked by bm25;
- PostgreSQL: a weighted `tsvector` with a GIN index, prefix `tsquery`, ranked by `ts_rank`; the
  `simple` configuration (no stemming, no stop words) keeps prefix matching identical to the
  other backends;
- MariaDB and any other dialect: a token table with a B-tree index, prefix `LIKE`, ranked by the
  weight of the best field each word was found in (InnoDB FULLTEXT would drop words shorter than
  `innodb_ft_min_token_size` and stop words, which breaks parity).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    SmallInteger,
    String,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from oct8ne_adapter.sql.models import (
    AttributeValue,
    AttributeValueTranslation,
    Brand,
    CategoryTranslation,
    Product,
    ProductAttributeValue,
    ProductCategory,
    ProductTranslation,
)

MAX_WORDS = 32
MAX_WORD_LENGTH = 64
REFRESH_BATCH = 500
_TOKEN = re.compile(r"[^\W_]+")

FTS5_TABLE = "product_search"
FTS5_COLUMNS = ("title", "brand", "categories", "attributes", "description")
#: bm25 weights per FTS5 column: a word in the title counts most, in the description least.
FTS5_WEIGHTS = (10.0, 6.0, 3.0, 3.0, 1.0)
TSVECTOR_TABLE = "product_search_vectors"
TOKEN_TABLE = "product_search_tokens"
#: Token-table weight of each field; a token keeps the weight of the best field it is in.
TOKEN_WEIGHTS = {"title": 8, "brand": 4, "categories": 2, "attributes": 2, "description": 1}
#: PostgreSQL setweight label of each field.
TSVECTOR_LABELS = {
    "title": "A",
    "brand": "B",
    "categories": "C",
    "attributes": "C",
    "description": "D",
}


def fold(value: str) -> str:
    """Lower-case and without accents: `Montaña ÉTÉ` -> `montana ete`."""
    if value.isascii():
        # Nothing to decompose: the same result, without a Python step per character.
        return value.casefold()
    # Titles repeat words: folded a piece at a time through a cache. NFKD keeps the space, a
    # starter no reordering crosses, and the rest goes letter by letter: the same result.
    return " ".join(map(_fold_piece, value.split(" ")))


@lru_cache(maxsize=1 << 16)
def _fold_piece(piece: str) -> str:
    decomposed = unicodedata.normalize("NFKD", piece)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def tokens(value: str) -> list[str]:
    """The searchable words of a text, folded, each at most MAX_WORD_LENGTH characters."""
    if value.isascii():
        return [token[:MAX_WORD_LENGTH] for token in _TOKEN.findall(value.casefold())]
    # Folding never joins or splits across white space (NFKD reorders marks only between
    # starters, and no white space folds into a letter), so the text is folded a piece at a
    # time through a cache: catalog texts repeat their words, and folding letter by letter in
    # Python was a third of the index's cost in the import profile.
    return [token for piece in value.split() for token in _piece_tokens(piece)]


@lru_cache(maxsize=1 << 16)
def _piece_tokens(piece: str) -> tuple[str, ...]:
    return tuple(token[:MAX_WORD_LENGTH] for token in _TOKEN.findall(fold(piece)))


def words(text_query: str) -> list[str]:
    """The distinct words of a visitor's search text, at most MAX_WORDS."""
    return list(dict.fromkeys(tokens(text_query)))[:MAX_WORDS]


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """The text of one product as the index sees it, every language together."""

    product_pk: int
    title: str
    brand: str
    categories: str
    attributes: str
    description: str

    def indexed_fields(self) -> dict[str, str]:
        """Field name -> its tokens joined by spaces, as every backend indexes them."""
        return {field: " ".join(tokens(value)) for field, value in self.fields().items()}

    def fields(self) -> dict[str, str]:
        """Field name -> text."""
        return {
            "title": self.title,
            "brand": self.brand,
            "categories": self.categories,
            "attributes": self.attributes,
            "description": self.description,
        }


def load_documents(session: Session, product_pks: Sequence[int]) -> list[SearchDocument]:
    """Build the documents of these products from the catalog tables, in five queries."""
    texts: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pk, title, description in session.execute(
        select(
            ProductTranslation.product_pk, ProductTranslation.title, ProductTranslation.description
        )
        .where(ProductTranslation.product_pk.in_(product_pks))
        .order_by(ProductTranslation.product_pk, ProductTranslation.language)
    ):
        texts[pk]["title"].append(title)
        texts[pk]["description"].append(description)
    brands = dict(
        session.execute(
            select(Product.pk, Brand.name)
            .join(Brand, Brand.pk == Product.brand_pk)
            .where(Product.pk.in_(product_pks))
        ).all()
    )
    for pk, name in session.execute(
        select(ProductCategory.product_pk, CategoryTranslation.name)
        .join(CategoryTranslation, CategoryTranslation.category_pk == ProductCategory.category_pk)
        .where(ProductCategory.product_pk.in_(product_pks))
        .order_by(ProductCategory.product_pk, CategoryTranslation.category_pk)
    ):
        texts[pk]["categories"].append(name)
    for pk, code, label in session.execute(
        select(
            ProductAttributeValue.product_pk, AttributeValue.code, AttributeValueTranslation.label
        )
        .join(AttributeValue, AttributeValue.pk == ProductAttributeValue.value_pk)
        .outerjoin(
            AttributeValueTranslation, AttributeValueTranslation.value_pk == AttributeValue.pk
        )
        .where(ProductAttributeValue.product_pk.in_(product_pks))
        .order_by(ProductAttributeValue.product_pk, AttributeValue.pk)
    ):
        texts[pk]["attributes"].extend(part for part in (code, label) if part)
    existing = session.scalars(select(Product.pk).where(Product.pk.in_(product_pks))).all()
    return [
        SearchDocument(
            product_pk=pk,
            title=" ".join(texts[pk]["title"]),
            brand=brands.get(pk, ""),
            categories=" ".join(dict.fromkeys(texts[pk]["categories"])),
            attributes=" ".join(dict.fromkeys(texts[pk]["attributes"])),
            description=" ".join(texts[pk]["description"]),
        )
        for pk in existing
    ]


class SearchIndex(Protocol):
    """One dialect's full-text index."""

    def write(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Replace these products' entries."""
        ...

    def add(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Enter products that have no entry yet (nothing is deleted first)."""
        ...

    def delete(self, session: Session, product_pks: Sequence[int]) -> None:
        """Remove these products."""
        ...

    def match(self, search_words: Sequence[str]) -> Select[Any]:
        """(product_pk, rank) of the products containing every word; lower rank is better."""
        ...


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


class Fts5Index:
    """SQLite FTS5, rowid = product primary key."""

    def write(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Replace these products' rows."""
        self.delete(session, [document.product_pk for document in documents])
        self.add(session, documents)

    def add(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Insert rows for products that have none."""
        if documents:
            names = ", ".join(FTS5_COLUMNS)
            values = ", ".join("?" for _ in FTS5_COLUMNS)
            # The driver's own executemany with tuples: an import writes a row per product,
            # and SQLAlchemy's per-row parameter handling cost as much as FTS5's own work.
            session.connection().exec_driver_sql(
                f"INSERT INTO {FTS5_TABLE} (rowid, {names}) VALUES (?, {values})",
                [
                    (document.product_pk, *map(fields.__getitem__, FTS5_COLUMNS))
                    for document in documents
                    for fields in (document.indexed_fields(),)
                ],
            )

    def delete(self, session: Session, product_pks: Sequence[int]) -> None:
        """Remove these products' rows."""
        if product_pks:
            session.execute(
                text(f"DELETE FROM {FTS5_TABLE} WHERE rowid IN :pks").bindparams(_expanding("pks")),
                {"pks": list(product_pks)},
            )

    def match(self, search_words: Sequence[str]) -> Select[Any]:
        """bm25-ranked rows; every word quoted, so FTS5 syntax in the text is inert."""
        query = " ".join('"' + word.replace('"', '""') + '"*' for word in search_words)
        index = table(FTS5_TABLE, column("rowid", Integer))
        weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
        return select(
            index.c.rowid.label("product_pk"),
            literal_column(f"bm25({FTS5_TABLE}, {weights})", Float).label("rank"),
        ).where(text(f"{FTS5_TABLE} MATCH :fts_query").bindparams(fts_query=query))


_vectors = table(TSVECTOR_TABLE, column("product_pk", Integer), column("document"))


class TsvectorIndex:
    """PostgreSQL: a weighted tsvector per product with a GIN index."""

    def write(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Replace these products' vectors."""
        self.delete(session, [document.product_pk for document in documents])
        self.add(session, documents)

    def add(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Insert vectors for products that have none."""
        if not documents:
            return
        vector: ColumnElement[Any] | None = None
        for field, label in TSVECTOR_LABELS.items():
            part = func.setweight(
                func.to_tsvector(literal_column("'simple'"), bindparam(field, type_=String)),
                literal_column(f"'{label}'"),
            )
            vector = part if vector is None else vector.op("||")(part)
        statement = insert(_vectors).values(
            product_pk=bindparam("pk", type_=Integer), document=vector
        )
        session.execute(
            statement,
            [
                {
                    "pk": document.product_pk,
                    **document.indexed_fields(),
                }
                for document in documents
            ],
        )

    def delete(self, session: Session, product_pks: Sequence[int]) -> None:
        """Remove these products' vectors."""
        if product_pks:
            session.execute(delete(_vectors).where(_vectors.c.product_pk.in_(product_pks)))

    def match(self, search_words: Sequence[str]) -> Select[Any]:
        """Every word as a prefix lexeme; ts_rank negated so that lower is better."""
        # Words are runs of letters and digits, so they cannot carry tsquery operators.
        query = func.to_tsquery(
            literal_column("'simple'"), " & ".join(f"{word}:*" for word in search_words)
        )
        return select(
            _vectors.c.product_pk.label("product_pk"),
            (-func.ts_rank(_vectors.c.document, query)).label("rank"),
        ).where(_vectors.c.document.op("@@")(query))


_tokens = table(
    TOKEN_TABLE,
    column("token", String),
    column("product_pk", Integer),
    column("weight", SmallInteger),
)


class TokenIndex:
    """Portable: one row per distinct token of a product, prefix-matched with LIKE."""

    def write(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Replace these products' tokens."""
        self.delete(session, [document.product_pk for document in documents])
        self.add(session, documents)

    def add(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        """Insert the tokens of products that have none."""
        rows: list[dict[str, Any]] = []
        for document in documents:
            weights: dict[str, int] = {}
            for field, value in document.fields().items():
                for token in tokens(value):
                    weights[token] = max(weights.get(token, 0), TOKEN_WEIGHTS[field])
            rows.extend(
                {"token": token, "product_pk": document.product_pk, "weight": weight}
                for token, weight in weights.items()
            )
        if rows:
            session.execute(insert(_tokens), rows)

    def delete(self, session: Session, product_pks: Sequence[int]) -> None:
        """Remove these products' tokens."""
        if product_pks:
            session.execute(delete(_tokens).where(_tokens.c.product_pk.in_(product_pks)))

    def match(self, search_words: Sequence[str]) -> Select[Any]:
        """Products having a token starting with each word, ranked by the fields' weights."""
        per_word = [
            select(_tokens.c.product_pk, func.max(_tokens.c.weight).label("weight"))
            # Words are runs of letters and digits: no LIKE wildcard to escape.
            .where(_tokens.c.token.like(f"{word}%"))
            .group_by(_tokens.c.product_pk)
            .subquery(f"word_{index}")
            for index, word in enumerate(search_words)
        ]
        first = per_word[0]
        statement = select(first.c.product_pk.label("product_pk"))
        score: ColumnElement[Any] = first.c.weight
        for other in per_word[1:]:
            statement = statement.join(other, other.c.product_pk == first.c.product_pk)
            score = score + other.c.weight
        return statement.add_columns((-score).label("rank"))


def index_for(dialect: str) -> SearchIndex:
    """The full-text index used on this dialect."""
    if dialect == "sqlite":
        return Fts5Index()
    if dialect == "postgresql":
        return TsvectorIndex()
    return TokenIndex()


def refresh(session: Session, product_pks: Iterable[int]) -> None:
    """Re-index these products from the catalog tables (deleted products leave the index)."""
    index = index_for(session.get_bind().dialect.name)
    pending = list(dict.fromkeys(product_pks))
    for start in range(0, len(pending), REFRESH_BATCH):
        batch = pending[start : start + REFRESH_BATCH]
        documents = load_documents(session, batch)
        present = {document.product_pk for document in documents}
        index.delete(session, [pk for pk in batch if pk not in present])
        index.write(session, documents)


def rebuild(session: Session) -> int:
    """Re-index the whole catalog; returns the number of products indexed."""
    product_pks = session.scalars(select(Product.pk).order_by(Product.pk)).all()
    refresh(session, product_pks)
    return len(product_pks)
