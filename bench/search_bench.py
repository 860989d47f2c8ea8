"""Search and hot-path benchmark (issue 7): in-process latency per query class, HTTP under gunicorn.

    python bench/search_bench.py run 10000 100000 [--engines index sql] [--samples 200]
    python bench/search_bench.py run 1000000 --samples 100 --sql-samples 20
    python bench/search_bench.py report          # plot + figures section of SEARCH_REPORT.md
    python bench/search_bench.py hotpaths 100000 --label before [--profile]

`run` builds (once, cached under /tmp/bench-catalogs/) a SQLite catalog of each size with
`make_catalog.py` and `oct8ne-adapter import-catalog`, picks query words by their measured
document frequency, and in one run measures both search engines (`OCT8NE_SEARCH_ENGINE`: "index",
the in-process index, and "sql", the SQL search: the naive floor): in-process latency per query
class, then HTTP throughput and latency under `gunicorn --workers 2` with wrk on loopback for
search, productInfo(10 ids), customerData and getAdapterInfo, next to a bare Flask JSON route
in the same app (the ceiling). Results: bench/results/search-<size>.json.

`hotpaths` (issue 7 part 4) times productInfo, customerData and search serialization in-process
against a bare route of the same app, optionally under cProfile.
Run by hand only; never from the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    BENCH_CUSTOMER,
    CATALOG_CACHE,
    ROOT,
    catalog_database,
    generator_key,
    index_engine,
    load,
    machine,
    percentiles,
    running_server,
    wait_for_index,
)
from make_catalog import WORDS  # noqa: E402

RESULTS = HERE / "results"
REPORT = HERE / "SEARCH_REPORT.md"
ENGINES = ("index", "sql")
SEARCH = "/oct8ne/frame/search"
#: Query classes, in report order.
CLASSES = (
    "broad",
    "narrow",
    "multi_word",
    "filter_1",
    "filter_2",
    "filter_3",
    "browse_filter",
    "empty_price",
    "empty_name",
    "deep_page",
)
CLASS_NOTES = {
    "broad": "one word matching 30-50 % of the catalog",
    "narrow": "one word matching < 1 %",
    "multi_word": "2-3 words of one language",
    "filter_1": "broad word + 1 filter",
    "filter_2": "broad word + 2 filters",
    "filter_3": "broad word + 3 filters",
    "browse_filter": "no text, 1 filter (a category or a brand)",
    "empty_price": "no text, sorted by price (asc/desc)",
    "empty_name": "no text, sorted by name (asc/desc)",
    "deep_page": "broad word, page 100-1000 of 10",
}
BROAD = (0.30, 0.50)
NARROW = 0.01
PRICE_RANGES = ("0-20", "20-50", "50-100", "100-250", "250-")
TARGET_P95_MS = {100_000: 20.0, 1_000_000: 100.0}
TARGET_SPEEDUP = 5.0
TARGET_PRODUCT_INFO = 0.7
TARGET_CUSTOMER_DATA = 0.6
TARGET_RSS_MB = 400.0


def log(message: str) -> None:
    """Progress on stderr, so stdout stays one JSON document per size."""
    print(message, file=sys.stderr, flush=True)


# -- the catalog's vocabulary and filter values ---------------------------------------------


def vocabulary(database: Path, size: int, seed: int) -> dict[str, dict[str, float]]:
    """Share of the catalog each generator word, and each pair of rare words, matches; cached.

    Shares are measured with the full-text index itself, so prefix matching counts as search
    counts it (`jacke` also finds `jacket`). The generator has no single word under 1 % (its
    rarest are about 2 %), so narrow texts are pairs of rare words of one language.
    """
    cache = CATALOG_CACHE / f"{generator_key(size, seed)}.vocabulary.json"
    if cache.exists():
        cached: dict[str, dict[str, float]] = json.loads(cache.read_text(encoding="utf-8"))
        return cached
    from sqlalchemy import func, select

    from oct8ne_adapter.sql import fulltext
    from oct8ne_adapter.sql.database import Database, create_database_engine
    from oct8ne_adapter.sql.models import Product

    engine = create_database_engine(f"sqlite:///{database}")
    index = fulltext.index_for("sqlite")
    shares: dict[str, dict[str, float]] = {"words": {}, "pairs": {}}
    with Database(engine).session() as session:
        total = session.scalar(select(func.count()).where(Product.active.is_(True))) or 1

        def share(text: str) -> float:
            matched = index.match(fulltext.words(text)).subquery()
            return round(
                (session.scalar(select(func.count()).select_from(matched)) or 0) / total, 5
            )

        for words in WORDS.values():
            folded = fulltext.words(" ".join(words))
            for word in folded:
                shares["words"][word] = share(word)
            rare = sorted(folded, key=lambda word: shares["words"][word])[:8]
            for number, first in enumerate(rare):
                for second in rare[number + 1 :]:
                    shares["pairs"][f"{first} {second}"] = share(f"{first} {second}")
    engine.dispose()
    cache.write_text(json.dumps(shares, indent=1, sort_keys=True), encoding="utf-8")
    return shares


def filter_values(database: Path) -> dict[str, list[str]]:
    """Values worth filtering on: categories, the bigger brands, every attribute value."""
    import sqlite3

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        categories = [
            row[0]
            for row in connection.execute(
                "SELECT external_id FROM categories WHERE depth <= 1 ORDER BY external_id"
            )
        ]
        brands = [
            row[0]
            for row in connection.execute(
                "SELECT b.external_id FROM brands b JOIN products p ON p.brand_pk = b.pk "
                "GROUP BY b.pk ORDER BY count(*) DESC, b.external_id LIMIT 40"
            )
        ]
        values: dict[str, list[str]] = {"category": categories, "brand": brands}
        for code, value in connection.execute(
            "SELECT a.code, v.code FROM attribute_values v JOIN attributes a "
            "ON a.pk = v.attribute_pk ORDER BY a.code, v.code"
        ):
            values.setdefault(code, []).append(value)
        values["price"] = list(PRICE_RANGES)
        return values
    finally:
        connection.close()


def product_ids(database: Path, count: int, rng: random.Random) -> list[str]:
    """`count` random active product ids."""
    import sqlite3

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        high = connection.execute("SELECT max(pk) FROM products").fetchone()[0]
        pks = [rng.randint(1, high) for _ in range(count)]
        ids: list[str] = []
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = dict(
                connection.execute(
                    f"SELECT pk, external_id FROM products WHERE active AND pk IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
            )
            ids.extend(found[pk] for pk in chunk if pk in found)
        return ids
    finally:
        connection.close()


# -- the query mix --------------------------------------------------------------------------


def search_path(params: dict[str, str | int]) -> str:
    """The frame URL of a search."""
    return f"{SEARCH}?{urlencode(params)}"


def query_mix(
    shares: dict[str, dict[str, float]],
    filters: dict[str, list[str]],
    per_class: int,
    size: int,
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """`per_class` search URLs per query class, and which words were chosen and why."""
    rng = random.Random(size)
    frequencies = shares["words"]
    ordered = sorted(frequencies.items(), key=lambda item: item[1])
    broad = [word for word, share in ordered if BROAD[0] <= share <= BROAD[1]]
    if not broad:
        # No word in the band: the nearest to its middle, and the report says so.
        broad = [min(ordered, key=lambda item: abs(item[1] - sum(BROAD) / 2))[0]]
    narrow = [word for word, share in ordered if 0 < share < NARROW]
    narrow += [pair for pair, share in sorted(shares["pairs"].items()) if 0 < share < NARROW]
    if not narrow:
        raise SystemExit("no word or pair of words matches under 1 % of this catalog")
    folded = {lang: sorted(set(" ".join(words).split())) for lang, words in WORDS.items()}
    from oct8ne_adapter.sql.fulltext import words as search_words

    by_language = {
        lang: [w for w in search_words(" ".join(words)) if 0.02 <= frequencies.get(w, 0) <= 0.5]
        for lang, words in folded.items()
    }
    by_language = {lang: words for lang, words in by_language.items() if len(words) >= 3}
    params = sorted(filters)

    def with_filters(count: int, base: dict[str, str | int]) -> dict[str, str | int]:
        chosen = rng.sample(params, count)
        return {**base, **{param: rng.choice(filters[param]) for param in chosen}}

    mix: dict[str, list[str]] = {name: [] for name in CLASSES}
    for number in range(per_class):
        direction = "desc" if number % 2 else "asc"
        language = rng.choice(sorted(by_language))
        mix["broad"].append(search_path({"search": rng.choice(broad)}))
        mix["narrow"].append(search_path({"search": rng.choice(narrow)}))
        mix["multi_word"].append(
            search_path({"search": " ".join(rng.sample(by_language[language], rng.choice((2, 3))))})
        )
        for count in (1, 2, 3):
            mix[f"filter_{count}"].append(
                search_path(with_filters(count, {"search": rng.choice(broad)}))
            )
        browse = "brand" if number % 2 else "category"
        mix["browse_filter"].append(search_path({browse: rng.choice(filters[browse])}))
        mix["empty_price"].append(search_path({"orderby": "price", "dir": direction}))
        mix["empty_name"].append(search_path({"orderby": "name", "dir": direction}))
        deep_word = rng.choice(broad)
        # A page that exists: the word's matches run out before page 1000 in small catalogs.
        last_page = min(1000, int(frequencies[deep_word] * size) // 10)
        mix["deep_page"].append(
            search_path({"search": deep_word, "page": rng.randint(min(100, last_page), last_page)})
        )
    chosen = {
        "broad": {word: frequencies[word] for word in broad},
        "narrow": {text: frequencies.get(text) or shares["pairs"][text] for text in narrow},
        "multi_word_pool": by_language,
        "filter_params": {param: len(values) for param, values in filters.items()},
    }
    return mix, chosen


# -- in-process latency ---------------------------------------------------------------------


class InProcess:
    """One app per engine over the same catalog, called through Flask's test client."""

    def __init__(self, database: Path, engine: str) -> None:
        from oct8ne_adapter import create_app
        from oct8ne_adapter.web.state import adapter_state

        self.engine = engine
        self.app = create_app(
            {
                "OCT8NE_DATABASE_URL": f"sqlite:///{database}",
                "OCT8NE_SEARCH_ENGINE": engine,
                "OCT8NE_RATELIMIT_ENABLED": False,
            }
        )
        self.state = adapter_state(self.app)
        self.client = self.app.test_client()

    def request(self, path: str) -> tuple[float, Any]:
        """Seconds for the whole frame request, and its JSON."""
        started = time.perf_counter()
        response = self.client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{self.engine}: {path} answered {response.status_code}")
        return elapsed, response.get_json()

    def split(self, path: str) -> tuple[float, float]:
        """Seconds in the repository's search and in serialization + JSON, for one search."""
        from werkzeug.datastructures import MultiDict

        from oct8ne_adapter.web.params import parse_search
        from oct8ne_adapter.web.responses import encode_json
        from oct8ne_adapter.web.serializers import Serializer, search_result

        args = MultiDict(parse_qsl(path.partition("?")[2]))
        with self.app.test_request_context(path):
            query, presentation = parse_search(args, self.state.settings)
            started = time.perf_counter()
            result = self.state.repository.search(query)
            searched = time.perf_counter()
            encode_json(search_result(Serializer(self.state.settings, presentation), result))
            return searched - started, time.perf_counter() - searched


