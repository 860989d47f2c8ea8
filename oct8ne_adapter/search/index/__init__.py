"""Fast exact search: an in-memory index of a catalog that follows its changes.

The index reads its catalog only through `source.CatalogReader` (see source.py for the boundary);
`sql_reader.SqlCatalog` is the SQL catalog's.
"""

from oct8ne_adapter.search.index.engine import IndexedSearchEngine
from oct8ne_adapter.search.index.sql_reader import SqlCatalog, SqlCatalogReader

__all__ = ["IndexedSearchEngine", "SqlCatalog", "SqlCatalogReader"]
