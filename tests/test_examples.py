"""examples/flask_own_schema: a Flask shop with its own SQLAlchemy models serves the adapter.

Started by its run.sh it passes every check of `oct8ne-adapter check` (token and e-mail given,
failing on hardening, the lowest level); its repository, with our search over its
`CatalogSource`, passes the contract kit; getCart and getSalesReport work over it; and the index
over its models answers as the SQL search over the same records imported into our catalog.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import frame
from examples_support import (
    EXAMPLE_TOKEN,
    EXAMPLES,
    example_names,
    run_checker,
    running_example,
)
from flask import Flask
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from test_search_index import comparable, query

from oct8ne_adapter.domain import PriceBasis, SearchQuery, SortField
from oct8ne_adapter.search.index import IndexedSearchEngine, RecordCatalog
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.writer import CatalogWriter
from oct8ne_adapter.testing import ContractData, RepositoryContract, sourced_repository
from oct8ne_adapter.web.state import adapter_state

sys.path.insert(0, str(EXAMPLES / "flask_own_schema"))

from teashop import create_shop  # noqa: E402
from teashop.catalog import TeaCatalogSource  # noqa: E402
from teashop.models import Item  # noqa: E402
from teashop.repository import TeaShopRepository  # noqa: E402
from teashop.seed import JANE_EMAIL, JANE_SESSION, seed  # noqa: E402

#: Every example CI checks: the Flask one here, Django's and FastAPI's sessions in
#: test_examples_django_fastapi.py.
ALL_EXAMPLES = ["django_shop", "fastapi_shop", "flask_own_schema"]


def test_every_example_has_a_readme_and_run_sh():
    assert example_names() == ALL_EXAMPLES
    for name in ALL_EXAMPLES:
        readme = (EXAMPLES / name / "README.md").read_text()
        assert "run.sh" in readme and "OCT8NE_API_TOKEN" in readme


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_the_example_passes_every_check(name: str, tmp_path: Path):
    with running_example(name, tmp_path) as base_url:
        status, report = run_checker(base_url)
    failing = [check for check in report["checks"] if check["status"] != "pass"]
    assert (status, report["ok"], failing) == (0, True, [])
    # Every check ran: the token and the e-mail opened the order and report checks too.
    assert report["summary"]["checks"]["pass"] == len(report["checks"]) >= 40


@pytest.mark.parametrize(
    ("arguments", "token", "message"),
    [
        ([], EXAMPLE_TOKEN, "usage:"),
        (["eighty"], EXAMPLE_TOKEN, "usage:"),
        (["8000"], "", "set OCT8NE_API_TOKEN"),
    ],
)
def test_run_sh_refuses_bad_input_in_one_line(arguments, token, message, tmp_path: Path):
    environment = {**os.environ, "OCT8NE_API_TOKEN": token, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [str(EXAMPLES / "flask_own_schema" / "run.sh"), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.fixture
def shop_engine(tmp_path: Path) -> Iterator[Engine]:
    """The tea shop's own database, freshly seeded."""
    engine = create_engine(f"sqlite:///{tmp_path / 'teashop.db'}")
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(shop_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(shop_engine, expire_on_commit=False)


class TestTeaShopRepository(RepositoryContract):
    """The contract kit on the example's repository, searched by our index over its source."""

    @pytest.fixture
    def repository(self, sessions: sessionmaker[Session]):
        return sourced_repository(TeaShopRepository(sessions), TeaCatalogSource(sessions))

    @pytest.fixture
    def contract_data(self) -> ContractData:
        return ContractData(
            product_ids=("T-100", "W-100", "T-301"),
            customer_id="1",
            addable_product_id="T-200",
            customer_email=JANE_EMAIL,
            order_reference="TS-1002",
            search_text="oolong",
            languages=("en",),
            currency="EUR",
        )


@pytest.fixture
def shop(shop_engine: Engine, adapter_tables_url: str) -> Iterator[Flask]:
    app = create_shop(
        shop_engine,
        adapter_tables_url,
        shop_url="http://shop.test",
        api_token=EXAMPLE_TOKEN,
        poll_ms=0,
    )
    yield app
    database = adapter_state(app).database
    assert database is not None
    database.engine.dispose()


def test_get_cart_and_the_sales_report_over_the_shops_own_repository(shop: Flask):
    client = shop.test_client()
    assert frame(client, "getCart")["cart"] == []  # an anonymous visitor
    client.set_cookie("teashop_session", JANE_SESSION)
    # Jane's own basket, from the shop's tables: one matcha and two bowls.
    own = frame(client, "getCart")
    assert [(line["internalId"], line["qty"]) for line in own["cart"]] == [
        ("T-105", 1),
        ("W-202", 2),
    ]
    assert (own["price"], own["totalItems"], own["currency"]) == (73.0, 3, "EUR")
    # Adding to the basket on the shop records the basket as a commerce event.
    client.set_cookie("oct8ne-session", "OS-tea")
    assert client.post("/cart/add/T-100").status_code == 302
    recorded = frame(client, "getCart")
    assert [line["internalId"] for line in recorded["cart"]] == ["T-105", "W-202", "T-100"]
    assert recorded["price"] == 85.5
    today = datetime.now(UTC).date()
    period = {"from": f"{today - timedelta(days=1)}", "to": f"{today + timedelta(days=1)}"}
    assert frame(client, "getSalesReport", **period, apiToken="wrong") == []
    (row,) = frame(client, "getSalesReport", **period, apiToken=EXAMPLE_TOKEN)
    assert (row["quoteId"], row["sessionId"], row["customerId"]) == ("basket-1", "OS-tea", "1")
    assert (row["itemsCount"], row["productsCount"], row["orderId"]) == (4, 3, None)


def test_a_change_in_the_shops_tables_reaches_search_at_the_next_poll(
    shop: Flask, sessions: sessionmaker[Session]
):
    client = shop.test_client()
    assert frame(client, "search", search="zanzibar")["total"] == 0
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.sku == "T-203"))
        assert item is not None
        item.name_en = "Zanzibar spiced black tea"
    found = frame(client, "search", search="zanzibar")
    assert [product["internalId"] for product in found["results"]] == ["T-203"]
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.sku == "T-203"))
        assert item is not None
        item.listed = False  # taken off sale
    assert frame(client, "search", search="zanzibar")["total"] == 0
    teas = frame(client, "search", category="tea-black")
    assert teas["total"] == 5


