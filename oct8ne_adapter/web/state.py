"""AdapterState, the per-app state every request reads, and the one accessor of `app.extensions`.

`Oct8neAdapter.init_app` builds the state and installs it with `install_state`; everything else
reads it with `adapter_state(app)` or, inside a request or app context, `current_state()`.
Per-app caches live here (and in the objects here), never in module globals, so two apps in
one process never share or overwrite each other's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, Request, current_app

from oct8ne_adapter.web.auth_limiter import AuthGuard, NoLimit
from oct8ne_adapter.web.cross_site import CrossSiteGuard
from oct8ne_adapter.web.identity import as_visitor
from oct8ne_adapter.web.serializers.answers import AnswerCache
from oct8ne_adapter.web.serializers.memo import ProductInfoMemo

if TYPE_CHECKING:
    from oct8ne_adapter.domain import CustomerView, Visitor
    from oct8ne_adapter.events.recorder import EventRecorder
    from oct8ne_adapter.platform.client import PlatformGateway
    from oct8ne_adapter.platform.credentials import CredentialSource, PlatformCredentials
    from oct8ne_adapter.repository import AdapterRepository, ReportRepository
    from oct8ne_adapter.search.index import IndexedSearchEngine
    from oct8ne_adapter.settings import Settings
    from oct8ne_adapter.sql.database import Database
    from oct8ne_adapter.sql.price_windows import PriceSwitch
    from oct8ne_adapter.web.identity import CustomerResolver

#: The key of the adapter's state in `app.extensions`.
EXTENSION_KEY = "oct8ne"


@dataclass(frozen=True)
class AdapterState:
    """Everything a request needs, kept in `app.extensions["oct8ne"]`."""

    settings: Settings
    repository: AdapterRepository
    resolver: CustomerResolver
    database: Database | None
    version: str
    credential_source: CredentialSource
    platform: PlatformGateway
    #: Records commerce events for the configured sinks; None without the SQL database.
    events: EventRecorder | None = None
    #: Recorded carts and the sales report (getCart, getSalesReport); None without the database.
    reports: ReportRepository | None = None
    #: Every token or secret check reports to it (see `web.auth_limiter`).
    auth: AuthGuard = field(default_factory=NoLimit)
    #: ProductInfo payloads this app built recently (see `ProductInfoMemo`).
    product_infos: ProductInfoMemo = field(default_factory=ProductInfoMemo)
    #: The in-memory search index; None when search runs in SQL only (or a shop's repository).
    search_index: IndexedSearchEngine | None = None
    #: Encoded productInfo/productSummary answers (see `AnswerCache`).
    answers: AnswerCache = field(default_factory=AnswerCache)
    #: Refuses cross-site calls of the cookie-identified methods; warns once per worker.
    cross_site: CrossSiteGuard = field(default_factory=CrossSiteGuard)
    #: Switches timed sale prices at their window's boundaries; None over a shop's catalog.
    price_switch: PriceSwitch | None = None
    #: Moves whenever the catalog changes (`SqlRepository.catalog_generation`): encoded answers
    #: are looked up by their raw parameters under it. None over a shop's catalog.
    catalog_generation: Callable[[], Hashable] | None = None
    #: customerData's reads for a shop-session cookie token in one statement, when the default
    #: resolver reads that cookie from our own session table (`SqlRepository.customer_view`).
    customer_view: Callable[[str | None, Sequence[str]], CustomerView] | None = None

    def credentials(self) -> PlatformCredentials:
        """The oct8ne account in force: configuration over what link-up stored."""
        return self.credential_source.current()

    def resolve_visitor(self, request: Request) -> Visitor:
        """The visitor of this request, as the configured resolver sees it."""
        return as_visitor(self.resolver(request))


def install_state(app: Flask, state: AdapterState) -> None:
    """Keep `state` as the adapter's state of `app`; refuses a second registration."""
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("Oct8neAdapter is already registered on this app")
    app.extensions[EXTENSION_KEY] = state


def has_state(app: Flask) -> bool:
    """Whether Oct8neAdapter is registered on `app`."""
    return EXTENSION_KEY in app.extensions


def adapter_state(app: Flask) -> AdapterState:
    """The adapter's state on an app where Oct8neAdapter is registered."""
    state: AdapterState = app.extensions[EXTENSION_KEY]
    return state


def current_state() -> AdapterState:
    """The adapter's state of the current app (inside an app or request context)."""
    return adapter_state(current_app)
