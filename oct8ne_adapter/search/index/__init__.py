"""Fast exact search: an in-memory index of the SQL catalog that follows its change log."""

from oct8ne_adapter.search.index.engine import IndexedSearchEngine

__all__ = ["IndexedSearchEngine"]
