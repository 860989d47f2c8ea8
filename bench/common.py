"""Shared benchmark plumbing: cached catalog databases, gunicorn on loopback, load generators.

Used by `soak.py` (server and RSS helpers) and `search_bench.py` (everything). Nothing here is
imported by the package or the test suite. Every loop is bounded in count and time and every
server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
CATALOG_CACHE = Path(os.environ.get("OCT8NE_BENCH_CATALOGS", "/tmp/bench-catalogs"))
#: Bench customers: a signed-in customer with a wishlist and a cart, for customerData.
BENCH_CUSTOMER = "bench-customer-1"
WISHLIST_SIZE = 8
CART_LINES = 5
MAX_REQUESTS = 2_000_000
#: The bare route's answer (`bench_wsgi.py`, `hot_paths_bench.py`): about getAdapterInfo's size.
BARE_ANSWER = {
    "platform": "bench",
    "adapterName": "bare Flask route",
    "adapterVersion": "0",
    "developedBy": "bench",
    "supportUrl": "https://example.com",
    "apiVersion": "2.4",
    "enabled": True,
}


# -- small helpers --------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int, children_only: bool = False) -> int:
    """Resident memory of a process and its children (the gunicorn workers), in KiB."""
    total = 0
    pids = [] if children_only else [pid]
    pids += child_pids(pid)
    for each in pids:
        total += process_rss_kib(each)
    return total


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        return []
    return [int(child) for child in children.read_text().split()]


def process_rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of samples in seconds."""
    if len(samples) < 2:
        value = round(samples[0] * 1000, 2) if samples else float("nan")
        return {"p50_ms": value, "p95_ms": value, "p99_ms": value, "mean_ms": value, "n": 1}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2),
        "n": len(samples),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# -- catalog databases ----------------------------------------------------------------------


def generator(seed: int) -> Any:
    """make_catalog's Generator for this seed, with its default parameters."""
    sys.path.insert(0, str(HERE))
    from make_catalog import Generator

    return Generator(seed)


def generator_key(size: int, seed: int) -> str:
    """Cache key: size, seed, and a digest of the first products the generator makes.

    The digest changes when the generator's vocabulary, distributions or defaults change (its
    output changes), and not when only its comments or command line do.
    """
    sample = list(generator(seed).products(min(size, 500)))
    digest = hashlib.sha256(json.dumps(sample, sort_keys=True).encode()).hexdigest()[:10]
    return f"catalog-{size}-seed{seed}-{digest}"


def adapter_command(*arguments: str, database: Path, check: bool = True) -> str:
    """Run `oct8ne-adapter` against a SQLite file; its standard output."""
    done = subprocess.run(
        [str(VENV_BIN / "oct8ne-adapter"), *arguments],
        env={
            **{key: value for key, value in os.environ.items() if key != "OCT8NE_CONFIG"},
            "OCT8NE_DATABASE_URL": f"sqlite:///{database}",
        },
        capture_output=True,
        text=True,
        timeout=3 * 3600,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"oct8ne-adapter {' '.join(arguments)} failed: {done.stderr.strip()}")
    return done.stdout


def catalog_database(size: int, seed: int = 8, log: Any = print) -> Path:
    """The SQLite catalog of `size` generated products, built once and cached.

    A cached file is migrated to the newest schema on every use (cheap when up to date), so a
    new migration does not force a rebuild. The build writes to a temporary name and renames it
    at the end: an interrupted build is never mistaken for a catalog.
    """
    CATALOG_CACHE.mkdir(parents=True, exist_ok=True)
    key = generator_key(size, seed)
    database = CATALOG_CACHE / f"{key}.db"
    if database.exists():
        adapter_command("migrate", database=database)
        return database
    from make_catalog import write_tsv

    building = CATALOG_CACHE / f"{key}.building.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    feed = CATALOG_CACHE / f"{key}.tsv"
    started = time.monotonic()
    log(f"building {database.name}: writing the feed ...")
    with feed.open("w", encoding="utf-8", newline="") as out:
        write_tsv(generator(seed).products(size), out)
    log(f"importing {size:,} products (a 1M catalog takes several minutes) ...")
    adapter_command("init-db", database=building)
    adapter_command("import-catalog", str(feed), database=building)
    add_bench_customers(building)
    checkpoint(building)
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.rename(database)
    feed.unlink()
    log(f"built {database.name} in {time.monotonic() - started:.0f} s")
    return database


