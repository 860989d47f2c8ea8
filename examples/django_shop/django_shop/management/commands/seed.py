"""`manage.py seed`: the example data afresh, the adapter's tables, and its search copy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_shop.adapter import adapter_database_url
from django_shop.search_copy import copy_catalog
from django_shop.seeding import seed
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.schema import upgrade


class Command(BaseCommand):
    help = "Write the example shop's data again and copy its catalog to the adapter's search."

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed the shop, migrate the adapter's own database, copy the catalog for search."""
        seed()
        database = Database(create_database_engine(adapter_database_url()))
        try:
            upgrade(database.engine)  # the adapter's tables: `oct8ne-adapter init-db` does this
            summary = copy_catalog(database)
        finally:
            database.engine.dispose()
        self.stdout.write(f"shop seeded; search copy: {summary.describe()}")
