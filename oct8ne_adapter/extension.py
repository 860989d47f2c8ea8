"""Oct8neAdapter: the Flask extension that wires settings, repository and the frame Blueprint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_cors import CORS

from oct8ne_adapter.errors import (
    ConfigError,
    DataSourceUnavailable as CatalogUnavailable,
    EventsUnavailable,
)
from oct8ne_adapter.events.http_api import events_blueprint
from oct8ne_adapter.events.model import CartUpdated, CommerceEvent
from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.feeds.push import push_products, remove_product
from oct8ne_adapter.platform.client import VISITOR_COOKIE, PlatformGateway
from oct8ne_adapter.platform.credentials import CredentialSource
from oct8ne_adapter.repository import (
    AdapterRepository,
    CatalogRepository,
    CatalogSource,
    ProductReads,
    ReportRepository,
    SessionRepository,
)
from oct8ne_adapter.search.index import IndexedSearchEngine, RecordCatalog, SqlCatalog
from oct8ne_adapter.search.sourced import SourcedRepository
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.database import Database, database_engine
from oct8ne_adapter.sql.platform_link import stored_credentials
from oct8ne_adapter.sql.price_windows import PriceSwitch
from oct8ne_adapter.sql.product_cache import ProductCache
from oct8ne_adapter.sql.reports import SqlReports
from oct8ne_adapter.sql.repository import SqlRepository
from oct8ne_adapter.sql.writer import ImportSummary
from oct8ne_adapter.web.auth_limiter import auth_limiter
from oct8ne_adapter.web.catalog_api import catalog_blueprint
from oct8ne_adapter.web.frame import frame_blueprint
from oct8ne_adapter.web.identity import CustomerResolver, SessionCookieResolver, anonymous_resolver
from oct8ne_adapter.web.metrics import install_metrics
from oct8ne_adapter.web.operations import operations_blueprint
from oct8ne_adapter.web.snippets import register_template_helpers
from oct8ne_adapter.web.state import AdapterState, adapter_state, has_state, install_state

__all__ = [
    "AdapterState",
    "Oct8neAdapter",
    "adapter_state",
    "notify_update",
    "package_version",
    "record_event",
]


def package_version() -> str:
    """The installed version of oct8ne-adapter."""
    try:
        return version("oct8ne-adapter")
    except PackageNotFoundError:
        return "0+unknown"


class Oct8neAdapter:
    """Serves `/oct8ne/frame/<method>` from a Flask app: `Oct8neAdapter(app)` or `init_app`."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        repository: AdapterRepository | ProductReads | None = None,
        customer_resolver: CustomerResolver | None = None,
        reports: ReportRepository | None = None,
        catalog_source: CatalogSource | None = None,
        url_prefix: str = "/oct8ne",
    ) -> None:
        self._repository = repository
        self._catalog_source = catalog_source
        self._reports = reports
        self._customer_resolver = customer_resolver
        self._url_prefix = url_prefix
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register on `app`; settings come from `app.config["OCT8NE_*"]`."""
        if has_state(app):
            raise RuntimeError("Oct8neAdapter is already registered on this app")
        settings = Settings.from_config(app.config)
        index: IndexedSearchEngine | None = None
        shop = self._repository
        repository: AdapterRepository
        price_switch: PriceSwitch | None = None
        own: SqlRepository | None = None
        if shop is not None and self._catalog_source is not None:
            # Our index searches the shop's own catalog; the shop's repository does the rest.
            index = IndexedSearchEngine(
                RecordCatalog(self._catalog_source),
                None,
                poll_seconds=settings.search.index_poll_ms / 1000,
            )
            index.warm()  # each worker reads the source once as it starts, not at a search
            repository = SourcedRepository(shop, index.search)
            database = Database(database_engine(settings.database))
        elif self._catalog_source is not None:
            raise ConfigError(
                "catalog_source= needs a repository= with the shop's product reads "
                "(get_products, related_products)"
            )
        elif shop is None:
            # This app's own cache: cached products are trusted this long between two reads of
            # the catalog change log, the interval at which the search index polls it too.
            cache = ProductCache(follow_seconds=settings.search.index_poll_ms / 1000)
            database = Database(database_engine(settings.database), product_cache=cache)
            index = _search_index(settings, database)
            searcher = index.search if index is not None else SqlSearchEngine(database).search
            repository = own = SqlRepository(database, searcher=searcher)
            # Timed sale prices switch at their boundaries without an import (checked per call).
            price_switch = PriceSwitch(database)
        elif isinstance(shop, CatalogRepository):
            repository = shop  # type: ignore[assignment]  # its search is the shop's own
            # A shop's own catalog still gets the adapter's own tables (outbox, recorded carts
            # and orders, stored link-up) in the configured database: events, the relay,
            # getCart and getSalesReport work the same over any repository.
            database = Database(database_engine(settings.database))
        else:
            raise ConfigError(
                "the repository has no search(): pass catalog_source= for the adapter's search "
                "over the shop's products (docs/repository.md)"
            )
        resolver = self._customer_resolver
        customer_view = None
        if resolver is None:
            session_owner = repository if shop is None else shop
            resolver = (
                SessionCookieResolver(session_owner, settings.session_cookie)
                if isinstance(session_owner, SessionRepository)
                else anonymous_resolver
            )
            # Our cookie over our own tables: customerData reads all it needs in one session.
            customer_view = own.customer_view if own is not None else None
        credential_source = CredentialSource(settings.link, partial(stored_credentials, database))
        state = AdapterState(
            settings=settings,
            repository=repository,
            resolver=resolver,
            database=database,
            version=package_version(),
            credential_source=credential_source,
            platform=PlatformGateway(settings, credential_source),
            events=_event_recorder(settings, database, credential_source),
            reports=self._reports if self._reports is not None else SqlReports(database),
            auth=auth_limiter(settings, database),
            search_index=index,
            price_switch=price_switch,
            catalog_generation=own.catalog_generation if own is not None else None,
            customer_view=customer_view,
        )
        install_state(app, state)
        app.register_blueprint(frame_blueprint(settings), url_prefix=self._url_prefix)
        app.register_blueprint(events_blueprint, url_prefix=self._url_prefix)
        app.register_blueprint(catalog_blueprint, url_prefix=self._url_prefix)
        app.register_blueprint(operations_blueprint(), url_prefix=self._url_prefix)
        install_metrics(app, state, index, self._url_prefix)
        if settings.cors_origins:
            # JSON callers on these origins may read the answers (with the visitor's cookies).
            CORS(
                app,
                resources={f"{self._url_prefix}/frame/*": {"origins": list(settings.cors_origins)}},
                supports_credentials=True,
                methods=["GET"],
            )
        register_template_helpers(app)

    def record_event(
        self, event: CommerceEvent, *, visitor_cookie: str | None = None, app: Flask | None = None
    ) -> bool:
        """Record a commerce event for every configured sink; see `record_event`."""
        return record_event(event, visitor_cookie=visitor_cookie, app=app)

    def push_products(
        self, products: Iterable[Mapping[str, Any]], *, app: Flask | None = None
    ) -> ImportSummary:
        """Upsert products (JSON objects of the JSON Lines format), all or none, like
        `POST /oct8ne/catalog/products`; ImportFailed names the first bad one."""
        state = adapter_state(app or current_app)
        return push_products(
            _catalog_database(state), products, language=state.settings.default_locale.split("-")[0]
        )

    def remove_product(self, product_id: str, *, app: Flask | None = None) -> str:
        """Remove a product, or only the variant with this id: "product", "variant" or
        "nothing", like `DELETE /oct8ne/catalog/products/<id>`."""
        return remove_product(_catalog_database(adapter_state(app or current_app)), product_id)


def _catalog_database(state: AdapterState) -> Database:
    """The database the catalog lives in (DataSourceUnavailable when the app has none)."""
    if state.database is None:
        raise CatalogUnavailable(
            "the catalog API writes the adapter's SQL catalog, and this app has none"
        )
    return state.database


def notify_update(what: str, visitor: str | None = None) -> Future[None] | None:
    """Ask oct8ne to refresh the current visitor's widget after the shop changed `what`.

    `what` is cart, wishlist or user; the visitor defaults to the `oct8ne-visitor` cookie of the
    current request. Returns at once: the call runs in the background and its failures are
    logged. None when there is nothing to do (the visitor is not chatting).
    """
    if visitor is None:
        visitor = request.cookies.get(VISITOR_COOKIE)
    return adapter_state(current_app).platform.notify_update(visitor, what)


def _search_index(settings: Settings, database: Database) -> IndexedSearchEngine | None:
    """The in-memory index over the database, or None when `search_engine = "sql"`."""
    if settings.search.engine == "sql":
        return None
    return IndexedSearchEngine(
        SqlCatalog(database),
        SqlSearchEngine(database),
        poll_seconds=settings.search.index_poll_ms / 1000,
        background=settings.search.index_background,
    )


def _event_recorder(
    settings: Settings, database: Database, credentials: CredentialSource
) -> EventRecorder:
    """The recorder for the configured sinks, whose options are checked here, at start-up."""
    from oct8ne_adapter.events.sinks import build_sinks

    sinks = build_sinks(settings.events.sinks, oct8ne_server=lambda: credentials.current().server)
    return EventRecorder(database, [sink.name for sink in sinks])


def record_event(
    event: CommerceEvent, *, visitor_cookie: str | None = None, app: Flask | None = None
) -> bool:
    """Record a commerce event in the outbox for every configured sink; False for a duplicate.

    In a request, the visitor ids the event lacks come from the request's cookies
    (`oct8ne-visitor-ids`, `oct8ne-session`, `oct8ne-visitor`) and a cart's `shop_session`
    from the visitor resolver (`Visitor.cart_key`): getCart answers that cart to that shop
    session only. `visitor_cookie` (a raw `oct8ne-visitor-ids` value) is used outside a
    request. `app` defaults to the current app.
    """
    from oct8ne_adapter.events.visitor_ids import from_cookies, parse_cookie, with_visitor_ids

    state = adapter_state(app or current_app)
    if state.events is None:
        raise EventsUnavailable(
            "commerce events are recorded in the adapter's SQL database, and this app's "
            "adapter state was built without an event recorder"
        )
    if visitor_cookie:
        event = with_visitor_ids(event, parse_cookie(visitor_cookie))
    if has_request_context():
        event = with_visitor_ids(event, from_cookies(request.cookies))
        if isinstance(event, CartUpdated) and event.shop_session is None:
            event = replace(event, shop_session=state.resolve_visitor(request).cart_key)
    return state.events.record(event)
