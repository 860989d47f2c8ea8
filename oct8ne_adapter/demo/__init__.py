"""A demo shop: a generated catalog, demo customers and orders, and a few pages to try them."""
