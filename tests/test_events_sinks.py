"""The vendor sinks: their requests, sent with `requests` to fake vendors, and their verdicts.

Every fake (tests/fakes/, one module per vendor) is a real HTTP server on 127.0.0.1 that checks
each field against the vendor's document and answers as the vendor would; `fake.problems` must
stay empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fakes.alhena import FakeAlhena
from fakes.oct8ne import FakeOct8ne
from fakes.octocom import FakeOctocom
from fakes.optico import FakeOptico
from fakes.pa import FakePa
from fakes.vendors import (
    COMPANY_KEY,
    OPTICO_KEY,
    PA_CLIENT,
    PA_TOKEN,
    VISITOR,
    WHEN,
    cart,
    line,
    order,
    running_vendors,
)

from oct8ne_adapter.errors import ConfigError, EventSinkConfigError
from oct8ne_adapter.events.model import (
    CommerceEvent,
    EventContext,
    OrderStatusChanged,
    PromotionCode,
    VisitorIds,
)
from oct8ne_adapter.events.sinks import VENDORS, build_sinks
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Verdict
from oct8ne_adapter.events.sinks.common import (
    MAX_RETRY_AFTER_SECONDS,
    form_body,
    json_body,
    retry_after_seconds,
)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def deliver(
    http: requests.Session,
    sink: Any,
    event: CommerceEvent,
    context: EventContext | None = None,
    *,
    timeout: float | None = None,
) -> list[Verdict]:
    """Send the sink's requests in order, as the relay does: stop at the first one not delivered."""
    verdicts = []
    for request in sink.requests_for(event, context or EventContext()):
        verdict = send(http, sink, request, timeout=timeout)
        verdicts.append(verdict)
        if verdict.outcome is not Outcome.DELIVERED:
            break
    return verdicts


def send(
    http: requests.Session, sink: Any, request: OutboundRequest, *, timeout: float | None = None
) -> Verdict:
    response = http.request(
        request.method,
        request.url,
        headers=dict(request.headers),
        data=request.body,
        timeout=timeout or request.timeout_seconds or 5.0,
        allow_redirects=False,
    )
    return sink.verdict(request, response.status_code, response.headers, response.content)


def outcomes(verdicts: list[Verdict]) -> list[Outcome]:
    return [verdict.outcome for verdict in verdicts]


def only_sink(vendor: str, options: dict[str, Any], **context: Any) -> Any:
    (sink,) = build_sinks({vendor: options}, **context)
    assert sink.name == vendor
    return sink


# --- fakes ----------------------------------------------------------------------------------


@pytest.fixture
def octocom() -> Iterator[FakeOctocom]:
    with FakeOctocom() as fake:
        fake.add_session(VISITOR.octocom_session)
        yield fake
    assert fake.problems == []


@pytest.fixture
def alhena() -> Iterator[FakeAlhena]:
    with FakeAlhena(COMPANY_KEY) as fake:
        fake.add_active_visitor(VISITOR.alhena_fingerprint)
        yield fake
    assert fake.problems == []


@pytest.fixture
def optico() -> Iterator[FakeOptico]:
    with FakeOptico(OPTICO_KEY) as fake:
        fake.add_visit(VISITOR.optico_visit)
        yield fake
    assert fake.problems == []


@pytest.fixture
def pa() -> Iterator[FakePa]:
    with FakePa(PA_TOKEN, PA_CLIENT) as fake:
        yield fake
    assert fake.problems == []


@pytest.fixture
def oct8ne() -> Iterator[FakeOct8ne]:
    with FakeOct8ne() as fake:
        yield fake
    assert fake.problems == []


def octocom_sink(fake: FakeOctocom, **options: Any) -> Any:
    return only_sink("octocom", {"base_url": fake.base_url, **options})


def alhena_sink(fake: FakeAlhena, **options: Any) -> Any:
    return only_sink("alhena", {"company_key": COMPANY_KEY, "base_url": fake.base_url, **options})


def optico_sink(fake: FakeOptico, **options: Any) -> Any:
    return only_sink("optico", {"key": OPTICO_KEY, "base_url": fake.base_url, **options})


def pa_sink(fake: FakePa, **options: Any) -> Any:
    return only_sink(
        "pa",
        {"endpoint": "https://pa.invalid", "access_token": PA_TOKEN, "client_id": PA_CLIENT}
        | {"base_url": fake.base_url}
        | options,
    )


def oct8ne_sink(fake: FakeOct8ne) -> Any:
    return only_sink("oct8ne", {"base_url": fake.base_url})


# --- Octocom --------------------------------------------------------------------------------


def test_octocom_purchase_is_the_documented_body(http, octocom):
    sink = octocom_sink(octocom)
    assert sink.requests_per_minute == 100  # "Maximum 100 requests per minute per IP address."

    assert outcomes(deliver(http, sink, order())) == [Outcome.DELIVERED]

    (request,) = octocom.received
    assert request.path == f"/rest/v1/browser-sessions/{VISITOR.octocom_session}/purchases"
    assert request.json == {
        "lineItems": [
            {"id": "product-123", "quantity": 2},
            {"id": "product-456", "quantity": 1, "variant": {"variantId": "variant-789"}},
        ],
        "totalPrice": Decimal("99.99"),
        "currencyCode": "USD",
        "provider": "api",  # "provider?: string ... Default: "api"."
    }
    assert b'"totalPrice":99.99,' in request.body  # a JSON number, written exactly
    assert octocom.purchases == [(VISITOR.octocom_session, request.json)]


