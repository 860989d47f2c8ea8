"""Hot paths (issue 21 item 3): cached answers send no SQL, and none outlives what it shows.

The app trusts its caches for one poll interval (`search_index_poll_ms`) between two reads of
the catalog change log; here that interval is long and the product cache's clock is settable,
so a test decides when a read is due. Writes are made through a separate engine, as another
process (an import, the shop, the demo's cart) would make them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import adapter_app, adapter_config, frame, rename_product
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, insert, select, update
from test_price_windows import (  # noqa: F401  (fixtures)
    BEFORE,
    INSIDE,
    Clock,
    config,
    database,
)

from oct8ne_adapter.sql.catalog_changes import ChangeRecorder
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import (
    Cart,
    CartLine,
    Customer,
    Product,
    ProductPrice,
    ShopSession,
    WishlistItem,
)
from oct8ne_adapter.sql.sessions import hash_token
from oct8ne_adapter.web.state import adapter_state

IDS = "1001,1002,1003"
JANE = "1"
JOHN = "2"


class Ticks:
    """A settable monotonic clock for the product cache."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hot_app(database_url: str, **overrides: Any) -> Iterator[tuple[Flask, Ticks]]:
    """The adapter trusting its caches for 60 s, with the product cache's clock settable."""
    ticks = Ticks()
    settings = adapter_config(database_url, OCT8NE_SEARCH_INDEX_POLL_MS=60_000, **overrides)
    with adapter_app(settings) as application:
        own = adapter_state(application).database
        assert own is not None
        own.product_cache.clock = ticks
        yield application, ticks


@pytest.fixture
def hot(database_url: str) -> Iterator[tuple[Flask, Ticks]]:
    yield from hot_app(database_url)


@pytest.fixture
def other_process(database_url: str) -> Iterator[Database]:
    """The same database through an engine of its own, as another process writes it."""
    engine = create_database_engine(database_url)
    yield Database(engine)
    engine.dispose()


class Statements:
    """The SQL statements an app's engine sends while in use."""

    def __init__(self, application: Flask) -> None:
        own = adapter_state(application).database
        assert own is not None
        self.engine = own.engine
        self.sent: list[str] = []

    def _record(self, *arguments: Any) -> None:
        self.sent.append(str(arguments[2]))

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.sent

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def titles(client: FlaskClient, method: str = "productInfo", **params: Any) -> list[str]:
    return [item["title"] for item in frame(client, method, productIds=IDS, **params)]


# -- productInfo / productSummary ---------------------------------------------------------


def test_cached_products_are_answered_without_sql(hot: tuple[Flask, Ticks]) -> None:
    application, _ = hot
    client = application.test_client()
    first = frame(client, "productInfo", productIds=IDS)
    frame(client, "productInfo", productIds="1003,1001", locale="es-ES")
    with Statements(application) as sent:
        assert frame(client, "productInfo", productIds=IDS) == first  # the encoded answer
        # Another order, and a productSummary: products from the cache, answers built anew.
        again = frame(client, "productInfo", productIds="1002,1001")
        assert [item["internalId"] for item in again] == ["1002", "1001"]
        frame(client, "productSummary", productIds=IDS)
        frame(client, "productSummary", productIds="1001,1003", locale="es-ES")
    assert sent == []


def test_an_unknown_id_is_asked_of_the_database(hot: tuple[Flask, Ticks]) -> None:
    application, _ = hot
    client = application.test_client()
    frame(client, "productInfo", productIds=IDS)
    with Statements(application) as sent:
        assert len(frame(client, "productInfo", productIds=f"{IDS},nope")) == 3
    assert sent  # never cached as "unknown": a product imported later must show


