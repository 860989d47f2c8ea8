"""The storefront snippets: widget script, sale notification, PIN and agent elements, escaping."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import adapter_config
from flask import Flask, render_template_string
from markupsafe import Markup

from oct8ne_adapter import Oct8neAdapter
from oct8ne_adapter.domain import Money, Product
from oct8ne_adapter.platform.credentials import PlatformCredentials, effective_credentials
from oct8ne_adapter.settings import Settings, WidgetSettings
from oct8ne_adapter.web.snippets import (
    CurrentProduct,
    agents_available,
    agents_unavailable,
    js_literal,
    phone_pin,
    sale_notification,
    widget_script,
)
from oct8ne_adapter.web.state import AdapterState, adapter_state

LICENSE = "C95532140EE0B82566D9D315F53EBE78"
CREDENTIALS = PlatformCredentials(
    api_token="token",
    license_id=LICENSE,
    server="backoffice.oct8ne.com/",
    static_server="static.oct8ne.com/",
)
SETTINGS = Settings(shop_url="https://shop.example")
#: Strings that would break out of a JavaScript string, a <script> element or an attribute.
HOSTILE = [
    'quote " inside',
    "apostrophe ' inside",
    "</script><script>alert(1)</script>",
    "</SCRIPT >",
    "<!-- <script>",
    "back\\slash\\",
    "line\u2028separator\u2029paragraph",
    "new\nline\r",
    "&amp; &lt;",
    "]]> ${x} `tick`",
]
DOCUMENT_SRC = (
    'oct8ne.src = (document.location.protocol=="https:"?"https://":"http://") + '
    '"static.oct8ne.com/api/v2/oct8ne.js?" + (Math.round(new Date().getTime() / 86400000));'
)
_ASSIGNMENT = re.compile(r"^  oct8ne\.(\w+) = (.*);$", re.MULTILINE)


class Elements(HTMLParser):
    """Start tags with their attributes, and the text of each <script>, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def script_text(markup: str) -> str:
    """The text of the one <script> element of `markup`, asserting there is exactly one."""
    elements = Elements(markup)
    assert [tag for tag, _ in elements.tags] == ["script"], elements.tags
    return elements.scripts[0]


def properties(markup: str) -> dict[str, Any]:
    """The `oct8ne.<name> = <JSON literal>;` assignments of a widget script, decoded."""
    found: dict[str, Any] = {}
    for name, literal in _ASSIGNMENT.findall(script_text(markup)):
        if name in {"src", "currentProduct"} or literal.startswith("function"):
            continue
        found[name] = json.loads(literal)
    return found


def current_product(markup: str) -> dict[str, Any] | None:
    """The decoded `oct8ne.currentProduct`, or None when the script sets none."""
    match = re.search(r"oct8ne\.currentProduct = \{ id: (.*), thumbnail: (.*) \};", markup)
    if match is None:
        return None
    return {"id": json.loads(match[1]), "thumbnail": json.loads(match[2])}


def render(
    settings: Settings = SETTINGS, credentials: PlatformCredentials = CREDENTIALS, **kwargs: Any
) -> Markup:
    """The widget script with en-US/USD unless told otherwise."""
    kwargs.setdefault("locale", "en-US")
    kwargs.setdefault("currency", "USD")
    return widget_script(credentials, settings, **kwargs)


def sale_parameters(markup: str) -> tuple[str, dict[str, str]]:
    """The sale-notification script's URL without query, and its decoded query parameters."""
    elements = Elements(markup)
    ((tag, attributes),) = elements.tags
    assert tag == "script" and attributes["id"] == "oct8ne-sale-notification"
    assert elements.scripts == [""]
    src = attributes["src"]
    assert src is not None
    url = urlsplit(src)
    parsed = parse_qs(url.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values())
    return f"{url.scheme}://{url.netloc}{url.path}", {k: v[0] for k, v in parsed.items()}


