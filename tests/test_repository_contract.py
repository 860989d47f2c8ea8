"""The contract kit (`oct8ne_adapter.testing`) over our repositories, and over a broken one.

The in-memory reference repository and the SQL repository (demo data, on each backend) pass
every rule; a deliberately broken repository fails the rules it breaks, each with a message
that names the method and what it returned.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.repository import SqlRepository
from oct8ne_adapter.testing import (
    REFERENCE_DATA,
    ContractData,
    InMemoryRepository,
    RepositoryContract,
)

pytest_plugins = ["pytester"]


class TestInMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> InMemoryRepository:
        return InMemoryRepository()

    @pytest.fixture
    def contract_data(self) -> ContractData:
        return REFERENCE_DATA


#: The demo shop's data (oct8ne_adapter_demo): Jane Doe, her cart, wishlist and orders.
DEMO_DATA = ContractData(
    product_ids=("1001", "1002", "1004"),
    customer_id="1",
    addable_product_id="1010",
    customer_email="jane.doe@example.com",
    order_reference="JDX1001A",
    search_text="jacket",
    languages=("es-ES", "es", "en"),
    currency="USD",
)


@pytest.mark.writes_database
class TestSqlRepository(RepositoryContract):
    @pytest.fixture
    def repository(self, database_url: str) -> Iterator[SqlRepository]:
        database = Database(create_database_engine(database_url))
        yield SqlRepository(database, searcher=SqlSearchEngine(database).search)
        database.engine.dispose()

    @pytest.fixture
    def contract_data(self) -> ContractData:
        return DEMO_DATA


BROKEN_REPOSITORY = '''
from dataclasses import replace
from types import MappingProxyType

import pytest

from oct8ne_adapter.testing import REFERENCE_DATA, InMemoryRepository, RepositoryContract


class BrokenRepository(InMemoryRepository):
    """Sorts products by id, prices them in float, lists orders oldest first, over-counts."""

    def get_products(self, ids, languages):
        products = sorted(super().get_products(ids, languages), key=lambda p: p.id)
        return [
            replace(p, prices=MappingProxyType(
                {c: replace(price, amount=float(price.amount)) for c, price in p.prices.items()}
            ))
            for p in products
        ]

    def list_orders(self, email, languages, offset, limit):
        return list(reversed(super().list_orders(email, languages, 0, 100)))[offset:offset + limit]

    def add_to_wishlist(self, customer_id, product_ids):
        super().add_to_wishlist(customer_id, product_ids)
        return len(product_ids)


class TestBrokenRepository(RepositoryContract):
    @pytest.fixture
    def repository(self):
        return BrokenRepository()

    @pytest.fixture
    def contract_data(self):
        return REFERENCE_DATA
'''


def test_a_broken_repository_fails_the_rules_it_breaks_with_readable_messages(
    pytester: pytest.Pytester,
):
    pytester.makepyfile(test_shop=BROKEN_REPOSITORY)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    broken = {
        "test_products_keep_the_requested_order",
        "test_products_carry_texts_and_decimal_prices",
        "test_orders_are_newest_first_and_paged",
        "test_the_wishlist_grows_by_known_new_products_only",
    }
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == len(broken), result.stdout.str()
    assert outcomes["passed"] == len(RULES) - len(broken)
    failed = {
        line.split("::")[-1].split(" ")[0]
        for line in result.stdout.lines
        if line.startswith("FAILED ")
    }
    assert failed == broken
    output = result.stdout.str()
    for message in (
        "AssertionError: get_products must keep the requested order: "
        "asked ['1003', '1002', '1001'], got ['1001', '1002', '1003']",
        "AssertionError: product 1001's USD amount must be a Decimal (money is never float), "
        "got float 120.0",
        "AssertionError: orders must be newest first, got [datetime.datetime(2026, 3, 2, 9, 30)",
        "AssertionError: add_to_wishlist(['1004', unknown]) must add 1, says 2",
    ):
        assert message in output


#: The contract's rules: every test method of RepositoryContract.
RULES = [name for name in dir(RepositoryContract) if name.startswith("test_")]


def test_the_reference_repository_is_the_one_the_handler_tests_use():
    """The kit's reference data names data that exists in a new InMemoryRepository."""
    repository = InMemoryRepository()
    assert len(repository.get_products(REFERENCE_DATA.product_ids, ["en"])) == 3
    assert repository.get_customer(REFERENCE_DATA.customer_id) is not None
