"""A deterministic demo catalog of a fashion and outdoor shop, in English and Spanish.

Products 1001 to 1008 are written by hand and never change: tests and the demo customers' carts,
wishlists and orders rely on them. The others are generated from word lists per category with a
fixed seed, so every run (and every machine) gets the same catalog.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from oct8ne_adapter.domain import ProductPrice
from oct8ne_adapter.feeds.records import AttributeValueRef, CategoryRef, ProductRecord

SEED = 20260101
FIRST_GENERATED_ID = 1009
EUR_PER_USD = Decimal("0.92")
SALE_SHARE = 0.25
MULTI_SIZE_SHARE = 0.42
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = tuple(str(size) for size in range(38, 47))
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class _Noun:
    """What a product is, in both languages; `gender` drives Spanish adjective agreement."""

    en: str
    es: str
    gender: str  # "m", "f", "mp" or "fp"
    sizing: str | None = None  # "apparel", "shoe" or None


@dataclass(frozen=True, slots=True)
class _Adjective:
    en: str
    es_masculine: str
    es_feminine: str

    def spanish(self, gender: str) -> str:
        """The Spanish form agreeing with a noun of this gender and number."""
        word = self.es_feminine if gender.startswith("f") else self.es_masculine
        if not gender.endswith("p") or word.startswith("de ") or word.endswith("s"):
            return word
        return word + ("s" if word[-1] in "aeiouáéíóú" else "es")


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A category products are generated in, with the words and price range that fit it."""

    path: tuple[CategoryRef, ...]
    nouns: tuple[_Noun, ...]
    adjectives: tuple[str, ...]
    materials: tuple[str, ...]
    low: int
    high: int
    count: int

    @property
    def id(self) -> str:
        """The id of the deepest category."""
        return self.path[-1].id

    @property
    def top_id(self) -> str:
        """The id of the top-level category."""
        return self.path[0].id


ADJECTIVES: Mapping[str, _Adjective] = {
    "waterproof": _Adjective("Waterproof", "impermeable", "impermeable"),
    "lightweight": _Adjective("Lightweight", "ligero", "ligera"),
    "ultralight": _Adjective("Ultralight", "ultraligero", "ultraligera"),
    "breathable": _Adjective("Breathable", "transpirable", "transpirable"),
    "insulated": _Adjective("Insulated", "térmico", "térmica"),
    "warm": _Adjective("Warm", "cálido", "cálida"),
    "classic": _Adjective("Classic", "clásico", "clásica"),
    "technical": _Adjective("Technical", "técnico", "técnica"),
    "packable": _Adjective("Packable", "plegable", "plegable"),
    "windproof": _Adjective("Windproof", "cortavientos", "cortavientos"),
    "recycled": _Adjective("Recycled", "reciclado", "reciclada"),
    "urban": _Adjective("Urban", "urbano", "urbana"),
    "alpine": _Adjective("Alpine", "alpino", "alpina"),
    "durable": _Adjective("Durable", "resistente", "resistente"),
    "quick-dry": _Adjective("Quick-dry", "de secado rápido", "de secado rápido"),
    "organic": _Adjective("Organic", "orgánico", "orgánica"),
    "stretch": _Adjective("Stretch", "elástico", "elástica"),
    "compact": _Adjective("Compact", "compacto", "compacta"),
    "chunky": _Adjective("Chunky", "grueso", "gruesa"),
    "cushioned": _Adjective("Cushioned", "acolchado", "acolchada"),
}

MODELS = (
    "Summit",
    "Ridge",
    "Aurora",
    "Cumbre",
    "Vento",
    "Boreal",
    "Granite",
    "Alder",
    "Tundra",
    "Cascade",
    "Pico",
    "Lago",
    "Fjord",
    "Mistral",
    "Duna",
    "Zenit",
    "Orion",
    "Atlas",
    "Vega",
    "Sendero",
    "Brisa",
    "Halcón",
    "Nordic",
    "Solano",
)

BRANDS = (
    "Northpeak",
    "Montaña Alta",
    "Ridgeline",
    "Fjällvind",
    "Bosque Verde",
    "Tidewater",
    "Peña Roja",
    "Côte Sauvage",
    "Ironbark",
    "Kestrel",
    "Lumen Outdoor",
    "Altura",
    "Urban Trail",
    "Nevé",
)

COLORS: Mapping[str, Mapping[str, str]] = {
    "red": {"en": "Red", "es": "Rojo"},
    "black": {"en": "Black", "es": "Negro"},
    "blue": {"en": "Blue", "es": "Azul"},
    "navy": {"en": "Navy", "es": "Azul marino"},
    "green": {"en": "Green", "es": "Verde"},
    "olive": {"en": "Olive", "es": "Oliva"},
    "grey": {"en": "Grey", "es": "Gris"},
    "white": {"en": "White", "es": "Blanco"},
    "yellow": {"en": "Yellow", "es": "Amarillo"},
    "orange": {"en": "Orange", "es": "Naranja"},
    "brown": {"en": "Brown", "es": "Marrón"},
    "pink": {"en": "Pink", "es": "Rosa"},
}

