"""The runnable examples django_shop and fastapi_shop (issue 20, item 4), as CI runs them.

Each example is started by its own `run.sh PORT` from a fresh instance directory (it seeds its
data on start), judged by `oct8ne-adapter check` with the token and Jane's e-mail at
`--fail-on hardening` (every cause fails, docs/checker.md), and driven as a visitor would: the
adapter must see who the framework's session says is signed in. The contract kit
(`RepositoryContract`) runs over each example's repository through the example's own
`test_repository.py`, in a process of its own, as a shop would run it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from oct8ne_adapter.testing import RepositoryContract

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = ("django_shop", "fastapi_shop")
TOKEN = "examples-api-token-0123456789"
JANE = "jane.doe@example.com"
#: Seconds a run.sh may take to seed and answer (two cores shared by parallel runs).
START_SECONDS = 90
#: The SKU prefix each example's catalog uses.
PREFIX = {"django_shop": "DJ", "fastapi_shop": "FA"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def example_environment(instance: Path) -> dict[str, str]:
    """run.sh's environment: this interpreter, this checkout's code first, a fresh instance."""
    environment = dict(os.environ)
    environment.pop("OCT8NE_CONFIG", None)
    environment.pop("OCT8NE_DATABASE_URL", None)
    environment.update(
        OCT8NE_EXAMPLE_PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        OCT8NE_API_TOKEN=TOKEN,
        SHOP_INSTANCE_DIR=str(instance),
    )
    return environment


@dataclass
class RunningExample:
    """An example started by its run.sh: its name, its root URL, its process and log."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        """The last lines the server wrote, for a failure's message."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        """Stop run.sh's process group (the server it exec'd) and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def start_example(name: str, instance: Path) -> RunningExample:
    """`run.sh PORT` on a free port; returns once /oct8ne/health answers 200."""
    port = free_port()
    log = instance / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", str(EXAMPLES / name / "run.sh"), str(port)],
            cwd=instance,
            env=example_environment(instance),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    running = RunningExample(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name}/run.sh exited with {process.returncode}:\n{running.log_tail()}")
        try:
            if requests.get(f"{running.url}/oct8ne/health", timeout=2).status_code == 200:
                return running
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    running.stop()
    pytest.fail(f"{name} did not answer within {START_SECONDS} s:\n{running.log_tail()}")


@pytest.fixture(scope="module", params=NAMES)
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningExample]:
    running = start_example(request.param, tmp_path_factory.mktemp(request.param))
    yield running
    running.stop()