def test_octocom_takes_only_orders_and_a_configured_provider(octocom):
    sink = octocom_sink(octocom, provider="shopify")
    assert sink.requests_for(cart(line("a", 1)), EventContext()) == []
    assert sink.requests_for(OrderStatusChanged("ORD-7890", "Shipped", WHEN), EventContext()) == []
    (request,) = sink.requests_for(order(), EventContext())
    assert b'"provider":"shopify"' in request.body


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        ("invalid_body", Outcome.REJECTED, "HTTP 400"),  # "Invalid request body"
        ("session_not_found", Outcome.REJECTED, "Browser session not found"),
        ("rate_limited", Outcome.RETRY, "HTTP 429"),
        ("server_error", Outcome.RETRY, "HTTP 500"),  # "failed to store the purchase"
    ],
)
def test_octocom_documented_answers(http, octocom, error, outcome, reason):
    octocom.fail_next(error)
    (verdict,) = deliver(http, octocom_sink(octocom), order())
    assert verdict.outcome is outcome
    assert reason in verdict.reason
    assert octocom.purchases == []


def test_octocom_unknown_session_is_final(http, octocom):
    visitor = replace(VISITOR, octocom_session="3f1c2d4e-0000-4000-8000-000000000000")
    (verdict,) = deliver(http, octocom_sink(octocom), order(visitor=visitor))
    assert verdict.outcome is Outcome.REJECTED
    assert "Browser session not found" in verdict.reason


def test_octocom_rate_limit_is_retried_after_retry_after(http, octocom):
    octocom.throttle_next(retry_after=7)
    (verdict,) = deliver(http, octocom_sink(octocom), order())
    assert (verdict.outcome, verdict.retry_after_seconds) == (Outcome.RETRY, 7.0)
    assert outcomes(deliver(http, octocom_sink(octocom), order())) == [Outcome.DELIVERED]


def test_octocom_fake_enforces_its_rate_limit(http):
    with FakeOctocom(requests_per_minute=2) as fake:
        fake.add_session(VISITOR.octocom_session)
        sink = octocom_sink(fake)
        verdicts = [deliver(http, sink, order(order_id=f"o{n}"))[0] for n in range(3)]
    assert [verdict.outcome for verdict in verdicts] == [
        Outcome.DELIVERED,
        Outcome.DELIVERED,
        Outcome.RETRY,
    ]
    assert len(fake.purchases) == 2


# --- Alhena ---------------------------------------------------------------------------------


def test_alhena_cart_diffs_keep_alhena_in_step(http, alhena):
    """Successive snapshots become changes that the strict fake accepts and adds up right."""
    sink = alhena_sink(alhena)
    fingerprint = VISITOR.alhena_fingerprint
    snapshots = [
        cart(line("A", 3)),
        cart(line("A", 2), line("B", 1, "5.00")),
        cart(line("A", 5)),
        cart(line("A", 4), line("B", 2, "5.00")),
        cart(),
    ]
    expected = [
        [("ITEM_ADDED", "A", 1), ("QUANTITY_INCREASED", "A", 3)],
        [("QUANTITY_DECREASED", "A", 2), ("ITEM_ADDED", "B", 1)],
        [("QUANTITY_INCREASED", "A", 5), ("ITEM_REMOVED", "B", 0)],
        [("QUANTITY_DECREASED", "A", 4), ("ITEM_ADDED", "B", 1), ("QUANTITY_INCREASED", "B", 2)],
        [("ITEM_REMOVED", "A", 0), ("ITEM_REMOVED", "B", 0)],
    ]
    previous = None
    for snapshot, changes in zip(snapshots, expected, strict=True):
        before = len(alhena.cart_events)
        verdicts = deliver(http, sink, snapshot, EventContext(previous_cart=previous))
        assert outcomes(verdicts) == [Outcome.DELIVERED] * len(changes)
        sent = alhena.cart_events[before:]
        assert [
            (event["type"], event["product_id"], event["quantity"]) for event in sent
        ] == changes
        assert alhena.quantities(fingerprint) == {
            item.product_id: item.quantity for item in snapshot.lines
        }
        previous = snapshot
    assert alhena.cart_events[0] == {
        "company_key": COMPANY_KEY,
        "user_fingerprint": VISITOR.alhena_fingerprint,
        "user_faq_fingerprint": VISITOR.alhena_faq_fingerprint,
        "type": "ITEM_ADDED",
        "product_id": "A",
        "product_name": "Product A",
        "value": Decimal("9.99"),  # "value: Price after discounts" (of one unit)
        "currency": "USD",
        "quantity": 1,
        "source": "CUSTOM",
    }


def test_alhena_refuses_a_decrease_after_a_lone_added_of_three(http, alhena):
    """Why a first quantity of 3 is sent as ITEM_ADDED 1 + QUANTITY_INCREASED 3."""
    sink = alhena_sink(alhena)
    (request,) = sink.requests_for(cart(line("A", 1)), EventContext())
    body = request.body.replace(b'"quantity":1', b'"quantity":3')
    lone = OutboundRequest(request.method, request.url, request.headers, body)
    assert send(http, sink, lone).outcome is Outcome.DELIVERED
    (decrease,) = sink.requests_for(
        cart(line("A", 2)), EventContext(previous_cart=cart(line("A", 3)))
    )
    verdict = send(http, sink, decrease)
    assert verdict.outcome is Outcome.REJECTED
    assert "PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND" in verdict.reason