MATERIALS: Mapping[str, Mapping[str, str]] = {
    "wool": {"en": "Wool", "es": "Lana"},
    "merino-wool": {"en": "Merino wool", "es": "Lana merino"},
    "cotton": {"en": "Cotton", "es": "Algodón"},
    "organic-cotton": {"en": "Organic cotton", "es": "Algodón orgánico"},
    "polyester": {"en": "Polyester", "es": "Poliéster"},
    "recycled-polyester": {"en": "Recycled polyester", "es": "Poliéster reciclado"},
    "nylon": {"en": "Nylon", "es": "Nailon"},
    "leather": {"en": "Leather", "es": "Cuero"},
    "suede": {"en": "Suede", "es": "Ante"},
    "mesh": {"en": "Mesh", "es": "Malla"},
    "down": {"en": "Down", "es": "Plumón"},
    "fleece": {"en": "Fleece", "es": "Forro polar"},
    "linen": {"en": "Linen", "es": "Lino"},
    "canvas": {"en": "Canvas", "es": "Lona"},
    "denim": {"en": "Denim", "es": "Tela vaquera"},
    "elastane": {"en": "Elastane", "es": "Elastano"},
    "titanium": {"en": "Titanium", "es": "Titanio"},
    "aluminium": {"en": "Aluminium", "es": "Aluminio"},
}

# Sentences for descriptions, per top-level category: (English, Spanish).
FEATURES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "footwear": (
        (
            "A grippy rubber outsole holds on wet rock and mud.",
            "La suela de goma se agarra a la roca mojada y al barro.",
        ),
        (
            "The cushioned midsole softens every step.",
            "La mediasuela amortiguada suaviza cada paso.",
        ),
        (
            "A roomy toe box leaves space for swelling feet on long days.",
            "La puntera amplia deja espacio al pie en las jornadas largas.",
        ),
        (
            "Quick laces adjust the fit in seconds.",
            "Los cordones rápidos ajustan el calzado en segundos.",
        ),
    ),
    "jackets": (
        (
            "Taped seams and a storm flap keep rain out.",
            "Las costuras selladas y la solapa protegen de la lluvia.",
        ),
        ("An adjustable hood fits over a helmet.", "La capucha ajustable cabe sobre un casco."),
        (
            "Zipped hand pockets keep your phone and keys safe.",
            "Los bolsillos con cremallera guardan el móvil y las llaves.",
        ),
        ("It packs into its own chest pocket.", "Se guarda en su propio bolsillo del pecho."),
    ),
    "tops": (
        (
            "A soft hand feel that lasts wash after wash.",
            "Un tacto suave que dura lavado tras lavado.",
        ),
        (
            "Flat seams avoid chafing under a backpack.",
            "Las costuras planas evitan roces bajo la mochila.",
        ),
        (
            "A relaxed fit for travel and everyday wear.",
            "Un corte holgado para viajar y para el día a día.",
        ),
        ("It wicks sweat away and dries fast.", "Evacua el sudor y se seca rápido."),
    ),
    "bottoms": (
        (
            "Articulated knees move with you on steep ground.",
            "Las rodillas preformadas acompañan el movimiento en pendiente.",
        ),
        (
            "A zipped thigh pocket holds a map.",
            "Un bolsillo con cremallera en el muslo guarda el mapa.",
        ),
        (
            "The elastic waistband fits comfortably under a hip belt.",
            "La cintura elástica se ajusta cómoda bajo el cinturón de la mochila.",
        ),
        (
            "Reinforced hems resist scuffs and crampons.",
            "Los bajos reforzados resisten roces y crampones.",
        ),
    ),
    "camping": (
        ("It sets up in minutes, even in the dark.", "Se monta en minutos, incluso de noche."),
        (
            "Everything packs into a compact stuff sack.",
            "Todo se guarda en una bolsa de transporte compacta.",
        ),
        (
            "Built to survive many seasons of wind and rain.",
            "Hecho para resistir muchas temporadas de viento y lluvia.",
        ),
        ("Light enough for long backpacking trips.", "Lo bastante ligero para travesías largas."),
    ),
    "backpacks": (
        ("A ventilated back panel keeps you cool.", "El respaldo ventilado te mantiene fresco."),
        (
            "The padded hip belt carries the weight on your hips.",
            "El cinturón acolchado lleva el peso a la cadera.",
        ),
        (
            "A hydration sleeve fits a 3 litre reservoir.",
            "La funda de hidratación admite un depósito de 3 litros.",
        ),
        (
            "Side pockets hold bottles within reach.",
            "Los bolsillos laterales dejan las botellas a mano.",
        ),
    ),
    "accessories": (
        ("Soft against the skin and warm when wet.", "Suave con la piel y cálido incluso mojado."),
        ("Small enough to live in any pocket.", "Tan pequeño que cabe en cualquier bolsillo."),
        ("Reinforced where it wears out first.", "Reforzado donde antes se desgasta."),
    ),
    "climbing": (
        (
            "Certified to the latest safety standards.",
            "Certificado según las últimas normas de seguridad.",
        ),
        (
            "Colour-coded parts make checks quick.",
            "Las piezas con código de color facilitan la revisión.",
        ),
        ("Light and compact on the harness.", "Ligero y compacto en el arnés."),
    ),
    "swimwear": (
        (
            "Chlorine-resistant fabric keeps its shape.",
            "El tejido resistente al cloro mantiene su forma.",
        ),
        ("UPF 50 protects from the sun.", "El factor UPF 50 protege del sol."),
        ("Dries quickly between swims.", "Se seca rápido entre baño y baño."),
    ),
    "dresses": (
        (
            "A flattering cut that works from the office to the trail.",
            "Un corte favorecedor que sirve de la oficina al sendero.",
        ),
        ("Hidden pockets hold the essentials.", "Los bolsillos ocultos guardan lo esencial."),
        ("Wrinkle-resistant for travel.", "No se arruga en la maleta."),
    ),
}