def checkpoint(database: Path) -> None:
    """Fold the WAL into the main file, so the file alone is the whole catalog."""
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def add_bench_customers(database: Path) -> None:
    """A customer with a wishlist and a cart of generated products (for customerData)."""
    from sqlalchemy import func, select

    from oct8ne_adapter.sql.database import Database, create_database_engine
    from oct8ne_adapter.sql.models import Cart, CartLine, Customer, Product, WishlistItem

    engine = create_database_engine(f"sqlite:///{database}")
    now = datetime.now(UTC).replace(tzinfo=None)
    with Database(engine).transaction() as session:
        count = session.scalar(select(func.count()).select_from(Product)) or 0
        # Spread over the catalog, so the pages touched are not all in one corner of the file.
        step = max(1, count // (WISHLIST_SIZE + CART_LINES + 1))
        rows = list(
            session.execute(
                select(Product.pk, Product.external_id)
                .order_by(Product.pk)
                .limit(WISHLIST_SIZE + CART_LINES)
                if step == 1
                else select(Product.pk, Product.external_id)
                .where(Product.pk % step == 0)
                .order_by(Product.pk)
            )
        )[: WISHLIST_SIZE + CART_LINES]
        customer = Customer(
            external_id=BENCH_CUSTOMER,
            email="bench.customer@example.com",
            first_name="Bench",
            last_name="Customer",
        )
        session.add(customer)
        session.flush()
        for offset, (pk, item_id) in enumerate(rows[:WISHLIST_SIZE]):
            session.add(
                WishlistItem(
                    customer_pk=customer.pk,
                    item_id=item_id,
                    product_pk=pk,
                    added_at=now - timedelta(minutes=WISHLIST_SIZE - offset),
                )
            )
        cart = Cart(customer_pk=customer.pk, currency="USD", updated_at=now)
        session.add(cart)
        session.flush()
        for position, (pk, item_id) in enumerate(rows[WISHLIST_SIZE:]):
            session.add(
                CartLine(
                    cart_pk=cart.pk,
                    item_id=item_id,
                    product_pk=pk,
                    quantity=1 + position % 3,
                    position=position,
                )
            )
    engine.dispose()


def bench_session_token(database: Path) -> str:
    """A new shop-session cookie for the bench customer (sessions expire; make one per run)."""
    from oct8ne_adapter.sql.database import Database, create_database_engine
    from oct8ne_adapter.sql.sessions import create_session

    engine = create_database_engine(f"sqlite:///{database}")
    with Database(engine).transaction() as session:
        token = create_session(session, BENCH_CUSTOMER)
    engine.dispose()
    return token


def index_engine(flask_app: Any) -> Any:
    """The app's in-process search engine (has `current`), or None for the SQL search."""
    from oct8ne_adapter.web.state import adapter_state

    searcher = getattr(adapter_state(flask_app).repository, "searcher", None)
    engine = getattr(searcher, "__self__", None)
    return engine if hasattr(engine, "current") else None


def wait_for_index(engine: Any, timeout: float) -> bool:
    """Start the engine's index build if needed and wait for it: True once it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.catalog.reader() as reader:
            if engine.current(reader) is not None:
                return True
        # `wait` (or `wait_until_built` in early versions) joins a running build.
        waiter = getattr(engine, "wait", None) or engine.wait_until_built
        waiter(timeout=max(0.1, min(30.0, deadline - time.monotonic())))
        time.sleep(0.05)
    return False


# -- gunicorn -------------------------------------------------------------------------------


@dataclass
class Server:
    """A running gunicorn master on loopback."""

    process: subprocess.Popen[bytes]
    base: str
    home: Path

    def worker_rss_mib(self) -> list[float]:
        """RSS of each worker in MiB."""
        return [round(process_rss_kib(pid) / 1024, 1) for pid in child_pids(self.process.pid)]

    def total_rss_mib(self) -> float:
        """RSS of the master and its workers in MiB."""
        return round(rss_kib(self.process.pid) / 1024, 1)


def start_server(
    app: str,
    *,
    workers: int = 2,
    database: Path | None = None,
    config: str = "ratelimit_enabled = false\n",
    env: dict[str, str] | None = None,
    ready_path: str = "/oct8ne/health",
    startup_seconds: float = 180,
    worker_timeout: int = 120,
) -> Server:
    """`gunicorn --workers N <app>` on 127.0.0.1; returns once `ready_path` answers 200."""
    home = Path(tempfile.mkdtemp(prefix="oct8ne-bench-home-"))
    port = free_port()
    environment = {**os.environ, "HOME": str(home), **(env or {})}
    if database is not None:
        environment["OCT8NE_DATABASE_URL"] = f"sqlite:///{database}"
    config_file = home / "bench.toml"
    config_file.write_text(config, encoding="utf-8")
    environment["OCT8NE_CONFIG"] = str(config_file)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), str(HERE), environment.get("PYTHONPATH")])
    )
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--chdir",
            str(ROOT),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--timeout",
            str(worker_timeout),
            app,
        ],
        env=environment,
    )
    server = Server(process, f"http://127.0.0.1:{port}", home)
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(server.base + ready_path, timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn {app} did not start within {startup_seconds:.0f} s")


def stop_server(server: Server) -> None:
    """Stop gunicorn (SIGTERM, then SIGKILL after 30 s) and remove its home."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(10)
    shutil.rmtree(server.home, ignore_errors=True)


@contextmanager
def running_server(app: str, **options: Any) -> Iterator[Server]:
    """`start_server` as a context manager."""
    server = start_server(app, **options)
    try:
        yield server
    finally:
        stop_server(server)


# -- load generators ------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
local cookie = os.getenv("BENCH_COOKIE")
request = function()
  counter = counter + 1
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def wrk_available() -> bool:
    """wrk is installed (`apt-get install -y wrk`)."""
    return shutil.which("wrk") is not None


def run_wrk(
    base: str,
    paths: Sequence[str],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    cookie: str = "",
) -> dict[str, Any]:
    """Closed-loop load with wrk over a rotating list of paths: throughput and latency."""
    with tempfile.TemporaryDirectory(prefix="oct8ne-wrk-") as directory:
        script = Path(directory) / "paths.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        path_file = Path(directory) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
        done = subprocess.run(
            [
                "wrk",
                f"--threads={threads}",
                f"--connections={connections}",
                f"--duration={max(1, round(seconds))}s",
                "--timeout=10s",
                f"--script={script}",
                base + paths[0],
            ],
            env={**os.environ, "BENCH_PATHS": str(path_file), "BENCH_COOKIE": cookie},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    duration = summary["duration_us"] / 1e6
    return {
        "client": "wrk",
        "requests": summary["requests"],
        "errors": summary["errors"] + summary["non2xx"],
        "rps": round(summary["requests"] / duration, 1),
        "p50_ms": round(summary["p50_us"] / 1000, 2),
        "p95_ms": round(summary["p95_us"] / 1000, 2),
        "p99_ms": round(summary["p99_us"] / 1000, 2),
        "mean_ms": round(summary["mean_us"] / 1000, 2),
    }


def run_python_client(
    base: str,
    paths: Sequence[str],
    *,
    seconds: float,
    connections: int,
    cookie: str = "",
) -> dict[str, Any]:
    """The same closed loop with `requests` threads, when wrk is not installed (slower client)."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        session = requests.Session()
        if cookie:
            name, _, value = cookie.partition("=")
            session.cookies.set(name, value)
        mine: list[float] = []
        failed = 0
        for count in range(MAX_REQUESTS):
            if time.monotonic() >= stop:
                break
            started = time.perf_counter()
            try:
                ok = session.get(base + paths[(index + count) % len(paths)], timeout=10).ok
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - started)
            failed += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(connections)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    elapsed = time.monotonic() - started
    figures = percentiles(latencies)
    return {
        "client": "python-requests",
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / elapsed, 1),
        **{key: value for key, value in figures.items() if key != "n"},
    }


def load(
    base: str, paths: Sequence[str], *, seconds: float, connections: int, cookie: str = ""
) -> dict[str, Any]:
    """wrk when installed, else the Python client."""
    if wrk_available():
        return run_wrk(base, paths, seconds=seconds, connections=connections, cookie=cookie)
    return run_python_client(base, paths, seconds=seconds, connections=connections, cookie=cookie)
