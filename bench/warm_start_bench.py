"""Warm start and shared memory (issue 21 item 1), and search latency over HTTP per class.

    python bench/warm_start_bench.py 100000 [--workers 4] [--modes prefork per-worker single]
        [--per-class 40] [--output bench/results/warm-start-100000.json]

For each mode, `oct8ne-adapter serve` on the cached catalog (`common.catalog_database`):
- `prefork`: `search_index_prefork = true`: the index is built in gunicorn's master, then forked;
- `per-worker`: `search_index_prefork = false`: each worker builds its own after it starts;
- `single`: per-worker with one worker: the memory one worker takes on its own (the reference).

Measured per mode, with one client on loopback: seconds from the process start until the port
answers and until every worker's health is 200 (20 in a row); the first search after that and
the first 30 in a row against the warm p50 of the same 30 paths; each worker's PSS and RSS
(/proc/PID/smaps_rollup) after start and after the load; the search p50/p95 per query class
(`search_bench.query_mix`, sequential requests, after one warm-up pass); then every worker is
killed (SIGKILL) and the same first-search figures are taken for their replacements, which
gunicorn forks from the master again. Run by hand only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    ROOT,
    VENV_BIN,
    catalog_database,
    child_pids,
    free_port,
    machine,
    percentiles,
)
from search_bench import CLASSES, filter_values, query_mix, vocabulary  # noqa: E402

RESULTS = HERE / "results"
FIRST_RUN = 30


def memory_kib(pid: int) -> dict[str, int]:
    """Pss, Rss and Private_Dirty of one process from smaps_rollup, in KiB."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Pss", "Rss", "Private_Dirty"):
            figures[name] = int(rest.split()[0])
    return figures


def memory(master: int) -> dict[str, Any]:
    """Every worker's figures, their sum, and the master's, in MiB."""
    workers = [memory_kib(pid) for pid in child_pids(master)]
    mib = {name: round(sum(w[name] for w in workers) / 1024, 1) for name in ("Pss", "Rss")}
    return {
        "workers_pss_mib": [round(w["Pss"] / 1024, 1) for w in workers],
        "workers_rss_mib": [round(w["Rss"] / 1024, 1) for w in workers],
        "workers_private_dirty_mib": [round(w["Private_Dirty"] / 1024, 1) for w in workers],
        "sum_workers_pss_mib": mib["Pss"],
        "sum_workers_rss_mib": mib["Rss"],
        "master": {name: round(value / 1024, 1) for name, value in memory_kib(master).items()},
    }


def timed_get(session: requests.Session, url: str) -> float:
    """Milliseconds for one GET that must answer 200."""
    started = time.perf_counter()
    answer = session.get(url, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}: {answer.text[:200]}")
    return elapsed