ACTIVITIES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "footwear": (
        ("trail running", "el trail running"),
        ("hiking", "el senderismo"),
        ("city walks", "pasear por la ciudad"),
    ),
    "jackets": (
        ("hiking in the rain", "caminar bajo la lluvia"),
        ("skiing", "esquiar"),
        ("commuting", "ir al trabajo"),
    ),
    "tops": (("hiking", "el senderismo"), ("travel", "viajar"), ("everyday wear", "el día a día")),
    "bottoms": (("trekking", "el trekking"), ("running", "correr"), ("climbing", "escalar")),
    "camping": (
        ("camping", "acampar"),
        ("backpacking", "las travesías"),
        ("festivals", "los festivales"),
    ),
    "backpacks": (
        ("day hikes", "las excursiones de un día"),
        ("travel", "viajar"),
        ("trekking", "el trekking"),
    ),
    "accessories": (
        ("winter hikes", "las rutas de invierno"),
        ("running", "correr"),
        ("skiing", "esquiar"),
    ),
    "climbing": (("sport climbing", "la escalada deportiva"), ("mountaineering", "el alpinismo")),
    "swimwear": (("the beach", "la playa"), ("the pool", "la piscina"), ("surfing", "el surf")),
    "dresses": (("summer days", "los días de verano"), ("travel", "viajar")),
}


def _category(category_id: str, en: str, es: str) -> CategoryRef:
    return CategoryRef(id=category_id, names={"en": en, "es": es})


FOOTWEAR = _category("footwear", "Footwear", "Calzado")
JACKETS = _category("jackets", "Jackets", "Chaquetas")
TOPS = _category("tops", "Tops", "Camisetas y jerséis")
BOTTOMS = _category("bottoms", "Trousers", "Pantalones")
CAMPING = _category("camping", "Camping", "Acampada")
BACKPACKS = _category("backpacks", "Backpacks", "Mochilas")
ACCESSORIES = _category("accessories", "Accessories", "Accesorios")
CLIMBING = _category("climbing", "Climbing", "Escalada")
SWIMWEAR = _category("swimwear", "Swimwear", "Baño")
DRESSES = _category("dresses", "Dresses and skirts", "Vestidos y faldas")

RUNNING = (FOOTWEAR, _category("footwear-running", "Running", "Running"))
HIKING_FOOTWEAR = (FOOTWEAR, _category("footwear-hiking", "Hiking", "Montaña"))
RAIN_JACKETS = (JACKETS, _category("jackets-rain", "Rain jackets", "Chaquetas impermeables"))
INSULATED_JACKETS = (
    JACKETS,
    _category("jackets-insulated", "Insulated jackets", "Chaquetas de abrigo"),
)
TENTS = (CAMPING, _category("camping-tents", "Tents", "Tiendas de campaña"))
TREKKING_PACKS = (
    BACKPACKS,
    _category("backpacks-trekking", "Trekking packs", "Mochilas de trekking"),
)
HATS = (ACCESSORIES, _category("accessories-hats", "Hats and caps", "Gorros y gorras"))
SOCKS = (ACCESSORIES, _category("accessories-socks", "Socks", "Calcetines"))

