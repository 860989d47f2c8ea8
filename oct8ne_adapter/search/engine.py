"""The one seam every search engine fills: a query in, a page with its total and facets out.

`search.sql.SqlSearchEngine` answers from the SQL catalog (always exact); `search.index.
IndexedSearchEngine` answers from an in-memory index and holds another engine to fall back to
while its index is stale. A shop that outgrows both plugs in its own (an OpenSearch client, say)
without touching the handlers: the repository's `search` is all they call.
"""

from __future__ import annotations

from typing import Protocol

from oct8ne_adapter.domain import SearchQuery, SearchResult


class SearchEngine(Protocol):
    """Answers search requests with exact totals and facets, under the rules of search.rules."""

    def search(self, query: SearchQuery) -> SearchResult:
        """A page of matching products with the total, the applied filters and the facets."""
        ...