def demo_product(**changes: Any) -> Product:
    """A catalog product with a shop-relative thumbnail."""
    values: dict[str, Any] = {
        "id": "84",
        "title": "Tent",
        "description": "",
        "url": "/p/84",
        "thumbnail": "/img/thumbs/84.jpg",
        "medias": ("/img/84.jpg",),
        "prices": {},
    }
    values.update(changes)
    return Product(**values)


# -- the widget script ---------------------------------------------------------------------------


def test_the_widget_script_sets_every_property_of_the_document() -> None:
    markup = render(locale="es-ES", currency="EUR")
    assert isinstance(markup, Markup)
    assert properties(markup) == {
        "type": "text/javascript",
        "server": "backoffice.oct8ne.com/",
        "async": True,
        "license": LICENSE,
        "baseUrl": "https://shop.example",
        "checkoutUrl": "https://shop.example/checkout",
        "loginUrl": "https://shop.example/login",
        "checkoutSuccessUrl": "https://shop.example/checkout/success",
        "locale": "es-ES",
        "currencyCode": "EUR",
        "apiVersion": "2.4",
        # Issue 17: as LogiCommerce's and WooCommerce's snippets, the platform name.
        "platform": "Custom",
        "addToCartHttpVerb": "POST",
    }
    script = script_text(markup)
    assert DOCUMENT_SRC in script
    assert 'var oct8ne = document.createElement("script");' in script
    assert "window.oct8ne = oct8ne;" in script
    assert current_product(markup) is None