LEAVES: tuple[_Leaf, ...] = (
    _Leaf(
        RUNNING,
        (
            _Noun("Running Shoe", "Zapatilla de running", "f", "shoe"),
            _Noun("Trail Shoe", "Zapatilla de trail", "f", "shoe"),
            _Noun("Road Running Shoe", "Zapatilla de asfalto", "f", "shoe"),
            _Noun("Racing Shoe", "Zapatilla de competición", "f", "shoe"),
        ),
        ("lightweight", "breathable", "waterproof", "technical", "cushioned", "recycled"),
        ("mesh", "recycled-polyester"),
        55,
        220,
        14,
    ),
    _Leaf(
        HIKING_FOOTWEAR,
        (
            _Noun("Hiking Boot", "Bota de montaña", "f", "shoe"),
            _Noun("Hiking Shoe", "Zapato de montaña", "m", "shoe"),
            _Noun("Approach Shoe", "Zapato de aproximación", "m", "shoe"),
            _Noun("Trekking Boot", "Bota de trekking", "f", "shoe"),
        ),
        ("waterproof", "lightweight", "durable", "technical", "alpine", "breathable"),
        ("leather", "suede", "nylon"),
        85,
        320,
        12,
    ),
    _Leaf(
        (FOOTWEAR, _category("footwear-casual", "Casual", "Urbano")),
        (
            _Noun("Canvas Sneaker", "Zapatilla de lona", "f", "shoe"),
            _Noun("Slip-on Shoe", "Zapato sin cordones", "m", "shoe"),
            _Noun("Sandal", "Sandalia", "f", "shoe"),
            _Noun("Boat Shoe", "Náutico", "m", "shoe"),
        ),
        ("classic", "lightweight", "breathable", "recycled", "durable"),
        ("canvas", "leather", "suede"),
        30,
        160,
        12,
    ),
    _Leaf(
        RAIN_JACKETS,
        (
            _Noun("Rain Jacket", "Chaqueta de lluvia", "f", "apparel"),
            _Noun("Hardshell Jacket", "Chaqueta hardshell", "f", "apparel"),
            _Noun("Raincoat", "Chubasquero", "m", "apparel"),
            _Noun("Poncho", "Poncho", "m", "apparel"),
        ),
        ("waterproof", "lightweight", "packable", "breathable", "technical", "recycled"),
        ("nylon", "polyester", "recycled-polyester"),
        60,
        420,
        14,
    ),
    _Leaf(
        INSULATED_JACKETS,
        (
            _Noun("Down Jacket", "Chaqueta de plumón", "f", "apparel"),
            _Noun("Parka", "Parka", "f", "apparel"),
            _Noun("Puffer Vest", "Chaleco acolchado", "m", "apparel"),
            _Noun("Synthetic Fill Jacket", "Chaqueta de relleno sintético", "f", "apparel"),
        ),
        ("warm", "insulated", "lightweight", "alpine", "packable", "recycled", "waterproof"),
        ("down", "polyester", "recycled-polyester"),
        90,
        520,
        12,
    ),
    _Leaf(
        (JACKETS, _category("jackets-softshell", "Softshell and fleece", "Softshell y polar")),
        (
            _Noun("Softshell Jacket", "Chaqueta softshell", "f", "apparel"),
            _Noun("Windbreaker", "Cortavientos", "m", "apparel"),
            _Noun("Fleece Jacket", "Chaqueta polar", "f", "apparel"),
            _Noun("Hybrid Jacket", "Chaqueta híbrida", "f", "apparel"),
        ),
        ("breathable", "lightweight", "technical", "urban", "stretch"),
        ("fleece", "polyester", "elastane"),
        45,
        260,
        12,
    ),
    _Leaf(
        (TOPS, _category("tops-tshirts", "T-shirts", "Camisetas")),
        (
            _Noun("T-shirt", "Camiseta", "f", "apparel"),
            _Noun("Tank Top", "Camiseta de tirantes", "f", "apparel"),
            _Noun("Long Sleeve Tee", "Camiseta de manga larga", "f", "apparel"),
            _Noun("Base Layer", "Camiseta térmica", "f", "apparel"),
        ),
        ("breathable", "organic", "quick-dry", "lightweight", "classic", "recycled"),
        ("cotton", "organic-cotton", "merino-wool", "polyester"),
        12,
        70,
        14,
    ),
    _Leaf(
        (TOPS, _category("tops-shirts", "Shirts", "Camisas")),
        (
            _Noun("Flannel Shirt", "Camisa de franela", "f", "apparel"),
            _Noun("Hiking Shirt", "Camisa de montaña", "f", "apparel"),
            _Noun("Linen Shirt", "Camisa de lino", "f", "apparel"),
            _Noun("Oxford Shirt", "Camisa Oxford", "f", "apparel"),
        ),
        ("classic", "breathable", "quick-dry", "urban", "lightweight"),
        ("cotton", "linen", "organic-cotton"),
        28,
        110,
        12,
    ),
    _Leaf(
        (TOPS, _category("tops-sweaters", "Sweaters", "Jerséis")),
        (
            _Noun("Wool Sweater", "Jersey de lana", "m", "apparel"),
            _Noun("Cardigan", "Cárdigan", "m", "apparel"),
            _Noun("Hoodie", "Sudadera con capucha", "f", "apparel"),
            _Noun("Fleece Pullover", "Polar", "m", "apparel"),
        ),
        ("warm", "classic", "recycled", "urban", "chunky"),
        ("wool", "merino-wool", "cotton", "fleece"),
        35,
        190,
        12,
    ),
    _Leaf(
        (BOTTOMS, _category("bottoms-trousers", "Trousers", "Pantalones largos")),
        (
            _Noun("Hiking Trousers", "Pantalón de montaña", "m", "apparel"),
            _Noun("Chinos", "Chino", "m", "apparel"),
            _Noun("Convertible Trousers", "Pantalón desmontable", "m", "apparel"),
            _Noun("Jeans", "Vaquero", "m", "apparel"),
        ),
        ("stretch", "durable", "waterproof", "lightweight", "classic", "quick-dry"),
        ("cotton", "denim", "nylon", "elastane"),
        40,
        160,
        12,
    ),
    _Leaf(
        (BOTTOMS, _category("bottoms-shorts", "Shorts", "Pantalones cortos")),
        (
            _Noun("Hiking Shorts", "Pantalón corto de montaña", "m", "apparel"),
            _Noun("Running Shorts", "Pantalón corto de running", "m", "apparel"),
            _Noun("Cargo Shorts", "Bermuda cargo", "f", "apparel"),
        ),
        ("lightweight", "quick-dry", "breathable", "stretch"),
        ("nylon", "cotton", "polyester"),
        20,
        80,
        10,
    ),
    _Leaf(
        (BOTTOMS, _category("bottoms-leggings", "Leggings", "Mallas")),
        (
            _Noun("Running Tights", "Malla de running", "f", "apparel"),
            _Noun("Yoga Leggings", "Legging de yoga", "m", "apparel"),
            _Noun("Thermal Tights", "Malla térmica", "f", "apparel"),
        ),
        ("breathable", "stretch", "lightweight", "warm"),
        ("elastane", "polyester", "merino-wool"),
        25,
        95,
        10,
    ),
    _Leaf(
        TENTS,
        (
            _Noun("Backpacking Tent", "Tienda de trekking", "f"),
            _Noun("Family Tent", "Tienda familiar", "f"),
            _Noun("Dome Tent", "Tienda iglú", "f"),
            _Noun("Tunnel Tent", "Tienda túnel", "f"),
        ),
        ("ultralight", "waterproof", "durable", "alpine", "compact"),
        ("nylon", "polyester"),
        80,
        950,
        10,
    ),
    _Leaf(
        (CAMPING, _category("camping-sleeping", "Sleeping", "Descanso")),
        (
            _Noun("Sleeping Bag", "Saco de dormir", "m"),
            _Noun("Sleeping Mat", "Esterilla", "f"),
            _Noun("Camping Pillow", "Almohada de camping", "f"),
            _Noun("Hammock", "Hamaca", "f"),
        ),
        ("ultralight", "warm", "compact", "insulated", "packable"),
        ("down", "polyester", "nylon"),
        20,
        450,
        12,
    ),
    _Leaf(
        (CAMPING, _category("camping-cooking", "Camp kitchen", "Cocina de camping")),
        (
            _Noun("Camping Stove", "Hornillo", "m"),
            _Noun("Cook Set", "Set de cocina", "m"),
            _Noun("Water Filter", "Filtro de agua", "m"),
            _Noun("Camping Mug", "Taza de camping", "f"),
        ),
        ("compact", "ultralight", "durable", "classic"),
        ("titanium", "aluminium"),
        5,
        160,
        12,
    ),
    _Leaf(
        (BACKPACKS, _category("backpacks-daypacks", "Daypacks", "Mochilas de día")),
        (
            _Noun("Daypack", "Mochila de día", "f"),
            _Noun("Hydration Pack", "Mochila de hidratación", "f"),
            _Noun("Laptop Backpack", "Mochila para portátil", "f"),
            _Noun("Running Vest", "Chaleco de running", "m"),
        ),
        ("lightweight", "waterproof", "packable", "technical", "recycled"),
        ("nylon", "recycled-polyester", "canvas"),
        25,
        180,
        12,
    ),
    _Leaf(
        TREKKING_PACKS,
        (
            _Noun("Trekking Backpack", "Mochila de trekking", "f"),
            _Noun("Travel Pack", "Mochila de viaje", "f"),
            _Noun("Expedition Pack", "Mochila de expedición", "f"),
        ),
        ("ultralight", "durable", "technical", "alpine", "waterproof"),
        ("nylon", "recycled-polyester"),
        90,
        380,
        10,
    ),
    _Leaf(
        HATS,
        (
            _Noun("Beanie", "Gorro", "m"),
            _Noun("Cap", "Gorra", "f"),
            _Noun("Sun Hat", "Sombrero de sol", "m"),
            _Noun("Bucket Hat", "Gorro de pescador", "m"),
        ),
        ("warm", "classic", "breathable", "packable", "recycled"),
        ("wool", "merino-wool", "cotton", "polyester"),
        10,
        55,
        12,
    ),
    _Leaf(
        (ACCESSORIES, _category("accessories-gloves", "Gloves", "Guantes")),
        (
            _Noun("Gloves", "Guantes", "mp", "apparel"),
            _Noun("Mittens", "Manoplas", "fp", "apparel"),
            _Noun("Liner Gloves", "Guantes interiores", "mp", "apparel"),
        ),
        ("warm", "waterproof", "windproof", "insulated", "technical"),
        ("wool", "fleece", "leather", "nylon"),
        15,
        120,
        10,
    ),
    _Leaf(
        SOCKS,
        (
            _Noun("Hiking Socks", "Calcetines de montaña", "mp", "apparel"),
            _Noun("Running Socks", "Calcetines de running", "mp", "apparel"),
            _Noun("Wool Socks", "Calcetines de lana", "mp", "apparel"),
        ),
        ("breathable", "warm", "lightweight", "cushioned"),
        ("merino-wool", "wool", "cotton"),
        6,
        35,
        10,
    ),
    _Leaf(
        (CLIMBING, _category("climbing-ropes", "Ropes", "Cuerdas")),
        (
            _Noun("Climbing Rope", "Cuerda de escalada", "f"),
            _Noun("Static Rope", "Cuerda estática", "f"),
            _Noun("Half Rope", "Cuerda doble", "f"),
        ),
        ("durable", "lightweight", "technical"),
        ("nylon",),
        90,
        320,
        8,
    ),
    _Leaf(
        (CLIMBING, _category("climbing-gear", "Climbing gear", "Material de escalada")),
        (
            _Noun("Climbing Harness", "Arnés de escalada", "m", "apparel"),
            _Noun("Climbing Helmet", "Casco de escalada", "m"),
            _Noun("Chalk Bag", "Bolsa de magnesio", "f"),
            _Noun("Climbing Shoe", "Pie de gato", "m", "shoe"),
        ),
        ("lightweight", "technical", "durable", "alpine"),
        ("nylon", "leather", "aluminium"),
        15,
        200,
        12,
    ),
    _Leaf(
        (SWIMWEAR,),
        (
            _Noun("Swim Shorts", "Bañador", "m", "apparel"),
            _Noun("Bikini", "Bikini", "m", "apparel"),
            _Noun("Swimsuit", "Traje de baño", "m", "apparel"),
            _Noun("Rash Guard", "Camiseta de licra", "f", "apparel"),
        ),
        ("quick-dry", "recycled", "classic", "lightweight"),
        ("polyester", "recycled-polyester", "elastane"),
        20,
        90,
        12,
    ),
    _Leaf(
        (DRESSES,),
        (
            _Noun("Summer Dress", "Vestido de verano", "m", "apparel"),
            _Noun("Wrap Dress", "Vestido cruzado", "m", "apparel"),
            _Noun("Midi Skirt", "Falda midi", "f", "apparel"),
            _Noun("Hiking Skirt", "Falda de montaña", "f", "apparel"),
        ),
        ("classic", "lightweight", "organic", "quick-dry", "urban"),
        ("cotton", "linen", "organic-cotton"),
        30,
        140,
        10,
    ),
)


