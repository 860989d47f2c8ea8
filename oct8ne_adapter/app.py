"""create_app(): configuration layering and wiring, nothing else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from oct8ne_adapter.extension import Oct8neAdapter
from oct8ne_adapter.repository import (
    AdapterRepository,
    CatalogSource,
    ProductReads,
    ReportRepository,
)
from oct8ne_adapter.settings import layered_config
from oct8ne_adapter.web.identity import CustomerResolver
from oct8ne_adapter.web.state import adapter_state


def create_app(
    config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    repository: AdapterRepository | ProductReads | None = None,
    customer_resolver: CustomerResolver | None = None,
    reports: ReportRepository | None = None,
    catalog_source: CatalogSource | None = None,
) -> Flask:
    """A standalone adapter app: TOML file (`OCT8NE_CONFIG`) < environment < `config` mapping.

    With `catalog_source` the adapter's index searches the shop's own products and
    `repository` needs no `search` (docs/repository.md).
    """
    app = Flask("oct8ne_adapter")
    app.config.update(layered_config(config))
    Oct8neAdapter(
        app,
        repository=repository,
        customer_resolver=customer_resolver,
        reports=reports,
        catalog_source=catalog_source,
    )
    settings = adapter_state(app).settings
    if settings.proxy_fix_hops:
        # Behind nginx: trust X-Forwarded-For/-Proto from exactly this many proxies, so rate
        # limits count the visitor's address, not the proxy's.
        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