def test_the_widget_names_the_configured_platform() -> None:
    settings = Settings.from_config(
        {"OCT8NE_SHOP_URL": "https://shop.example", "OCT8NE_PLATFORM": "Shopware 6"}
    )
    assert properties(render(settings))["platform"] == "Shopware 6"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"OCT8NE_CHECKOUT_PATH": "/demo/cart", "OCT8NE_LOGIN_PATH": "account/login"},
            {
                "checkoutUrl": "https://shop.example/demo/cart",
                "loginUrl": "https://shop.example/account/login",
            },
        ),
        (
            {"OCT8NE_CHECKOUT_SUCCESS_PATH": "https://pay.example/done"},
            {"checkoutSuccessUrl": "https://pay.example/done"},
        ),
        ({"OCT8NE_SHOP_URL": "//shop.example/"}, {"baseUrl": "//shop.example"}),
        ({"OCT8NE_ADD_TO_CART_HTTP_VERB": "GET"}, {"addToCartHttpVerb": "GET"}),
    ],
)
def test_shop_urls_and_verb_come_from_the_settings(
    config: dict[str, str], expected: dict[str, str]
) -> None:
    settings = Settings.from_config({"OCT8NE_SHOP_URL": "https://shop.example", **config})
    found = properties(render(settings))
    assert {name: found[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("region", "server", "static"),
    [
        ("us", "backoffice.oct8ne.com/", "static.oct8ne.com/"),
        ("eu", "backoffice-eu.oct8ne.com/", "static-eu.oct8ne.com/"),
    ],
)
def test_the_region_chooses_the_us_or_eu_hosts(region: str, server: str, static: str) -> None:
    settings = Settings.from_config({"OCT8NE_REGION": region, "OCT8NE_LICENSE": LICENSE})
    credentials = effective_credentials(settings.link)
    widget = render(settings, credentials)
    assert properties(widget)["server"] == server
    assert f'+ "{static}api/v2/oct8ne.js?" +' in widget
    url, _ = sale_parameters(sale_notification(credentials, reference="R1"))
    assert url == f"https://{static}api/source/js/ext/sale-notification.js"


def test_hosts_from_the_credentials_win_and_get_their_final_slash() -> None:
    linked = PlatformCredentials("t", LICENSE, "backoffice.example.net", "cdn.example.net:8443/")
    widget = render(credentials=linked)
    assert properties(widget)["server"] == "backoffice.example.net/"
    assert '+ "cdn.example.net:8443/api/v2/oct8ne.js?" +' in widget


def test_current_product_is_set_on_product_pages_only() -> None:
    given = render(current_product=CurrentProduct("84", "http://myserver.com/img/thumbs/84.jpg"))
    assert current_product(given) == {
        "id": "84",
        "thumbnail": "http://myserver.com/img/thumbs/84.jpg",
    }
    assert current_product(render()) is None


@pytest.mark.parametrize(
    ("product", "thumbnail"),
    [
        (demo_product(), "https://shop.example/img/thumbs/84.jpg"),
        (demo_product(thumbnail=None), "https://shop.example/img/84.jpg"),
        (demo_product(thumbnail="https://cdn.example/84.png"), "https://cdn.example/84.png"),
        (demo_product(thumbnail=None, medias=()), ""),
    ],
)
def test_a_catalog_product_gives_its_absolute_thumbnail(product: Product, thumbnail: str) -> None:
    assert current_product(render(current_product=product)) == {"id": "84", "thumbnail": thumbnail}


def test_hooks_call_the_named_shop_functions() -> None:
    settings = Settings.from_config(
        {
            "OCT8NE_ON_PRODUCT_ADDED_TO_CART": "shop.cart.refresh",
            "OCT8NE_ON_PRODUCT_ADDED_TO_WISHLIST": "refreshWishlist",
        }
    )
    script = script_text(render(settings))
    assert (
        "oct8ne.onProductAddedToCart = function (productId) "
        "{ return shop.cart.refresh(productId); };" in script
    )
    assert (
        "oct8ne.onProductAddedToWishList = function (productId) "
        "{ return refreshWishlist(productId); };" in script
    )
    assert "onProductAdded" not in script_text(render())


@pytest.mark.parametrize("name", ["alert(1)", "a;b", "x</script>", "shop.", "1abc"])
def test_a_hook_that_is_not_a_javascript_name_is_refused(name: str) -> None:
    # Settings.from_config refuses these too; a hand-made Settings is checked when rendering.
    with pytest.raises(ValueError, match="not a JavaScript name"):
        render(Settings(widget=WidgetSettings(on_product_added_to_wishlist=name)))


def test_oct8ne_update_wrapper_is_always_there() -> None:
    for settings in (SETTINGS, Settings(widget=WidgetSettings(delayed_load=True))):
        script = script_text(render(settings))
        assert "window.oct8neUpdate = function (what) {" in script
        assert "window.oct8ne.update(what);" in script


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(
    "place", ["product id", "thumbnail", "license", "locale", "currency", "shop url"]
)
def test_hostile_values_stay_inside_their_javascript_string(place: str, hostile: str) -> None:
    settings = SETTINGS
    credentials = CREDENTIALS
    kwargs: dict[str, Any] = {"current_product": CurrentProduct("84", "https://x.example/84.jpg")}
    if place == "product id":
        kwargs["current_product"] = CurrentProduct(hostile, "https://x.example/84.jpg")
    elif place == "thumbnail":
        kwargs["current_product"] = CurrentProduct("84", "https://x.example/" + hostile)
    elif place == "license":
        credentials = PlatformCredentials("t", hostile, "a.example/", "b.example/")
    elif place in {"locale", "currency"}:
        kwargs[place] = hostile
    else:
        settings = Settings.from_config({"OCT8NE_SHOP_URL": "https://shop.example/" + hostile})
    markup = str(render(settings, credentials, **kwargs))

    # One script element, closed where the snippet closes it; no comment opened in it.
    script = script_text(markup)
    assert markup.lower().count("</script") == 1 and markup.endswith("</script>")
    assert "<!--" not in markup and "\u2028" not in markup and "\u2029" not in markup
    assert script.rstrip().endswith("})();")
    # Every value decodes back to exactly what was given.
    found = properties(markup)
    product = current_product(markup)
    assert product is not None
    value = {
        "product id": product["id"],
        "thumbnail": product["thumbnail"].removeprefix("https://x.example/"),
        "license": found["license"],
        "locale": found["locale"],
        "currency": found["currencyCode"],
        "shop url": found["baseUrl"].removeprefix("https://shop.example/"),
    }[place]
    assert value == hostile


@pytest.mark.parametrize("hostile", HOSTILE)
def test_js_literal_is_json_without_markup_characters(hostile: str) -> None:
    literal = js_literal(hostile)
    assert json.loads(literal) == hostile
    assert not set(literal) & {"<", ">", "&", "'", "\u2028", "\u2029", "\n", "\r"}


def test_the_nonce_is_an_escaped_attribute() -> None:
    elements = Elements(render(nonce='n0"nce><x'))
    ((tag, attributes),) = elements.tags
    assert (tag, attributes["nonce"], attributes["id"]) == (
        "script",
        'n0"nce><x',
        "oct8ne-widget-snippet",
    )


def test_immediate_mode_inserts_the_script_at_once() -> None:
    script = script_text(render())
    assert script.rstrip().endswith("  insert();\n})();")
    assert "setTimeout" not in script and "addEventListener" not in script


@pytest.mark.parametrize("delay_ms", [1, 4000, 60000])
def test_delayed_mode_waits_for_an_interaction_or_the_timer_unless_a_chat_is_open(
    delay_ms: int,
) -> None:
    settings = Settings.from_config(
        {"OCT8NE_WIDGET_DELAYED_LOAD": True, "OCT8NE_WIDGET_DELAY_MS": delay_ms}
    )
    script = script_text(render(settings))
    assert 'var events = ["scroll", "mousemove", "touchstart", "keydown"];' in script
    assert "window.addEventListener(events[i], load, { passive: true });" in script
    assert f"timer = setTimeout(load, {delay_ms});" in script
    assert "if (/(?:^|;\\s*)oct8ne-room=/.test(document.cookie)) {\n    load();" in script
    assert "\n  insert();" not in script  # only through load()
    # The room-cookie test is a real regular expression that matches the cookie by name.
    pattern = re.search(r"if \(/(.*)/\.test\(document\.cookie\)\)", script)
    assert pattern is not None
    room = re.compile(pattern[1])
    assert room.search("a=1; oct8ne-room=abc")
    assert room.search("oct8ne-room=abc")
    assert not room.search("a=1; my-oct8ne-room=abc")
    assert not room.search("oct8ne-visitor=1")


@pytest.mark.parametrize(
    ("settings", "credentials", "reason"),
    [
        (SETTINGS, PlatformCredentials("t", "", "a.example/", "b.example/"), "no license"),
        (Settings(enabled=False), CREDENTIALS, "disabled"),
    ],
)
def test_no_widget_without_a_license_or_when_disabled(
    settings: Settings, credentials: PlatformCredentials, reason: str
) -> None:
    markup = render(settings, credentials)
    assert markup.startswith("<!-- oct8ne: ") and reason in markup
    assert "<script" not in markup


# -- the sale notification -----------------------------------------------------------------------


def test_the_sale_notification_carries_every_parameter() -> None:
    markup = sale_notification(
        CREDENTIALS,
        currency="EUR",
        locale="es-ES",
        value="589,32 €",
        reference="KHWLILZLL",
        customer_id="382442",
        context_info={"key1": "value1", "key2": "value2"},
    )
    url, parameters = sale_parameters(markup)
    assert url == "https://static.oct8ne.com/api/source/js/ext/sale-notification.js"
    assert parameters == {
        "license": LICENSE,
        "CurrencyCode": "EUR",
        "locale": "es-ES",
        "value": "589,32 €",
        "reference": "KHWLILZLL",
        "customerId": "382442",
        "contextInfo": '{"key1":"value1","key2":"value2"}',
    }
    # Spaces are %20 (not +), so any decoder reads them the same; `&` is written `&amp;` in the
    # attribute (the document's own `&currencyCode` lost its `&curren` to the ¤ character).
    assert "&amp;value=589%2C32%20%E2%82%AC&amp;" in markup


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("es-ES", "1.237,59\xa0€"), ("en-US", "€1,237.59"), (None, "€1,237.59")],
)
def test_a_money_value_is_formatted_for_the_locale_and_gives_the_currency(
    locale: str | None, expected: str
) -> None:
    markup = sale_notification(
        CREDENTIALS, locale=locale, value=Money(Decimal("1237.59"), "EUR"), reference="R"
    )
    _, parameters = sale_parameters(markup)
    assert (parameters["value"], parameters["CurrencyCode"]) == (expected, "EUR")


