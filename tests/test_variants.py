"""Every id the shop uses resolves: the rows of a variant group keep their own ids.

A Merchant Center feed whose rows share an item_group_id (a jacket in two colors and two sizes)
is imported through the CLI on SQLite, PostgreSQL and MariaDB (`empty_database_url`), and each
row's id is asked for through the frame API, carts, wishlists and recorded events; search runs
on both engines (the in-memory index and SQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import adapter_app, adapter_config, frame
from flask import Flask
from sqlalchemy import func, insert, select
from test_feeds import facet_counts, import_feed, tsv

from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import (
    Cart,
    CartLine,
    Customer,
    Product,
    ProductVariant,
    WishlistItem,
)
from oct8ne_adapter.sql.schema import current_revision, head_revision, upgrade
from oct8ne_adapter.sql.sessions import create_session, hash_token
from oct8ne_adapter.web.state import adapter_state

JACKET = {
    "description": "Storm-proof shell.",
    "image_link": "https://cdn.example/storm.jpg",
    "availability": "in_stock",
    "brand": "Fjellform",
    "product_type": "Apparel > Jackets",
    "material": "Nylon",
    "item_group_id": "STORM",
}


def jacket_row(row_id: str, color: str, size: str, price: str, **fields: str) -> dict[str, Any]:
    """One row of the jacket's group, as a Merchant Center feed lists it."""
    return {
        **JACKET,
        "id": row_id,
        "title": f"Storm Jacket - {color} {size}",
        "link": f"https://shop.example/p/storm?color={color.lower()}&size={size}",
        "price": price,
        "color": color,
        "size": size,
        **fields,
    }


ITEMS: list[dict[str, Any]] = [
    jacket_row("STORM-RED-M", "Red", "M", "150.00 USD"),
    {
        "id": "TENT-1",
        "title": "Ridge Tent",
        "link": "https://shop.example/p/tent-1",
        "image_link": "https://cdn.example/tent-1.jpg",
        "price": "199.00 USD",
        "availability": "in_stock",
        "brand": "Northpeak",
        "product_type": "Camping > Tents",
        "color": "Red",
    },
    jacket_row("STORM-RED-L", "Red", "L", "160.00 USD", sale_price="155.00 USD"),
    jacket_row("STORM-BLUE-M", "Blue", "M", "150.00 USD", availability="out_of_stock"),
    jacket_row("STORM-BLUE-L", "Blue", "L", "160.00 USD"),
]


@pytest.fixture
def config(empty_database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"database_url = {json.dumps(empty_database_url)}\n", encoding="utf-8")
    return path


@pytest.fixture
def imported(config: Path, tmp_path: Path, empty_database_url: str) -> str:
    """The database URL once the feed with the jacket's four rows is imported."""
    result = import_feed(config, tmp_path, "feed.tsv", tsv(ITEMS))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        ": 2 inserted, 0 updated, 0 unchanged, 0 pruned, 0 rejected"
    )
    return empty_database_url


