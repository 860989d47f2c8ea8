"""Metrics of a real `oct8ne-adapter serve` with two gunicorn workers (prometheus multiprocess).

One server run: every worker's calls in one scrape, the slowest live worker's index lag, a
restarted worker's gauges dropped (child_exit), and the directory `serve` made removed at exit.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import rename_product
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from test_running import BIN, REQUEST_TIMEOUT, free_port, running_server, server_environment

from oct8ne_adapter.cli.servers import metrics_directory
from oct8ne_adapter.sql.database import Database, create_database_engine

DEADLINE_SECONDS = 30.0


def scrape(base_url: str) -> dict[str, float]:
    """The unlabelled samples and the getAdapterInfo/200 request count of one scrape."""
    response = requests.get(f"{base_url}/oct8ne/metrics", timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if not sample.labels:
                samples[sample.name] = sample.value
            elif sample.labels == {"method": "getAdapterInfo", "status": "200"}:
                samples[sample.name] = sample.value
    return samples


def per_process(directory: Path, prefix: str, metric: str) -> dict[int, float]:
    """pid -> the value `metric` has in that process's file (`<prefix>_<pid>.db`)."""
    found: dict[int, float] = {}
    for path in directory.glob(f"{prefix}_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for key, number, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            _family, name, labels, _help = json.loads(key)
            if name == metric and labels.get("method", "getAdapterInfo") == "getAdapterInfo":
                found[pid] = found.get(pid, 0.0) + number
    return found


def until(condition, what: str):  # type: ignore[no-untyped-def]
    """Call `condition` until it returns something true; fail after DEADLINE_SECONDS."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_a_two_worker_server_reports_every_worker(database_file: Path, tmp_path: Path) -> None:
    port = free_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    config = tmp_path / "shop.toml"
    config.write_text(
        f'database_url = "sqlite:///{database_file}"\n'
        "metrics_enabled = true\nsearch_index_poll_ms = 0\nsearch_index_background = false\n"
    )
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    environment = server_environment(tmp_path, TMPDIR=str(temporary))
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "server.log"
    with running_server(command, cwd=tmp_path, env=environment, port=port, log=log) as base_url:
        (directory,) = until(lambda: list(temporary.glob("oct8ne-metrics-*")), "the directory")

        def call(path: str) -> None:
            requests.get(f"{base_url}{path}", timeout=REQUEST_TIMEOUT).raise_for_status()

        # Concurrent calls until both workers have answered some (the kernel picks the worker).
        with ThreadPoolExecutor(8) as pool:
            until(
                lambda: (
                    list(pool.map(call, ["/oct8ne/frame/getAdapterInfo"] * 16))
                    and len(per_process(directory, "counter", "oct8ne_frame_requests_total")) == 2
                ),
                "both workers to answer",
            )
            counts = per_process(directory, "counter", "oct8ne_frame_requests_total")
            assert all(count > 0 for count in counts.values()), counts
            samples = scrape(base_url)
            assert samples["oct8ne_frame_requests_total"] == sum(counts.values())
            assert samples["oct8ne_frame_request_duration_seconds_count"] == sum(counts.values())

            # Both workers build their index; the lag is the slowest live worker's.
            search = "/oct8ne/frame/search?search=shoe"
            until(
                lambda: (
                    list(pool.map(call, [search] * 8))
                    and len(
                        per_process(directory, "gauge_livemin", "oct8ne_search_index_change_seq")
                    )
                    == 2
                ),
                "both workers' search index",
            )
            assert scrape(base_url)["oct8ne_search_index_lag"] == 0
            engine = create_database_engine(f"sqlite:///{database_file}")
            rename_product(Database(engine), "1001", "Trail Running Shoe II")
            engine.dispose()
            assert scrape(base_url)["oct8ne_search_index_lag"] >= 1
            until(
                lambda: (
                    list(pool.map(call, [search] * 8))
                    and scrape(base_url)["oct8ne_search_index_lag"] == 0
                ),
                "every worker to apply the change",
            )

        # A worker that exits loses its live gauges (child_exit -> mark_process_dead); its
        # counts stay in the sum, as a counter's must.
        gone = min(counts)
        os.kill(gone, signal.SIGTERM)
        until(lambda: not (directory / f"gauge_livemin_{gone}.db").exists(), "child_exit")
        assert scrape(base_url)["oct8ne_frame_requests_total"] >= sum(counts.values())
    assert not directory.exists(), "serve removes the directory it made"


def test_a_directory_the_operator_set_is_emptied_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_4242.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("the operator's")
    with metrics_directory(True) as worker_exited:
        assert worker_exited is not None
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
    assert tmp_path.is_dir()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)


def test_no_directory_without_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with metrics_directory(False) as worker_exited:
        assert worker_exited is None
        assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
