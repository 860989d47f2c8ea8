"""What a shop's pages carry for oct8ne: the widget script, the sale notification, the phone PIN
and the agent-availability elements (API 2.4, "Inserting the oct8ne widget" and "Advanced oct8ne
integration").

Two ways to use it:

- any framework: `widget_script`, `sale_notification`, `phone_pin`, `agents_available` and
  `agents_unavailable` return `markupsafe.Markup` to put in a page as it is;
- Flask: `Oct8neAdapter` calls `register_template_helpers`, which makes `oct8ne_widget()`,
  `oct8ne_sale_notification(...)`, `oct8ne_phone_pin()`, `oct8ne_agents_available()` and
  `oct8ne_agents_unavailable()` template globals (credentials and settings from the app) and
  lets templates `{% import "oct8ne/macros.html" as oct8ne %}`.

Every value is escaped for where it goes: JavaScript string literals inside `<script>` cannot
close the element or the string, attribute values are HTML-escaped, and the sale notification's
query string is URL-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack
from urllib.parse import quote, urlencode, urljoin, urlsplit

from flask import Blueprint, Flask
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from oct8ne_adapter.domain import Money, Product
from oct8ne_adapter.javascript import is_javascript_name
from oct8ne_adapter.web.pricing import format_money, parse_locale
from oct8ne_adapter.web.state import current_state

if TYPE_CHECKING:
    from oct8ne_adapter.platform.credentials import PlatformCredentials
    from oct8ne_adapter.settings import Settings

API_VERSION = "2.4"
#: Where the widget script and the sale-notification script live on the static host.
WIDGET_SCRIPT_PATH = "api/v2/oct8ne.js"
SALE_NOTIFICATION_PATH = "api/source/js/ext/sale-notification.js"
#: The cookie oct8ne sets while a visitor is in a chat room: delayed load is skipped then.
ROOM_COOKIE = "oct8ne-room"
#: First interactions that load the widget in delayed mode.
DELAYED_LOAD_EVENTS = ("scroll", "mousemove", "touchstart", "keydown")
#: URL schemes a link of an agents-unavailable element may use (besides relative URLs).
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

TEMPLATE_FOLDER = Path(__file__).resolve().parent / "templates"
MACROS_TEMPLATE = "oct8ne/macros.html"
NO_LICENSE = Markup("<!-- oct8ne: no license configured, so no widget -->")
DISABLED = Markup("<!-- oct8ne: disabled in the configuration, so no widget -->")

# ASCII characters that could open or close markup inside <script> (`</script>`, `<!--`),
# written as JSON escapes; json.dumps has already escaped quotes, backslashes and non-ASCII.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


@dataclass(frozen=True, slots=True)
class CurrentProduct:
    """The product a page shows, as `oct8ne.currentProduct` describes it."""

    id: str
    thumbnail: str

    @classmethod
    def of(cls, product: Product, shop_url: str) -> CurrentProduct:
        """A catalog product's id and absolute thumbnail (the first picture if it has none)."""
        thumbnail = product.thumbnail or (product.medias[0] if product.medias else "")
        return cls(product.id, absolute_url(shop_url, thumbnail) if thumbnail else "")


def js_literal(value: str | int | bool | None) -> Markup:
    """A JavaScript literal of `value` that is safe inside an HTML `<script>` element."""
    # json.dumps escapes every non-ASCII character (U+2028/9 and lone surrogates included).
    return Markup(json.dumps(value).translate(_SCRIPT_UNSAFE))


def absolute_url(shop_url: str, path: str) -> str:
    """A shop path made absolute against the shop's base URL; absolute URLs are kept."""
    return urljoin(shop_url.rstrip("/") + "/", path)


def _host(value: str) -> str:
    """A host as the snippets concatenate it: `static.oct8ne.com/`, with its final slash."""
    host = value.strip()
    return host if host.endswith("/") else host + "/"


_environment = Environment(
    loader=FileSystemLoader(TEMPLATE_FOLDER),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the package; no mtime check on every render
)
_environment.filters["js"] = js_literal