@dataclass(frozen=True, slots=True)
class _Featured:
    """A hand-written product whose facts tests rely on."""

    id: str
    leaf: tuple[CategoryRef, ...]
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    brand: str
    usd: tuple[str, str | None]
    eur: tuple[str, str | None]
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    materials: tuple[str, ...]
    stock: int


FEATURED: tuple[_Featured, ...] = (
    _Featured(
        "1001",
        RUNNING,
        {"en": "Trail Running Shoe", "es": "Zapatilla de trail"},
        {
            "en": "A lightweight trail running shoe with a grippy outsole and a cushioned midsole "
            "for long runs on rough mountain paths.",
            "es": "Zapatilla de trail ligera con suela de gran agarre y mediasuela amortiguada "
            "para correr por caminos de montaña.",
        },
        "Northpeak",
        ("89.90", "99.90"),
        ("84.90", "94.90"),
        ("red", "black"),
        ("40", "41", "42", "43", "44", "45"),
        ("mesh",),
        25,
    ),
    _Featured(
        "1002",
        TENTS,
        {"en": "Expedition Tent 4P", "es": "Tienda de campaña de expedición 4P"},
        {
            "en": "A four-person geodesic tent for high camps and polar expeditions, waterproof "
            "and stable in storm winds.",
            "es": "Tienda geodésica para cuatro personas, impermeable y estable con viento "
            "fuerte, para campos de altura y expediciones polares.",
        },
        "Montaña Alta",
        ("1500.00", None),
        ("1500.00", None),
        ("orange",),
        (),
        ("nylon",),
        4,
    ),
    _Featured(
        "1003",
        RAIN_JACKETS,
        {"en": "Waterproof Rain Jacket", "es": "Chaqueta impermeable"},
        {
            "en": "A breathable waterproof jacket with taped seams and an adjustable hood.",
            "es": "Chaqueta impermeable y transpirable con costuras selladas y capucha ajustable.",
        },
        "Ridgeline",
        ("149.00", None),
        ("139.90", None),
        ("blue", "yellow"),
        ("S", "M", "L", "XL"),
        ("nylon",),
        40,
    ),
    _Featured(
        "1004",
        SOCKS,
        {"en": "Merino Wool Socks", "es": "Calcetines de lana merino"},
        {
            "en": "Soft merino wool hiking socks that stay warm when wet.",
            "es": "Calcetines de montaña de lana merino, suaves y cálidos incluso mojados.",
        },
        "Fjällvind",
        ("14.90", "19.90"),
        ("13.95", "17.95"),
        ("grey",),
        ("M",),
        ("merino-wool",),
        120,
    ),
    _Featured(
        "1005",
        INSULATED_JACKETS,
        {"en": "Insulated Down Jacket", "es": "Chaqueta de plumón"},
        {
            "en": "A warm and packable down jacket for cold mornings in the mountains.",
            "es": "Chaqueta de plumón cálida y plegable para las mañanas frías en la montaña.",
        },
        "Montaña Alta",
        ("249.00", "299.00"),
        ("229.90", "274.90"),
        ("black", "red"),
        ("XS", "S", "M", "L", "XL", "XXL"),
        ("down",),
        18,
    ),
    _Featured(
        "1006",
        TREKKING_PACKS,
        {"en": "Trekking Backpack 45L", "es": "Mochila de trekking 45 L"},
        {
            "en": "A 45 litre trekking backpack with a ventilated back and a padded hip belt.",
            "es": "Mochila de trekking de 45 litros con respaldo ventilado y cinturón acolchado.",
        },
        "Northpeak",
        ("129.90", None),
        ("119.90", None),
        ("green", "grey"),
        (),
        ("nylon",),
        30,
    ),
    _Featured(
        "1007",
        HATS,
        {"en": "Wool Beanie", "es": "Gorro de lana"},
        {
            "en": "A classic ribbed wool beanie for winter hikes.",
            "es": "Gorro de lana clásico de punto para las rutas de invierno.",
        },
        "Bosque Verde",
        ("24.99", None),
        ("22.99", None),
        ("red", "navy"),
        (),
        ("wool",),
        60,
    ),
    _Featured(
        "1008",
        HIKING_FOOTWEAR,
        {"en": "Leather Hiking Boot", "es": "Bota de montaña de cuero"},
        {
            "en": "A waterproof leather hiking boot with ankle support for rocky trails.",
            "es": "Bota de montaña de cuero impermeable que sujeta el tobillo en terreno rocoso.",
        },
        "Peña Roja",
        ("179.90", None),
        ("164.90", None),
        ("brown",),
        ("38", "39", "40", "41", "42", "43", "44", "45", "46"),
        ("leather",),
        12,
    ),
)


