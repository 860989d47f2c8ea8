"""Code search benchmark (issue 19 item 3): `#CODE` and exact-code text searches, in-process.

    python bench/code_search_bench.py 1000000 [--samples 300] [--engines index sql]

Takes the cached SQLite catalog of `search_bench`/`common.catalog_database` (built once), copies it
to a private file (the cache is shared and stays untouched), migrates the copy and gives it the
codes a Merchant Center import gives: each row's id as its SKU (products' and variants'), plus one
synthetic GTIN-13 per product. Then, per engine, times `engine.search` for random codes of the
catalog: `#SKU`, `#GTIN` (given as UPC/EAN without leading zeros), a text that is a SKU, and two
baselines measured in the same run: one common word, and the empty search (browse). Prints one
JSON object; p95 of each line beside the baselines' (ratios). Run by hand only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import catalog_database, index_engine, percentiles, wait_for_index  # noqa: E402

from oct8ne_adapter import create_app  # noqa: E402
from oct8ne_adapter.domain import PriceBasis, SearchQuery  # noqa: E402
from oct8ne_adapter.feeds.codes import normalize_code  # noqa: E402
from oct8ne_adapter.sql.database import create_database_engine  # noqa: E402
from oct8ne_adapter.sql.schema import upgrade  # noqa: E402

#: Words of make_catalog's vocabulary that many products have (the "common word" baseline).
COMMON_WORD = "trail"


def gtin13(pk: int) -> str:
    """A synthetic EAN-13 (valid check digit) for a product key."""
    body = f"40{pk:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def with_codes(size: int, work: Path) -> tuple[Path, list[str], list[str]]:
    """A private copy of the catalog with codes; (file, some SKUs, some GTINs)."""
    source = catalog_database(size, log=lambda message: print(message, file=sys.stderr))
    target = work / f"codes-{size}.db"
    if not target.exists():
        building = work / f"codes-{size}.building.db"
        shutil.copyfile(source, building)
        engine = create_database_engine(f"sqlite:///{building}")
        upgrade(engine)
        engine.dispose()
        connection = sqlite3.connect(building)
        with connection:
            rows = [
                (pk, None, "sku", external, normalize_code(external))
                for pk, external in connection.execute(
                    "SELECT pk, external_id FROM products WHERE has_variants = 0"
                )
            ]
            rows += [
                (product_pk, pk, "sku", external, normalize_code(external))
                for pk, product_pk, external in connection.execute(
                    "SELECT pk, product_pk, external_id FROM product_variants"
                )
            ]
            rows += [
                (pk, None, "gtin", gtin13(pk), normalize_code(gtin13(pk)))
                for (pk,) in connection.execute("SELECT pk FROM products")
            ]
            connection.executemany(
                "INSERT INTO product_codes (product_pk, variant_pk, kind, code, normalized) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            # A change-log entry is not needed: the index is built after this, from scratch.
        connection.execute("ANALYZE")
        connection.close()
        building.rename(target)
    connection = sqlite3.connect(target)
    skus = [
        code for (code,) in connection.execute("SELECT code FROM product_codes WHERE kind = 'sku'")
    ]
    gtins = [
        code for (code,) in connection.execute("SELECT code FROM product_codes WHERE kind = 'gtin'")
    ]
    connection.close()
    return target, skus, gtins


def query(text: str) -> SearchQuery:
    """A search as the frame method builds it: first page of 10, USD."""
    return SearchQuery(
        text=text, languages=("en-US", "en"), price_basis=PriceBasis("USD", "USD", None)
    )


def measure(engine: Any, texts: list[str]) -> tuple[dict[str, float], list[int]]:
    """Latency percentiles of searching these texts, and the totals."""
    samples: list[float] = []
    totals: list[int] = []
    for text in texts:
        started = time.perf_counter()
        result = engine.search(query(text))
        samples.append(time.perf_counter() - started)
        totals.append(result.total)
    return percentiles(samples), totals


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    """Measure every line on every engine."""
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)
    database, skus, gtins = with_codes(arguments.size, work)
    rng = random.Random(19)
    count = arguments.samples
    lines = {
        "#SKU": ["#" + code for code in rng.sample(skus, count)],
        "#GTIN (as UPC/EAN-13)": ["#" + code.lstrip("0") for code in rng.sample(gtins, count)],
        "text = a SKU": [code.lower() for code in rng.sample(skus, count)],
        "baseline: one common word": [COMMON_WORD] * count,
        "baseline: browse (no text)": [""] * count,
    }
    report: dict[str, Any] = {"size": arguments.size, "samples": count, "engines": {}}
    for name in arguments.engines:
        app = create_app(
            {
                "OCT8NE_DATABASE_URL": f"sqlite:///{database}",
                "OCT8NE_SEARCH_ENGINE": name,
                "OCT8NE_SEARCH_INDEX_POLL_MS": 1000,
            }
        )
        engine = app.extensions["oct8ne"].repository.searcher.__self__
        if name == "index":
            started = time.monotonic()
            assert wait_for_index(index_engine(app), timeout=1800), "the index was not built"
            report["index_build_seconds"] = round(time.monotonic() - started, 1)
        figures: dict[str, Any] = {}
        for line, texts in lines.items():
            measure(engine, texts[:10])  # warm: caches, derived columns
            latency, totals = measure(engine, texts)
            figures[line] = {**latency, "totals": sorted(set(totals))[:5]}
        for line in list(figures):
            for baseline in ("baseline: one common word", "baseline: browse (no text)"):
                figures[line][f"p95 / {baseline.split(': ')[1]}"] = round(
                    figures[line]["p95_ms"] / figures[baseline]["p95_ms"], 2
                )
        report["engines"][name] = figures
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--engines", nargs="+", default=["index", "sql"])
    parser.add_argument("--work", default="/tmp/bench-codes")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
