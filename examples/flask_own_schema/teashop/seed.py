"""The shop's starting data: sections, makers, items, and customers with baskets and orders.

`jane.doe@example.com` has a basket of two items, two wishes and three orders; she is signed in
by the session token JANE_SESSION (the `teashop_session` cookie).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from teashop.models import (
    Base,
    BasketLine,
    Customer,
    Item,
    Maker,
    Pairing,
    Purchase,
    PurchaseLine,
    Section,
    Wish,
)

JANE_EMAIL = "jane.doe@example.com"
JANE_SESSION = "jane-session-4f1c2a9e"

SECTIONS = [
    # slug, English, Spanish, parent slug
    ("tea", "Tea", "Té", None),
    ("tea-green", "Green tea", "Té verde", "tea"),
    ("tea-black", "Black tea", "Té negro", "tea"),
    ("tea-oolong", "Oolong", "Oolong", "tea"),
    ("teaware", "Teaware", "Utensilios", None),
    ("teaware-pots", "Teapots", "Teteras", "teaware"),
    ("teaware-cups", "Cups", "Tazas", "teaware"),
]
MAKERS = {
    "MP": "Misty Peak",
    "HL": "Harbour Leaf",
    "KW": "Kyusu Works",
    "SS": "Stone & Steam",
    "GR": "Garden Row",
}
#: sku, English name, price, price before, maker, section, origin, pack size, stock
ITEMS = [
    ("T-100", "Dragon Well green tea", "12.50", None, "MP", "tea-green", "china", "50g", 40),
    ("T-101", "Sencha Asatsuyu", "14.00", "16.00", "HL", "tea-green", "japan", "50g", 25),
    ("T-102", "Gyokuro shaded green tea", "24.00", None, "HL", "tea-green", "japan", "50g", 8),
    ("T-103", "Genmaicha toasted rice tea", "8.50", None, "GR", "tea-green", "japan", "100g", 60),
    ("T-104", "Bi Luo Chun green tea", "18.00", None, "MP", "tea-green", "china", "50g", 0),
    ("T-105", "Matcha ceremonial grade", "29.00", "32.00", "HL", "tea-green", "japan", "30g", 15),
    ("T-200", "Assam breakfast black tea", "7.90", None, "GR", "tea-black", "india", "100g", 80),
    ("T-201", "Darjeeling first flush", "21.00", None, "GR", "tea-black", "india", "50g", 12),
    ("T-202", "Keemun black tea", "11.00", None, "MP", "tea-black", "china", "100g", 30),
    ("T-203", "Kenyan highland black tea", "6.50", None, "GR", "tea-black", "kenya", "250g", 45),
    ("T-204", "Lapsang souchong", "9.80", "11.00", "MP", "tea-black", "china", "100g", 20),
    ("T-205", "Earl Grey with bergamot", "8.20", None, "HL", "tea-black", "india", "100g", 70),
    ("T-300", "Tieguanyin oolong", "16.50", None, "MP", "tea-oolong", "china", "50g", 18),
    ("T-301", "Oriental Beauty oolong", "26.00", None, "HL", "tea-oolong", "taiwan", "50g", 6),
    ("T-302", "Milk oolong", "13.00", None, "HL", "tea-oolong", "taiwan", "100g", 22),
    ("T-303", "Da Hong Pao rock oolong", "34.00", None, "MP", "tea-oolong", "china", "50g", 4),
    ("W-100", "Cast iron teapot", "45.00", "55.00", "KW", "teaware-pots", None, None, 10),
    ("W-101", "Kyusu side-handle teapot", "38.00", None, "KW", "teaware-pots", None, None, 7),
    ("W-102", "Glass teapot with infuser", "24.00", None, "SS", "teaware-pots", None, None, 30),
    ("W-103", "Porcelain gaiwan", "19.00", None, "SS", "teaware-pots", None, None, 0),
    ("W-200", "Stoneware tea cup", "9.00", None, "SS", "teaware-cups", None, None, 50),
    ("W-201", "Double-walled glass cup", "12.00", None, "SS", "teaware-cups", None, None, 35),
    ("W-202", "Matcha bowl", "22.00", None, "KW", "teaware-cups", None, None, 9),
    ("W-203", "Tasting cup set", "27.00", "30.00", "KW", "teaware-cups", None, None, 14),
]
SPANISH_NAMES = {
    "T-100": "Té verde Pozo del Dragón",
    "T-101": "Sencha Asatsuyu",
    "T-102": "Gyokuro a la sombra",
    "T-103": "Genmaicha con arroz tostado",
    "T-104": "Té verde Bi Luo Chun",
    "T-105": "Matcha ceremonial",
    "T-200": "Té negro Assam desayuno",
    "T-201": "Darjeeling primera cosecha",
    "T-202": "Té negro Keemun",
    "T-203": "Té negro de las tierras altas de Kenia",
    "T-204": "Lapsang souchong ahumado",
    "T-205": "Earl Grey con bergamota",
    "T-300": "Oolong Tieguanyin",
    "T-301": "Oolong Belleza Oriental",
    "T-302": "Oolong lechoso",
    "T-303": "Oolong de roca Da Hong Pao",
    "W-100": "Tetera de hierro fundido",
    "W-101": "Tetera kyusu de mango lateral",
    "W-102": "Tetera de cristal con infusor",
    "W-103": "Gaiwan de porcelana",
    "W-200": "Taza de gres",
    "W-201": "Taza de cristal de doble pared",
    "W-202": "Cuenco para matcha",
    "W-203": "Juego de tazas de cata",
}
#: (item, paired item, rank)
PAIRINGS = [
    ("T-105", "W-202", 0),
    ("T-101", "W-101", 0),
    ("T-101", "W-200", 1),
    ("T-300", "W-103", 0),
    ("W-100", "T-200", 0),
]
CUSTOMERS = [
    (JANE_EMAIL, "Jane", "Doe", JANE_SESSION),
    ("li.wei@example.com", "Li", "Wei", None),
]
#: (reference, e-mail, days ago, status, [(sku, quantity)], carrier, tracking)
ORDERS = [
    ("TS-1001", JANE_EMAIL, 60, "delivered", [("T-100", 2), ("W-200", 1)], "Post", "PX1001"),
    ("TS-1002", JANE_EMAIL, 21, "delivered", [("T-205", 1)], "Post", "PX1002"),
    ("TS-1003", JANE_EMAIL, 3, "shipped", [("W-100", 1), ("T-200", 2)], "Courier", "CR1003"),
    ("TS-1004", "li.wei@example.com", 9, "paid", [("T-301", 1)], "", ""),
]
JANE_BASKET = [("T-105", 1), ("W-202", 2)]
JANE_WISHES = ["T-303", "W-203"]


def seed(engine: Engine, now: datetime | None = None) -> None:
    """Create the shop's tables afresh and fill them."""
    now = now or datetime.now().replace(microsecond=0)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        sections: dict[str, Section] = {}
        for slug, title_en, title_es, parent in SECTIONS:
            sections[slug] = Section(
                slug=slug,
                title_en=title_en,
                title_es=title_es,
                parent=sections[parent] if parent else None,
            )
        makers = {key: Maker(name=name) for key, name in MAKERS.items()}
        items: dict[str, Item] = {}
        for sku, name_en, price, was, maker, section, origin, pack, stock in ITEMS:
            name_es = SPANISH_NAMES[sku]
            items[sku] = Item(
                sku=sku,
                name_en=name_en,
                name_es=name_es,
                blurb_en=f"{name_en}, from the {sections[section].title_en.lower()} shelf.",
                blurb_es=f"{name_es}, de la sección {sections[section].title_es.lower()}.",
                price_eur=Decimal(price),
                was_eur=Decimal(was) if was else None,
                maker=makers[maker],
                section=sections[section],
                origin=origin,
                pack=pack,
                on_hand=stock,
                image=f"/static/items/{sku.lower()}.svg",
            )
        session.add_all([*sections.values(), *makers.values(), *items.values()])
        session.flush()
        session.add_all(
            Pairing(item_id=items[a].id, paired_id=items[b].id, rank=rank)
            for a, b, rank in PAIRINGS
        )
        customers = {
            email: Customer(email=email, first_name=first, last_name=last, session_token=token)
            for email, first, last, token in CUSTOMERS
        }
        session.add_all(customers.values())
        session.flush()
        jane = customers[JANE_EMAIL]
        session.add_all(
            BasketLine(customer_id=jane.id, item_id=items[sku].id, quantity=quantity)
            for sku, quantity in JANE_BASKET
        )
        for days, sku in enumerate(JANE_WISHES):
            added = now - timedelta(days=10 - days)
            session.add(Wish(customer_id=jane.id, item_id=items[sku].id, added_at=added))
        for reference, email, days_ago, status, lines, carrier, tracking in ORDERS:
            total = sum((items[sku].price_eur * quantity for sku, quantity in lines), Decimal(0))
            session.add(
                Purchase(
                    reference=reference,
                    customer_id=customers[email].id,
                    placed_at=now - timedelta(days=days_ago),
                    status=status,
                    total_eur=total,
                    carrier=carrier,
                    tracking=tracking,
                    lines=[
                        PurchaseLine(item_id=items[sku].id, name=items[sku].name_en, quantity=q)
                        for sku, q in lines
                    ],
                )
            )
