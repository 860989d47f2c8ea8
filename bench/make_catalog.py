"""Write a realistic synthetic feed: `python bench/make_catalog.py N --format tsv|xml|jsonl`.

Titles and descriptions draw words with a Zipf-like distribution from small English, Spanish,
German and French vocabularies (each product has one language, as a real shop's feed would),
brands and categories are skewed the same way, prices follow a log-normal spread with some sales,
about a fifth of the rows are variants of a group (item_group_id, 8 per group, with size and
color; `--variant-share`), and a few are out of stock. The same seed gives the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from itertools import accumulate
from typing import Any, TextIO
from xml.sax.saxutils import escape

WORDS = {
    "en": "trail running shoe jacket waterproof light warm wool merino cotton tent dome sleeping "
    "bag stove lantern mug bottle steel rope harness helmet glove sock cap pack day travel urban "
    "classic premium ultra soft durable packable breathable insulated reflective summit ridge "
    "river forest alpine coastal desert storm canyon granite cedar".split(),
    "es": "zapatilla montaña chaqueta impermeable ligera cálida lana algodón tienda saco dormir "
    "hornillo linterna taza botella acero cuerda arnés casco guante calcetín gorra mochila viaje "
    "clásico suave resistente transpirable aislante cumbre río bosque costa tormenta".split(),
    "de": "laufschuh jacke wasserdicht leicht warm wolle baumwolle zelt schlafsack kocher laterne "
    "becher flasche stahl seil helm handschuh socke mütze rucksack reise klassisch weich robust "
    "atmungsaktiv gipfel fluss wald küste sturm".split(),
    "fr": "chaussure veste imperméable légère chaude laine coton tente sac couchage réchaud "
    "lanterne tasse gourde acier corde casque gant chaussette bonnet voyage classique doux "
    "résistant respirant sommet rivière forêt côte tempête".split(),
}
LANGUAGE_WEIGHTS = {"en": 6, "es": 2, "de": 1, "fr": 1}
DEPARTMENTS = ["Outdoor", "Apparel", "Footwear", "Camping", "Climbing", "Travel", "Kitchen"]
COLORS = ["Black", "White", "Red", "Blue", "Green", "Orange", "Grey", "Yellow", "Navy", "Olive"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
MATERIALS = ["Nylon", "Polyester", "Merino", "Cotton", "Steel", "Aluminium", "Leather"]
CURRENCY = "USD"
#: Rows per variant group: 2 colors x 4 sizes.
VARIANTS = 8


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """Cumulative weights of a Zipf-like distribution over `count` ranks."""
    return list(accumulate(1 / (rank**exponent) for rank in range(1, count + 1)))


class Generator:
    """Deterministic products from a seed."""

    def __init__(self, seed: int, variant_share: float = 0.2) -> None:
        self.random = random.Random(seed)
        # A group has VARIANTS rows: the chance that a new base product is a group, such that
        # `variant_share` of the rows are variants.
        self.group_chance = variant_share / (VARIANTS - (VARIANTS - 1) * variant_share)
        self.brands = [self._name(2).title() for _ in range(300)]
        self.brand_weights = zipf_weights(len(self.brands))
        self.categories = [
            f"{department} > {self._name(1).title()} > {self._name(1).title()}"
            for department in DEPARTMENTS
            for _ in range(40)
        ]
        self.category_weights = zipf_weights(len(self.categories), 0.8)
        self.word_weights = {lang: zipf_weights(len(words)) for lang, words in WORDS.items()}

    def _name(self, count: int) -> str:
        return " ".join(self.random.choice(WORDS["en"]) for _ in range(count))

    def _words(self, language: str, count: int) -> str:
        words = WORDS[language]
        return " ".join(
            self.random.choices(words, cum_weights=self.word_weights[language], k=count)
        )

    def products(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` Merchant Center items (field -> value)."""
        number = 0
        while number < count:
            language = self.random.choices(
                list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values())
            )[0]
            base = {
                "title": self._words(language, self.random.randint(2, 6)).capitalize(),
                "description": self._words(language, self.random.randint(15, 60)).capitalize()
                + ".",
                "brand": self.random.choices(self.brands, cum_weights=self.brand_weights)[0],
                "product_type": self.random.choices(
                    self.categories, cum_weights=self.category_weights
                )[0],
                "material": self.random.choice(MATERIALS),
            }
            price = round(min(max(self.random.lognormvariate(3.6, 0.9), 1), 5000), 2)
            group = self.random.random() < self.group_chance
            variants = (
                [(color, size) for color in self.random.sample(COLORS, 2) for size in SIZES[1:5]]
                if group
                else [(self.random.choice(COLORS), None)]
            )
            for color, size in variants[: count - number]:
                number += 1
                item = {
                    **base,
                    "id": f"P{number:08d}",
                    "link": f"https://shop.example/p/{number}",
                    "image_link": f"https://cdn.shop.example/img/{number}.jpg",
                    "additional_image_link": ",".join(
                        f"https://cdn.shop.example/img/{number}-{view}.jpg"
                        for view in range(self.random.randint(0, 3))
                    ),
                    "price": f"{price:.2f} {CURRENCY}",
                    "availability": "out_of_stock" if self.random.random() < 0.05 else "in_stock",
                    "color": color,
                }
                if self.random.random() < 0.15:
                    item["sale_price"] = f"{price * 0.8:.2f} {CURRENCY}"
                if size:
                    item["size"] = size
                    item["item_group_id"] = f"G{number - variants.index((color, size)):08d}"
                yield item