def widget_script(
    credentials: PlatformCredentials,
    settings: Settings,
    *,
    locale: str,
    currency: str,
    current_product: CurrentProduct | Product | None = None,
    nonce: str | None = None,
) -> Markup:
    """The `<script>` that loads the oct8ne widget; put it on every page, before `</body>`.

    `current_product` is given on product pages only. `nonce` is copied to the element for a
    Content-Security-Policy. Without a license, or with oct8ne disabled, it is an HTML comment.
    With `consent_required`, the consent gate comes first and the widget waits for it.
    """
    if not settings.enabled:
        return DISABLED
    if not credentials.license_id:
        return NO_LICENSE
    hooks = {
        "onProductAddedToCart": settings.widget.on_product_added_to_cart,
        "onProductAddedToWishList": settings.widget.on_product_added_to_wishlist,
    }
    for property_name, function_name in hooks.items():
        # Settings are validated when read from config; a hand-made Settings is not.
        if function_name and not is_javascript_name(function_name):
            raise ValueError(f"{property_name}: {function_name!r} is not a JavaScript name")
    if isinstance(current_product, Product):
        current_product = CurrentProduct.of(current_product, settings.shop_url)
    shop_url = settings.shop_url
    template = _environment.get_template("oct8ne/widget.html")
    return Markup(
        template.render(
            nonce=nonce,
            server=_host(credentials.server),
            script_location=_host(credentials.static_server) + WIDGET_SCRIPT_PATH + "?",
            license=credentials.license_id,
            base_url=shop_url.rstrip("/"),
            checkout_url=absolute_url(shop_url, settings.widget.checkout_path),
            login_url=absolute_url(shop_url, settings.widget.login_path),
            checkout_success_url=absolute_url(shop_url, settings.widget.checkout_success_path),
            locale=locale,
            currency=currency,
            api_version=API_VERSION,
            platform=settings.platform,
            add_to_cart_http_verb=settings.widget.add_to_cart_http_verb,
            current_product=current_product,
            hooks={name: Markup(function) for name, function in hooks.items() if function},
            delayed=settings.widget.delayed_load,
            delay_ms=settings.widget.delay_ms,
            room_cookie=ROOM_COOKIE,
            events=DELAYED_LOAD_EVENTS,
            **_consent(
                settings.privacy.consent_purposes if settings.privacy.consent_required else None
            ),
        )
    )


#: How long the visitor-ids cookie lives (30 days): vendors' sessions rarely outlast it.
VISITOR_IDS_MAX_AGE = 30 * 24 * 3600


def _consent(purposes: tuple[int, ...] | None) -> dict[str, object]:
    """The consent gate's template values: none when consent is not required."""
    return {"consent": purposes is not None, "purposes": list(purposes or ())}


def visitor_ids_script(
    *, nonce: str | None = None, consent_purposes: tuple[int, ...] | None = None
) -> Markup:
    """The `<script>` collecting every vendor's visitor ids into the `oct8ne-visitor-ids` cookie.

    Put it on every page, after the vendors' widgets, when the shop records commerce events
    (`oct8ne_widget()` adds it by itself when `event_sinks` is configured). See
    `oct8ne_adapter.events.visitor_ids` for the cookie. With `consent_purposes` (consent
    required, these IAB TCF purposes), it reads and sets nothing before consent.
    """
    from oct8ne_adapter.events.visitor_ids import COOKIE_NAME, FIELD_NAMES, MAX_ID_LENGTH

    return Markup(
        _environment.get_template("oct8ne/visitor_ids.html").render(
            nonce=nonce,
            cookie_name=COOKIE_NAME,
            keys=list(FIELD_NAMES),
            max_age=VISITOR_IDS_MAX_AGE,
            max_length=MAX_ID_LENGTH,
            **_consent(consent_purposes),
        )
    )


class Sale(TypedDict, total=False):
    """What a sale notification may tell oct8ne; every item is optional."""

    currency: str | None
    locale: str | None
    value: str | Money | None
    reference: str | None
    customer_id: str | None
    context_info: Mapping[str, object] | None


def _check_sale(sale: Sale) -> None:
    """Keyword-only parameters in all but name: a misspelt one is an error, never ignored."""
    unexpected = sale.keys() - Sale.__optional_keys__
    if unexpected:
        raise TypeError(f"unexpected keyword argument {sorted(unexpected)[0]!r}")


def sale_notification_url(credentials: PlatformCredentials, **sale: Unpack[Sale]) -> str:
    """The sale-notification script URL; empty parameters are left out (only license is required).

    A `Money` value is formatted for `locale` ("1.237,59 €"), and gives the currency if none is.
    `context_info` is sent as JSON.
    """
    _check_sale(sale)
    currency, locale, value = sale.get("currency"), sale.get("locale"), sale.get("value")
    context_info = sale.get("context_info")
    if isinstance(value, Money):
        currency = currency or value.currency
        value = format_money(value, parse_locale(locale, "en-US"))
    candidates = {
        "license": credentials.license_id,
        # The document's example tag spells this one with a capital C.
        "CurrencyCode": currency,
        "locale": locale,
        "value": value,
        "reference": sale.get("reference"),
        "customerId": sale.get("customer_id"),
        "contextInfo": (
            json.dumps(context_info, ensure_ascii=False, separators=(",", ":"), default=str)
            if context_info
            else None
        ),
    }
    query = urlencode({name: text for name, text in candidates.items() if text}, quote_via=quote)
    return f"https://{_host(credentials.static_server)}{SALE_NOTIFICATION_PATH}?{query}"


