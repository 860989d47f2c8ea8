"""Time `oct8ne-adapter import-catalog` on synthetic feeds; prints one JSON object per run.

    python bench/import_bench.py 10000 100000 [--format tsv] [--database-url URL] [--keep DIR]

For each size it writes a feed with `make_catalog.py`, then runs, each in a fresh process:
`first` (into an empty database), `unchanged` (the same feed again: every row skipped by its
digest) and `changed` (10 % of the titles changed). Each run reports wall time, rows/s and the
peak RSS of its process. The figure to compare is a ratio within one size, e.g.
first / unchanged: these machines are noisy, absolute times are not. `startup` is the time of
`oct8ne-adapter --help` (imports only), measured the same way, to read small sizes correctly.

Without --database-url each size gets a new SQLite file; with it (PostgreSQL, MariaDB) the
database must be empty: its products are deleted before each size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_catalog import WRITERS, Generator  # noqa: E402


def run_child(argv: list[str]) -> None:
    """In a fresh process: run the command, then print wall time and peak RSS as JSON."""
    from oct8ne_adapter.cli import cli

    started = time.perf_counter()
    try:
        cli.main(argv, prog_name="oct8ne-adapter", standalone_mode=False)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kib / 1024, "exit": code}))


def measure(argv: list[str]) -> dict[str, float]:
    """Run `argv` through `run_child` in a new interpreter; its wall time covers imports too."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def change_titles(source: Path, target: Path, feed_format: str, share: float) -> None:
    """A copy of the feed with `share` of the products renamed (deterministically)."""
    step = round(1 / share)
    with source.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as out:
        for number, line in enumerate(src):
            if number % step == 1:
                marker = {"tsv": "\t", "jsonl": '"title": "', "xml": "<g:title>"}[feed_format]
                head, _, tail = line.partition(marker)
                if tail:
                    line = f"{head}{marker}Renamed {tail}"
            out.write(line)


def main() -> None:
    """Command line entry point."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--format", choices=sorted(WRITERS), default="tsv")
    parser.add_argument("--database-url", help="default: a new SQLite file per size")
    parser.add_argument("--keep", type=Path, help="directory for feeds and databases")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    startup = measure(["--help"])["process_seconds"]
    for size in args.sizes:
        feed = workdir / f"catalog-{size}.{args.format}"
        if not feed.exists():
            with feed.open("w", encoding="utf-8", newline="") as out:
                WRITERS[args.format](Generator(8).products(size), out)
        changed = workdir / f"catalog-{size}-changed.{args.format}"
        change_titles(feed, changed, args.format, 0.10)
        url = args.database_url
        if url is None:
            database = workdir / f"bench-{size}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{database}"
        else:
            empty_catalog(url)
        config = workdir / "bench.toml"
        config.write_text(f"database_url = {json.dumps(url)}\n", encoding="utf-8")
        runs = {}
        for name, path in (("first", feed), ("unchanged", feed), ("changed", changed)):
            result = measure(["--config", str(config), "import-catalog", str(path)])
            result["rows_per_second"] = size / result["seconds"]
            runs[name] = result
        report = {
            "size": size,
            "format": args.format,
            "backend": url.split(":", 1)[0].split("+", 1)[0],
            "feed_mb": round(os.path.getsize(feed) / 1e6, 1),
            "startup_seconds": round(startup, 2),
            "runs": {
                name: {key: round(value, 2) for key, value in run.items()}
                for name, run in runs.items()
            },
            "first_over_unchanged": round(
                runs["first"]["seconds"] / runs["unchanged"]["seconds"], 2
            ),
            "first_over_changed": round(runs["first"]["seconds"] / runs["changed"]["seconds"], 2),
        }
        print(json.dumps(report), flush=True)


def empty_catalog(url: str) -> None:
    """Delete every product of a server database (cascades to the catalog's child rows)."""
    from sqlalchemy import delete

    from oct8ne_adapter.sql import fulltext
    from oct8ne_adapter.sql.database import Database, create_database_engine, create_schema
    from oct8ne_adapter.sql.models import Product

    engine = create_database_engine(url)
    create_schema(engine)
    with Database(engine).transaction() as session:
        session.execute(delete(Product))
        fulltext.rebuild(session)
    engine.dispose()


if __name__ == "__main__":
    main()