def facet_counts(payload: dict[str, Any]) -> dict[str, dict[str, int]]:
    """param -> value -> count of an answer's available filters."""
    return {
        facet["param"]: {option["value"]: option["count"] for option in facet["options"]}
        for facet in payload["filters"]["available"]
    }


def measure_in_process(
    database: Path,
    engines: Sequence[str],
    mix: dict[str, list[str]],
    samples: dict[str, int],
    budget_seconds: float,
    min_samples: int = 5,
) -> dict[str, Any]:
    """Latency per engine and class, with the answers of the engines compared query by query."""
    runners = {}
    cold: dict[str, float] = {}
    for engine in engines:
        started = time.perf_counter()
        runners[engine] = InProcess(database, engine)
        # The first search starts the in-process index build, if the engine has one; searches
        # are answered by SQL until it is done, so the timing starts once it is in use.
        runners[engine].request(mix["broad"][0])
        index = index_engine(runners[engine].app)
        if index is not None and not wait_for_index(index, 3600):
            raise SystemExit(f"{engine}: the search index was not built within an hour")
        cold[engine] = round(time.perf_counter() - started, 3)
        log(f"  {engine}: app + first search + index build {cold[engine]:.2f} s")
    figures: dict[str, dict[str, Any]] = {engine: {} for engine in engines}
    answers: dict[str, dict[str, list[Any]]] = {engine: {} for engine in engines}
    for number, name in enumerate(CLASSES):
        # Alternate which engine goes first, so drift in the machine's load does not favour one.
        order = list(engines) if number % 2 == 0 else list(reversed(engines))
        for engine in order:
            runner = runners[engine]
            paths = mix[name]
            for path in paths[:2]:
                runner.request(path)  # warm the page cache and any lazily built state
            totals: list[float] = []
            engine_times: list[float] = []
            serialize_times: list[float] = []
            kept: list[Any] = []
            deadline = time.monotonic() + budget_seconds
            gc.collect()
            for count, path in enumerate(paths[: samples[engine]]):
                if count >= min_samples and time.monotonic() > deadline:
                    break
                elapsed, payload = runner.request(path)
                totals.append(elapsed)
                kept.append((payload["total"], facet_counts(payload)))
            # Where the time goes (search vs serialization), for the engine under test only:
            # the floor's own split would double its long run for nothing.
            split_count = min(len(totals), 60) if engine == "index" else 0
            for count, path in enumerate(paths[:split_count]):
                if count >= min_samples and time.monotonic() > deadline + budget_seconds / 2:
                    break
                search_seconds, serialize_seconds = runner.split(path)
                engine_times.append(search_seconds)
                serialize_times.append(serialize_seconds)
            figures[engine][name] = {
                "request": percentiles(totals),
                "mean_total": round(sum(t for t, _ in kept) / len(kept), 1),
            }
            if engine_times:
                figures[engine][name]["engine_search"] = percentiles(engine_times)
                figures[engine][name]["serialize"] = percentiles(serialize_times)
            answers[engine][name] = kept
            log(
                f"  {engine:5} {name:13} p50 {figures[engine][name]['request']['p50_ms']:8.2f} "
                f"p95 {figures[engine][name]['request']['p95_ms']:8.2f} ms "
                f"(n={len(totals)}, mean total {figures[engine][name]['mean_total']})"
            )
    agreement = compare_answers(answers, mix) if len(engines) == 2 else None
    for runner in runners.values():
        runner.state.repository.database.engine.dispose()  # type: ignore[attr-defined]
    return {"cold_start_seconds": cold, "classes": figures, "agreement": agreement}


