"""The demo shop: its pages, its catalog, customers and orders. Never imported by oct8ne_adapter."""
