"""Warm start (issue 21 item 1): health says `starting` until a worker's index is in use, and
`serve` builds the index in gunicorn's master so its workers start with it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from conftest import adapter_config
from flask import Flask
from test_metrics_serve import per_process, until
from test_running import BIN, REPO_ROOT, free_port, running_server, server_environment

from oct8ne_adapter import create_app
from oct8ne_adapter.web.prometheus import INDEX_SEQ
from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter.web.warm import prepare_to_fork, warm_worker

HEALTH_DEADLINE = 30.0


def health_answers(base_url: str, seconds: float = HEALTH_DEADLINE) -> list[tuple[int, str]]:
    """(status, "status" field) of /oct8ne/health, polled until it is 200 (bounded)."""
    answers: list[tuple[int, str]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = requests.get(f"{base_url}/oct8ne/health", timeout=10)
        answers.append((answer.status_code, answer.json()["status"]))
        if answer.status_code == 200:
            return answers
        time.sleep(0.05)
    pytest.fail(f"health never answered 200: {answers[-5:]}")


def test_a_worker_is_starting_until_its_index_is_in_use(database_file: Path, tmp_path: Path):
    """`gunicorn wsgi:app`: the worker builds its index after it starts; health is 503 until."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "--chdir", str(REPO_ROOT), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--no-control-socket", "wsgi:app"]
    env = server_environment(tmp_path, OCT8NE_DATABASE_URL=f"sqlite:///{database_file}")
    with running_server(
        command, cwd=tmp_path, env=env, port=port, log=tmp_path / "gunicorn.log"
    ) as base_url:
        # running_server waited for getAdapterInfo, which does not touch the index.
        answers = health_answers(base_url)
        assert answers[0] == (503, "starting")  # the first look starts the build
        assert answers[-1] == (200, "ok")
        assert set(answers[1:-1]) <= {(503, "starting")}
        # Once in use, it stays in service.
        assert requests.get(f"{base_url}/oct8ne/health", timeout=10).status_code == 200


@pytest.mark.parametrize("workers", [1, 3])
def test_serve_builds_the_index_before_the_workers_start(
    database_file: Path, tmp_path: Path, workers: int
):
    """`oct8ne-adapter serve`: every worker's first health answer is already 200."""
    port = free_port()
    config = tmp_path / "shop.toml"
    config.write_text(f'database_url = "sqlite:///{database_file}"\n')
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with running_server(
        command, cwd=tmp_path, env=server_environment(tmp_path), port=port, log=tmp_path / "s.log"
    ) as base_url:
        # New connections each time, spread over the workers: none of them is still starting.
        for _ in range(10 * workers):
            answer = requests.get(f"{base_url}/oct8ne/health", timeout=10)
            assert (answer.status_code, answer.json()) == (200, {"status": "ok", "database": "ok"})
        found = requests.get(
            f"{base_url}/oct8ne/frame/search", params={"search": "jacket"}, timeout=10
        ).json()
        assert found["total"] > 0


def test_each_worker_searches_once_before_it_accepts_connections(
    database_file: Path, tmp_path: Path
):
    """gunicorn's post_worker_init: a fork's first-request costs are paid before any visitor.

    Seen in the metrics: each worker reports its index position at its first search, and both
    have before any search was asked for (running_server waited for getAdapterInfo only).
    """
    port = free_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    config = tmp_path / "shop.toml"
    config.write_text(f'database_url = "sqlite:///{database_file}"\nmetrics_enabled = true\n')
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    environment = server_environment(tmp_path, TMPDIR=str(temporary))
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with running_server(command, cwd=tmp_path, env=environment, port=port, log=tmp_path / "s.log"):
        (directory,) = until(lambda: list(temporary.glob("oct8ne-metrics-*")), "the directory")
        until(
            lambda: len(per_process(directory, "gauge_livemin", INDEX_SEQ)) == 2,
            "both workers' warm-up searches",
        )


def test_warm_worker_searches_only_from_a_current_index(database_file: Path):
    config = adapter_config(f"sqlite:///{database_file}", OCT8NE_SEARCH_INDEX_BACKGROUND=True)
    app = create_app(config)
    try:
        index = adapter_state(app).search_index
        assert index is not None
        assert not warm_worker(app)  # nothing built yet: it does not wait for the build
        assert index.wait() and index.builds == 1
        assert warm_worker(app)
        assert index.builds == 1
    finally:
        dispose(app)


def test_health_is_starting_while_the_index_is_built(database_file: Path):
    """In one process: 503 `starting` while the background build runs, then 200."""
    config = adapter_config(
        f"sqlite:///{database_file}",
        OCT8NE_SEARCH_INDEX_BACKGROUND=True,
        OCT8NE_SEARCH_INDEX_POLL_MS=1000,
    )
    app = create_app(config)
    try:
        client = app.test_client()
        first = client.get("/oct8ne/health")
        assert (first.status_code, first.get_json()) == (
            503,
            {"status": "starting", "database": "ok"},
        )
        index = adapter_state(app).search_index
        assert index is not None and index.wait()
        assert client.get("/oct8ne/health").status_code == 200
    finally:
        dispose(app)


def test_prepare_to_fork_builds_the_index_and_empties_the_pool(database_file: Path):
    app = create_app(adapter_config(f"sqlite:///{database_file}"))
    try:
        state = adapter_state(app)
        assert prepare_to_fork(app)
        assert state.search_index is not None and state.search_index.builds == 1
        assert state.database is not None and state.database.engine.pool.checkedin() == 0
        assert app.test_client().get("/oct8ne/health").status_code == 200
        assert state.search_index.builds == 1  # health found it current: nothing rebuilt
    finally:
        dispose(app)


@pytest.mark.parametrize(
    "overrides", [{"OCT8NE_SEARCH_ENGINE": "sql"}, {"OCT8NE_SEARCH_INDEX_PREFORK": False}]
)
def test_prepare_to_fork_builds_nothing_when_not_asked(database_file: Path, overrides):
    app = create_app(adapter_config(f"sqlite:///{database_file}", **overrides))
    try:
        assert not prepare_to_fork(app)
        index = adapter_state(app).search_index
        assert index is None or index.builds == 0
    finally:
        dispose(app)


def dispose(app: Flask) -> None:
    database = adapter_state(app).database
    if database is not None:
        database.engine.dispose()


def test_the_master_tells_no_listener_and_each_worker_tells_once(database_file: Path):
    """The index-position gauge is per live process: a master's build must not set one."""
    app = create_app(adapter_config(f"sqlite:///{database_file}"))
    try:
        index = adapter_state(app).search_index
        assert index is not None
        told: list[object] = []
        index.listeners.append(told.append)
        assert prepare_to_fork(app)
        assert told == []
        client = app.test_client()
        assert client.get("/oct8ne/health").status_code == 200
        assert (
            client.get("/oct8ne/frame/search", query_string={"search": "shoe"}).status_code == 200
        )
        assert len(told) == 1  # the first use in this process, not again
    finally:
        dispose(app)