def compare_answers(answers: dict[str, dict[str, list[Any]]], mix: dict[str, list[str]]) -> Any:
    """Queries on which the engines disagree about the total or a facet count."""
    first, second = list(answers)
    compared = 0
    differences: list[dict[str, Any]] = []
    for name in CLASSES:
        for number, (left, right) in enumerate(
            zip(answers[first][name], answers[second][name], strict=False)
        ):
            compared += 1
            if left != right:
                differences.append(
                    {
                        "class": name,
                        "path": mix[name][number],
                        f"{first}_total": left[0],
                        f"{second}_total": right[0],
                        "facets_equal": left[1] == right[1],
                    }
                )
    return {"compared": compared, "different": len(differences), "examples": differences[:5]}


# -- HTTP under gunicorn --------------------------------------------------------------------


def wait_for_workers(base: str, workers: int = 2, seconds: float = 1800) -> dict[str, Any]:
    """Until every worker says its search index is in use (`/bench/ready`); bounded."""
    import threading

    import requests

    started = time.monotonic()
    deadline = started + seconds
    ready: dict[int, Any] = {}
    lock = threading.Lock()

    def loop() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                if len(ready) >= workers:
                    return
            answer = session.get(base + "/bench/ready", timeout=seconds).json()
            if answer["built"]:
                with lock:
                    ready.setdefault(answer["pid"], answer)
            time.sleep(0.05)

    # More threads than workers: a worker busy answering one still leaves the others reachable.
    threads = [threading.Thread(target=loop) for _ in range(workers + 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    if len(ready) < workers:
        raise SystemExit(f"only {len(ready)} of {workers} workers had a search index in time")
    return {"seconds": round(time.monotonic() - started, 1), "workers": list(ready.values())}


def warm_http(base: str, paths: Sequence[str], cookie: str, seconds: float = 60) -> float:
    """Send searches from 4 threads until each has had 10 answers in under 2 s, or `seconds`.

    The page cache and each worker's lazily built state warm up; the SQL floor on a big
    catalog never answers that fast, and stops at the time limit.
    """
    import threading

    import requests

    started = time.monotonic()
    deadline = started + seconds

    def loop(index: int) -> None:
        session = requests.Session()
        fast = 0
        for count in range(10_000):
            if fast >= 10 or time.monotonic() > deadline:
                return
            begun = time.monotonic()
            try:
                session.get(base + paths[(index * 7 + count) % len(paths)], timeout=seconds)
            except requests.RequestException:
                return  # past the time limit: the measurement itself reports slow answers
            fast = fast + 1 if time.monotonic() - begun < 2 else 0

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return round(time.monotonic() - started, 1)


def measure_http(
    database: Path,
    engines: Sequence[str],
    mix: dict[str, list[str]],
    ids: list[str],
    seconds: float,
    connections: int,
    rounds: int = 3,
) -> dict[str, Any]:
    """Throughput/latency per endpoint, engine by engine, against the bare route of each server."""
    from common import bench_session_token

    search_paths = [path for number in range(len(mix["broad"])) for path in _row(mix, number)]
    random.Random(1).shuffle(search_paths)
    # Hot: 2,000 products asked for again and again (popular products; they fit the product
    # cache). Cold: ids spread over the whole catalog and swept in order, never a cache hit.
    hot_ids, cold_ids = ids[:2000], ids[2000:]
    info_paths = [
        f"/oct8ne/frame/productInfo?productIds={','.join(hot_ids[n : n + 10])}"
        for n in range(0, len(hot_ids) - 9, 10)
    ]
    cold_info_paths = [
        f"/oct8ne/frame/productInfo?productIds={','.join(cold_ids[n : n + 10])}"
        for n in range(0, len(cold_ids) - 9, 10)
    ]
    token = bench_session_token(database)
    cookie = f"shop_session={token}"
    endpoints: list[tuple[str, list[str], str]] = [
        ("bare", ["/bench/bare"], ""),
        ("getAdapterInfo", ["/oct8ne/frame/getAdapterInfo"], ""),
        ("productInfo_10", info_paths, ""),
        ("productInfo_10_cold", cold_info_paths, ""),
        ("customerData", ["/oct8ne/frame/customerData?callback=cb"], cookie),
        ("search", search_paths, ""),
        ("bare_again", ["/bench/bare"], ""),
    ]
    results: dict[str, Any] = {}
    for engine in engines:
        log(f"  gunicorn, engine {engine} ...")
        with running_server(
            "bench_wsgi:app",
            database=database,
            env={"BENCH_SEARCH_ENGINE": engine},
            startup_seconds=900,
            worker_timeout=1800,
        ) as server:
            index_ready = wait_for_workers(server.base)
            log(f"    every worker ready after {index_ready['seconds']} s")
            warm_seconds = warm_http(server.base, search_paths, cookie)
            figures: dict[str, Any] = {"index_ready": index_ready, "warm_seconds": warm_seconds}
            names = [
                name
                for name, _, _ in endpoints
                if engine == engines[0] or name in {"bare", "search", "bare_again"}
            ]  # the other endpoints do not depend on the search engine
            for name, paths, with_cookie in endpoints:
                if name in names:
                    load(
                        server.base,
                        paths[:1],
                        seconds=1,
                        connections=connections,
                        cookie=with_cookie,
                    )
            # Short rounds, every endpoint in each: a burst of load from elsewhere on this
            # shared machine then hits one round of everything rather than one endpoint.
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
            for round_number in range(rounds):
                for name, paths, with_cookie in endpoints:
                    if name not in names:
                        continue
                    run = load(
                        server.base,
                        paths,
                        seconds=seconds / rounds,
                        connections=connections,
                        cookie=with_cookie,
                    )
                    runs[name].append(run)
                    log(
                        f"    {round_number + 1}/{rounds} {name:20} {run['rps']:8.1f} req/s "
                        f"p50 {run['p50_ms']:7.2f} p99 {run['p99_ms']:7.2f} ms "
                        f"errors {run['errors']}"
                    )
            bare_rounds = [
                (bare["rps"] + again["rps"]) / 2
                for bare, again in zip(runs["bare"], runs["bare_again"], strict=True)
            ]
            figures["bare_rps_mean"] = round(statistics.median(bare_rounds), 1)
            figures["ratios_to_bare"] = {}
            for name in names:
                ordered = sorted(runs[name], key=lambda run: run["rps"])
                figures[name] = {
                    **ordered[len(ordered) // 2],  # the median round
                    "rps_rounds": [run["rps"] for run in runs[name]],
                    "errors": sum(run["errors"] for run in runs[name]),
                    "requests": sum(run["requests"] for run in runs[name]),
                }
                if name not in {"bare", "bare_again"}:
                    ratios = [
                        run["rps"] / bare for run, bare in zip(runs[name], bare_rounds, strict=True)
                    ]
                    figures[name]["ratio_rounds"] = [round(ratio, 3) for ratio in ratios]
                    figures["ratios_to_bare"][name] = round(statistics.median(ratios), 3)
            figures["worker_rss_mib"] = server.worker_rss_mib()
            figures["total_rss_mib"] = server.total_rss_mib()
            log(f"    ratios to the bare route (median of rounds): {figures['ratios_to_bare']}")
            log(f"    worker RSS {figures['worker_rss_mib']} MiB")
            results[engine] = figures
    return results


def _row(mix: dict[str, list[str]], number: int) -> list[str]:
    return [mix[name][number] for name in CLASSES if number < len(mix[name])]


# -- run ------------------------------------------------------------------------------------


def index_engine_present() -> bool:
    """Whether this tree has the in-process index engine (else "index" runs the SQL search)."""
    from dataclasses import fields

    from oct8ne_adapter.settings import Settings

    return any(field.name == "search_engine" for field in fields(Settings))


def run(arguments: argparse.Namespace) -> None:
    """Measure each size and write bench/results/search-<size>.json."""
    for size in arguments.sizes:
        log(f"== {size:,} products")
        started = time.monotonic()
        database = catalog_database(size, arguments.seed, log=log)
        frequencies = vocabulary(database, size, arguments.seed)
        filters = filter_values(database)
        mix, chosen = query_mix(frequencies, filters, arguments.per_class, size)
        # 2,000 "popular" ids, then up to 200,000 more for the cold productInfo load.
        ids = product_ids(database, 2000 + min(size, 200_000), random.Random(size))
        samples = {
            "index": arguments.samples,
            "sql": arguments.sql_samples or arguments.samples,
        }
        result: dict[str, Any] = {
            "command": "python bench/search_bench.py " + " ".join(sys.argv[2:]),
            "size": size,
            "seed": arguments.seed,
            "catalog_file": database.name,
            "catalog_mib": round(database.stat().st_size / 2**20, 1),
            "index_engine_present": index_engine_present(),
            "machine": machine(),
            "query_words": chosen,
            "class_notes": CLASS_NOTES,
        }
        if not arguments.skip_in_process:
            log("in-process latency")
            result["in_process"] = measure_in_process(
                database, arguments.engines, mix, samples, arguments.budget, arguments.min_samples
            )
        if not arguments.skip_http:
            log("HTTP under gunicorn (2 workers), wrk on loopback")
            result["http"] = measure_http(
                database,
                arguments.engines,
                mix,
                ids,
                arguments.http_seconds,
                arguments.connections,
                arguments.rounds,
            )
        result["wall_seconds"] = round(time.monotonic() - started, 1)
        output = RESULTS / f"search-{size}.json"
        if output.exists() and (arguments.skip_http or arguments.skip_in_process):
            # A partial run keeps the other half of an earlier run of the same size.
            earlier = json.loads(output.read_text(encoding="utf-8"))
            for part in ("in_process", "http"):
                if part not in result and part in earlier:
                    result[part] = earlier[part]
        RESULTS.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        log(f"wrote {output.relative_to(ROOT)} ({result['wall_seconds']:.0f} s)")


# -- report ---------------------------------------------------------------------------------


def load_results() -> list[dict[str, Any]]:
    """Every search-<size>.json, smallest catalog first."""
    found = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in RESULTS.glob("search-*.json")
        if re.fullmatch(r"search-\d+\.json", path.name)
    ]
    return sorted(found, key=lambda result: result["size"])


def plot(results: list[dict[str, Any]], output: Path) -> None:
    """p95 in-process search latency per class vs catalog size, both engines, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    sized = [result for result in results if "in_process" in result]
    for axis, engine in zip(axes, ENGINES, strict=True):
        for name in CLASSES:
            points = [
                (result["size"], result["in_process"]["classes"][engine][name]["request"]["p95_ms"])
                for result in sized
                if engine in result["in_process"]["classes"]
            ]
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=name)
        for size, target in TARGET_P95_MS.items():
            axis.scatter([size], [target], marker="_", s=600, color="red", zorder=5)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("products in the catalog")
        axis.set_title(f"engine '{engine}'" + (" (naive SQL floor)" if engine == "sql" else ""))
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("in-process search p95 (ms)")
    axes[1].legend(fontsize=8, loc="upper left")
    figure.suptitle("oct8ne search latency vs catalog size (red marks: targets)")
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)


def _cell(value: float | None, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.2f}{unit}"


def figures_markdown(results: list[dict[str, Any]]) -> str:
    """The generated tables of the report."""
    lines: list[str] = []
    for result in results:
        size = result["size"]
        lines.append(f"### {size:,} products ({result['catalog_mib']} MiB SQLite file)\n")
        lines.append(
            f"`{result['command']}` — {result['machine']['date']}, load average at start "
            f"{result['machine']['load_average_at_start']}; index engine in the tree: "
            f"{'yes' if result['index_engine_present'] else 'no (both columns are the SQL search)'}"
            "\n"
        )
        broad = ", ".join(f"{w} {s:.0%}" for w, s in result["query_words"]["broad"].items())
        narrow_words = result["query_words"]["narrow"]
        narrow = ", ".join(f"{w} {s:.2%}" for w, s in list(narrow_words.items())[:5])
        lines.append(
            f"Broad words (share of the catalog): {broad}. Narrow texts (pairs of rare words; "
            f"{len(narrow_words)} under 1 %): {narrow}, ...\n"
        )
        in_process = result.get("in_process")
        if in_process:
            classes = in_process["classes"]
            lines.append(
                "| class | index p50 | index p95 | index p99 | sql p50 | sql p95 | sql p99 "
                "| sql/index p50 | sql/index p95 | index: engine p95 / serialize p95 |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for name in CLASSES:
                index = classes.get("index", {}).get(name)
                sql = classes.get("sql", {}).get(name)
                if index is None or sql is None:
                    continue
                lines.append(
                    f"| {name} | {_cell(index['request']['p50_ms'])} | "
                    f"{_cell(index['request']['p95_ms'])} | {_cell(index['request']['p99_ms'])} | "
                    f"{_cell(sql['request']['p50_ms'])} | {_cell(sql['request']['p95_ms'])} | "
                    f"{_cell(sql['request']['p99_ms'])} | "
                    f"{sql['request']['p50_ms'] / index['request']['p50_ms']:.1f}x | "
                    f"{sql['request']['p95_ms'] / index['request']['p95_ms']:.1f}x | "
                    f"{_cell(index.get('engine_search', {}).get('p95_ms'))} / "
                    f"{_cell(index.get('serialize', {}).get('p95_ms'))} |"
                )
            agreement = in_process.get("agreement")
            lines.append("")
            lines.append(
                f"Milliseconds per whole frame request (Flask test client). Cold start (app + "
                f"first search): {in_process['cold_start_seconds']} s."
                + (
                    f" Same answers (total and every facet count) on "
                    f"{agreement['compared'] - agreement['different']} of "
                    f"{agreement['compared']} queries."
                    if agreement
                    else ""
                )
                + "\n"
            )
        http = result.get("http")
        if http:
            lines.append(
                "| HTTP, gunicorn 2 workers | engine | req/s | x bare route | p50 ms | p99 ms "
                "| errors |"
            )
            lines.append("|---|---|---:|---:|---:|---:|---:|")
            for engine, figures in http.items():
                for name in (
                    "bare",
                    "getAdapterInfo",
                    "productInfo_10",
                    "productInfo_10_cold",
                    "customerData",
                    "search",
                    "bare_again",
                ):
                    if name not in figures:
                        continue
                    each = figures[name]
                    ratio = figures["ratios_to_bare"].get(
                        name, each["rps"] / figures["bare_rps_mean"]
                    )
                    lines.append(
                        f"| {name} | {engine} | {each['rps']:,.1f} | {ratio:.2f} | "
                        f"{each['p50_ms']:.2f} | {each['p99_ms']:.2f} | {each['errors']} |"
                    )
            rss = {engine: figures["worker_rss_mib"] for engine, figures in http.items()}
            lines.append("")
            lines.append(f"Worker RSS after the load (MiB): {rss}.\n")
    return "\n".join(lines)


HOTPATH_CASES = {
    "bare": "bare route (baseline)",
    "getAdapterInfo": "getAdapterInfo",
    "productInfo_10": "productInfo, 10 ids, hot",
    "productInfo_10_cold": "productInfo, 10 ids never asked before",
    "customerData": "customerData, signed in",
    "search_serialize": "search page serialization + JSON",
}


def hotpaths_markdown() -> str:
    """The before/after table of part 4, from search-hotpaths-{before,after}*.json."""
    pairs = []
    for before_path in sorted(RESULTS.glob("search-hotpaths-before*.json")):
        after_path = before_path.with_name(before_path.name.replace("before", "after"))
        if after_path.exists():
            pairs.append(
                tuple(json.loads(path.read_text("utf-8")) for path in (before_path, after_path))
            )
    lines = []
    for before, after in pairs:
        load_before = before["machine"]["load_average_at_start"][0]
        load_after = after["machine"]["load_average_at_start"][0]
        lines.append(
            f"Before {before['machine']['date']} (load {load_before}), after "
            f"{after['machine']['date']} (load {load_after}); SQL statements per request "
            f"before {before['sql_statements_per_request']}, after "
            f"{after['sql_statements_per_request']}.\n"
        )
        lines.append("| request | before p50 | before × bare | after p50 | after × bare | gain |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for case, label in HOTPATH_CASES.items():
            old, new = before["figures"].get(case), after["figures"].get(case)
            if old is None or new is None:
                continue
            lines.append(
                f"| {label} | {old['p50_ms']:.2f} | {old['x_bare_p50']:.2f} | "
                f"{new['p50_ms']:.2f} | {new['x_bare_p50']:.2f} | "
                f"{old['x_bare_p50'] / new['x_bare_p50']:.1f}x |"
            )
        lines.append("")
    return "\n".join(lines)


def replace_section(text: str, name: str, section: str) -> str:
    """Text with what lies between `<!-- name:start -->` and `<!-- name:end -->` replaced."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{REPORT.name} has lost its {start} / {end} markers")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{section}\n{end}{tail}"


def report(arguments: argparse.Namespace) -> None:
    """Write the plot and replace the generated sections of SEARCH_REPORT.md."""
    results = load_results()
    if not results:
        raise SystemExit("no bench/results/search-<size>.json yet: run `search_bench.py run` first")
    plot(results, RESULTS / "search-latency.png")
    text = REPORT.read_text(encoding="utf-8")
    text = replace_section(text, "figures", figures_markdown(results))
    text = replace_section(text, "hotpaths", hotpaths_markdown())
    REPORT.write_text(text, encoding="utf-8")
    log(f"wrote {REPORT.relative_to(ROOT)} and bench/results/search-latency.png")


# -- hot paths (part 4) ---------------------------------------------------------------------


def hotpaths(arguments: argparse.Namespace) -> None:
    """In-process time of productInfo(10), customerData and search serialization vs a bare route."""
    from common import bench_session_token

    database = catalog_database(arguments.size, arguments.seed, log=log)
    runner = InProcess(database, "sql")
    app = runner.app
    app.add_url_rule("/bench/bare", "bench_bare", lambda: {"ok": True, "apiVersion": "2.4"})
    rng = random.Random(7)
    ids = product_ids(database, 1000, rng)
    cold_ids = product_ids(database, 20 * arguments.repeat * 10, rng)
    token = bench_session_token(database)
    signed_in = app.test_client()
    signed_in.set_cookie("shop_session", token)
    frequencies = vocabulary(database, arguments.size, arguments.seed)
    mix, _ = query_mix(frequencies, filter_values(database), 20, arguments.size)
    from werkzeug.datastructures import MultiDict

    from oct8ne_adapter.web.params import parse_search
    from oct8ne_adapter.web.responses import encode_json
    from oct8ne_adapter.web.serializers import Serializer, search_result

    # A fixed search result (a page of 10 with every facet group), serialized again and again.
    search_args = MultiDict(parse_qsl(mix["broad"][0].partition("?")[2] + "&locale=es-ES"))
    query, presentation = parse_search(search_args, runner.state.settings)
    result = runner.state.repository.search(query)

    def serialize_search() -> None:
        encode_json(search_result(Serializer(runner.state.settings, presentation), result))

    counter = [0, 0]

    def product_info() -> None:
        counter[0] += 1
        start = (counter[0] * 10) % (len(ids) - 10)
        response = runner.client.get(
            f"/oct8ne/frame/productInfo?productIds={','.join(ids[start : start + 10])}"
        )
        assert response.status_code == 200

    def product_info_cold() -> None:
        # Ten ids never asked for before in this run: nothing can come from a cache.
        counter[1] += 1
        start = (counter[1] * 10) % (len(cold_ids) - 10)
        response = runner.client.get(
            f"/oct8ne/frame/productInfo?productIds={','.join(cold_ids[start : start + 10])}"
        )
        assert response.status_code == 200

    def customer_data() -> None:
        response = signed_in.get("/oct8ne/frame/customerData?callback=cb")
        assert response.status_code == 200 and BENCH_CUSTOMER.encode() in response.data

    def adapter_info() -> None:
        assert runner.client.get("/oct8ne/frame/getAdapterInfo").status_code == 200

    def bare() -> None:
        assert runner.client.get("/bench/bare").status_code == 200

    cases: dict[str, Callable[[], None]] = {
        "bare": bare,
        "getAdapterInfo": adapter_info,
        "productInfo_10": product_info,
        "productInfo_10_cold": product_info_cold,
        "customerData": customer_data,
        "search_serialize": serialize_search,
    }
    figures: dict[str, Any] = {}
    for _ in range(3):  # interleaved rounds: machine drift spreads over every case
        for name, case in cases.items():
            for _ in range(20):
                case()
            samples = []
            for _ in range(arguments.repeat):
                started = time.perf_counter()
                case()
                samples.append(time.perf_counter() - started)
            figures.setdefault(name, []).extend(samples)
    summary = {name: percentiles(samples) for name, samples in figures.items()}
    bare_p50 = summary["bare"]["p50_ms"]
    for name, each in summary.items():
        each["x_bare_p50"] = round(each["p50_ms"] / bare_p50, 2)
        log(
            f"{name:18} p50 {each['p50_ms']:7.3f} ms  p95 {each['p95_ms']:7.3f} ms  "
            f"{each['x_bare_p50']:6.2f}x bare"
        )
    queries = count_queries(runner, product_info, product_info_cold, customer_data)
    log(f"SQL statements per request: {queries}")
    output = RESULTS / f"search-hotpaths-{arguments.label}.json"
    output.write_text(
        json.dumps(
            {
                "command": "python bench/search_bench.py " + " ".join(sys.argv[2:]),
                "size": arguments.size,
                "machine": machine(),
                "figures": summary,
                "sql_statements_per_request": queries,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    log(f"wrote {output.relative_to(ROOT)}")
    if arguments.profile:
        for name in ("productInfo_10", "productInfo_10_cold", "customerData", "search_serialize"):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(arguments.repeat):
                cases[name]()
            profiler.disable()
            buffer = io.StringIO()
            stats = pstats.Stats(profiler, stream=buffer)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(15)
            print(f"==== {name} ({arguments.repeat} calls)\n{buffer.getvalue()}")


def count_queries(runner: InProcess, *cases: Callable[[], None]) -> dict[str, int]:
    """SQL statements each request sends (an N+1 shows as a count that grows with the page)."""
    from sqlalchemy import event

    engine = runner.state.repository.database.engine  # type: ignore[attr-defined]
    counts: dict[str, int] = {}
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for case in cases:
            seen[0] = 0
            case()
            counts[case.__name__] = seen[0]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="measure catalogs of these sizes")
    run_parser.add_argument("sizes", nargs="+", type=int)
    run_parser.add_argument("--seed", type=int, default=8, help="make_catalog.py seed")
    run_parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    run_parser.add_argument("--per-class", type=int, default=200, help="distinct queries/class")
    run_parser.add_argument("--samples", type=int, default=200, help="timed queries per class")
    run_parser.add_argument(
        "--sql-samples", type=int, help="for the slow SQL floor (default: --samples)"
    )
    run_parser.add_argument("--budget", type=float, default=60, help="seconds per class and engine")
    run_parser.add_argument("--min-samples", type=int, default=5, help="even past the budget")
    run_parser.add_argument("--http-seconds", type=float, default=24, help="per endpoint")
    run_parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds (median kept)")
    run_parser.add_argument("--connections", type=int, default=8)
    run_parser.add_argument("--skip-http", action="store_true")
    run_parser.add_argument("--skip-in-process", action="store_true")
    commands.add_parser("report", help="plot and figures section of SEARCH_REPORT.md")
    hot_parser = commands.add_parser("hotpaths", help="part 4: productInfo, customerData, ...")
    hot_parser.add_argument("size", type=int)
    hot_parser.add_argument("--seed", type=int, default=8)
    hot_parser.add_argument("--label", default="current")
    hot_parser.add_argument("--repeat", type=int, default=300)
    hot_parser.add_argument("--profile", action="store_true", help="print cProfile tables too")
    arguments = parser.parse_args()
    {"run": run, "report": report, "hotpaths": hotpaths}[arguments.command](arguments)


if __name__ == "__main__":
    main()
