"""The catalog API against a real `oct8ne-adapter serve --workers 2`, on the three databases.

Issue 19 item 5, done when "a test pushes a change through it and sees it in search on another
worker within the poll interval"; and a chunked body (no Content-Length) is cut at the limit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from test_metrics_serve import until
from test_running import BIN, REQUEST_TIMEOUT, free_port, running_server, server_environment

from oct8ne_adapter.web.catalog_api import MAX_BODY_BYTES

SECRET = "catalog-Qm9vb2sgb2YgdGhlIGRlYWQ-0123456789"
AUTH = {"Authorization": f"Bearer {SECRET}"}
POLL_MS = 500
#: Over the poll interval: a loaded 2-core machine, requests queued behind the index's re-read.
SLACK_SECONDS = 3.0


def searches_per_worker(directory: Path) -> dict[int, float]:
    """pid -> search calls the worker answered (its prometheus multiprocess file)."""
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for key, number, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            _family, name, labels, _help = json.loads(key)
            if name == "oct8ne_frame_requests_total" and labels.get("method") == "search":
                counts[pid] = counts.get(pid, 0.0) + number
    return counts


@pytest.mark.writes_database
def test_a_push_is_in_search_on_every_worker_within_the_poll_interval(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    config = tmp_path / "shop.toml"
    config.write_text(
        f'database_url = "{database_url}"\ncatalog_secret = "{SECRET}"\n'
        f"metrics_enabled = true\nsearch_index_poll_ms = {POLL_MS}\n"
    )
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    environment = server_environment(tmp_path, TMPDIR=str(temporary))
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "server.log"
    with running_server(command, cwd=tmp_path, env=environment, port=port, log=log) as base_url:
        (directory,) = until(lambda: list(temporary.glob("oct8ne-metrics-*")), "the directory")
        search = f"{base_url}/oct8ne/frame/search?search=heliograph"

        def results(_: int) -> list[str]:
            answer = requests.get(search, timeout=REQUEST_TIMEOUT)
            answer.raise_for_status()
            return [item["internalId"] for item in answer.json()["results"]]

        with ThreadPoolExecutor(8) as pool:
            # Both workers answer searches (their indexes built) before the push.
            until(
                lambda: (
                    list(pool.map(results, range(16))) and len(searches_per_worker(directory)) == 2
                ),
                "both workers to answer searches",
            )
            assert all(found == [] for found in pool.map(results, range(8)))
            before = searches_per_worker(directory)
            product = {
                "id": "H-1",
                "title": {"en": "Brass heliograph"},
                "url": "/p/H-1",
                "prices": {"USD": "120.00"},
            }
            pushed = requests.post(
                f"{base_url}/oct8ne/catalog/products",
                json=[product],
                headers=AUTH,
                timeout=REQUEST_TIMEOUT,
            )
            assert pushed.status_code == 200, pushed.text
            started = time.monotonic()
            until(
                lambda: all(found == ["H-1"] for found in pool.map(results, range(16))),
                "every worker to find the pushed product",
            )
            elapsed = time.monotonic() - started
            after = searches_per_worker(directory)
        assert elapsed < POLL_MS / 1000 + SLACK_SECONDS, elapsed
        # Both workers answered searches after the push, and every answer found the product.
        assert all(after[pid] > before.get(pid, 0) for pid in after) and len(after) == 2

        deleted = requests.delete(
            f"{base_url}/oct8ne/catalog/products/H-1", headers=AUTH, timeout=REQUEST_TIMEOUT
        )
        assert deleted.json() == {"id": "H-1", "removed": "product"}

        def chunks() -> Iterator[bytes]:
            yield b"["
            for _ in range(MAX_BODY_BYTES // (1024 * 1024) + 1):
                yield b" " * (1024 * 1024)
            yield b"]"

        # requests sends a generator chunked: no Content-Length, the server reads to the limit.
        chunked = requests.post(
            f"{base_url}/oct8ne/catalog/products",
            data=chunks(),
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=REQUEST_TIMEOUT,
        )
        assert chunked.status_code == 413, chunked.text
        assert chunked.json()["error"] == "payload_too_large"
