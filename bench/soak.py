"""Soak test: mixed load at ~80% of measured capacity against gunicorn on loopback.

    python bench/soak.py [--minutes 10] [--workers 2] [--output bench/results/soak.json]

It copies the demo shop into a fresh SQLite file, starts `gunicorn wsgi:app` (rate limits off) on
127.0.0.1, measures capacity with a closed loop of client threads (the baseline), then sends
paced requests at 80% of it for the given time and reports, per minute: requests, errors,
latency p50/p95/p99, and the server's RSS. Targets (issue 8): 0 errors, RSS growth <= 10%.
Every loop is bounded in count and time and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from common import free_port, rss_kib  # shared with search_bench.py

ROOT = Path(__file__).resolve().parent.parent
MIX = [
    (0.40, "/oct8ne/frame/search?search={word}&pageSize=10"),
    (0.20, "/oct8ne/frame/productInfo?productIds={ids}"),
    (0.15, "/oct8ne/frame/customerData?callback=cb"),
    (0.10, "/oct8ne/frame/productSummary?productIds={ids}&locale=es-ES&currency=EUR"),
    (0.10, "/oct8ne/frame/search?search={word}&color=black&orderby=price"),
    (0.05, "/oct8ne/frame/getAdapterInfo"),
]
WORDS = ["jacket", "shoe", "wool", "tent", "boot", "waterproof", "running", "sock", "chaqueta"]
MAX_REQUESTS = 2_000_000


def request_path(rng: random.Random) -> str:
    """One request of the mix."""
    template = rng.choices([path for _, path in MIX], weights=[share for share, _ in MIX])[0]
    ids = ",".join(str(1001 + rng.randrange(276)) for _ in range(10))
    return template.format(word=rng.choice(WORDS), ids=ids)


def start_server(workers: int, database: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "OCT8NE_DATABASE_URL": f"sqlite:///{database}",
        "HOME": tempfile.mkdtemp(prefix="soak-home-"),
    }
    config = database.parent / "soak.toml"
    config.write_text("ratelimit_enabled = false\n", encoding="utf-8")
    env["OCT8NE_CONFIG"] = str(config)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--chdir",
            str(ROOT),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/oct8ne/health", timeout=2).ok:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start within 60 s")


def seed_database(directory: Path) -> Path:
    database = directory / "soak.db"
    subprocess.run(
        [str(Path(sys.executable).parent / "oct8ne-adapter"), "load-demo"],
        env={**os.environ, "OCT8NE_DATABASE_URL": f"sqlite:///{database}"},
        check=True,
        capture_output=True,
    )
    return database


def measure_capacity(base: str, threads: int, seconds: float) -> float:
    """Closed loop: each thread sends the next request as soon as the last one is answered."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        rng = random.Random(index)
        session = requests.Session()
        while time.monotonic() < stop and done[index] < MAX_REQUESTS:
            session.get(base + request_path(rng), timeout=10)
            done[index] += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    return sum(done) / (time.monotonic() - started)


def soak(base: str, server_pid: int, rate: float, minutes: float, threads: int) -> list[dict]:
    """Paced load at `rate` requests/s; one summary per minute."""
    interval = 1.0 / rate
    end = time.monotonic() + minutes * 60
    lock = threading.Lock()
    window: dict[str, list[float] | int] = {"latencies": [], "errors": 0}
    windows: list[dict] = []
    next_slot = [time.monotonic()]

    def loop(index: int) -> None:
        rng = random.Random(1000 + index)
        session = requests.Session()
        for _ in range(MAX_REQUESTS):
            with lock:
                slot = next_slot[0]
                next_slot[0] += interval
            if slot >= end:
                return
            time.sleep(max(0.0, slot - time.monotonic()))
            started = time.monotonic()
            try:
                ok = session.get(base + request_path(rng), timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                window["latencies"].append(time.monotonic() - started)  # type: ignore[union-attr]
                if not ok:
                    window["errors"] += 1  # type: ignore[operator]

    workers = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    minute = 0
    while any(worker.is_alive() for worker in workers) and minute < minutes + 1:
        time.sleep(min(60.0, max(0.0, end - time.monotonic())) or 1)
        with lock:
            latencies = sorted(window["latencies"])  # type: ignore[arg-type]
            errors = window["errors"]
            window["latencies"], window["errors"] = [], 0
        minute += 1
        # The last few requests in flight after the end are not a window of their own.
        if len(latencies) >= 100:
            quantiles = statistics.quantiles(latencies, n=100)
            windows.append(
                {
                    "minute": minute,
                    "requests": len(latencies),
                    "errors": errors,
                    "p50_ms": round(quantiles[49] * 1000, 1),
                    "p95_ms": round(quantiles[94] * 1000, 1),
                    "p99_ms": round(quantiles[98] * 1000, 1),
                    "rss_mib": round(rss_kib(server_pid) / 1024, 1),
                }
            )
            print(json.dumps(windows[-1]), flush=True)
    return windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/soak.json")
    arguments = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="oct8ne-soak-"))
    server, base = start_server(arguments.workers, seed_database(directory))
    try:
        capacity = measure_capacity(base, arguments.threads, 20)
        rate = 0.8 * capacity
        print(
            json.dumps({"capacity_rps": round(capacity, 1), "soak_rps": round(rate, 1)}), flush=True
        )
        rss_before = rss_kib(server.pid)
        windows = soak(base, server.pid, rate, arguments.minutes, arguments.threads)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(directory, ignore_errors=True)
    first_rss = windows[0]["rss_mib"] if windows else rss_before / 1024
    result = {
        "command": " ".join(["python", *sys.argv]),
        "capacity_rps": round(capacity, 1),
        "soak_rps": round(rate, 1),
        "minutes": arguments.minutes,
        "requests": sum(w["requests"] for w in windows),
        "errors": sum(w["errors"] for w in windows),
        "rss_growth_after_first_minute": round(windows[-1]["rss_mib"] / first_rss - 1, 4)
        if windows
        else None,
        "windows": windows,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "windows"}))


if __name__ == "__main__":
    main()