def test_alhena_adds_up_variants_of_one_product(alhena):
    sink = alhena_sink(alhena)
    requests_ = sink.requests_for(
        cart(line("A", 1, "10.00", variant_id="red"), line("A", 2, "11.00", variant_id="blue")),
        EventContext(),
    )
    assert [request.body.count(b'"product_id":"A"') for request in requests_] == [1, 1]
    assert b'"quantity":3' in requests_[-1].body
    assert b'"value":10.67' in requests_[-1].body  # 32.00 / 3, to the cent


def test_alhena_checkout_carries_the_order_id_under_both_spellings(http, alhena):
    sink = alhena_sink(alhena)
    assert outcomes(deliver(http, sink, order())) == [Outcome.DELIVERED]
    (checkout,) = alhena.checkouts
    assert checkout == {
        "company_key": COMPANY_KEY,
        "user_fingerprint": VISITOR.alhena_fingerprint,
        "user_faq_fingerprint": VISITOR.alhena_faq_fingerprint,
        "value": Decimal("99.99"),
        "currency": "USD",
        # The field table says orderId; the curl example says order_id: both, same value.
        "orderId": "ORD-7890",
        "order_id": "ORD-7890",
        "line_items": [
            {
                "product_id": "product-123",
                "product_name": "Product product-123",
                "quantity": 2,
                "value": Decimal("39.98"),  # "Line-item total (price x quantity)"
                "currency": "USD",
            },
            {
                "product_id": "product-456",
                "product_name": "Product product-456",
                "quantity": 1,
                "value": Decimal("60.01"),
                "currency": "USD",
            },
        ],
    }
    # Sending it again (a retry after a lost answer) is ORDER_ALREADY_EXISTS: delivered, once.
    (verdict,) = deliver(http, sink, order())
    assert verdict.outcome is Outcome.DELIVERED and "already" in verdict.reason
    assert len(alhena.checkouts) == 1


def test_alhena_status_changes_send_nothing(alhena):
    change = OrderStatusChanged("ORD-7890", "Shipped", WHEN)
    assert alhena_sink(alhena).requests_for(change, EventContext(order=order())) == []


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("MISSING_REQUIRED_FIELDS", Outcome.REJECTED),
        ("COMPANY_NOT_FOUND", Outcome.REJECTED),
        ("ACTIVE_TICKET_NOT_FOUND", Outcome.REJECTED),
        ("PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND", Outcome.REJECTED),
        ("PREVIOUS_QUANTITY_INCREASED_EVENT_NOT_FOUND", Outcome.REJECTED),
        ("ORDER_ALREADY_EXISTS", Outcome.DELIVERED),
        ("server_error", Outcome.RETRY),
    ],
)
def test_alhena_documented_answers(http, alhena, code, outcome):
    alhena.fail_next(code)
    event = order() if code == "ORDER_ALREADY_EXISTS" else cart(line("A", 1))
    (verdict,) = deliver(http, alhena_sink(alhena), event)
    assert verdict.outcome is outcome
    if code != "server_error":
        assert code in verdict.reason


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("wrong_company", "COMPANY_NOT_FOUND"),
        ("never_chatted", "ACTIVE_TICKET_NOT_FOUND"),
        ("change_without_add", "PREVIOUS_ITEM_ADDED_EVENT_NOT_FOUND"),
    ],
)
def test_alhena_errors_from_its_own_state(http, alhena, setup, code):
    sink = alhena_sink(
        alhena, company_key="someone-else" if setup == "wrong_company" else COMPANY_KEY
    )
    visitor = VISITOR
    if setup == "never_chatted":
        visitor = replace(VISITOR, alhena_fingerprint="770e8400-e29b-41d4-a716-446655442222")
    context = EventContext()
    if setup == "change_without_add":
        context = EventContext(previous_cart=cart(line("A", 1)))  # Alhena never heard of it
    (verdict,) = deliver(http, sink, cart(line("A", 2), visitor=visitor), context)
    assert code in verdict.reason
    assert verdict.outcome is Outcome.REJECTED
    assert alhena.cart_events == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": "ACTIVE_TICKET_NOT_FOUND"}',
        b'{"detail": {"code": "ACTIVE_TICKET_NOT_FOUND"}}',
        b'{"errors": ["ACTIVE_TICKET_NOT_FOUND"]}',
        b"ACTIVE_TICKET_NOT_FOUND",
    ],
)
def test_alhena_finds_its_code_in_any_answer_shape(body):
    sink = build_sinks({"alhena": {"company_key": COMPANY_KEY}})[0]
    request = OutboundRequest("POST", "https://app.alhena.ai/analytics/cart_events")
    for status in (200, 400, 404):
        assert sink.verdict(request, status, {}, body).outcome is Outcome.REJECTED


