"""Fast exact search: an in-memory index of a catalog that follows its changes.

The index reads its catalog only through `source.CatalogReader` (see source.py for the boundary);
`sql_reader.SqlCatalog` is the SQL catalog's (following its change log), `source_reader.
RecordCatalog` a shop's `repository.CatalogSource`'s (following its changes since a version).
"""

from oct8ne_adapter.search.index.engine import IndexedSearchEngine
from oct8ne_adapter.search.index.source_reader import RecordCatalog, RecordCatalogReader
from oct8ne_adapter.search.index.sql_reader import SqlCatalog, SqlCatalogReader

__all__ = [
    "IndexedSearchEngine",
    "RecordCatalog",
    "RecordCatalogReader",
    "SqlCatalog",
    "SqlCatalogReader",
]
