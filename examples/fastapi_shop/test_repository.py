"""The adapter's contract kit over this shop's repository: `python -m pytest test_repository.py`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi_shop.models import Customer
from fastapi_shop.repository import FastapiShopRepository
from fastapi_shop.search_copy import copy_catalog
from fastapi_shop.seeding import seed
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.schema import upgrade
from oct8ne_adapter.testing import ContractData, RepositoryContract


@pytest.fixture(scope="session")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway directory for the shop's SQLite file and the adapter's."""
    return tmp_path_factory.mktemp("fastapi_shop")


@pytest.fixture
def sessions(instance: Path) -> Iterator[sessionmaker[Any]]:
    """The shop's tables, freshly seeded for each rule (one of them adds to the wishlist)."""
    engine = create_engine(f"sqlite:///{instance / 'shop.sqlite3'}")
    factory = sessionmaker(engine, expire_on_commit=False)
    seed(factory)
    yield factory
    engine.dispose()


@pytest.fixture(scope="session")
def search_database(instance: Path) -> Iterator[Database]:
    """The adapter's own tables with the search copy of the seeded catalog."""
    engine = create_engine(f"sqlite:///{instance / 'catalog-for-copy.sqlite3'}")
    factory = sessionmaker(engine)
    seed(factory)
    database = Database(create_database_engine(f"sqlite:///{instance / 'oct8ne.db'}"))
    upgrade(database.engine)
    with factory() as session:
        copy_catalog(session, database)
    engine.dispose()
    yield database
    database.engine.dispose()


class TestFastapiShopRepository(RepositoryContract):
    @pytest.fixture
    def repository(
        self, sessions: sessionmaker[Any], search_database: Database
    ) -> FastapiShopRepository:
        return FastapiShopRepository(sessions, SqlSearchEngine(search_database).search)

    @pytest.fixture
    def contract_data(self, sessions: sessionmaker[Any]) -> ContractData:
        with sessions() as session:
            jane = session.scalars(
                select(Customer).where(Customer.email == "jane.doe@example.com")
            ).one()
        return ContractData(
            product_ids=("FA-100", "FA-103", "FA-106"),
            customer_id=str(jane.id),
            addable_product_id="FA-108",
            customer_email="jane.doe@example.com",
            order_reference="FAO-1002",
            search_text="jacket",
            languages=("es-ES", "es", "en"),
            currency="USD",
        )
