"""The HTTP servers the CLI starts (serve, demo): gunicorn, else werkzeug's development server.

Query strings carry the API token (getOrders, getSalesReport) and customers' e-mails
(getOrders, the demo's sign-in), so neither server ever logs one: request lines are logged
as method and path only, and the referrer (a page URL with its own query) is left out.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click
from werkzeug.serving import WSGIRequestHandler

#: gunicorn's default format with the path (`%(U)s`) where the request line (`%(r)s`) was, and
#: without the referrer (`%(f)s`).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'
#: Where prometheus_client's multiprocess mode keeps every worker's figures.
METRICS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def without_query(target: object) -> object:
    """A request target (`/path?query`) as its path alone; anything else unchanged."""
    if isinstance(target, str) and "?" in target:
        return target.split("?", 1)[0] + "?<query hidden>"
    return target


class PathOnlyRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, logging the path of each request and not its query."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One access line: address, method, path, status, size."""
        path = urlsplit(getattr(self, "path", "")).path or "<no path>"
        self.log("info", '"%s %s %s" %s %s', self.command, path, self.request_version, code, size)

    def log_error(self, format: str, *args: Any) -> None:
        """Errors name the request target without its query (werkzeug logs the request line)."""
        self.log("error", format, *(without_query(arg) for arg in args))


@contextmanager
def metrics_directory(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """With metrics on: PROMETHEUS_MULTIPROC_DIR for the workers, and what a worker's exit calls.

    Entered before the app is built (prometheus_client picks its mode when first imported). A
    directory the operator set is kept, emptied of the figures of an earlier run (as
    prometheus_client asks); otherwise one is made here and removed when the server stops.
    """
    if not enabled:
        yield None
        return
    given = os.environ.get(METRICS_DIRECTORY_VARIABLE)
    if given:
        for stale in glob.glob(os.path.join(given, "*.db")):
            os.remove(stale)
    directory = given or tempfile.mkdtemp(prefix="oct8ne-metrics-")
    os.environ[METRICS_DIRECTORY_VARIABLE] = directory

    def worker_exited(pid: int) -> None:
        # A dead worker's live gauges (the search index's position) must stop counting.
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]

    owner = os.getpid()
    try:
        yield worker_exited
    finally:
        # gunicorn's workers are forks that leave through this block too (SystemExit): only
        # the process that made the directory removes it, when the server stops.
        if not given and os.getpid() == owner:
            os.environ.pop(METRICS_DIRECTORY_VARIABLE, None)
            shutil.rmtree(directory, ignore_errors=True)


def run_server(
    app: Any,
    host: str,
    port: int,
    workers: int,
    worker_exited: Callable[[int], None] | None = None,
    worker_started: Callable[[], object] | None = None,
) -> None:
    """Serve `app` with gunicorn when it is installed, else with the development server.

    `worker_exited(pid)` is called in gunicorn's master when a worker process has ended;
    `worker_started()` in each new worker before it accepts connections.
    """
    try:
        from gunicorn.app.base import BaseApplication
        from gunicorn.glogging import Logger
    except ImportError:
        from werkzeug.serving import run_simple

        click.echo("gunicorn is not installed: using the development server", err=True)
        run_simple(host, port, app, threaded=True, request_handler=PathOnlyRequestHandler)
        return

    class PathOnlyLogger(Logger):  # type: ignore[misc]
        """gunicorn's logger; its error lines ("Error handling request /x?...") lose the query."""

        def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
            super().error(msg, *(without_query(arg) for arg in args), **kwargs)

        def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
            super().exception(msg, *(without_query(arg) for arg in args), **kwargs)

        def log(self, lvl: int | str, msg: str, *args: Any, **kwargs: Any) -> None:
            super().log(lvl, msg, *(without_query(arg) for arg in args), **kwargs)

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", ACCESS_LOG_FORMAT)
            self.cfg.set("logger_class", PathOnlyLogger)
            # gunicorn's control socket lives in $HOME, shared by every server on the machine.
            self.cfg.set("control_socket_disable", True)
            if worker_exited is not None:
                self.cfg.set("child_exit", lambda _arbiter, worker: worker_exited(worker.pid))
            if worker_started is not None:
                self.cfg.set("post_worker_init", lambda _worker: worker_started())

        def load(self) -> Any:
            return app

    Gunicorn().run()


def serve_options(function: Any) -> Any:
    """--host, --port and --workers."""
    function = click.option(
        "--workers",
        default=2,
        show_default=True,
        type=click.IntRange(1, 64),
        help="gunicorn worker processes.",
    )(function)
    function = click.option(
        "--port", default=8000, show_default=True, type=click.IntRange(1, 65535)
    )(function)
    return click.option("--host", default="127.0.0.1", show_default=True)(function)