def test_only_the_license_is_required() -> None:
    _, parameters = sale_parameters(sale_notification(CREDENTIALS))
    assert parameters == {"license": LICENSE}


@pytest.mark.parametrize("hostile", [*HOSTILE, "a&b=c#d?e", "100% + 1"])
def test_hostile_sale_values_round_trip_through_the_query(hostile: str) -> None:
    markup = sale_notification(
        CREDENTIALS,
        reference=hostile,
        customer_id=hostile,
        value=hostile,
        context_info={hostile: hostile},
    )
    assert markup.count("<") == 2  # the start tag and the end tag, nothing injected
    _, parameters = sale_parameters(markup)
    assert parameters["reference"] == parameters["customerId"] == parameters["value"] == hostile
    assert json.loads(parameters["contextInfo"]) == {hostile: hostile}


def test_no_sale_notification_without_a_license() -> None:
    markup = sale_notification(
        PlatformCredentials("t", "", "a.example/", "b.example/"), reference="R"
    )
    assert markup.startswith("<!-- oct8ne: ") and "<script" not in markup


# -- phone PIN and agent elements ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "classes", "hidden"),
    [
        (phone_pin(), "oct8ne-phone", False),
        (phone_pin(extra_class="pin"), "oct8ne-phone pin", False),
        (agents_available(), "oct8ne-widget-on", True),
        (agents_unavailable(), "oct8ne-widget-off", True),
        (agents_unavailable(link="/contact"), "oct8ne-widget-off oct8ne-widget-disabled", True),
        (agents_unavailable(extra_class="badge"), "oct8ne-widget-off badge", True),
    ],
)
def test_elements_carry_oct8ne_classes_and_start_hidden(
    markup: Markup, classes: str, hidden: bool
) -> None:
    tag, attributes = Elements(markup).tags[0]
    assert attributes["class"] == classes
    assert ("display: none" in (attributes["style"] or "")) is hidden


