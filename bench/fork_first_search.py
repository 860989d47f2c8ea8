"""The first searches of a freshly forked worker, with and without `warm_worker` (issue 21).

    python bench/fork_first_search.py 1000000 [--forks 3]

In-process, no HTTP: the index is built and warmed in this process (`prepare_to_fork`), as
gunicorn's master does; then, alternately, a child is forked that runs (or not) `warm_worker`,
as `serve` does in gunicorn's `post_worker_init`, and times its first 30 searches (the query
classes of `search_bench.py` in turn, Flask's test client) against the same 30 warm (best of 3,
same child). A fresh fork's extra cost is its own connection and the copy-on-write faults of
the master's pages its first request writes. Run by hand only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import catalog_database, machine  # noqa: E402
from search_bench import CLASSES, filter_values, query_mix, vocabulary  # noqa: E402

from oct8ne_adapter import create_app  # noqa: E402
from oct8ne_adapter.web.warm import prepare_to_fork, warm_worker  # noqa: E402


def child(app, paths: list[str], warm: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """In the fork: optionally warm, then the first 30 searches and the same 30 warm."""
    started = time.perf_counter()
    warmed = warm_worker(app) if warm else False
    warm_up_ms = (time.perf_counter() - started) * 1000
    client = app.test_client()

    def timed(path: str) -> float:
        begun = time.perf_counter()
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return (time.perf_counter() - begun) * 1000

    first = [timed(path) for path in paths]
    again = [min(timed(path) for _ in range(3)) for path in paths]
    return {"warmed": warmed, "warm_up_ms": warm_up_ms, "first": first, "warm": again}


def forked(app, paths: list[str], warm: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Run `child` in a fork; its figures."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reading)
        os.write(writing, json.dumps(child(app, paths, warm)).encode())
        os._exit(0)
    os.close(writing)
    data = b""
    while chunk := os.read(reading, 1 << 16):
        data += chunk
    os.waitpid(pid, 0)
    figures: dict[str, object] = json.loads(data)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--forks", type=int, default=3, help="forks per kind")
    arguments = parser.parse_args()
    database = catalog_database(arguments.size)
    mix, _ = query_mix(
        vocabulary(database, arguments.size, 8), filter_values(database), 200, arguments.size
    )
    paths = [mix[name][i % len(mix[name])] for i, name in enumerate(CLASSES * 3)][:30]
    app = create_app(
        {"OCT8NE_DATABASE_URL": f"sqlite:///{database}", "OCT8NE_RATELIMIT_ENABLED": False}
    )
    assert prepare_to_fork(app)
    runs: dict[str, list[dict[str, object]]] = {"cold": [], "warm_worker": []}
    for _ in range(arguments.forks):
        for kind in runs:
            runs[kind].append(forked(app, paths, kind == "warm_worker"))
    summary: dict[str, object] = {
        "size": arguments.size,
        "machine": machine(),
        "first_path": paths[0],
    }
    for kind, figures in runs.items():
        firsts = [run["first"][0] / run["warm"][0] for run in figures]  # type: ignore[index]
        within = [
            sum(a <= 2 * b for a, b in zip(run["first"], run["warm"], strict=True))  # type: ignore[arg-type]
            for run in figures
        ]
        summary[kind] = {
            "first_ms": [round(run["first"][0], 1) for run in figures],  # type: ignore[index]
            "first_over_same_warm": [round(ratio, 2) for ratio in firsts],
            "first_over_same_warm_median": round(statistics.median(firsts), 2),
            "first_30_within_2x": within,
            "warm_up_ms": [round(float(run["warm_up_ms"]), 1) for run in figures],  # type: ignore[arg-type]
        }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