EUR = PriceBasis("EUR", "EUR", None)
USD = PriceBasis("USD", "EUR", Decimal("1.08"))


def tea_query(text: str = "", *filters: tuple[str, str], **options: object) -> SearchQuery:
    return query(text, *filters, **{"basis": EUR, "languages": ("en-IE", "en"), **options})


TEA_QUERIES = {
    "everything": tea_query(),
    "word": tea_query("green"),
    "prefix": tea_query("oo"),
    "spanish": tea_query("tetera", languages=("es-ES", "es")),
    "section": tea_query("", ("category", "tea")),
    "subsection": tea_query("", ("category", "tea"), ("category", "tea-oolong")),
    "maker": tea_query("", ("brand", "misty-peak")),
    "origin": tea_query("", ("origin", "japan")),
    "origin label in spanish": tea_query("", ("origin", "kenya"), languages=("es-ES", "es")),
    "pack and price": tea_query("", ("pack", "50g"), ("price", "10-25")),
    "in stock": tea_query("", ("availability", "in_stock")),
    "by price": tea_query("", sort=SortField.PRICE, descending=True),
    "by name, spanish": tea_query("", sort=SortField.NAME, languages=("es-MX", "es")),
    "dollars": tea_query("", ("price", "0-15"), sort=SortField.PRICE, basis=USD),
    "page 2": tea_query("", offset=10, limit=10),
}


def test_the_index_over_the_shops_models_answers_as_the_sql_search(
    sessions: sessionmaker[Session], tmp_path: Path, adapter_tables_url: str
):
    """The same records imported into our SQL catalog: same totals, facets, labels, pages."""
    source = TeaCatalogSource(sessions)
    database = Database(create_database_engine(adapter_tables_url))
    with database.transaction() as session:
        writer = CatalogWriter(session)
        for batch in source.records():
            for record in batch:
                writer.upsert(record)
        writer.finish()
    index = IndexedSearchEngine(RecordCatalog(source), None, poll_seconds=0)
    sql = SqlSearchEngine(database)
    for name, search_query in TEA_QUERIES.items():
        indexed, expected = (
            comparable(index.search(search_query)),
            comparable(sql.search(search_query)),
        )
        if search_query.text:  # relevance ranks differ by backend: compare whole sets
            everything = replace(search_query, offset=0, limit=100)
            indexed["page"] = sorted(p.id for p in index.search(everything).products)
            expected["page"] = sorted(p.id for p in sql.search(everything).products)
        assert indexed == expected, name
        assert indexed["total"], f"{name} finds nothing: not a useful comparison"
    database.engine.dispose()
