"""Oct8neAdapter: the Flask extension that wires settings, repository and the frame Blueprint."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from importlib.metadata import PackageNotFoundError, version

from flask import Flask, current_app, has_request_context, request
from flask_cors import CORS

from oct8ne_adapter.domain import SearchQuery, SearchResult
from oct8ne_adapter.errors import EventsUnavailable
from oct8ne_adapter.events.http_api import events_blueprint
from oct8ne_adapter.events.model import CommerceEvent
from oct8ne_adapter.events.recorder import EventRecorder
from oct8ne_adapter.platform.client import VISITOR_COOKIE, PlatformGateway
from oct8ne_adapter.platform.credentials import CredentialSource
from oct8ne_adapter.repository import AdapterRepository, SessionRepository
from oct8ne_adapter.search.index import IndexedSearchEngine, SqlCatalog
from oct8ne_adapter.search.sql import SqlSearchEngine
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.sql.database import Database, database_engine
from oct8ne_adapter.sql.platform_link import stored_credentials
from oct8ne_adapter.sql.product_cache import ProductCache
from oct8ne_adapter.sql.reports import SqlReports
from oct8ne_adapter.sql.repository import SqlRepository
from oct8ne_adapter.web.auth_limiter import auth_limiter
from oct8ne_adapter.web.frame import frame_blueprint
from oct8ne_adapter.web.identity import CustomerResolver, SessionCookieResolver, anonymous_resolver
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
        repository: AdapterRepository | None = None,
        customer_resolver: CustomerResolver | None = None,
        url_prefix: str = "/oct8ne",
    ) -> None:
        self._repository = repository
        self._customer_resolver = customer_resolver
        self._url_prefix = url_prefix
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register on `app`; settings come from `app.config["OCT8NE_*"]`."""
        if has_state(app):
            raise RuntimeError("Oct8neAdapter is already registered on this app")
        settings = Settings.from_config(app.config)
        database: Database | None = None
        repository = self._repository
        if repository is None:
            # This app's own cache: cached products are trusted this long between two reads of
            # the catalog change log, the interval at which the search index polls it too.
            cache = ProductCache(follow_seconds=settings.search.index_poll_ms / 1000)
            database = Database(database_engine(settings.database), product_cache=cache)
            repository = SqlRepository(database, searcher=_searcher(settings, database))
        resolver = self._customer_resolver
        if resolver is None:
            resolver = (
                SessionCookieResolver(repository, settings.session_cookie)
                if isinstance(repository, SessionRepository)
                else anonymous_resolver
            )
        credential_source = CredentialSource(
            settings.link, partial(stored_credentials, database) if database else None
        )
        state = AdapterState(
            settings=settings,
            repository=repository,
            resolver=resolver,
            database=database,
            version=package_version(),
            credential_source=credential_source,
            platform=PlatformGateway(settings, credential_source),
            events=_event_recorder(settings, database, credential_source),
            # What a shop's own repository does for these is a later issue's: none for now.
            reports=SqlReports(database) if database is not None else None,
            auth=auth_limiter(settings, database),
        )
        install_state(app, state)
        app.register_blueprint(frame_blueprint(settings), url_prefix=self._url_prefix)
        app.register_blueprint(events_blueprint, url_prefix=self._url_prefix)
        app.register_blueprint(operations_blueprint(), url_prefix=self._url_prefix)
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


def notify_update(what: str, visitor: str | None = None) -> Future[None] | None:
    """Ask oct8ne to refresh the current visitor's widget after the shop changed `what`.

    `what` is cart, wishlist or user; the visitor defaults to the `oct8ne-visitor` cookie of the
    current request. Returns at once: the call runs in the background and its failures are
    logged. None when there is nothing to do (the visitor is not chatting).
    """
    if visitor is None:
        visitor = request.cookies.get(VISITOR_COOKIE)
    return adapter_state(current_app).platform.notify_update(visitor, what)


def _searcher(settings: Settings, database: Database) -> Callable[[SearchQuery], SearchResult]:
    """The configured search engine's `search`: the SQL engine or the in-memory index."""
    if settings.search.engine == "sql":
        return SqlSearchEngine(database).search
    engine = IndexedSearchEngine(
        SqlCatalog(database),
        SqlSearchEngine(database),
        poll_seconds=settings.search.index_poll_ms / 1000,
        background=settings.search.index_background,
    )
    return engine.search


def _event_recorder(
    settings: Settings, database: Database | None, credentials: CredentialSource
) -> EventRecorder | None:
    """The recorder for the configured sinks, whose options are checked here, at start-up."""
    from oct8ne_adapter.events.sinks import build_sinks

    sinks = build_sinks(settings.events.sinks, oct8ne_server=lambda: credentials.current().server)
    if database is None:
        return None
    return EventRecorder(database, [sink.name for sink in sinks])


def record_event(
    event: CommerceEvent, *, visitor_cookie: str | None = None, app: Flask | None = None
) -> bool:
    """Record a commerce event in the outbox for every configured sink; False for a duplicate.

    In a request, the visitor ids the event lacks come from the request's cookies
    (`oct8ne-visitor-ids`, `oct8ne-session`, `oct8ne-visitor`); `visitor_cookie` (a raw
    `oct8ne-visitor-ids` value) is used outside one. `app` defaults to the current app.
    """
    from oct8ne_adapter.events.visitor_ids import from_cookies, parse_cookie, with_visitor_ids

    state = adapter_state(app or current_app)
    if state.events is None:
        raise EventsUnavailable(
            "commerce events are recorded in the adapter's SQL database, and this app uses "
            "its own repository without one"
        )
    if visitor_cookie:
        event = with_visitor_ids(event, parse_cookie(visitor_cookie))
    if has_request_context():
        event = with_visitor_ids(event, from_cookies(request.cookies))
    return state.events.record(event)
