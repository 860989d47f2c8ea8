"""One function per oct8ne method: validated params in, repository call, serialized payload out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Request

from oct8ne_adapter.domain import Customer, Product, Visitor
from oct8ne_adapter.platform.client import VISITOR_COOKIE
from oct8ne_adapter.web.bearer import matches_any
from oct8ne_adapter.web.identity import SessionCookieResolver
from oct8ne_adapter.web.params import (
    arg,
    parse_paging,
    parse_presentation,
    parse_product_ids,
    parse_report_period,
    parse_search,
    parse_text,
)
from oct8ne_adapter.web.serializers import (
    Serializer,
    adapter_info,
    cart_totals,
    customer_data,
    order_details,
    order_summary,
    recorded_cart,
    sales_report_row,
    search_result,
)
from oct8ne_adapter.web.signals import record_failed_authentication
from oct8ne_adapter.web.state import AdapterState

Payload = Any
Handler = Callable[[AdapterState, Request], Payload]


def _serializer(state: AdapterState, request: Request) -> Serializer:
    presentation = parse_presentation(request.args, state.settings)
    return Serializer(state.settings, presentation, state.product_infos)


def _requested_products(
    state: AdapterState, request: Request, build: Callable[[Serializer, Product], Payload]
) -> Payload:
    """The encoded list of `build(product)` for the requested ids, from the app's answers."""
    args = request.args
    generation = None if state.catalog_generation is None else state.catalog_generation()
    # Everything of the request that shapes the bytes, as sent: a popular call is answered
    # before its parameters are parsed (the callback wraps the answer later).
    raw = (build, arg(args, "productIds"), arg(args, "locale"), arg(args, "currency"))
    if generation is not None:
        known = state.answers.lookup(raw, generation)
        if known is not None:
            return known
    ids = parse_product_ids(args, state.settings)
    serializer = _serializer(state, request)
    presentation = serializer.presentation
    products = state.repository.get_products(ids, presentation.languages) if ids else []
    answer = state.answers.answer(
        (build, tuple(ids), presentation),
        products,
        lambda found: [build(serializer, product) for product in found],
    )
    if generation is not None:
        # Read before the products: a change meanwhile files the answer under the old one.
        state.answers.remember(raw, generation, answer)
    return answer


def product_info(state: AdapterState, request: Request) -> Payload:
    """`productInfo`: ProductInfo for each known id, in the requested order."""
    return _requested_products(state, request, Serializer.product_info)


def product_summary(state: AdapterState, request: Request) -> Payload:
    """`productSummary`: ProductSummary for each known id, in the requested order."""
    return _requested_products(state, request, Serializer.product_summary)


def product_related(state: AdapterState, request: Request) -> Payload:
    """`productRelated`: `{total, results}` of products related to `productId`."""
    product_id = parse_text(request.args, "productId", max_length=64)
    serializer = _serializer(state, request)
    products = (
        state.repository.related_products(
            product_id, serializer.presentation.languages, state.settings.search.related_limit
        )
        if product_id
        else []
    )
    return {
        "total": len(products),
        "results": [serializer.product_summary(product) for product in products],
    }


def search(state: AdapterState, request: Request) -> Payload:
    """`search`: one page of ProductSummary, the total and exact filters."""
    query, presentation = parse_search(request.args, state.settings)
    result = state.repository.search(query)
    return search_result(Serializer(state.settings, presentation, state.product_infos), result)


def _signed_in(state: AdapterState, visitor: Visitor) -> Customer | None:
    if not visitor.customer_id:
        return None
    return state.repository.get_customer(visitor.customer_id)


