"""Running the shops in examples/ as CI does: `examples/<name>/run.sh PORT`, then the checker.

Every example starts with its own seeded data (the customer `jane.doe@example.com` with a cart,
a wishlist and three orders) and takes its API token from OCT8NE_API_TOKEN; the interpreter from
OCT8NE_EXAMPLE_PYTHON (here: the one running the tests, whose environment has the package).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from test_running import BIN, REPO_ROOT, free_port, server_environment

EXAMPLES = REPO_ROOT / "examples"
#: The token every example is started with, and the checker is given.
EXAMPLE_TOKEN = "example-token-6c1d0f3b9a"
EXAMPLE_EMAIL = "jane.doe@example.com"
STARTUP_SECONDS = 90.0


def example_names() -> list[str]:
    """The examples that have a run.sh."""
    return sorted(path.parent.name for path in EXAMPLES.glob("*/run.sh"))


@contextmanager
def running_example(name: str, workdir: Path) -> Iterator[str]:
    """Start `examples/<name>/run.sh PORT`, wait (bounded) until it answers, yield its URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = server_environment(
        workdir,
        OCT8NE_API_TOKEN=EXAMPLE_TOKEN,
        OCT8NE_EXAMPLE_PYTHON=sys.executable,
        # The code under test first, whatever the interpreter's install points at.
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        TMPDIR=str(workdir),
        SHOP_INSTANCE_DIR=str(workdir),
    )
    log = workdir / f"{name}.log"
    with log.open("wb") as output:
        # A session of its own: run.sh's children are stopped with it, as a group.
        process = subprocess.Popen(
            [str(EXAMPLES / name / "run.sh"), str(port)],
            cwd=workdir,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_answering(process, base_url, log)
            yield base_url
        finally:
            _stop(process)


def _wait_until_answering(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"run.sh exited with {process.returncode}:\n{log.read_text()}")
        try:
            answer = requests.get(f"{base_url}/oct8ne/frame/getAdapterInfo", timeout=2)
            if answer.status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the example did not answer in {STARTUP_SECONDS}s:\n{log.read_text()}")
        time.sleep(0.3)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def run_checker(base_url: str, *, fail_on: str = "hardening") -> tuple[int, dict[str, Any]]:
    """`oct8ne-adapter check` with the token and e-mail: its exit status and JSON report."""
    environment = {**os.environ, "OCT8NE_CHECK_TOKEN": EXAMPLE_TOKEN}
    done = subprocess.run(
        [
            str(BIN / "oct8ne-adapter"),
            "check",
            base_url,
            "--email",
            EXAMPLE_EMAIL,
            "--fail-on",
            fail_on,
            "--json",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the checker wrote no JSON report:\n{done.stdout}\n{done.stderr}")
    return done.returncode, report