@pytest.mark.parametrize(
    ("region", "host"), [("us", "https://app.alhena.ai/"), ("eu", "https://eu.alhena.ai/")]
)
def test_alhena_region_hosts(region, host):
    (sink,) = build_sinks({"alhena": {"company_key": COMPANY_KEY, "region": region}})
    (checkout,) = sink.requests_for(order(), EventContext())
    assert checkout.url == host + "analytics/checkout_events"


# --- Optico ---------------------------------------------------------------------------------


def test_optico_cart_is_a_bracketed_form(http, optico):
    sink = optico_sink(optico)
    details = {"color": "blue", "dimensions": {"width": "20cm", "height": "20cm"}}
    snapshot = cart(
        line("1", 2, "29.99", details=details),
        line("2", 1, "5.50", details="some product details"),
        logged_in=True,
    )
    assert outcomes(deliver(http, sink, snapshot)) == [Outcome.DELIVERED]
    (request,) = optico.received
    assert request.path == "/api/customer-cart"
    assert request.form == {
        "key": OPTICO_KEY,
        "id": "cart-1",
        "currency": "USD",
        "visit_id": VISITOR.optico_visit,
        "is_logged_in": "1",
        "products": [
            {"id": "1", "name": "Product 1", "quantity": "2", "price": "29.99", "details": details},
            {
                "id": "2",
                "name": "Product 2",
                "quantity": "1",
                "price": "5.50",
                "details": "some product details",
            },
        ],
    }
    assert b"products%5B0%5D%5Bdetails%5D%5Bdimensions%5D%5Bwidth%5D=20cm" in request.body
    assert optico.carts["cart-1"] == request.form
    assert sink.requests_for(snapshot, EventContext())[0].timeout_seconds == 5.0


def test_optico_orders_and_status_changes_upsert_the_whole_order(http, optico):
    sink = optico_sink(optico)
    placed = order()
    assert outcomes(deliver(http, sink, placed)) == [Outcome.DELIVERED]
    first = optico.orders["ORD-7890"]
    assert {name: first[name] for name in ("key", "id", "cart_id", "currency", "visit_id")} == {
        "key": OPTICO_KEY,
        "id": "ORD-7890",
        "cart_id": "cart-1",
        "currency": "USD",
        "visit_id": VISITOR.optico_visit,
    }
    assert first["status"] == "Completed"
    change = OrderStatusChanged("ORD-7890", "Shipped", WHEN + timedelta(days=1))
    assert outcomes(deliver(http, sink, change, EventContext(order=placed))) == [Outcome.DELIVERED]
    assert optico.orders["ORD-7890"] == first | {"status": "Shipped"}
    assert len(optico.requests_to("/api/customer-order")) == 2


def test_optico_logged_out_cart_and_empty_cart(optico):
    sink = optico_sink(optico)
    (request,) = sink.requests_for(cart(line("1", 1)), EventContext())
    assert b"&is_logged_in=0&" in request.body
    # `products` is required and a form cannot carry an empty array: nothing to send.
    assert sink.requests_for(cart(), EventContext()) == []


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        ("invalid_key", Outcome.REJECTED, "Invalid API key"),
        ("missing_parameter", Outcome.REJECTED, "Missing required parameter"),
        ("invalid_products", Outcome.REJECTED, "Invalid products format"),
        ("unknown_visit", Outcome.REJECTED, "Unknown visit_id"),
        ("server_error", Outcome.RETRY, "HTTP 503"),
    ],
)
def test_optico_documented_answers(http, optico, error, outcome, reason):
    optico.fail_next(error)
    (verdict,) = deliver(http, optico_sink(optico), cart(line("1", 1)))
    assert (verdict.outcome, reason in verdict.reason) == (outcome, True)
    assert optico.carts == {}


@pytest.mark.parametrize(
    ("setup", "message"),
    [("wrong_key", "Invalid API key"), ("unknown_visit", "Unknown visit_id")],
)
def test_optico_errors_from_its_own_state(http, optico, setup, message):
    sink = optico_sink(optico, key="not-the-key" if setup == "wrong_key" else OPTICO_KEY)
    visitor = replace(VISITOR, optico_visit="ffffffffffffffffffffffff")
    event = cart(line("1", 1), visitor=visitor if setup == "unknown_visit" else VISITOR)
    (verdict,) = deliver(http, sink, event)
    assert verdict == Verdict(Outcome.REJECTED, f"Optico: {message}")


def test_optico_answer_without_its_envelope_is_retried(http, optico):
    optico.answer_next(200, b"<html>maintenance</html>", [("Content-Type", "text/html")])
    (verdict,) = deliver(http, optico_sink(optico), cart(line("1", 1)))
    assert verdict.outcome is Outcome.RETRY


def test_optico_stall_past_the_timeout_then_success(http, optico):
    sink = optico_sink(optico)
    optico.stall_next(2.0)
    with pytest.raises(requests.Timeout):
        deliver(http, sink, cart(line("1", 1)), timeout=0.3)
    assert outcomes(deliver(http, sink, cart(line("1", 1)))) == [Outcome.DELIVERED]
    assert list(optico.carts) == ["cart-1"]


# --- PA -------------------------------------------------------------------------------------


