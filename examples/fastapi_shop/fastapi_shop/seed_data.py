"""What the example shop sells and who buys from it: plain data, written by `manage.py seed`."""

from __future__ import annotations

from datetime import datetime

#: Category slug -> names by language.
CATEGORIES = {
    "jackets": {"en": "Jackets", "es": "Chaquetas"},
    "camping": {"en": "Camping", "es": "Acampada"},
    "bags": {"en": "Bags", "es": "Mochilas"},
    "footwear": {"en": "Footwear", "es": "Calzado"},
}

#: Color code -> labels by language.
COLORS = {
    "blue": {"en": "Blue", "es": "Azul"},
    "green": {"en": "Green", "es": "Verde"},
    "red": {"en": "Red", "es": "Rojo"},
    "grey": {"en": "Grey", "es": "Gris"},
}

#: sku, category, brand, color, stock, {language: (title, description)},
#: {currency: (price, previous price or None)}, related skus.
PRODUCTS = (
    (
        "FA-100", "jackets", "Northpeak", "blue", 12,
        {"en": ("Storm Rain Jacket", "Taped seams, packs into its own pocket."),
         "es": ("Chaqueta de lluvia Storm", "Costuras selladas, se guarda en su bolsillo.")},
        {"USD": ("129.00", "159.00"), "EUR": ("119.00", "149.00")},
        ("FA-101", "FA-108"),
    ),
    (
        "FA-101", "jackets", "Fjellwear", "red", 4,
        {"en": ("Alpine Down Jacket", "Eight hundred fill down for cold summits."),
         "es": ("Chaqueta de plumas Alpine", "Plumón 800 para cumbres frías.")},
        {"USD": ("249.00", None), "EUR": ("229.00", None)},
        ("FA-100",),
    ),
    (
        "FA-102", "jackets", "Northpeak", "grey", 0,
        {"en": ("Fleece Mid-layer Jacket", "A warm fleece for cool evenings."),
         "es": ("Chaqueta polar", "Un forro polar cálido para las tardes frescas.")},
        {"USD": ("69.00", None), "EUR": ("64.00", None)},
        (),
    ),
    (
        "FA-103", "camping", "Summit", "green", 7,
        {"en": ("Trekker Tent 2P", "Two people, three seasons, 1.9 kg."),
         "es": ("Tienda Trekker 2P", "Dos personas, tres estaciones, 1,9 kg.")},
        {"USD": ("299.00", "349.00"), "EUR": ("279.00", "329.00")},
        ("FA-104", "FA-105"),
    ),
    (
        "FA-104", "camping", "Summit", "blue", 40,
        {"en": ("Enamel Camp Mug", "Holds 350 ml and survives the fire."),
         "es": ("Taza esmaltada", "350 ml, resiste el fuego.")},
        {"USD": ("14.50", None), "EUR": ("13.50", None)},
        (),
    ),
    (
        "FA-105", "camping", "Fjellwear", "green", 15,
        {"en": ("Folding Camp Stool", "Aluminium frame, 600 g."),
         "es": ("Taburete plegable", "Estructura de aluminio, 600 g.")},
        {"USD": ("39.00", None), "EUR": ("36.00", None)},
        ("FA-103",),
    ),
    (
        "FA-106", "bags", "Northpeak", "grey", 9,
        {"en": ("Canvas Day Pack", "Twenty litres with a laptop sleeve."),
         "es": ("Mochila de lona", "Veinte litros con funda para portátil.")},
        {"USD": ("79.00", "95.00"), "EUR": ("74.00", "89.00")},
        ("FA-107",),
    ),
    (
        "FA-107", "bags", "Summit", "red", 3,
        {"en": ("Expedition Backpack 60L", "A frame pack for long treks."),
         "es": ("Mochila de expedición 60L", "Mochila con armazón para travesías largas.")},
        {"USD": ("189.00", None), "EUR": ("175.00", None)},
        ("FA-106", "FA-103"),
    ),
    (
        "FA-108", "footwear", "Fjellwear", "blue", 20,
        {"en": ("Trail Running Shoe", "Grippy outsole for rough mountain paths."),
         "es": ("Zapatilla de trail", "Suela de gran agarre para caminos de montaña.")},
        {"USD": ("119.00", None), "EUR": ("109.00", None)},
        ("FA-109",),
    ),
    (
        "FA-109", "footwear", "Northpeak", "grey", 11,
        {"en": ("Waterproof Hiking Boot", "Leather upper and a waterproof membrane."),
         "es": ("Bota de montaña impermeable", "Piel y membrana impermeable.")},
        {"USD": ("169.00", "189.00"), "EUR": ("155.00", "175.00")},
        ("FA-108",),
    ),
)

#: e-mail, first name, last name.
CUSTOMERS = (
    ("jane.doe@example.com", "Jane", "Doe"),
    ("john.roe@example.com", "John", "Roe"),
)

#: Jane's cart (sku, quantity), wishlist (oldest first) and cart-level discount in USD.
JANE_CART = (("FA-100", 1), ("FA-104", 2))
JANE_CART_DISCOUNT = "10.00"
JANE_WISHLIST = ("FA-103", "FA-106")

#: reference, e-mail, placed at, currency, state, delivered at, carrier, tracking,
#: lines (sku, quantity), comment from the customer.
ORDERS = (
    ("FAO-1001", "jane.doe@example.com", datetime(2026, 6, 3, 10, 15), "USD", "delivered",
     datetime(2026, 6, 6, 12, 0), "Parcel Co", "PC-55120", (("FA-108", 1), ("FA-104", 2)),
     "Leave it with the neighbour, please."),
    ("FAO-1002", "jane.doe@example.com", datetime(2026, 8, 19, 17, 40), "EUR", "shipped",
     None, "Parcel Co", "PC-60871", (("FA-106", 1),), ""),
    ("FAO-1003", "jane.doe@example.com", datetime(2026, 10, 2, 8, 5), "USD", "paid",
     None, "", "", (("FA-101", 1), ("FA-105", 1)), ""),
    ("FAO-1004", "john.roe@example.com", datetime(2026, 9, 9, 9, 9), "USD", "paid",
     None, "", "", (("FA-107", 1),), ""),
)

#: Order state -> labels by language.
ORDER_STATES = {
    "paid": {"en": "Payment accepted", "es": "Pago aceptado"},
    "shipped": {"en": "Shipped", "es": "Enviado"},
    "delivered": {"en": "Delivered", "es": "Entregado"},
}
