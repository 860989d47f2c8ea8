"""Oct8neAdapter: the Flask extension that wires settings, repository and the frame Blueprint."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from importlib.metadata import PackageNotFoundError, version

from flask import Flask, Request, current_app, request
from flask_cors import CORS

from .credentials import CredentialSource, PlatformCredentials
from .domain import Visitor
from .frame import frame_blueprint
from .identity import CustomerResolver, SessionCookieResolver, anonymous_resolver, as_visitor
from .operations import operations_blueprint
from .platform import VISITOR_COOKIE, PlatformGateway
from .ratelimits import install_rate_limits
from .repository import AdapterRepository, SessionRepository
from .settings import Settings
from .snippets import register_template_helpers
from .sql.database import Database, settings_engine
from .sql.platform_link import stored_credentials
from .sql.repository import SqlRepository

EXTENSION_KEY = "oct8ne"


def package_version() -> str:
    """The installed version of oct8ne-adapter."""
    try:
        return version("oct8ne-adapter")
    except PackageNotFoundError:
        return "0+unknown"


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

    def credentials(self) -> PlatformCredentials:
        """The oct8ne account in force: configuration over what link-up stored."""
        return self.credential_source.current()

    def resolve_visitor(self, request: Request) -> Visitor:
        """The visitor of this request, as the configured resolver sees it."""
        return as_visitor(self.resolver(request))


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
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("Oct8neAdapter is already registered on this app")
        settings = Settings.from_config(app.config)
        database: Database | None = None
        repository = self._repository
        if repository is None:
            database = Database(settings_engine(settings))
            repository = SqlRepository(database)
        resolver = self._customer_resolver
        if resolver is None:
            resolver = (
                SessionCookieResolver(repository, settings.session_cookie)
                if isinstance(repository, SessionRepository)
                else anonymous_resolver
            )
        credential_source = CredentialSource(
            settings, partial(stored_credentials, database) if database else None
        )
        app.extensions[EXTENSION_KEY] = AdapterState(
            settings=settings,
            repository=repository,
            resolver=resolver,
            database=database,
            version=package_version(),
            credential_source=credential_source,
            platform=PlatformGateway(settings, credential_source),
        )
        app.register_blueprint(frame_blueprint, url_prefix=self._url_prefix)
        app.register_blueprint(operations_blueprint, url_prefix=self._url_prefix)
        install_rate_limits(app, settings)
        if settings.cors_origins:
            # JSON callers on these origins may read the answers (with the visitor's cookies).
            CORS(
                app,
                resources={f"{self._url_prefix}/frame/*": {"origins": list(settings.cors_origins)}},
                supports_credentials=True,
                methods=["GET"],
            )
        register_template_helpers(app)
        if settings.demo:
            from .demo.views import demo_blueprint

            app.register_blueprint(demo_blueprint)


def adapter_state(app: Flask) -> AdapterState:
    """The adapter's state on an app where Oct8neAdapter is registered."""
    state: AdapterState = app.extensions[EXTENSION_KEY]
    return state


def notify_update(what: str, visitor: str | None = None) -> Future[None] | None:
    """Ask oct8ne to refresh the current visitor's widget after the shop changed `what`.

    `what` is cart, wishlist or user; the visitor defaults to the `oct8ne-visitor` cookie of the
    current request. Returns at once: the call runs in the background and its failures are
    logged. None when there is nothing to do (the visitor is not chatting).
    """
    if visitor is None:
        visitor = request.cookies.get(VISITOR_COOKIE)
    return adapter_state(current_app).platform.notify_update(visitor, what)