@dataclass(frozen=True, slots=True)
class _Draft:
    """A product before its related ids are chosen."""

    id: str
    leaf_id: str
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    path: tuple[CategoryRef, ...]
    brand: str
    prices: Mapping[str, ProductPrice]
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    materials: tuple[str, ...]
    stock: int


def demo_products() -> list[ProductRecord]:
    """The demo catalog, identical on every call: products 1001 onwards, in id order."""
    rng = random.Random(SEED)
    drafts = [_featured_draft(featured) for featured in FEATURED]
    used_titles = {draft.titles["en"] for draft in drafts}
    featured_per_leaf: dict[str, int] = {}
    for draft in drafts:
        featured_per_leaf[draft.leaf_id] = featured_per_leaf.get(draft.leaf_id, 0) + 1
    slots = [leaf for leaf in LEAVES for _ in range(leaf.count - featured_per_leaf.get(leaf.id, 0))]
    rng.shuffle(slots)
    generated_per_leaf = Counter(leaf.id for leaf in slots)
    done_per_leaf: Counter[str] = Counter()
    for offset, leaf in enumerate(slots):
        # Each product of a leaf draws its price from its own slice of the range, so every
        # leaf spans its whole range: cheap socks and a tent near the top of the catalog.
        band = (done_per_leaf[leaf.id], generated_per_leaf[leaf.id])
        done_per_leaf[leaf.id] += 1
        drafts.append(
            _generated_draft(str(FIRST_GENERATED_ID + offset), leaf, band, rng, used_titles)
        )
    by_leaf: dict[str, list[str]] = {}
    for draft in drafts:
        by_leaf.setdefault(draft.leaf_id, []).append(draft.id)
    return [_record(draft, _related(draft, by_leaf[draft.leaf_id], rng)) for draft in drafts]


