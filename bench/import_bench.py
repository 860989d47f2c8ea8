"""Time the catalog import (`import_feed`) on synthetic feeds; prints one JSON object per size.

    python bench/import_bench.py 10000 100000 [--format tsv] [--variant-share 0.2]
        [--database-url URL] [--keep DIR] [--baseline DIR] [--runs first,unchanged,changed]
        [--markdown]

For each size it writes a feed with `make_catalog.py`, then runs, each in a fresh process:
`first` (into an empty database), `unchanged` (the same feed again: every row skipped by its
digest) and `changed` (10 % of the titles changed). Each run reports wall time, CPU time (user +
system of its process: these machines are shared, and CPU time suffers far less from the other
processes than wall time), rows/s and peak RSS. Each run calls `oct8ne_adapter.feeds.importer.
import_feed` as `import-catalog` does (a baseline older than that function runs the command).
`startup` is the time of `oct8ne-adapter --help` (imports only), measured the same way, to read
small sizes correctly.

The figures to compare are ratios measured in the same run: first / unchanged within one
version, and with `--baseline DIR` (another version of the package, e.g. the last commit:
`git archive HEAD | tar -x -C DIR`) baseline / this version for each run, the two versions'
runs interleaved so that both see the same load. `--markdown` also prints a table row per size
for bench/README.md.

Without --database-url each version and size gets a new SQLite file; with it (PostgreSQL,
MariaDB) the database's products are deleted before each size, and a baseline needs its own
database (`--baseline-database-url`): each version migrates its database to its own schema.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from make_catalog import WRITERS, Generator  # noqa: E402

RUNS = ("first", "unchanged", "changed")
_IMPORTED = re.compile(r"imported (\d+) products")


def run_child(argv: list[str]) -> None:
    """In a fresh process: run the import (or the command), then print wall time, CPU time and
    peak RSS."""
    started, cpu_started = time.perf_counter(), time.process_time()
    if argv[0] == "import":
        code = import_child(Path(argv[1]), Path(argv[2]))
    else:
        code = command_child(argv)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": peak_kib / 1024, "exit": code}
    print(json.dumps(result))


def command_child(argv: list[str]) -> int:
    """Run `oct8ne-adapter` with `argv` in this process; its exit status."""
    from oct8ne_adapter.cli import cli

    try:
        cli.main(argv, prog_name="oct8ne-adapter", standalone_mode=False)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def import_child(config: Path, feed: Path) -> int:
    """Import `feed` into the configured database with `import_feed`, as `import-catalog` does."""
    try:
        from oct8ne_adapter.feeds.importer import ImportOptions, import_feed
    except ImportError:  # a baseline from before the function: through the command
        return command_child(["--config", str(config), "import-catalog", str(feed)])
    from oct8ne_adapter.settings import Settings, layered_config
    from oct8ne_adapter.sql.database import Database, database_engine
    from oct8ne_adapter.sql.schema import create_schema

    settings = Settings.from_config(layered_config(config))
    database = Database(database_engine(settings.database))
    try:
        create_schema(database.engine)
        language = settings.default_locale.split("-")[0]
        summary = import_feed(database, feed, ImportOptions(language=language))
    finally:
        database.engine.dispose()
    written = summary.inserted + summary.updated + summary.unchanged
    print(f"imported {written} products from {feed}: {summary.describe()}")
    return 1 if summary.rejected else 0


def measure(argv: list[str], package_root: Path) -> dict[str, float]:
    """Run `argv` through `run_child` in a new interpreter importing the package from there."""
    started = time.perf_counter()
    done = in_child(["--child", *argv], package_root)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    result: dict[str, float] = json.loads(lines[-1])
    result["process_seconds"] = wall
    imported = _IMPORTED.search(done.stdout)
    if imported:
        result["products"] = int(imported.group(1))
    return result


def in_child(argv: list[str], package_root: Path) -> subprocess.CompletedProcess[str]:
    """Run this script with `argv` in a new interpreter importing the package from there."""
    done = subprocess.run(
        [sys.executable, __file__, *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(package_root)},
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return done


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


def fresh_database(url: str | None, path: Path, package_root: Path) -> str:
    """A new SQLite file at `path`, or the server database emptied (by that version's code:
    a newer version's migrations would leave a schema the older one refuses)."""
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    in_child(["--empty", url], package_root)
    return url


def main() -> None:
    """Command line entry point."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--empty":
        empty_catalog(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--format", choices=sorted(WRITERS), default="tsv")
    parser.add_argument("--variant-share", type=float, default=0.2)
    parser.add_argument("--database-url", help="default: a new SQLite file per size")
    parser.add_argument(
        "--baseline-database-url", help="the baseline's own server database (with --database-url)"
    )
    parser.add_argument("--keep", type=Path, help="directory for feeds and databases")
    parser.add_argument("--baseline", type=Path, help="root of another version of the package")
    parser.add_argument("--runs", default=",".join(RUNS), help="which runs, comma-separated")
    parser.add_argument("--markdown", action="store_true", help="also print table rows")
    args = parser.parse_args()
    runs = [name for name in args.runs.split(",") if name]
    if not runs or set(runs) - set(RUNS) or runs[0] != "first":
        parser.error(f"--runs: start with first, then any of {', '.join(RUNS[1:])}")
    workdir = (args.keep or Path(tempfile.mkdtemp(prefix="import-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    versions = {"current": ROOT}
    urls: dict[str, str | None] = {"current": args.database_url}
    if args.baseline:
        versions["baseline"] = args.baseline.resolve()
        urls["baseline"] = args.baseline_database_url
        if (args.database_url is None) != (args.baseline_database_url is None):
            parser.error("--database-url and --baseline-database-url go together")
    startup = measure(["--help"], ROOT)["process_seconds"]
    for size in args.sizes:
        feed = workdir / f"catalog-{size}-{args.variant_share}.{args.format}"
        if not feed.exists():
            with feed.open("w", encoding="utf-8", newline="") as out:
                WRITERS[args.format](Generator(8, args.variant_share).products(size), out)
        changed = workdir / f"catalog-{size}-{args.variant_share}-changed.{args.format}"
        change_titles(feed, changed, args.format, 0.10)
        paths = {"first": feed, "unchanged": feed, "changed": changed}
        results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in versions}
        configs = {
            name: config_file(
                workdir / f"{name}-{size}.toml",
                fresh_database(urls[name], workdir / f"bench-{name}-{size}.db", root),
            )
            for name, root in versions.items()
        }
        # Interleaved: both versions see the same moments of the machine's load.
        for run in runs:
            for name, root in versions.items():
                results[name][run] = import_run(configs[name], paths[run], root, size)
        report = summarize(size, args, feed, startup, results)
        print(json.dumps(report), flush=True)
        if args.markdown:
            print(markdown_row(report), flush=True)


def config_file(path: Path, url: str) -> Path:
    """A configuration file naming the database."""
    path.write_text(f"database_url = {json.dumps(url)}\n", encoding="utf-8")
    return path


def import_run(config: Path, feed: Path, root: Path, size: int) -> dict[str, float]:
    """One import in a fresh process, with rows/s."""
    result = measure(["import", str(config), str(feed)], root)
    result["rows_per_second"] = size / result["seconds"]
    return result


def summarize(
    size: int,
    args: argparse.Namespace,
    feed: Path,
    startup: float,
    results: dict[str, dict[str, dict[str, float]]],
) -> dict[str, Any]:
    """The JSON report of one size."""
    current = results["current"]
    report: dict[str, Any] = {
        "size": size,
        "format": args.format,
        "variant_share": args.variant_share,
        "backend": (args.database_url or "sqlite").split(":", 1)[0].split("+", 1)[0],
        "feed_mb": round(os.path.getsize(feed) / 1e6, 1),
        "startup_seconds": round(startup, 2),
    }
    for name, runs in results.items():
        report[name] = {
            run: {key: round(value, 2) for key, value in figures.items()}
            for run, figures in runs.items()
        }
    for run in ("unchanged", "changed"):
        if run in current:
            report[f"first_over_{run}"] = round(
                current["first"]["seconds"] / current[run]["seconds"], 2
            )
    if "baseline" in results:
        report["baseline_over_current"] = {
            run: {
                "wall": round(results["baseline"][run]["seconds"] / current[run]["seconds"], 2),
                "cpu": round(
                    results["baseline"][run]["cpu_seconds"] / current[run]["cpu_seconds"], 2
                ),
            }
            for run in current
        }
    return report


def markdown_row(report: dict[str, Any]) -> str:
    """`| size | feed | products | first | rows/s | cpu | unchanged | ... |` for bench/README.md."""
    current = report["current"]
    first = current["first"]
    cells = [
        f"{report['size']:,}",
        f"{report['feed_mb']} MB",
        f"{int(first.get('products', 0)):,}",
        f"{first['seconds']:.1f} s",
        f"{first['rows_per_second']:,.0f}",
        f"{first['cpu_seconds']:.1f} s",
    ]
    for run in ("unchanged", "changed"):
        if run in current:
            cells += [f"{current[run]['seconds']:.1f} s", f"**{report[f'first_over_{run}']}x**"]
    cells.append(f"{max(run['peak_rss_mb'] for run in current.values()):.0f} MB")
    if "baseline_over_current" in report:
        cells += [
            f"{ratios['wall']}x / {ratios['cpu']}x"
            for ratios in report["baseline_over_current"].values()
        ]
    return "| " + " | ".join(cells) + " |"


def empty_catalog(url: str) -> None:
    """Delete every product of a server database (cascades to the catalog's child rows)."""
    from sqlalchemy import delete

    from oct8ne_adapter.sql import fulltext
    from oct8ne_adapter.sql.database import Database, create_database_engine
    from oct8ne_adapter.sql.models import Product
    from oct8ne_adapter.sql.schema import create_schema

    engine = create_database_engine(url)
    create_schema(engine)
    with Database(engine).transaction() as session:
        session.execute(delete(Product))
        fulltext.rebuild(session)
    engine.dispose()


if __name__ == "__main__":
    main()