def test_pa_purchase_then_price_beat_codes_marked(http, pa):
    sink = pa_sink(pa)
    placed = order(
        subtotal=Decimal("123.45"),
        total=Decimal("145.67"),
        tax=Decimal("12.22"),
        delivery_fee=Decimal("10.00"),
        lines=(
            line(
                "product-1", 2, "9.99", on_sale=True, discount=Decimal("2.00"), coupon_code="SAVE10"
            ),
            line("product-2", 1, "99.99"),
        ),
        promotion_codes=(
            PromotionCode("PB10XXXXXXXXX", Decimal(10)),
            PromotionCode("PB5", Decimal("5.5")),
        ),
    )
    assert outcomes(deliver(http, sink, placed)) == [Outcome.DELIVERED] * 3
    purchase, *marks = pa.received
    assert purchase.headers["authorization"] == f"Bearer {PA_TOKEN}"
    assert purchase.json == {
        "customerId": VISITOR.pa_customer,
        "sessionId": VISITOR.pa_session,
        "events": [
            {
                "currentUrl": "https://shop.example/checkout/success",
                "eventTime": "2026-03-01T14:00:00.250Z",
                "orderNumber": "ORD-7890",
                "subTotal": Decimal("123.45"),
                "totalPrice": Decimal("145.67"),
                "currencyCode": "USD",
                "deliveryFee": Decimal("10.00"),
                "taxAmount": Decimal("12.22"),
                "products": [
                    {
                        "refId": "product-1",
                        "quantity": 2,
                        "unitPrice": Decimal("9.99"),
                        "totalPrice": Decimal("19.98"),
                        "isOnSale": True,
                        "discount": Decimal("2.00"),
                        "couponCode": "SAVE10",
                    },
                    {
                        "refId": "product-2",
                        "quantity": 1,
                        "unitPrice": Decimal("99.99"),
                        "totalPrice": Decimal("99.99"),
                        "isOnSale": False,
                    },
                ],
                "PriceBeatPromotionCodes": [
                    {"Code": "PB10XXXXXXXXX", "Value": 10},
                    {"Code": "PB5", "Value": Decimal("5.5")},
                ],
            }
        ],
    }
    assert [(mark.method, mark.query) for mark in marks] == [
        ("GET", {"code": ["PB10XXXXXXXXX"], "client": [PA_CLIENT]}),
        ("GET", {"code": ["PB5"], "client": [PA_CLIENT]}),
    ]
    assert pa.marked == ["PB10XXXXXXXXX", "PB5"]


def test_pa_without_client_id_leaves_marking_to_its_tag(pa):
    sink = only_sink("pa", {"endpoint": pa.base_url, "access_token": PA_TOKEN})
    placed = order(promotion_codes=(PromotionCode("PB1", Decimal(1)),))
    (purchase,) = sink.requests_for(placed, EventContext())
    assert purchase.url == pa.base_url + "/3.0/events/purchases"


def test_pa_mark_as_used_host_is_its_own(pa):
    sink = only_sink(
        "pa",
        {"endpoint": "https://pa.example/", "access_token": PA_TOKEN, "client_id": PA_CLIENT},
    )
    placed = order(promotion_codes=(PromotionCode("PB 1&2", Decimal(1)),))
    purchase, mark = sink.requests_for(placed, EventContext())
    assert purchase.url == "https://pa.example/3.0/events/purchases"
    parts = urlsplit(mark.url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "extension.api.similarinc.com",
        "/b2b/coupon/mark_as_used",
    )
    assert parse_qs(parts.query) == {"code": ["PB 1&2"], "client": [PA_CLIENT]}


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        ("validation", Outcome.REJECTED, "events[0].Products[0].RefId: 'Product Ref Id' must not"),
        ("unauthorized", Outcome.RETRY, "access token (HTTP 401)"),
        ("server_error", Outcome.RETRY, "HTTP 500"),
    ],
)
def test_pa_documented_answers(http, pa, error, outcome, reason):
    pa.fail_next(error)
    (verdict,) = deliver(http, pa_sink(pa), order())
    assert verdict.outcome is outcome
    assert reason in verdict.reason
    assert pa.purchases == []


def test_pa_wrong_token_is_retried(http, pa):
    (verdict,) = deliver(http, pa_sink(pa, access_token="expired"), order())
    assert verdict.outcome is Outcome.RETRY
    assert pa.problems == [
        "POST /3.0/events/purchases: Authorization is not Bearer <the access token>"
    ]
    pa.received.clear()


def test_pa_failed_marking_is_retried_on_its_own(http, pa):
    sink = pa_sink(pa)
    purchase, mark = sink.requests_for(
        order(promotion_codes=(PromotionCode("PB1", Decimal(1)),)), EventContext()
    )
    assert send(http, sink, purchase).outcome is Outcome.DELIVERED
    pa.answer_next(503)
    assert send(http, sink, mark).outcome is Outcome.RETRY
    assert send(http, sink, mark).outcome is Outcome.DELIVERED
    assert (len(pa.purchases), pa.marked) == (1, ["PB1"])


def test_pa_real_validation_errors_are_the_reason(http, pa):
    # A GUID check PA does that we leave to it, to see its answer: a plain-text customer id.
    sink = pa_sink(pa)
    (request,) = sink.requests_for(order(), EventContext())
    body = request.body.replace(VISITOR.pa_customer.encode(), b"not-a-guid")
    verdict = send(http, sink, OutboundRequest("POST", request.url, request.headers, body))
    assert verdict == Verdict(Outcome.REJECTED, "PA: customerId: 'customerId' must be a GUID.")
    pa.received.clear()