def _featured_draft(featured: _Featured) -> _Draft:
    return _Draft(
        id=featured.id,
        leaf_id=featured.leaf[-1].id,
        titles=featured.titles,
        descriptions=featured.descriptions,
        path=featured.leaf,
        brand=featured.brand,
        prices={"USD": _price(*featured.usd), "EUR": _price(*featured.eur)},
        colors=featured.colors,
        sizes=featured.sizes,
        materials=featured.materials,
        stock=featured.stock,
    )


def _price(amount: str, previous: str | None) -> ProductPrice:
    return ProductPrice(Decimal(amount), None if previous is None else Decimal(previous))


def _generated_draft(
    product_id: str,
    leaf: _Leaf,
    band: tuple[int, int],
    rng: random.Random,
    used_titles: set[str],
) -> _Draft:
    while True:
        noun = rng.choice(leaf.nouns)
        adjective = ADJECTIVES[rng.choice(leaf.adjectives)]
        model = rng.choice(MODELS)
        title_en = f"{model} {adjective.en} {noun.en}"
        if title_en not in used_titles:
            break
    used_titles.add(title_en)
    title_es = f"{noun.es} {adjective.spanish(noun.gender)} {model}"
    brand = rng.choice(BRANDS)
    materials = (rng.choice(leaf.materials),) if rng.random() < 0.6 else ()
    features = rng.sample(FEATURES[leaf.top_id], 2)
    activity = rng.choice(ACTIVITIES[leaf.top_id])
    description_en = f"{title_en} by {brand}. {features[0][0]} {features[1][0]}"
    description_es = f"{title_es} de {brand}. {features[0][1]} {features[1][1]}"
    if materials:
        material = MATERIALS[materials[0]]
        description_en += f" Made of {material['en'].lower()}."
        description_es += f" Fabricado en {material['es'].lower()}."
    description_en += f" Ideal for {activity[0]}."
    description_es += f" Ideal para {activity[1]}."
    color_count = rng.choice((1, 1, 2, 2, 3))
    return _Draft(
        id=product_id,
        leaf_id=leaf.id,
        titles={"en": title_en, "es": title_es},
        descriptions={"en": description_en, "es": description_es},
        path=leaf.path,
        brand=brand,
        prices=_generated_prices(leaf, band, rng),
        colors=tuple(rng.sample(sorted(COLORS), color_count)),
        sizes=_sizes(noun.sizing, rng),
        materials=materials,
        stock=0 if rng.random() < 0.06 else rng.randint(1, 150),
    )


