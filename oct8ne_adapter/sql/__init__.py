"""The default SQLAlchemy implementation of the repository Protocols."""

from __future__ import annotations

from .database import Database, create_database_engine, create_schema
from .repository import SqlRepository

__all__ = ["Database", "SqlRepository", "create_database_engine", "create_schema"]
