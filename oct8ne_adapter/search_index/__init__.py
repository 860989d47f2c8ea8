"""Fast exact search: an in-memory index of the SQL catalog that follows its change log."""

from .engine import IndexedSearchEngine

__all__ = ["IndexedSearchEngine"]
