"""Hot paths (issue 21 item 3): requests/s of productInfo and customerData over a bare route.

    python bench/hot_paths_bench.py 100000 1000000 [--seconds 0.5] [--rounds 15] [--label after]
    python bench/hot_paths_bench.py 100000 --profile customerData      # cProfile tables too

Each request goes through the whole WSGI app in this process, as a server calls it (an environ
built once per path, `app(environ, start_response)`, the body read and closed): no client,
socket or server in the figures, so the ratio is the adapter's own cost. In interleaved rounds,
each case runs for `--seconds`; its requests/s (of wall time, and per second of
the process's CPU time) is divided by the bare route's of the same round
(`/bench/bare`, the answer of `bench_wsgi.py`'s bare route, in the same app) and the median of
the rounds' ratios is reported. Cases: the bare route, getAdapterInfo, productInfo of 10 popular
ids (100 windows over 1,000 ids: cached after the warm-up, as popular products are), and
customerData of the signed-in bench customer as JSONP (a wishlist of 8 and a cart of 5). SQL
statements per request are counted after the timing. The app searches in SQL (neither method
searches, and the index of a 1M catalog would take a minute to build). Results:
bench/results/hot-paths-<label>.json. Run by hand only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    BARE_ANSWER,
    BENCH_CUSTOMER,
    bench_session_token,
    catalog_database,
    machine,
)

RESULTS = HERE / "results"
POPULAR_IDS = 1000
WINDOW = 10
WARM_UP_CALLS = 200


def log(message: str) -> None:
    """Progress on standard error."""
    print(message, file=sys.stderr, flush=True)


def popular_ids(database: Path, count: int, rng: random.Random) -> list[str]:
    """`count` random active product ids of the catalog."""
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        ids = [row[0] for row in connection.execute("SELECT external_id FROM products")]
    finally:
        connection.close()
    return rng.sample(ids, count)


class WsgiCase:
    """One request, called through the app as a WSGI server calls it."""

    def __init__(self, app: Any, path: str, cookie: str = "") -> None:
        from werkzeug.test import EnvironBuilder

        headers = {"Cookie": cookie} if cookie else {}
        builder = EnvironBuilder(path=path.partition("?")[0], query_string=path.partition("?")[2])
        for name, value in headers.items():
            builder.headers[name] = value
        self.environ = builder.get_environ()
        self.app = app
        self.status = ""

    def start_response(self, status: str, _headers: Any, _exc_info: Any = None) -> None:
        """Keep the status line."""
        self.status = status

    def __call__(self) -> bytes:
        """Answer once; the body."""
        body = self.app(dict(self.environ), self.start_response)
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


def rotating(cases: list[WsgiCase]) -> Callable[[], bytes]:
    """Call the cases in turn."""
    position = [0]

    def call() -> bytes:
        position[0] = (position[0] + 1) % len(cases)
        return cases[position[0]]()

    return call


def requests_per_second(call: Callable[[], bytes], seconds: float) -> tuple[float, float]:
    """Closed loop for `seconds`: calls per second of wall time, and per second of this
    process's CPU time (steadier on a shared machine: other processes' time is not in it)."""
    count = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + seconds
    while True:
        for _ in range(20):
            call()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started), count / (time.process_time() - cpu_started)


def count_statements(engine: Any, call: Callable[[], bytes]) -> int:
    """SQL statements one call sends."""
    from sqlalchemy import event

    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen[0]


def build_cases(size: int, seed: int) -> tuple[Any, dict[str, Callable[[], bytes]]]:
    """The app over the cached catalog of `size` products, and the callable of each case."""
    from oct8ne_adapter import create_app

    database = catalog_database(size, seed, log=log)
    app = create_app(
        {
            "OCT8NE_DATABASE_URL": f"sqlite:///{database}",
            "OCT8NE_SEARCH_ENGINE": "sql",
            "OCT8NE_RATELIMIT_ENABLED": False,
        }
    )
    app.add_url_rule("/bench/bare", "bench_bare", lambda: dict(BARE_ANSWER))
    ids = popular_ids(database, POPULAR_IDS, random.Random(7))
    windows = [ids[start : start + WINDOW] for start in range(0, POPULAR_IDS, WINDOW)]
    cookie = f"shop_session={bench_session_token(database)}"
    cases: dict[str, Callable[[], bytes]] = {
        "bare": WsgiCase(app, "/bench/bare"),
        "getAdapterInfo": WsgiCase(app, "/oct8ne/frame/getAdapterInfo"),
        "productInfo_10": rotating(
            [
                WsgiCase(app, f"/oct8ne/frame/productInfo?productIds={','.join(window)}")
                for window in windows
            ]
        ),
        "customerData": WsgiCase(app, "/oct8ne/frame/customerData?callback=cb", cookie),
    }
    answer = cases["customerData"]()
    if BENCH_CUSTOMER.encode() not in answer:
        raise SystemExit(f"customerData does not show the bench customer: {answer[:200]!r}")
    if len(json.loads(cases["productInfo_10"]())) != WINDOW:
        raise SystemExit("productInfo did not answer 10 products")
    return app, cases


def measure(
    cases: dict[str, Callable[[], bytes]], rounds: int, seconds: float
) -> dict[str, dict[str, Any]]:
    """Requests/s per case and round, and each round's ratio to the bare route."""
    for call in cases.values():
        for _ in range(WARM_UP_CALLS):
            call()
    rates: dict[str, list[float]] = {name: [] for name in cases}
    cpu_rates: dict[str, list[float]] = {name: [] for name in cases}
    for number in range(rounds):
        for name, call in cases.items():
            wall, cpu = requests_per_second(call, seconds)
            rates[name].append(wall)
            cpu_rates[name].append(cpu)
        log(f"  round {number + 1}: " + ", ".join(f"{n} {r[-1]:,.0f}/s" for n, r in rates.items()))
    figures: dict[str, dict[str, Any]] = {}
    for name in cases:
        ratios = [rate / bare for rate, bare in zip(rates[name], rates["bare"], strict=True)]
        cpu_ratios = [
            rate / bare for rate, bare in zip(cpu_rates[name], cpu_rates["bare"], strict=True)
        ]
        figures[name] = {
            "rps_median": round(statistics.median(rates[name]), 1),
            "x_bare_median": round(statistics.median(ratios), 3),
            "x_bare_per_round": [round(ratio, 3) for ratio in ratios],
            "rps_per_cpu_second_median": round(statistics.median(cpu_rates[name]), 1),
            "x_bare_cpu_median": round(statistics.median(cpu_ratios), 3),
        }
    return figures