def _generated_prices(
    leaf: _Leaf, band: tuple[int, int], rng: random.Random
) -> dict[str, ProductPrice]:
    index, count = band
    # Skewed towards the cheap end of the range, as real catalogs are.
    share = ((index + rng.random()) / count) ** 1.4
    raw = Decimal(leaf.low) + Decimal(leaf.high - leaf.low) * Decimal(str(round(share, 6)))
    usd = _with_ending(raw, rng)
    eur = _with_ending(usd * EUR_PER_USD, rng)
    if rng.random() >= SALE_SHARE:
        return {"USD": ProductPrice(usd), "EUR": ProductPrice(eur)}
    discount = Decimal(str(round(rng.uniform(0.1, 0.4), 2)))
    usd_previous = _above(_with_ending(usd / (1 - discount), rng), usd)
    eur_previous = _above(_with_ending(usd_previous * EUR_PER_USD, rng), eur)
    return {"USD": ProductPrice(usd, usd_previous), "EUR": ProductPrice(eur, eur_previous)}


def _with_ending(amount: Decimal, rng: random.Random) -> Decimal:
    """A shop-like price: the whole part of the amount followed by .90, .95 or .99."""
    whole = max(int(amount.quantize(Decimal(1), rounding=ROUND_DOWN)), 4)
    return (Decimal(whole) + Decimal(rng.choice(("0.90", "0.95", "0.99")))).quantize(_CENT)


def _above(previous: Decimal, amount: Decimal) -> Decimal:
    while previous <= amount:
        previous += 1
    return previous


def _sizes(sizing: str | None, rng: random.Random) -> tuple[str, ...]:
    if sizing is None:
        return ()
    scale = SHOE_SIZES if sizing == "shoe" else APPAREL_SIZES
    if rng.random() >= MULTI_SIZE_SHARE:
        return (rng.choice(scale),)
    length = rng.randint(3, len(scale) - 2)
    start = rng.randint(0, len(scale) - length)
    return scale[start : start + length]


def _related(draft: _Draft, leaf_ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    others = [product_id for product_id in leaf_ids if product_id != draft.id]
    count = min(len(others), rng.randint(2, 4))
    return tuple(rng.sample(others, count))


def _record(draft: _Draft, related: tuple[str, ...]) -> ProductRecord:
    attributes: dict[str, tuple[AttributeValueRef, ...]] = {
        "color": tuple(AttributeValueRef(code, COLORS[code]) for code in draft.colors),
    }
    if draft.sizes:
        attributes["size"] = tuple(AttributeValueRef(size) for size in draft.sizes)
    if draft.materials:
        attributes["material"] = tuple(
            AttributeValueRef(code, MATERIALS[code]) for code in draft.materials
        )
    return ProductRecord(
        id=draft.id,
        titles=draft.titles,
        descriptions=draft.descriptions,
        url=f"/demo/product/{draft.id}",
        thumbnail=f"/demo/img/{draft.id}.svg?size=120",
        images=(f"/demo/img/{draft.id}.svg", f"/demo/img/{draft.id}.svg?v=2"),
        prices=draft.prices,
        brand=draft.brand,
        category_path=draft.path,
        attributes=attributes,
        has_variants=len(draft.sizes) > 1,
        stock=draft.stock,
        related=related,
    )
