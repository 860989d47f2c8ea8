"""The default SQLAlchemy implementation of the repository Protocols."""

from __future__ import annotations

from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.repository import SqlRepository
from oct8ne_adapter.sql.schema import create_schema

__all__ = ["Database", "SqlRepository", "create_database_engine", "create_schema"]