def sale_notification(credentials: PlatformCredentials, **sale: Unpack[Sale]) -> Markup:
    """The `<script id="oct8ne-sale-notification">` for the order confirmation page.

    It tells oct8ne that a sale was made, so a chat that led to it is counted. Without a license
    it is an HTML comment.
    """
    _check_sale(sale)
    if not credentials.license_id:
        return NO_LICENSE
    src = sale_notification_url(credentials, **sale)
    return Markup(_environment.get_template("oct8ne/sale_notification.html").render(src=src))


def _macro(name: str, *args: object, **kwargs: object) -> Markup:
    macro = getattr(_environment.get_template(MACROS_TEMPLATE).module, name)
    return Markup(macro(*args, **kwargs))


def phone_pin(content: str = "Phone PIN", *, extra_class: str = "") -> Markup:
    """An element with class `oct8ne-phone`: clicking it shows the visitor's PIN below it.

    `content` is text, or `Markup` (an image, an icon) used as it is.
    """
    return _macro("phone_pin", content, extra_class=extra_class)


def agents_available(
    content: str = "Agents available, chat now!", *, extra_class: str = ""
) -> Markup:
    """An `oct8ne-widget-on` element: hidden, shown by oct8ne while agents are connected."""
    return _macro("agents_available", content, extra_class=extra_class)


def agents_unavailable(
    content: str = "Contact us", *, link: str | None = None, extra_class: str = ""
) -> Markup:
    """An `oct8ne-widget-off` element: hidden, shown by oct8ne while no agent is connected.

    Clicking it opens oct8ne's contact form; with `link`, it is a link there instead
    (`oct8ne-widget-disabled`). `link` must be relative, http(s), mailto or tel.
    """
    if link is not None:
        scheme = urlsplit(link.strip()).scheme.lower()
        if scheme and scheme not in LINK_SCHEMES:
            raise ValueError(f"link scheme {scheme!r} is not allowed here")
    return _macro("agents_unavailable", content, link=link, extra_class=extra_class)


# -- Flask -------------------------------------------------------------------------------------


def oct8ne_widget(
    product: CurrentProduct | Product | None = None,
    *,
    locale: str | None = None,
    currency: str | None = None,
    nonce: str | None = None,
) -> Markup:
    """Template global: the widget script with the app's credentials and settings."""
    state = current_state()
    widget = widget_script(
        state.credentials(),
        state.settings,
        locale=locale or state.settings.default_locale,
        currency=currency or state.settings.default_currency,
        current_product=product,
        nonce=nonce,
    )
    if state.settings.events.sinks:
        # Vendors' visitor ids are collected with or without oct8ne's own widget.
        return widget + oct8ne_visitor_ids(nonce=nonce)
    return widget


def oct8ne_visitor_ids(*, nonce: str | None = None) -> Markup:
    """Template global: the visitor-ids script, behind the consent gate if the app requires it."""
    privacy = current_state().settings.privacy
    purposes = privacy.consent_purposes if privacy.consent_required else None
    return visitor_ids_script(nonce=nonce, consent_purposes=purposes)


def oct8ne_sale_notification(**sale: Unpack[Sale]) -> Markup:
    """Template global: the sale-notification script with the app's license and static host."""
    state = current_state()
    sale["locale"] = sale.get("locale") or state.settings.default_locale
    return sale_notification(state.credentials(), **sale)


#: Blueprint without routes: it makes `oct8ne/macros.html` importable from the app's templates.
templates_blueprint = Blueprint("oct8ne_templates", __name__, template_folder="templates")


def register_template_helpers(app: Flask) -> None:
    """Make the snippets template globals of `app`, and `oct8ne/macros.html` importable."""
    app.register_blueprint(templates_blueprint)
    app.add_template_global(oct8ne_widget)
    app.add_template_global(oct8ne_sale_notification)
    app.add_template_global(phone_pin, "oct8ne_phone_pin")
    app.add_template_global(agents_available, "oct8ne_agents_available")
    app.add_template_global(agents_unavailable, "oct8ne_agents_unavailable")
    app.add_template_global(oct8ne_visitor_ids)