class ShopVisitor:
    """A browser's cookie jar on one example: signs in and fills a cart as that shop wants."""

    def __init__(self, example: RunningExample) -> None:
        self.example = example
        self.http = requests.Session()

    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        headers: dict[str, str] = {}
        if self.example.name == "django_shop":
            # Django's CSRF protection: its cookie, sent back in the header.
            self.http.get(f"{self.example.url}/", timeout=10).raise_for_status()
            headers["X-CSRFToken"] = self.http.cookies["csrftoken"]
        answer = self.http.post(f"{self.example.url}{path}", headers=headers, timeout=10, **kwargs)
        answer.raise_for_status()
        return answer

    def sign_in(self, email: str) -> None:
        """The shop's own sign-in, which writes the framework's session."""
        if self.example.name == "django_shop":
            self._post("/login", data={"email": email})
        else:
            self._post("/login", json={"email": email})

    def sign_out(self) -> None:
        self._post("/logout")

    def add_to_cart(self, sku: str) -> None:
        self._post(f"/cart/add/{sku}")

    def frame(self, method: str, **params: str) -> Any:
        answer = self.http.get(
            f"{self.example.url}/oct8ne/frame/{method}", params=params, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def cart_ids(answer: dict[str, object]) -> list[tuple[str, int]]:
    lines = answer["cart"]
    assert isinstance(lines, list)
    return [(line["internalId"], line["qty"]) for line in lines]


def test_the_adapter_sees_the_visitor_of_the_frameworks_session(example: RunningExample) -> None:
    prefix = PREFIX[example.name]
    visitor = ShopVisitor(example)
    anonymous = visitor.frame("customerData")
    assert (anonymous["id"], anonymous["email"], anonymous["cart"]) == (None, None, [])

    # A guest chatting on oct8ne (its session cookie) fills a cart, found through the guest's
    # session; the shop records each change, so getSalesReport lists the cart.
    visitor.http.cookies.set("oct8ne-session", f"OS-{example.name}")
    visitor.add_to_cart(f"{prefix}-105")
    visitor.add_to_cart(f"{prefix}-105")
    assert cart_ids(visitor.frame("getCart")) == [(f"{prefix}-105", 2)]
    assert visitor.frame("customerData")["id"] is None
    today = datetime.now(UTC).date()
    period = {"from": f"{today - timedelta(days=1)}", "to": f"{today + timedelta(days=1)}"}
    assert visitor.frame("getSalesReport", **period, apiToken="wrong") == []
    (row,) = visitor.frame("getSalesReport", **period, apiToken=TOKEN)
    framework = example.name.removesuffix("_shop")
    assert row["quoteId"].startswith(f"{framework}-cart-") and row["orderId"] is None
    assert (row["sessionId"], row["itemsCount"], row["price"]) == (f"OS-{example.name}", 2, 78.0)

    visitor.sign_in(JANE)
    jane = visitor.frame("customerData")
    assert (jane["firstName"], jane["lastName"], jane["email"]) == ("Jane", "Doe", JANE)
    wishlist = jane["wishlist"]
    assert isinstance(wishlist, list)
    assert [item["internalId"] for item in wishlist] == [f"{prefix}-103", f"{prefix}-106"]
    cart = visitor.frame("getCart")
    assert cart_ids(cart) == [(f"{prefix}-100", 1), (f"{prefix}-104", 2)]
    # 129.00 + 2 x 14.50, less Jane's 10.00 coupon.
    assert (cart["price"], cart["finalPrice"], cart["currency"]) == (158.0, 148.0, "USD")

    visitor.sign_out()
    assert visitor.frame("customerData")["id"] is None


def test_a_made_up_session_cookie_is_nobody(example: RunningExample) -> None:
    cookie = "sessionid" if example.name == "django_shop" else "session"
    forged = requests.get(
        f"{example.url}/oct8ne/frame/customerData",
        cookies={cookie: "made-up-session-value"},
        timeout=10,
    )
    assert forged.status_code == 200
    assert (forged.json()["id"], forged.json()["cart"]) == (None, [])


@pytest.mark.parametrize("name", NAMES)
def test_each_start_seeds_the_data_afresh(name: str, tmp_path: Path) -> None:
    """What a visitor changed is gone after a restart of run.sh on the same instance directory."""
    prefix = PREFIX[name]
    seeded = [(f"{prefix}-100", 1), (f"{prefix}-104", 2)]
    first = start_example(name, tmp_path)
    try:
        visitor = ShopVisitor(first)
        visitor.sign_in(JANE)
        visitor.add_to_cart(f"{prefix}-109")
        assert cart_ids(visitor.frame("getCart")) == [*seeded, (f"{prefix}-109", 1)]
    finally:
        first.stop()
    again = start_example(name, tmp_path)
    try:
        visitor = ShopVisitor(again)
        visitor.sign_in(JANE)
        assert cart_ids(visitor.frame("getCart")) == seeded
    finally:
        again.stop()


RULES = sorted(name for name in dir(RepositoryContract) if name.startswith("test_"))


@pytest.mark.parametrize("name", NAMES)
def test_the_contract_kit_passes_on_the_examples_repository(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(ROOT),
            str(EXAMPLES / name / "test_repository.py"),
        ],
        cwd=ROOT,
        env=example_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"\b{len(RULES)} passed\b", output), output
    assert "failed" not in output, output
