"""The adapter's contract kit over this shop's repository: `python -m pytest test_repository.py`.

Django is set up here, over a throwaway instance directory (SHOP_INSTANCE_DIR, else a new
temporary one): the shop's SQLite file and the adapter's own, which holds the search copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

#: A temporary directory of our own is removed at the end; a given one is kept.
OWN_INSTANCE = not os.environ.get("SHOP_INSTANCE_DIR")
INSTANCE = Path(os.environ.get("SHOP_INSTANCE_DIR") or tempfile.mkdtemp(prefix="django_shop-"))
os.environ["SHOP_INSTANCE_DIR"] = str(INSTANCE)
os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-the-contract-tests")
os.environ["DJANGO_SETTINGS_MODULE"] = "django_shop.settings"
django.setup()

from django.core.management import call_command  # noqa: E402  (Django is set up first)
from django_shop import models  # noqa: E402
from django_shop.adapter import adapter_database_url  # noqa: E402
from django_shop.repository import DjangoShopRepository  # noqa: E402
from django_shop.search_copy import copy_catalog  # noqa: E402
from django_shop.seeding import seed  # noqa: E402

from oct8ne_adapter.search.sql import SqlSearchEngine  # noqa: E402
from oct8ne_adapter.sql.database import Database, create_database_engine  # noqa: E402
from oct8ne_adapter.sql.schema import upgrade  # noqa: E402
from oct8ne_adapter.testing import ContractData, RepositoryContract  # noqa: E402


@pytest.fixture(scope="session")
def search_database() -> Iterator[Database]:
    """The shop's tables migrated and seeded, and the adapter's tables with the search copy."""
    call_command("migrate", verbosity=0)
    seed()
    database = Database(create_database_engine(adapter_database_url()))
    upgrade(database.engine)
    copy_catalog(database)
    yield database
    database.engine.dispose()
    if OWN_INSTANCE:
        shutil.rmtree(INSTANCE, ignore_errors=True)


class TestDjangoShopRepository(RepositoryContract):
    @pytest.fixture
    def repository(self, search_database: Database) -> DjangoShopRepository:
        seed()  # fresh data for each rule: one of them adds to the wishlist
        return DjangoShopRepository(SqlSearchEngine(search_database).search)

    @pytest.fixture
    def contract_data(self, repository: DjangoShopRepository) -> ContractData:
        jane = models.Customer.objects.get(email="jane.doe@example.com")
        return ContractData(
            product_ids=("DJ-100", "DJ-103", "DJ-106"),
            customer_id=str(jane.pk),
            addable_product_id="DJ-108",
            customer_email="jane.doe@example.com",
            order_reference="DJO-1002",
            search_text="jacket",
            languages=("es-ES", "es", "en"),
            currency="USD",
        )