def get_customer_data(state: AdapterState, request: Request) -> Payload:
    """`customerData`: the signed-in customer (or nulls), their wishlist and the cart."""
    serializer = _serializer(state, request)
    languages = serializer.presentation.languages
    resolver = state.resolver
    if state.customer_view is not None and isinstance(resolver, SessionCookieResolver):
        view = state.customer_view(resolver.token(request), languages)
        cart = view.cart
        wished = len(view.wishlist)
        # Keyed by all the rows read (the customer among them: no other visitor's answer can
        # match) and the products by identity, as productInfo's answers are.
        key = (
            "customerData",
            view.customer,
            wished,
            tuple(line.quantity for line in cart.lines),
            cart.currency,
            cart.subtotal,
            cart.total,
            serializer.presentation,
        )
        return state.answers.answer(
            key,
            (*view.wishlist, *(line.product for line in cart.lines)),
            lambda products: customer_data(
                serializer, view.customer, list(products[:wished]), cart
            ),
        )
    visitor = state.resolve_visitor(request)
    customer = _signed_in(state, visitor)
    wishlist = state.repository.get_wishlist(customer.id, languages) if customer else []
    cart = state.repository.get_cart(visitor, languages)
    return customer_data(serializer, customer, wishlist, cart)


def add_to_wishlist(state: AdapterState, request: Request) -> Payload:
    """`addToWishList`: `{"result": "true"}` for a signed-in customer, `"false"` otherwise."""
    ids = parse_product_ids(request.args, state.settings)
    customer = _signed_in(state, state.resolve_visitor(request))
    if customer is None:
        return {"result": "false"}
    if state.repository.add_to_wishlist(customer.id, ids):
        state.platform.notify_update(request.cookies.get(VISITOR_COOKIE), "wishlist")
    return {"result": "true"}


def get_cart(state: AdapterState, request: Request) -> Payload:
    """`getCart`: the visitor's cart totals and lines; a cart recorded through events wins."""
    serializer = _serializer(state, request)
    visitor = state.resolve_visitor(request)
    if state.reports is not None:
        # A shop that records its carts as events keeps them there, not in our carts table.
        # Only to the shop session that owns it: oct8ne's cookies are no identity.
        recorded = state.reports.recorded_cart(visitor)
        if recorded is not None:
            return recorded_cart(recorded)
    cart = state.repository.get_cart(visitor, serializer.presentation.languages)
    return cart_totals(serializer, cart)


def get_sales_report(state: AdapterState, request: Request) -> Payload:
    """`getSalesReport`: recorded carts and orders of oct8ne visitors; `[]` for a bad token."""
    # A malformed period is refused whatever the token: a 400 tells nothing about the token.
    start, end = parse_report_period(request.args)
    if not token_is_valid(state, request) or state.reports is None:
        return []
    return [sales_report_row(row) for row in state.reports.sales_report(start, end)]


def get_adapter_info(state: AdapterState, request: Request) -> Payload:
    """`getAdapterInfo`."""
    return adapter_info(state.settings, state.version)


def token_is_valid(state: AdapterState, request: Request) -> bool:
    """Constant-time check of `apiToken`, reported to the failed-authentication limiter.

    With no token configured nothing is ever valid. A failed check from an address that
    failed too often raises TooManyFailures (429); a valid one is always answered.
    """
    # Every token in force is compared (a rollover lists the old one too), in constant time.
    valid = matches_any(request.args.get("apiToken", ""), state.credentials().api_tokens)
    if not valid:
        record_failed_authentication("api_token")
    state.auth.verdict(request.remote_addr or "", valid)
    return valid


def get_orders(state: AdapterState, request: Request) -> Payload:
    """`getOrders`: the customer's orders; `[]` for a bad token or an unknown customer."""
    # Malformed paging is refused whatever the token: a 400 tells nothing about the token.
    paging = parse_paging(request.args, state.settings, allow_offset=False)
    if not token_is_valid(state, request):
        return []
    email = parse_text(request.args, "customerEmail")
    if not email:
        return []
    serializer = _serializer(state, request)
    orders = state.repository.list_orders(
        email, serializer.presentation.languages, paging.offset, paging.limit
    )
    return [order_summary(serializer, order) for order in orders]


def get_order_details(state: AdapterState, request: Request) -> Payload:
    """`getOrderDetails`: one order; `[]` for a bad token or an unknown reference."""
    if not token_is_valid(state, request):
        return []
    reference = parse_text(request.args, "reference", max_length=64)
    if not reference:
        return []
    serializer = _serializer(state, request)
    details = state.repository.get_order(reference, serializer.presentation.languages)
    return [] if details is None else order_details(serializer, details)