def wait_healthy(base: str, started: float, workers: int) -> dict[str, float]:
    """Seconds until the port answers, and until health is 200 on 20 new connections in a row."""
    listening = None
    in_a_row = 0
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"{base}/oct8ne/health", timeout=30)
        except requests.ConnectionError:
            time.sleep(0.05)
            continue
        if listening is None:
            listening = time.monotonic() - started
        in_a_row = in_a_row + 1 if answer.status_code == 200 else 0
        if in_a_row >= 20 * max(1, workers // 2):
            return {
                "listening_s": round(listening, 2),
                "healthy_s": round(time.monotonic() - started, 2),
            }
        time.sleep(0.02 if answer.status_code == 200 else 0.2)
    raise SystemExit("the server never became healthy")


def first_searches(base: str, paths: list[str], since: float) -> dict[str, Any]:
    """The first search and the first 30 in a row (new connections: any worker may answer)."""
    times = [timed_get(requests.Session(), base + path) for path in paths]
    return {
        "first_ms": round(times[0], 2),
        "first_30_ms": [round(t, 2) for t in times],
        "first_30_max_ms": round(max(times), 2),
        "first_30_p50_ms": round(statistics.median(times), 2),
        "done_within_s_of_start": round(time.monotonic() - since, 2),
    }


def over_warm(first: dict[str, Any], warm: list[float]) -> None:
    """Each of the first 30 searches over the warm p50 of the same path; how many within 2x."""
    ratios = [now / then for now, then in zip(first["first_30_ms"], warm, strict=True)]
    first["first_30_over_warm"] = [round(ratio, 2) for ratio in ratios]
    first["first_30_max_over_warm"] = round(max(ratios), 2)
    first["first_30_within_2x_warm"] = sum(ratio <= 2 for ratio in ratios)
    first["first_30_total_within_2x_warm_total"] = round(sum(first["first_30_ms"]) / sum(warm), 2)


def run_mode(
    database: Path, mode: str, workers: int, mix: dict[str, list[str]], per_class: int
) -> dict[str, Any]:
    """One server in one mode: start, first searches, memory, per-class latency, restart."""
    home = Path(tempfile.mkdtemp(prefix="oct8ne-warm-"))
    config = home / "bench.toml"
    prefork = "true" if mode == "prefork" else "false"
    config.write_text(
        f'database_url = "sqlite:///{database}"\nratelimit_enabled = false\n'
        f"search_index_prefork = {prefork}\n",
        encoding="utf-8",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OCT8NE_")},
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [str(VENV_BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--port", str(port), "--workers", str(workers)]
    started = time.monotonic()
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    first_paths = [mix[name][i % len(mix[name])] for i, name in enumerate(CLASSES * 3)][:FIRST_RUN]
    try:
        result: dict[str, Any] = {"mode": mode, "workers": workers}
        result.update(wait_healthy(base, started, workers))
        result["start"] = first_searches(base, first_paths, started)
        result["memory_after_start"] = memory(process.pid)
        session = requests.Session()
        for name in CLASSES:  # warm-up pass: every worker's derived columns, Babel, caches
            for path in mix[name][:per_class]:
                timed_get(requests.Session(), base + path)
        warm = [
            statistics.median(timed_get(session, base + path) for _ in range(3))
            for path in first_paths
        ]
        result["warm_first_paths_ms"] = [round(t, 2) for t in warm]
        result["warm_p50_first_paths_ms"] = round(statistics.median(warm), 2)
        over_warm(result["start"], warm)
        result["classes"] = {
            name: percentiles(
                [timed_get(session, base + path) / 1000 for path in mix[name][:per_class]]
            )
            for name in CLASSES
        }
        result["memory_after_load"] = memory(process.pid)
        if mode != "single":
            old = set(child_pids(process.pid))
            killed = time.monotonic()
            for pid in old:
                os.kill(pid, signal.SIGKILL)
            while len(set(child_pids(process.pid)) - old) < workers:
                time.sleep(0.05)
            restart = wait_healthy(base, killed, workers)
            result["restart"] = {**restart, **first_searches(base, first_paths, killed)}
            over_warm(result["restart"], warm)
            result["memory_after_restart"] = memory(process.pid)
        return result
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--modes", nargs="+", default=["prefork", "per-worker", "single"])
    parser.add_argument("--per-class", type=int, default=40, help="timed searches per class")
    parser.add_argument("--output", type=Path)
    arguments = parser.parse_args()
    database = catalog_database(arguments.size)
    mix, _ = query_mix(
        vocabulary(database, arguments.size, 8), filter_values(database), 200, arguments.size
    )
    results: dict[str, Any] = {"size": arguments.size, "machine": machine(), "modes": {}}
    for mode in arguments.modes:
        workers = 1 if mode == "single" else arguments.workers
        print(f"{mode}: {workers} workers ...", file=sys.stderr, flush=True)
        results["modes"][mode] = run_mode(database, mode, workers, mix, arguments.per_class)
    modes = results["modes"]
    if "single" in modes:
        alone = modes["single"]["memory_after_load"]["workers_pss_mib"][0]
        for mode in modes.values():
            for moment in ("memory_after_start", "memory_after_load"):
                mode[moment]["sum_over_one_worker"] = round(
                    mode[moment]["sum_workers_pss_mib"] / alone, 2
                )
    text = json.dumps(results, indent=1)
    print(text)
    output = arguments.output or RESULTS / f"warm-start-{arguments.size}.json"
    output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