COLUMNS = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_link",
    "price",
    "sale_price",
    "availability",
    "brand",
    "product_type",
    "color",
    "size",
    "material",
    "item_group_id",
]


def write_tsv(items: Iterator[dict[str, Any]], out: TextIO) -> None:
    """Google's TSV: header row, tab-separated, no quoting."""
    out.write("\t".join(COLUMNS) + "\n")
    for item in items:
        out.write("\t".join(str(item.get(column, "")) for column in COLUMNS) + "\n")


def write_xml(items: Iterator[dict[str, Any]], out: TextIO) -> None:
    """RSS 2.0 with the g: namespace."""
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:g="http://base.google.com/ns/1.0"><channel><title>Synthetic shop</title>\n'
    )
    for item in items:
        fields = []
        for column in COLUMNS:
            value = item.get(column)
            if not value:
                continue
            values = value.split(",") if column == "additional_image_link" else [value]
            fields.extend(f"<g:{column}>{escape(v)}</g:{column}>" for v in values)
        out.write("<item>" + "".join(fields) + "</item>\n")
    out.write("</channel></rss>\n")


def write_jsonl(items: Iterator[dict[str, Any]], out: TextIO) -> None:
    """The adapter's JSON Lines format."""
    for item in items:
        amount = item["price"].split()[0]
        price: Any = amount
        if "sale_price" in item:
            price = {"price": item["sale_price"].split()[0], "previous": amount}
        ids: list[str] = []
        category = []
        for name in item["product_type"].split(" > "):
            ids.append(name.lower().replace(" ", "-"))
            category.append({"id": "/".join(ids)[:64], "name": name})
        attributes = {code: [item[code]] for code in ("color", "size", "material") if code in item}
        line = {
            "id": item["id"],
            "title": item["title"],
            "description": item["description"],
            "url": item["link"],
            "images": [item["image_link"], *filter(None, item["additional_image_link"].split(","))],
            "prices": {CURRENCY: price},
            "brand": item["brand"],
            "category": category,
            "attributes": attributes,
            "variants": "item_group_id" in item,
        }
        if item["availability"] == "out_of_stock":
            line["stock"] = 0
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


WRITERS = {"tsv": write_tsv, "xml": write_xml, "jsonl": write_jsonl}


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of products")
    parser.add_argument("--format", choices=sorted(WRITERS), default="tsv")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--variant-share",
        type=float,
        default=0.2,
        help="share of the rows that are variants of a group (item_group_id); 0: none",
    )
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    if not 0 <= args.variant_share < 1:
        parser.error("--variant-share must be at least 0 and less than 1")
    items = Generator(args.seed, args.variant_share).products(args.count)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            WRITERS[args.format](items, out)
    else:
        WRITERS[args.format](items, sys.stdout)


if __name__ == "__main__":
    main()
