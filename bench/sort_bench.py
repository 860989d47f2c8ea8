"""Sorted pages: one snapshot, the same queries, another commit's query.py against this one's.

    python bench/sort_bench.py 100000 [--before 94b7b32]

Times `IndexedSearch.run()` (match, page, facets, the page's products) in-process, alternating
the two versions, 11 times each; prints the medians and before / after. Run by hand only.
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402

from oct8ne_adapter.domain import PriceBasis, SearchQuery, SortField  # noqa: E402
from oct8ne_adapter.search.index import SqlCatalog  # noqa: E402
from oct8ne_adapter.search.index.query import IndexedSearch  # noqa: E402
from oct8ne_adapter.search.index.snapshot import build_snapshot  # noqa: E402
from oct8ne_adapter.sql.database import Database, create_database_engine  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("size", type=int)
parser.add_argument("--before", default="94b7b32", help="commit whose query.py is the baseline")
arguments = parser.parse_args()
source = subprocess.run(
    ["git", "show", f"{arguments.before}:oct8ne_adapter/search/index/query.py"],
    cwd=HERE.parent,
    check=True,
    capture_output=True,
    text=True,
).stdout
old_file = Path(tempfile.mkdtemp()) / "old_query.py"
old_file.write_text(source, encoding="utf-8")
spec = importlib.util.spec_from_file_location("old_query", old_file)
assert spec is not None and spec.loader is not None
old_query = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old_query)

size = arguments.size
db = Database(create_database_engine(f"sqlite:///{common.catalog_database(size)}"))
usd = PriceBasis("USD", "USD", None)
cases = {
    "price asc p1": ("", SortField.PRICE, False, 0),
    "price desc p1": ("", SortField.PRICE, True, 0),
    "price asc p1000": ("", SortField.PRICE, False, 9990),
    "name asc p1": ("", SortField.NAME, False, 0),
    "name desc p500": ("", SortField.NAME, True, 4990),
    "relevance no text p1000": ("", SortField.RELEVANCE, False, 9990),
    "tent by price p100": ("tent", SortField.PRICE, False, 990),
    "tent relevance p1000 (unchanged path)": ("tent", SortField.RELEVANCE, False, 9990),
}
with SqlCatalog(db).reader() as r:
    snap = build_snapshot(r)
    for name, (text, sort, desc, off) in cases.items():
        q = SearchQuery(
            text=text,
            languages=("en",),
            price_basis=usd,
            filters=(),
            sort=sort,
            descending=desc,
            offset=off,
            limit=10,
            hide_out_of_stock=False,
        )
        IndexedSearch(r, q, snap).run()
        old_query.IndexedSearch(r, q, snap).run()
        times = {"before": [], "after": []}
        for _ in range(11):
            for label, cls in (("before", old_query.IndexedSearch), ("after", IndexedSearch)):
                t = time.perf_counter()
                cls(r, q, snap).run()
                times[label].append((time.perf_counter() - t) * 1000)
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        print(f"{name:40s} before {b:7.2f} ms  after {a:7.2f} ms  {b / a:5.2f}x", flush=True)
