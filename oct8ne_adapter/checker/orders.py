"""Checks of the token-protected methods: `[]` for a bad token, orders with the good one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oct8ne_adapter.checker import results
from oct8ne_adapter.checker.context import UNKNOWN_REFERENCE, Context
from oct8ne_adapter.checker.http import Answer, shorten


def _expect_empty(ctx: Context, answer: Answer, what: str) -> None:
    """DESIGN §3: a missing or wrong token gets `[]`, the same as an unknown customer."""
    if answer.status == 429:
        answer.expect_status(200)  # says it is the rate limit, with Retry-After
    if answer.status != 200:
        raise results.Fault(
            f"{answer.request} ({what}): HTTP {answer.status}, expected 200 []",
            key=("bad token status", answer.status),
        )
    payload = ctx.payload(answer)
    if payload != []:
        if payload is None or payload == {} or payload == "":
            raise results.Fault(
                f"{answer.request} ({what}): answered {shorten(payload)}, not []",
                key=("bad token empty", shorten(payload)),
            )
        raise results.Fault(
            f"{answer.request} ({what}): answered data: {shorten(payload)}",
            level=results.Level.SECURITY,
            key=("token bypass", answer.method),
        )


def orders_bad_token(ctx: Context) -> results.Verdict:
    """getOrders answers `[]` to a wrong or missing apiToken."""
    email = ctx.email()
    for what, token in (("wrong token", [("apiToken", ctx.wrong_token)]), ("no token", [])):
        _expect_empty(ctx, ctx.call("getOrders", [("customerEmail", email), *token]), what)
    about = "the customer" if ctx.options.email else "an unknown customer (give --email)"
    return results.passed(f"[] for a wrong and for a missing token, asking for {about}")


def orders_with_token(ctx: Context) -> results.Verdict:
    """getOrders with the good apiToken lists the customer's orders, paged."""
    orders = ctx.orders()
    email = ctx.options.email
    if not orders:
        raise results.NotApplicable(
            f"no orders for {email}: a wrong apiToken, or give --email of a customer with orders"
        )
    references = [str(order.get("reference")) for order in orders]
    if len(orders) < 2:
        return results.passed(f"1 order for {email}: {references[0]}")
    pages = []
    for page in ("1", "2"):
        params = [
            ("customerEmail", str(email)),
            ("apiToken", str(ctx.options.token)),
            ("page", page),
            ("pageSize", "1"),
        ]
        pages.append(ctx.valid_json("getOrders", params))  # list: checked by valid_json
    if [len(page) for page in pages] != [1, 1] or pages[0][0] == pages[1][0]:
        raise results.Fault(
            f"getOrders with pageSize=1: page 1 {shorten(pages[0])} and page 2 "
            f"{shorten(pages[1])} are not two different orders"
        )
    listed = ", ".join(references[:3])
    return results.passed(f"{len(orders)} orders for {email} ({listed}…); pages of 1")


def details_bad_token(ctx: Context) -> results.Verdict:
    """getOrderDetails answers `[]` to a wrong or missing apiToken."""
    reference = ctx.reference()
    for what, token in (("wrong token", [("apiToken", ctx.wrong_token)]), ("no token", [])):
        answer = ctx.call("getOrderDetails", [("reference", reference), *token])
        _expect_empty(ctx, answer, what)
    known = reference != UNKNOWN_REFERENCE
    about = f"order {reference}" if known else "an unknown order (give --token and --email)"
    return results.passed(f"[] for a wrong and for a missing token, asking for {about}")


def details_with_token(ctx: Context) -> results.Verdict:
    """getOrderDetails with the good apiToken gives the order; `[]` for an unknown one."""
    orders = ctx.orders()
    if not orders:
        raise results.NotApplicable(f"no order of {ctx.options.email} to ask for")
    reference = str(orders[0].get("reference"))
    token = str(ctx.options.token)
    details: Any = ctx.fetch("getOrderDetails", [("reference", reference), ("apiToken", token)])
    if not isinstance(details, dict) or details.get("reference") != reference:
        raise results.Fault(
            f"getOrderDetails?reference={reference}: answered {shorten(details)} "
            "for an order getOrders listed"
        )
    unknown = ctx.call("getOrderDetails", [("reference", UNKNOWN_REFERENCE), ("apiToken", token)])
    if unknown.status != 200 or ctx.payload(unknown) != []:
        raise results.Fault(
            f"{unknown.request}: {unknown.status} {shorten(unknown.text)}, not []",
            level=results.Level.COMPATIBILITY,
        )
    products = details.get("products")
    lines = len(products) if isinstance(products, list) else 0
    plural = "s" if lines != 1 else ""
    return results.passed(f"order {reference}: {lines} product line{plural}; [] for an unknown one")


CHECKS: Sequence[results.Check] = (
    results.Check.documented("getOrders.bad-token", orders_bad_token),
    results.Check.documented("getOrders.token", orders_with_token),
    results.Check.documented("getOrderDetails.bad-token", details_bad_token),
    results.Check.documented("getOrderDetails.token", details_with_token),
)