def test_an_unavailable_element_with_a_link_is_a_link_there() -> None:
    elements = Elements(agents_unavailable("Write to us", link="/contact?topic=a&b=c"))
    assert elements.tags[1] == ("a", {"href": "/contact?topic=a&b=c"})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_element_texts_and_attributes_are_escaped(hostile: str) -> None:
    for markup in (
        phone_pin(hostile, extra_class=hostile),
        agents_available(hostile, extra_class=hostile),
        agents_unavailable(hostile, link="/c?" + hostile, extra_class=hostile),
    ):
        assert "<script" not in markup.lower() and "<!--" not in markup
        elements = Elements(markup)
        assert elements.tags[0][1]["class"].endswith(" " + hostile)  # type: ignore[union-attr]


def test_markup_content_is_used_as_it_is() -> None:
    icon = Markup('<img src="/phone.png" alt="Call us">')
    assert phone_pin(icon).startswith('<span class="oct8ne-phone"') and str(icon) in phone_pin(icon)


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x"]
)
def test_links_with_a_script_scheme_are_refused(link: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        agents_unavailable(link=link)


@pytest.mark.parametrize(
    "link", ["/contact", "contact.html", "https://shop.example/c", "mailto:a@b.c", "tel:+34600"]
)
def test_relative_web_mail_and_phone_links_are_allowed(link: str) -> None:
    assert f'href="{link}"' in agents_unavailable(link=link)


# -- Flask integration ---------------------------------------------------------------------------


@pytest.fixture
def host(database_file: Path) -> Flask:
    """A host Flask shop with the adapter registered and a license in its config."""
    app = Flask("host_shop")
    app.config.update(adapter_config(f"sqlite:///{database_file}", OCT8NE_LICENSE=LICENSE))
    Oct8neAdapter(app)
    return app


def test_template_globals_render_what_the_plain_functions_render(host: Flask) -> None:
    state = adapter_state(host)
    credentials = state.credentials()
    product = CurrentProduct("1001", "https://shop.example/t.jpg")
    with host.test_request_context("/"):
        page = render_template_string(
            "{{ oct8ne_widget(product, locale='es-ES', currency='EUR') }}"
            "{{ oct8ne_sale_notification(reference='R1', value='9,99 €', currency='EUR',"
            " customer_id='7', context_info={'k': 'v'}) }}"
            "{{ oct8ne_phone_pin() }}{{ oct8ne_agents_available() }}"
            "{{ oct8ne_agents_unavailable(link='/contact') }}",
            product=product,
        )
    assert page == (
        widget_script(
            credentials, state.settings, locale="es-ES", currency="EUR", current_product=product
        )
        + sale_notification(
            credentials,
            reference="R1",
            value="9,99 €",
            currency="EUR",
            locale="en-US",
            customer_id="7",
            context_info={"k": "v"},
        )
        + phone_pin()
        + agents_available()
        + agents_unavailable(link="/contact")
    )
    assert f'oct8ne.license = "{LICENSE}";' in page


def test_the_widget_global_defaults_to_the_shop_locale_and_currency(host: Flask) -> None:
    with host.test_request_context("/"):
        found = properties(render_template_string("{{ oct8ne_widget() }}"))
    assert (found["locale"], found["currencyCode"]) == ("en-US", "USD")


def test_template_globals_take_the_linked_credentials(
    host: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = PlatformCredentials(
        "t", "LINKED-LICENSE", "backoffice-eu.oct8ne.com/", "static-eu.oct8ne.com/"
    )
    monkeypatch.setattr(AdapterState, "credentials", lambda self: linked)
    with host.test_request_context("/"):
        widget = render_template_string("{{ oct8ne_widget() }}")
        sale = render_template_string("{{ oct8ne_sale_notification(reference='R') }}")
    assert properties(widget)["license"] == "LINKED-LICENSE"
    assert '"static-eu.oct8ne.com/api/v2/oct8ne.js?"' in widget
    url, parameters = sale_parameters(sale)
    assert url.startswith("https://static-eu.oct8ne.com/")
    assert parameters["license"] == "LINKED-LICENSE"


def test_a_host_template_can_import_the_macros(host: Flask) -> None:
    with host.test_request_context("/"):
        page = render_template_string(
            '{% import "oct8ne/macros.html" as oct8ne %}'
            "{{ oct8ne.phone_pin() }}{{ oct8ne.agents_available('Chat <now>') }}"
            "{{ oct8ne.agents_unavailable('Mail us', link='mailto:a@b.c') }}"
        )
    assert page == (
        phone_pin()
        + agents_available("Chat <now>")
        + agents_unavailable("Mail us", link="mailto:a@b.c")
    )


@pytest.mark.parametrize("license_id", [LICENSE, ""])
def test_a_misspelt_sale_keyword_is_an_error(license_id: str) -> None:
    credentials = PlatformCredentials(
        "t", license_id, "backoffice.oct8ne.com/", "static.oct8ne.com/"
    )
    with pytest.raises(TypeError, match="refrence"):
        sale_notification(credentials, refrence="R1")  # type: ignore[call-arg]
