"""The HTTP servers the CLI starts (serve, demo): gunicorn, else werkzeug's development server.

Query strings carry the API token (getOrders, getSalesReport) and customers' e-mails
(getOrders, the demo's sign-in), so neither server ever logs one: request lines are logged
as method and path only, and the referrer (a page URL with its own query) is left out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import click
from werkzeug.serving import WSGIRequestHandler

#: gunicorn's default format with the path (`%(U)s`) where the request line (`%(r)s`) was, and
#: without the referrer (`%(f)s`).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'


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


def run_server(app: Any, host: str, port: int, workers: int) -> None:
    """Serve `app` with gunicorn when it is installed, else with the development server."""
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