# --- oct8ne ---------------------------------------------------------------------------------


def test_oct8ne_pings_cart_and_user(http, oct8ne):
    sink = oct8ne_sink(oct8ne)
    anonymous = cart(line("A", 1))
    signed_in = cart(line("A", 1), customer_id="customer-1", logged_in=True)
    assert outcomes(deliver(http, sink, anonymous)) == [Outcome.DELIVERED]
    assert outcomes(deliver(http, sink, signed_in, EventContext(previous_cart=anonymous))) == [
        Outcome.DELIVERED,
        Outcome.DELIVERED,
    ]
    assert outcomes(deliver(http, sink, order())) == [Outcome.DELIVERED]
    assert oct8ne.updates == [
        ("3847", "cart"),
        ("3847", "user"),
        ("3847", "cart"),
        ("3847", "cart"),
    ]
    assert all(request.method == "POST" for request in oct8ne.received)


def test_oct8ne_skips_visitors_who_are_not_chatting(oct8ne):
    sink = oct8ne_sink(oct8ne)
    quiet = replace(VISITOR, oct8ne_visitor=None)
    assert sink.requests_for(cart(line("A", 1), visitor=quiet), EventContext()) == []
    assert sink.requests_for(OrderStatusChanged("o", "Shipped", WHEN), EventContext()) == []


@pytest.mark.parametrize(
    ("status", "outcome"), [(500, Outcome.RETRY), (503, Outcome.RETRY), (400, Outcome.REJECTED)]
)
def test_oct8ne_answers(http, oct8ne, status, outcome):
    oct8ne.answer_next(status, {"Message": "nope"})
    (verdict,) = deliver(http, oct8ne_sink(oct8ne), cart(line("A", 1)))
    assert verdict.outcome is outcome


def test_oct8ne_backoffice_host_from_the_linked_account():
    (sink,) = build_sinks({"oct8ne": {}}, oct8ne_server="backoffice-eu.oct8ne.com/")
    (request,) = sink.requests_for(cart(line("A", 1)), EventContext())
    assert request.url == (
        "https://backoffice-eu.oct8ne.com/platformConnection/update?visitor=3847&what=cart"
    )
    hosts = iter(["backoffice.oct8ne.com/", "eu1.oct8ne.test/"])
    (following,) = build_sinks({"oct8ne": {}}, oct8ne_server=lambda: next(hosts))
    urls = [following.requests_for(order(), EventContext())[0].url for _ in range(2)]
    assert [urlsplit(url).netloc for url in urls] == ["backoffice.oct8ne.com", "eu1.oct8ne.test"]


# --- payload checks -------------------------------------------------------------------------

NO_IDS = VisitorIds()


@pytest.mark.parametrize(
    ("vendor", "event", "reason"),
    [
        ("octocom", order(visitor=NO_IDS), "Octocom browser session id is missing"),
        ("octocom", order(visitor=replace(VISITOR, octocom_session="abc")), "not a UUID"),
        ("octocom", order(total=Decimal(0)), "total price must be positive"),
        ("octocom", order(currency="XXX"), "not an ISO 4217 code"),
        ("octocom", order(currency="usd"), "not an ISO 4217 code"),
        ("octocom", order(lines=()), "has no lines"),
        ("octocom", order(lines=(line("a", 0),)), "quantity must be a whole number"),
        ("alhena", cart(line("A", 1), visitor=NO_IDS), "Alhena fingerprint is missing"),
        (
            "alhena",
            order(visitor=replace(VISITOR, alhena_faq_fingerprint=" ")),
            "Alhena FAQ fingerprint is missing",
        ),
        ("alhena", cart(line("A", 1, "-1")), "must not be negative"),
        ("alhena", cart(line("A", 1), currency="EURO"), "not an ISO 4217 code"),
        ("optico", cart(line("1", 1), visitor=NO_IDS), "Optico visit id is missing"),
        ("optico", order(cart_id=None), "cart id of the order is missing"),
        ("optico", OrderStatusChanged("ORD-1", "Shipped", WHEN), "was never recorded"),
        ("optico", cart(line("1", 1, "NaN")), "is not a number"),
        ("pa", order(visitor=NO_IDS), "PA customerId is missing"),
        ("pa", order(visitor=replace(VISITOR, pa_session="session-1")), "not a UUID"),
        ("pa", order(lines=()), "PA needs one product"),
        ("pa", order(tax=Decimal("-0.01")), "tax amount must not be negative"),
    ],
)
def test_payloads_vendors_would_refuse_are_invalid(vendor, event, reason):
    options = {
        "octocom": {},
        "alhena": {"company_key": COMPANY_KEY},
        "optico": {"key": OPTICO_KEY},
        "pa": {"endpoint": "https://pa.example", "access_token": PA_TOKEN},
    }
    (sink,) = build_sinks({vendor: options[vendor]})
    with pytest.raises(InvalidPayload, match=reason):
        sink.requests_for(event, EventContext())