@pytest.fixture(params=["index", "sql"])
def shop(imported: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The adapter over the imported catalog, searching with each engine."""
    config = adapter_config(imported, OCT8NE_SEARCH_ENGINE=request.param)
    with adapter_app(config) as application:
        yield application


def _ids_and_titles(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["internalId"], item["title"]) for item in items]


def test_every_row_id_answers_the_product_as_seen_through_that_row(shop: Flask) -> None:
    client = shop.test_client()
    ids = "STORM-BLUE-L,NOPE,STORM,STORM-RED-L,TENT-1,STORM-RED-M"
    infos = frame(client, "productInfo", productIds=ids)
    # The asked ids, in the asked order; the values that tell the rows apart (color and size,
    # not the material all share) are appended to the product's title.
    assert _ids_and_titles(infos) == [
        ("STORM-BLUE-L", "Storm Jacket – Blue, L"),
        ("STORM", "Storm Jacket"),
        ("STORM-RED-L", "Storm Jacket – Red, L"),
        ("TENT-1", "Ridge Tent"),
        ("STORM-RED-M", "Storm Jacket – Red, M"),
    ]
    blue_l, group, red_l, _, red_m = infos
    # The row's own price and link; the product's description and images.
    assert (red_l["formattedPrice"], red_l["formattedPrevPrice"]) == ("$155.00", "$160.00")
    assert red_l["productUrl"] == "https://shop.example/p/storm?color=red&size=L"
    assert (red_m["formattedPrice"], red_m["formattedPrevPrice"]) == ("$150.00", "$150.00")
    assert blue_l["description"] == group["description"] == "Storm-proof shell."
    assert blue_l["medias"] == group["medias"]
    # A row is one choice of the product: it goes to the cart as is; the group needs a choice.
    assert (red_m["useProductUrl"], group["useProductUrl"]) == (False, True)
    assert red_m["addToCartUrl"].endswith("STORM-RED-M")
    summaries = frame(client, "productSummary", productIds="STORM-RED-M,STORM-RED-M,STORM-BLUE-M")
    assert _ids_and_titles(summaries) == [
        ("STORM-RED-M", "Storm Jacket – Red, M"),
        ("STORM-BLUE-M", "Storm Jacket – Blue, M"),
    ]
    assert summaries[0]["productUrl"] == "https://shop.example/p/storm?color=red&size=M"


def test_search_counts_the_product_once_whatever_its_rows(shop: Flask) -> None:
    client = shop.test_client()
    found = frame(client, "search", search="storm jacket")
    assert found["total"] == 1
    assert [item["internalId"] for item in found["results"]] == ["STORM"]
    assert frame(client, "search")["total"] == 2
    counts = facet_counts(client)
    assert counts["color"] == {"Red": 2, "Blue": 1}
    assert counts["size"] == {"L": 1, "M": 1}
    assert counts["brand"] == {"fjellform": 1, "northpeak": 1}
    assert frame(client, "search", color="Blue")["total"] == 1
    assert frame(client, "search", size="L", color="Red")["total"] == 1


def _customer_with_session(database: Database) -> str:
    with database.transaction() as session:
        session.add(Customer(external_id="C-1", email="c1@example.com", first_name="Ana"))
        session.flush()
        return create_session(session, "C-1")


def test_carts_and_wishlists_keep_the_rows_they_name(shop: Flask) -> None:
    database = adapter_state(shop).database
    assert database is not None
    token = _customer_with_session(database)
    with database.transaction() as session:
        variant = dict(session.execute(select(ProductVariant.external_id, ProductVariant.pk)).all())
        jacket = session.scalar(select(Product.pk).where(Product.external_id == "STORM"))
        customer = session.scalar(select(Customer.pk).where(Customer.external_id == "C-1"))
        cart = Cart(customer_pk=customer, currency="USD", updated_at=datetime(2026, 1, 1))
        session.add(cart)
        session.flush()
        # Two rows of one product in one cart: two lines.
        for position, (item_id, quantity) in enumerate([("STORM-RED-L", 2), ("STORM-BLUE-M", 1)]):
            session.add(
                CartLine(
                    cart_pk=cart.pk,
                    item_id=item_id,
                    product_pk=jacket,
                    variant_pk=variant[item_id],
                    quantity=quantity,
                    position=position,
                )
            )
    client = shop.test_client()
    client.set_cookie("shop_session", token)
    added = frame(client, "addToWishList", productIds="STORM-RED-M,STORM-BLUE-L,NOPE")
    assert added == {"result": "true"}
    # Again: already there, nothing added twice.
    assert frame(client, "addToWishList", productIds="STORM-RED-M") == {"result": "true"}
    data = frame(client, "customerData")
    assert [(line["internalId"], line["title"], line["qty"]) for line in data["cart"]] == [
        ("STORM-RED-L", "Storm Jacket – Red, L", 2),
        ("STORM-BLUE-M", "Storm Jacket – Blue, M", 1),
    ]
    assert sorted(_ids_and_titles(data["wishlist"])) == [
        ("STORM-BLUE-L", "Storm Jacket – Blue, L"),
        ("STORM-RED-M", "Storm Jacket – Red, M"),
    ]
    with database.transaction() as session:
        rows = session.execute(
            select(WishlistItem.item_id, WishlistItem.variant_pk).order_by(WishlistItem.item_id)
        ).all()
    assert rows == [
        ("STORM-BLUE-L", variant["STORM-BLUE-L"]),
        ("STORM-RED-M", variant["STORM-RED-M"]),
    ]


def test_a_reimport_keeps_the_rows_carts_name_and_drops_only_the_rows_gone(
    config: Path, tmp_path: Path, imported: str
) -> None:
    with adapter_app(adapter_config(imported)) as application:
        database = adapter_state(application).database
        assert database is not None
        token = _customer_with_session(database)
        client = application.test_client()
        client.set_cookie("shop_session", token)
        frame(client, "addToWishList", productIds="STORM-RED-M,STORM-BLUE-L")
        with database.transaction() as session:
            before = dict(
                session.execute(select(ProductVariant.external_id, ProductVariant.pk)).all()
            )
        # The red M is cheaper now, the blue L is no longer sold, a green M is new.
        changed = [dict(item) for item in ITEMS if item["id"] != "STORM-BLUE-L"]
        changed[0]["price"] = "140.00 USD"
        changed.append(jacket_row("STORM-GREEN-M", "Green", "M", "150.00 USD"))
        result = import_feed(config, tmp_path, "feed2.tsv", tsv(changed))
        assert result.exit_code == 0, result.output
        with database.transaction() as session:
            after = dict(
                session.execute(select(ProductVariant.external_id, ProductVariant.pk)).all()
            )
        assert after["STORM-RED-M"] == before["STORM-RED-M"]
        assert "STORM-BLUE-L" not in after and "STORM-GREEN-M" in after
        wishlist = frame(client, "customerData")["wishlist"]
        assert [(item["internalId"], item["formattedPrice"]) for item in wishlist] == [
            ("STORM-RED-M", "$140.00")
        ]
        assert frame(client, "productInfo", productIds="STORM-BLUE-L") == []
        assert _ids_and_titles(frame(client, "productSummary", productIds="STORM-GREEN-M")) == [
            ("STORM-GREEN-M", "Storm Jacket – Green, M")
        ]


def test_json_lines_variants_are_labelled_in_the_visitors_language(
    config: Path, tmp_path: Path, empty_database_url: str
) -> None:
    def line(row_id: str, value: str, labels: dict[str, str], price: str) -> str:
        return json.dumps(
            {
                "id": row_id,
                "title": {"en": "Wool Cap", "es": "Gorro de lana"},
                "url": f"/p/cap?c={value}",
                "prices": {"EUR": price},
                "attributes": {"color": [{"value": value, "label": labels}]},
                "group": "CAP",
                "related": ["SCARF"],
            }
        )

    feed = "\n".join(
        [
            line("CAP-R", "red", {"en": "Red", "es": "Rojo"}, "20.00"),
            line("CAP-B", "blue", {"en": "Blue"}, "22.00"),
            json.dumps(
                {"id": "SCARF", "title": "Scarf", "url": "/p/scarf", "prices": {"EUR": "30.00"}}
            ),
        ]
    )
    result = import_feed(config, tmp_path, "feed.jsonl", feed + "\n")
    assert result.exit_code == 0, result.output
    with adapter_app(adapter_config(empty_database_url)) as application:
        client = application.test_client()
        spanish = frame(
            client, "productInfo", productIds="CAP-R,CAP-B", locale="es-ES", currency="EUR"
        )
        # A value without a Spanish label falls back along the chain (the shop's default).
        assert _ids_and_titles(spanish) == [
            ("CAP-R", "Gorro de lana – Rojo"),
            ("CAP-B", "Gorro de lana – Blue"),
        ]
        assert spanish[1]["productUrl"] == "https://shop.example/p/cap?c=blue"
        # productRelated by a row's id: the related products of its product.
        related = frame(client, "productRelated", productId="CAP-B")
        assert [item["internalId"] for item in related["results"]] == ["SCARF"]


def test_the_migration_keeps_cart_lines_and_wishlist_items_under_their_product_ids(
    empty_database_url: str,
) -> None:
    engine = create_database_engine(empty_database_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:
            # Named by the columns revision 0008 has (the models have more).
            for external_id, stock in (("OLD-1", None), ("OLD-0", 0)):
                connection.exec_driver_sql(
                    "INSERT INTO products (external_id, url, has_variants, stock, active, "
                    "position, updated_at) VALUES "
                    f"('{external_id}', '/p/x', false, {'NULL' if stock is None else stock}, "
                    "true, 0, '2026-01-01 00:00:00')"
                )
            product = connection.execute(
                select(Product.pk).where(Product.external_id == "OLD-1")
            ).scalar_one()
            customer = connection.execute(
                insert(Customer.__table__).values(
                    external_id="C-9", email="c9@example.com", first_name="", last_name=""
                )
            ).inserted_primary_key[0]
            cart = connection.execute(
                insert(Cart.__table__).values(
                    customer_pk=customer, currency="USD", updated_at=datetime(2026, 1, 1)
                )
            ).inserted_primary_key[0]
            connection.exec_driver_sql(
                "INSERT INTO cart_lines (cart_pk, product_pk, quantity, position) "
                f"VALUES ({cart}, {product}, 4, 0)"
            )
            connection.exec_driver_sql(
                "INSERT INTO wishlist_items (customer_pk, product_pk, added_at) "
                f"VALUES ({customer}, {product}, '2026-01-02 00:00:00')"
            )
        assert upgrade(engine) == ("0008", head_revision())
        with Database(engine).transaction() as session:
            assert session.execute(
                select(
                    CartLine.item_id, CartLine.product_pk, CartLine.variant_pk, CartLine.quantity
                )
            ).all() == [("OLD-1", product, None, 4)]
            assert session.execute(select(WishlistItem.item_id)).scalars().all() == ["OLD-1"]
            assert session.scalar(select(func.count()).select_from(ProductVariant)) == 0
            # What the stock said becomes the availability.
            assert dict(
                session.execute(select(Product.external_id, Product.availability)).all()
            ) == {
                "OLD-1": "in_stock",
                "OLD-0": "out_of_stock",
            }
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_recorded_cart_events_name_rows_and_getcart_answers_them(imported: str) -> None:
    secret = "variant-events-secret-0123456789"
    config = adapter_config(imported, OCT8NE_EVENTS_SECRET=secret)
    with adapter_app(config) as application:
        database = adapter_state(application).database
        assert database is not None
        with database.transaction() as session:
            token = create_session(session, None)
        client = application.test_client()
        lines = [
            {"product_id": "STORM-RED-L", "name": "Storm Jacket Red L", "quantity": 1},
            {"product_id": "STORM-BLUE-M", "name": "Storm Jacket Blue M", "quantity": 2},
        ]
        body = {
            "cart_id": "Q-1",
            "currency": "USD",
            "lines": [{**line, "unit_price": "150.00"} for line in lines],
            "subtotal": "450.00",
            "total": "450.00",
            "occurred_at": datetime.now().astimezone().isoformat(),
            "visitor": {"oct8ne_session": "OS-7"},
            # The guest's cart key, standalone: the recorded cart answers its shop session only.
            "shop_session": hash_token(token),
        }
        response = client.post(
            "/oct8ne/events/cart-updated",
            json=body,
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 202, response.get_json()
        client.set_cookie("shop_session", token)
        cart = client.get("/oct8ne/frame/getCart").get_json()["cart"]
        assert [(line["internalId"], line["qty"]) for line in cart] == [
            ("STORM-RED-L", 1),
            ("STORM-BLUE-M", 2),
        ]
