"""Search: the shared rules, the SQL engine and the in-memory index, behind one Protocol.

`engine.SearchEngine` is the seam; `rules` holds what both engines must agree on (filter keys,
price conversion, which facets are offered) and `facets` how counts are presented; `sql` and
`index/` each count and match their own way.
"""