@pytest.mark.writes_database
def test_a_catalog_change_is_seen_once_the_log_is_read(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, ticks = hot
    client = application.test_client()
    before = titles(client)
    summaries = titles(client, "productSummary", locale="es-ES")
    rename_product(other_process, "1002", "Quokkaflux parka")
    ticks.now += 61  # the poll interval has passed: the next call reads the change log
    after = titles(client)
    assert after == [before[0], "Quokkaflux parka", before[2]]
    assert titles(client, "productSummary", locale="es-ES")[1] == "Quokkaflux parka"
    assert titles(client, "productSummary", locale="es-ES") != summaries
    # JSONP wraps the same, new answer.
    script = client.get(f"/oct8ne/frame/productInfo?productIds={IDS}&callback=cb").data
    assert b"Quokkaflux parka" in script


@pytest.mark.writes_database
def test_a_price_change_is_seen_in_every_currency(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, ticks = hot
    client = application.test_client()
    usd = frame(client, "productInfo", productIds="1001", currency="USD")[0]["formattedPrice"]
    eur = frame(client, "productInfo", productIds="1001", currency="EUR")[0]["formattedPrice"]
    with other_process.transaction() as session:
        pk = session.scalar(select(Product.pk).where(Product.external_id == "1001"))
        assert pk is not None
        session.execute(
            update(ProductPrice)
            .where(ProductPrice.product_pk == pk)
            .values(amount_minor=ProductPrice.amount_minor + 100)
        )
        recorder = ChangeRecorder()
        recorder.add([pk])
        recorder.write(session)
    ticks.now += 61
    assert (
        frame(client, "productInfo", productIds="1001", currency="USD")[0]["formattedPrice"] != usd
    )
    assert (
        frame(client, "productInfo", productIds="1001", currency="EUR")[0]["formattedPrice"] != eur
    )


def test_a_timed_price_switches_at_the_next_call(
    database: Database,  # noqa: F811  (the feed with a timed sale, imported)
    empty_database_url: str,
) -> None:
    """The switch runs in this process: its products and answers follow at once, not a poll
    interval later, though the interval is long and the cache's clock stands still."""
    clock = Clock(BEFORE)
    for application, _ in hot_app(empty_database_url, OCT8NE_SEARCH_ENGINE="sql"):
        switch = adapter_state(application).price_switch
        assert switch is not None
        switch.clock = clock
        client = application.test_client()
        price = frame(client, "productInfo", productIds="LAMP", currency="USD")[0]
        assert price["formattedPrice"] == "$80.00"
        clock.now = INSIDE
        price = frame(client, "productInfo", productIds="LAMP", currency="USD")[0]
        assert price["formattedPrice"] == "$20.00"


# -- customerData -------------------------------------------------------------------------


def sign_in(application: Flask, customer_id: str | None) -> FlaskClient:
    """A client with a new shop session of this customer (None: a guest)."""
    client = application.test_client()
    token = adapter_state(application).repository.create_session(customer_id)  # type: ignore[attr-defined]
    client.set_cookie("shop_session", token)
    return client


def customer(client: FlaskClient, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = frame(client, "customerData", **params)
    return data


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["internalId"] for item in items]


def customer_pk(writer: Database, external_id: str) -> int:
    with writer.session() as session:
        pk = session.scalar(select(Customer.pk).where(Customer.external_id == external_id))
    assert pk is not None
    return pk


def test_customer_data_reads_no_product_when_the_products_are_cached(
    hot: tuple[Flask, Ticks],
) -> None:
    application, _ = hot
    jane = sign_in(application, JANE)
    first = customer(jane)
    assert first["id"] == JANE and first["wishlist"] and first["cart"]
    with Statements(application) as sent:
        assert customer(jane) == first
    # The session with its customer, the wishlist, the cart with its lines: one statement, no
    # product table.
    assert len(sent) == 1
    assert not [sql for sql in sent if "product" in sql.lower()]


@pytest.mark.writes_database
def test_customer_data_follows_wishlist_and_cart_writes_at_once(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, _ = hot
    jane = sign_in(application, JANE)
    before = customer(jane)
    assert "1001" not in ids(before["wishlist"])
    assert frame(jane, "addToWishList", productIds="1001") == {"result": "true"}
    assert ids(customer(jane)["wishlist"]) == [*ids(before["wishlist"]), "1001"]

    # Another process empties the wishlist and changes a cart line's quantity.
    pk = customer_pk(other_process, JANE)
    with other_process.transaction() as session:
        session.execute(delete(WishlistItem).where(WishlistItem.customer_pk == pk))
        cart = session.scalars(select(Cart.pk).where(Cart.customer_pk == pk)).first()
        assert cart is not None
        line = session.execute(
            select(CartLine.item_id, CartLine.quantity).where(CartLine.cart_pk == cart)
        ).first()
        assert line is not None
        session.execute(
            update(CartLine)
            .where(CartLine.cart_pk == cart, CartLine.item_id == line.item_id)
            .values(quantity=line.quantity + 2)
        )
    after = customer(jane)
    assert after["wishlist"] == []
    quantities = {item["internalId"]: item["qty"] for item in after["cart"]}
    assert quantities[line.item_id] == line.quantity + 2


@pytest.mark.writes_database
def test_a_signed_out_session_is_anonymous_at_the_next_call(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, _ = hot
    jane = sign_in(application, JANE)
    assert customer(jane)["id"] == JANE
    token = jane.get_cookie("shop_session")
    assert token is not None
    with other_process.transaction() as session:
        session.execute(
            delete(ShopSession).where(ShopSession.token_hash == hash_token(token.value))
        )
    signed_out = customer(jane)
    assert signed_out["id"] is None
    assert signed_out == customer(application.test_client())  # what an anonymous visitor gets


@pytest.mark.writes_database
def test_an_expired_session_is_anonymous(hot: tuple[Flask, Ticks], other_process: Database) -> None:
    application, _ = hot
    jane = sign_in(application, JANE)
    token = jane.get_cookie("shop_session")
    assert token is not None and customer(jane)["id"] == JANE
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    with other_process.transaction() as session:
        session.execute(
            update(ShopSession)
            .where(ShopSession.token_hash == hash_token(token.value))
            .values(expires_at=past)
        )
    assert customer(jane)["id"] is None


@pytest.mark.writes_database
def test_two_visitors_with_the_same_cart_never_see_each_other(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, _ = hot
    jane, john = sign_in(application, JANE), sign_in(application, JOHN)
    # John gets exactly Jane's wishlist and cart: only the customer tells the answers apart.
    jane_pk, john_pk = customer_pk(other_process, JANE), customer_pk(other_process, JOHN)
    with other_process.transaction() as session:
        session.execute(delete(WishlistItem).where(WishlistItem.customer_pk == john_pk))
        session.execute(delete(Cart).where(Cart.customer_pk == john_pk))
        for item in session.execute(
            select(WishlistItem.__table__).where(WishlistItem.customer_pk == jane_pk)
        ).mappings():
            session.execute(insert(WishlistItem).values({**item, "customer_pk": john_pk}))
        cart = (
            session.execute(
                select(Cart.__table__).where(Cart.customer_pk == jane_pk).order_by(Cart.pk.desc())
            )
            .mappings()
            .first()
        )
        assert cart is not None
        copied = session.execute(
            insert(Cart).values(
                {key: value for key, value in cart.items() if key != "pk"}
                | {"customer_pk": john_pk, "updated_at": cart["updated_at"] + timedelta(1)}
            )
        ).inserted_primary_key
        assert copied is not None
        for line in session.execute(
            select(CartLine.__table__).where(CartLine.cart_pk == cart["pk"])
        ).mappings():
            session.execute(insert(CartLine).values({**line, "cart_pk": copied[0]}))
    first, second = customer(jane), customer(john)
    assert (first["id"], first["email"]) == (JANE, "jane.doe@example.com")
    assert (second["id"], second["email"]) == (JOHN, "john.smith@example.com")
    assert second["wishlist"] == first["wishlist"] and second["cart"] == first["cart"]
    assert customer(jane)["id"] == JANE and customer(john)["id"] == JOHN
    anonymous = application.test_client()
    assert customer(anonymous)["id"] is None and customer(anonymous)["cart"] == []


@pytest.mark.writes_database
def test_a_guest_cart_is_shown_until_the_customer_has_one(
    hot: tuple[Flask, Ticks], other_process: Database
) -> None:
    application, _ = hot
    guest = sign_in(application, None)
    assert customer(guest)["cart"] == []
    token = guest.get_cookie("shop_session")
    assert token is not None
    with other_process.transaction() as session:
        cart = session.execute(
            insert(Cart).values(
                session_key=hash_token(token.value),
                currency="USD",
                updated_at=datetime.now(UTC).replace(tzinfo=None),
            )
        ).inserted_primary_key
        assert cart is not None
        pk = session.scalar(select(Product.pk).where(Product.external_id == "1004"))
        session.execute(
            insert(CartLine).values(
                cart_pk=cart[0], item_id="1004", product_pk=pk, quantity=2, position=0
            )
        )
    data = customer(guest)
    assert data["id"] is None
    assert [(item["internalId"], item["qty"]) for item in data["cart"]] == [("1004", 2)]