def profile(call: Callable[[], bytes], seconds: float) -> str:
    """cProfile tables of `seconds` of calls."""
    profiler = cProfile.Profile()
    profiler.enable()
    requests_per_second(call, seconds)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return buffer.getvalue()


def run(sizes: Iterable[int], arguments: argparse.Namespace) -> dict[str, Any]:
    """Every size in turn."""
    from oct8ne_adapter.web.state import adapter_state

    results: dict[str, Any] = {
        "command": "python bench/hot_paths_bench.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "sizes": {},
    }
    for size in sizes:
        log(f"{size:,} products")
        app, cases = build_cases(size, arguments.seed)
        figures = measure(cases, arguments.rounds, arguments.seconds)
        database = adapter_state(app).database
        assert database is not None
        statements = {name: count_statements(database.engine, call) for name, call in cases.items()}
        for name, each in figures.items():
            each["sql_statements_per_request"] = statements[name]
            log(
                f"  {name:16} {each['rps_median']:9,.0f}/s  {each['x_bare_median']:.2f}x bare  "
                f"(CPU: {each['x_bare_cpu_median']:.2f}x)  {statements[name]} SQL"
            )
        results["sizes"][str(size)] = figures
        if arguments.profile:
            print(f"==== {arguments.profile}, {size:,} products")
            print(profile(cases[arguments.profile], arguments.seconds * 2))
    return results


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--seed", type=int, default=8, help="make_catalog.py seed")
    parser.add_argument("--seconds", type=float, default=0.5, help="per case and round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--label", default="current")
    parser.add_argument(
        "--profile", choices=["bare", "getAdapterInfo", "productInfo_10", "customerData"]
    )
    arguments = parser.parse_args()
    results = run(arguments.sizes, arguments)
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / f"hot-paths-{arguments.label}.json"
    output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {output.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
