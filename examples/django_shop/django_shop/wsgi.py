"""The shop's WSGI application: /oct8ne/... goes to the adapter, everything else to Django.

Both run in this one process. A request to the adapter does not pass through Django's handler,
so we open and close Django's database connections around it as Django's own request signals
would (`close_old_connections`): the visitor resolver and the repository use the ORM.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from werkzeug.wsgi import ClosingIterator

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_shop.settings")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PathDispatcher:
    """Sends requests under `prefix` to `adapter` (full path kept), the rest to `shop`."""

    def __init__(self, shop: WsgiApp, adapter: WsgiApp, prefix: str = "/oct8ne") -> None:
        self.shop = shop
        self.adapter = adapter
        self.prefix = prefix

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Dispatch one request by its path."""
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return self.shop(environ, start_response)
        close_old_connections()
        return ClosingIterator(self.adapter(environ, start_response), close_old_connections)


def build_application() -> PathDispatcher:
    """Django (which sets itself up first) and the adapter over its models."""
    shop = get_wsgi_application()
    from django_shop.adapter import adapter_app  # needs Django's apps loaded

    return PathDispatcher(shop, adapter_app())


application = build_application()