@pytest.mark.parametrize("vendor", VENDORS)
def test_requests_are_deterministic(vendor):
    """The relay rebuilds the requests after a crash: they must come out the same."""
    options = {
        "oct8ne": {"base_url": "http://127.0.0.1:9"},
        "octocom": {},
        "alhena": {"company_key": COMPANY_KEY},
        "optico": {"key": OPTICO_KEY},
        "pa": {"endpoint": "https://pa.example", "access_token": PA_TOKEN, "client_id": PA_CLIENT},
    }
    (sink,) = build_sinks({vendor: options[vendor]})
    placed = order(promotion_codes=(PromotionCode("PB1", Decimal(1)),))
    context = EventContext(previous_cart=cart(line("A", 1)), order=placed)
    for event in (
        cart(line("A", 3), line("B", 1)),
        placed,
        OrderStatusChanged("ORD-7890", "X", WHEN),
    ):
        assert sink.requests_for(event, context) == sink.requests_for(event, context)


# --- configuration --------------------------------------------------------------------------


def test_build_sinks_only_the_listed_vendors_in_a_fixed_order():
    assert build_sinks({}) == []
    sinks = build_sinks(
        {
            "pa": {"endpoint": "https://pa.example", "access_token": PA_TOKEN},
            "octocom": {},
            "oct8ne": {},
        },
        oct8ne_server="backoffice.oct8ne.com/",
    )
    assert [sink.name for sink in sinks] == ["oct8ne", "octocom", "pa"]
    assert PA_TOKEN not in repr(sinks[2])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"intercom": {}}, "unknown vendor 'intercom'"),
        ({"alhena": {}}, "event_sinks.alhena.company_key is required"),
        ({"alhena": {"company_key": "k", "region": "asia"}}, "region must be one of us, eu"),
        ({"alhena": {"company_key": 7}}, "company_key must be a non-empty string"),
        ({"optico": {"key": "  "}}, "event_sinks.optico.key must be a non-empty string"),
        ({"optico": {"key": "k", "kye": "k"}}, "unknown option 'kye'"),
        ({"pa": {"access_token": "t"}}, "event_sinks.pa.endpoint is required"),
        ({"pa": {"endpoint": "https://pa.example"}}, "event_sinks.pa.access_token is required"),
        ({"pa": {"endpoint": "pa.example", "access_token": "t"}}, "must be an http"),
        ({"octocom": {"base_url": "ftp://octocom"}}, "base_url must be an http"),
        ({"octocom": "on"}, "event_sinks.octocom must be a table"),
        ({"oct8ne": {}}, "needs the oct8ne backoffice host"),
    ],
)
def test_bad_sink_options_are_configuration_errors(options, message):
    with pytest.raises(EventSinkConfigError, match=message) as caught:
        build_sinks(options)
    assert isinstance(caught.value, ConfigError)


def test_bad_oct8ne_host_and_unknown_context():
    with pytest.raises(EventSinkConfigError, match="is not a host name"):
        build_sinks({"oct8ne": {}}, oct8ne_server="https://backoffice.oct8ne.com")
    with pytest.raises(TypeError, match="oct8ne_licence"):
        build_sinks({}, oct8ne_licence="x")


# --- encoding -------------------------------------------------------------------------------


def test_json_amounts_are_exact():
    body = json_body(
        {"a": Decimal("99.99"), "b": Decimal("1E+2"), "c": Decimal("12345678901234567.89")}
    )
    assert body == b'{"a":99.99,"b":100,"c":12345678901234567.89}'
    assert json_body({"text": 'é "q"', "list": [True, None, 3]}) == (
        '{"text":"é \\"q\\"","list":[true,null,3]}'.encode()
    )


def test_form_is_php_bracket_style():
    body = form_body([("key", "k&=?"), ("flag", True), ("skip", None), ("p", [{"d": {"w": 1}}])])
    assert body == b"key=k%26%3D%3F&flag=1&p%5B0%5D%5Bd%5D%5Bw%5D=1"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        # Huge delta-seconds: capped, never an OverflowError in a timedelta (issue 14).
        ("99999999999999999999", MAX_RETRY_AFTER_SECONDS),
        ("9" * 400, MAX_RETRY_AFTER_SECONDS),  # float() makes it inf
        ("Sun, 01 Mar 2026 14:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 16:00:30 +0200", 30.0),
        # Far future dates: capped, not a wait until the year 9999.
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
        ("Fri, 31 Dec 9999 23:59:59 -2359", MAX_RETRY_AFTER_SECONDS),
        # Past dates: now.
        ("Sun, 01 Mar 2026 13:59:00 GMT", 0.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        # Garbage, negative numbers and what no date can be: unreadable.
        ("", None),
        ("soon", None),
        ("-5", None),
        ("-99999999999999999999", None),
        ("1.5", None),
        ("1e9", None),
        ("\u00b2", None),  # "²".isdigit() is True, float("²") fails
        ("\u0661\u0662", None),  # Arabic-Indic digits
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),  # ValueError: year out of range
        ("Fri, 31 Dec 99999999999999999999999 23:59:59 GMT", None),  # OverflowError
        ("Sun, 01 Mar 2026 14:00:30 +99999999999999999999", None),  # OverflowError
        ("Sun, 01 Mar 2026 25:00:00 GMT", None),
    ],
)
def test_retry_after(value, seconds):
    now = datetime(2026, 3, 1, 14, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"retry-after": value}, now) == seconds


