"""Search: the shared rules, the SQL engine and the in-memory index."""