def test_retry_after_reads_any_case_and_a_naive_now():
    """The relay's clock is naive UTC, as the database stores times."""
    now = datetime(2026, 11, 26, 12, 0, 0)
    assert retry_after_seconds({"Retry-After": "Thu, 26 Nov 2026 12:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"RETRY-AFTER": "7"}, now) == 7
    assert retry_after_seconds({}, now) is None
    wait = retry_after_seconds({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})
    assert wait == MAX_RETRY_AFTER_SECONDS


# --- the fakes themselves -------------------------------------------------------------------


def _json(body: Any) -> dict[str, Any]:
    return {"data": json.dumps(body), "headers": {"Content-Type": "application/json"}}


def _octocom_body(**changes: Any) -> dict[str, Any]:
    return {"lineItems": [{"id": "p", "quantity": 1}], "totalPrice": 1, "currencyCode": "USD"} | (
        changes
    )


def _alhena_body(**changes: Any) -> dict[str, Any]:
    body = {
        "company_key": COMPANY_KEY,
        "user_fingerprint": VISITOR.alhena_fingerprint,
        "user_faq_fingerprint": VISITOR.alhena_faq_fingerprint,
        "type": "ITEM_ADDED",
        "product_id": "p",
        "product_name": "P",
        "value": 1,
        "currency": "USD",
        "quantity": 1,
    }
    return {name: value for name, value in (body | changes).items() if value is not None}


def _pa_body(product: dict[str, Any]) -> dict[str, Any]:
    event = {
        "eventTime": "2026-03-01T14:00:00.000Z",
        "orderNumber": "o",
        "subTotal": 1,
        "totalPrice": 1,
        "currencyCode": "USD",
        "products": [product],
    }
    return {"customerId": VISITOR.pa_customer, "sessionId": VISITOR.pa_session, "events": [event]}


_PA = {"Authorization": f"Bearer {PA_TOKEN}", "Content-Type": "application/json"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_OCTOCOM_PATH = f"/rest/v1/browser-sessions/{VISITOR.octocom_session}/purchases"
_OPTICO_CART = f"key={OPTICO_KEY}&id=1&currency=EUR&visit_id={VISITOR.optico_visit}&is_logged_in=1"


@pytest.mark.parametrize(
    ("vendor", "path", "request_", "status", "answer", "problem"),
    [
        ("octocom", _OCTOCOM_PATH, _json(_octocom_body(totalPrice="99.99")), 400, "", "totalPrice"),
        ("octocom", _OCTOCOM_PATH, _json(_octocom_body(totalPrice=0)), 400, "", "positive"),
        (
            "octocom",
            _OCTOCOM_PATH,
            _json(_octocom_body(lineItems=[{"id": "p", "quantity": 1, "variant": "v"}])),
            400,
            "",
            "variantId",
        ),
        ("octocom", _OCTOCOM_PATH, _json(_octocom_body(currencyCode="usd")), 400, "", "ISO 4217"),
        (
            "alhena",
            "/analytics/cart_events",
            _json(_alhena_body(product_name=None)),
            400,
            "MISSING_REQUIRED_FIELDS",
            "product_name is missing",
        ),
        (
            "alhena",
            "/analytics/cart_events",
            _json(_alhena_body(type="ITEM_ADDED", quantity=0)),
            200,
            "CART_EVENT_RECORDED",
            "ITEM_ADDED to quantity 0",
        ),
        (
            "optico",
            "/api/customer-cart",
            {"data": _OPTICO_CART, "headers": _FORM},
            200,
            "Missing required parameter",
            "products",
        ),
        (
            "optico",
            "/api/customer-cart",
            {"data": _OPTICO_CART + "&products[0][id]=1&products[0][name]=A", "headers": _FORM},
            200,
            "Invalid products format",
            "products[0][quantity] is missing",
        ),
        (
            "optico",
            "/api/customer-cart",
            {
                "data": _OPTICO_CART.replace("is_logged_in=1", "is_logged_in=true")
                + "&products[0][id]=1&products[0][name]=A&products[0][quantity]=1"
                + "&products[0][price]=1",
                "headers": _FORM,
            },
            200,
            "Missing required parameter",
            "is_logged_in",
        ),
        (
            "pa",
            "/3.0/events/purchases",
            {
                "data": json.dumps(_pa_body({"quantity": 1, "unitPrice": 1, "totalPrice": 1})),
                "headers": _PA,
            },
            400,
            "'Product Ref Id' must not be empty.",
            "RefId",
        ),
        (
            "pa",
            "/3.0/events/purchases",
            {
                "data": json.dumps(
                    _pa_body({"refId": "p", "quantity": 2, "unitPrice": 1, "totalPrice": 1})
                ),
                "headers": _PA,
            },
            400,
            "quantity x unit price",
            "TotalPrice",
        ),
        ("oct8ne", "/platformConnection/update?visitor=1&what=basket", {}, 400, "", "what"),
    ],
)
def test_fakes_refuse_what_the_documents_forbid(
    http, vendor, path, request_, status, answer, problem
):
    """The fakes are strict: a sink that broke a documented rule could not pass its tests."""
    with running_vendors() as vendors:
        fake = getattr(vendors, vendor)
        response = http.post(fake.base_url + path, timeout=5, **request_)
        assert response.status_code == status
        assert answer in response.text
        assert any(problem in found for found in fake.problems), fake.problems
