"""Methods outside the 2.4 table that oct8ne still calls: productRelated, getCart, getSalesReport.

DESIGN §3: every official adapter (PrestaShop, WooCommerce, Magento 2, LogiCommerce) serves
them; their formats are the platform adapters' (compatibility level), absence is a warning.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from oct8ne_adapter.checker.context import Context
from oct8ne_adapter.checker.http import Answer, shorten
from oct8ne_adapter.checker.protocol import _summary
from oct8ne_adapter.checker.results import Check, Fault, Level, NotApplicable, Verdict, passed

#: getCart's amounts: "amounts as JSON numbers as the platform adapters send them" (DESIGN §3).
CART_AMOUNTS = ("price", "finalPrice")
CART_LINE_AMOUNTS = ("price",)
REPORT_DAYS = 30
#: The report's time format (DESIGN §3: "times as UTC `YYYY-MM-DD HH:MM:SS`").
REPORT_TIME = "%Y-%m-%d %H:%M:%S"


def _present(ctx: Context, method: str, params: list[tuple[str, str]], why: str) -> Any:
    """The answer of an extra method; a compatibility Fault when it is absent or refused."""
    answer = ctx.call(method, params)
    absent = answer.status in (404, 405, 501) or (
        answer.status == 200 and (not answer.body.strip() or answer.body.strip() == b"null")
    )
    if absent:
        raise Fault(
            f"absent ({answer.request}: HTTP {answer.status}); {why}",
            level=Level.COMPATIBILITY,
            key=("absent", method),
        )
    if 400 <= answer.status < 500 and answer.status != 429:
        raise Fault(
            f"{answer.request}: refused the checker's call: HTTP {answer.status}: "
            f"{shorten(answer.text)}",
            level=Level.COMPATIBILITY,
        )
    return _typed(ctx, method, answer)


def _typed(ctx: Context, method: str, answer: Answer) -> Any:
    """The payload, its schema problems flagged at the compatibility level."""
    return ctx.typed(method, answer, ctx.payload(answer), Level.COMPATIBILITY)


def related(ctx: Context) -> Verdict:
    """productRelated answers `{total, results}` with each related product once."""
    product = ctx.ids_or_placeholder().split(",")[0]
    payload = _present(
        ctx, "productRelated", [("productId", product)], "oct8ne shows related products with it"
    )
    results = payload.get("results") if isinstance(payload, dict) else None
    ids = [str(item.get("internalId")) for item in results or [] if isinstance(item, dict)]
    twice = sorted({item for item in ids if ids.count(item) > 1})
    if twice:
        raise Fault(
            f"productRelated?productId={product}: lists {', '.join(twice)} more than once",
            key=("duplicates", "productrelated"),
        )
    if product in ids:
        raise Fault(f"productRelated?productId={product}: lists the product itself")
    return passed(f"present, valid: {_summary(payload)}, each once")


def cart(ctx: Context) -> Verdict:
    """getCart answers the cart with its amounts as JSON numbers."""
    payload = _present(ctx, "getCart", [], "oct8ne reads cart totals with it")
    if not isinstance(payload, dict):
        raise NotApplicable("getCart's answer is not an object (reported above)")
    found = payload.get("cart")
    lines: list[Any] = found if isinstance(found, list) else []
    strings = [
        f"{name} {payload[name]!r}" for name in CART_AMOUNTS if isinstance(payload.get(name), str)
    ] + [
        f"cart[{number}].{name} {line[name]!r}"
        for number, line in enumerate(lines)
        if isinstance(line, dict)
        for name in CART_LINE_AMOUNTS
        if isinstance(line.get(name), str)
    ]
    if strings:
        raise Fault(
            f"getCart: {', '.join(strings[:3])}: amounts as strings, the platform adapters "
            "send JSON numbers (DESIGN §3)",
            level=Level.COMPATIBILITY,
            key=("cart amounts as strings",),
        )
    return passed(f"present, valid: {_summary(payload)}; amounts are numbers")


def sales_report(ctx: Context) -> Verdict:
    """getSalesReport answers, and its period includes its last day, up to now."""
    now = datetime.now(UTC)
    start = (now - timedelta(days=REPORT_DAYS)).date().isoformat()
    end = now.date().isoformat()
    token = ("apiToken", ctx.token_or_wrong())
    params = [("from", start), ("to", end), token]
    report = _present(ctx, "getSalesReport", params, "oct8ne's sales report needs it")
    if not ctx.options.token:
        return passed("present (asked with a wrong token); give the apiToken to read rows")
    if not isinstance(report, list):
        raise Fault(f"getSalesReport?from={start}&to={end}: answered {shorten(report)}, not []")
    later = (now + timedelta(days=2)).date().isoformat()
    wider = ctx.fetch("getSalesReport", [("from", start), ("to", later), token])
    rows = wider if isinstance(wider, list) else []
    listed = {_row_key(row) for row in report if isinstance(row, dict)}
    missing = [row for row in rows if isinstance(row, dict) and _row_key(row) not in listed]
    today = [row for row in missing if (_created(row) or now) < now]
    if today:
        raise Fault(
            f"getSalesReport?from={start}&to={end}: leaves out {len(today)} rows of today "
            f"(e.g. {shorten(today[0], 100)}) that to={later} lists: `to` includes its whole "
            "day, up to now",
            level=Level.COMPATIBILITY,
        )
    if not rows:
        return passed(f"present, valid: no rows since {start}, so the last day was not compared")
    return passed(f"present, valid: {len(report)} rows up to now, as to={later} lists")


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    """A row's identity (its update time moves between two calls)."""
    return tuple(str(row.get(name)) for name in ("quoteId", "orderId", "sessionId"))


def _created(row: dict[str, Any]) -> datetime | None:
    try:
        return datetime.strptime(str(row.get("utcCreated")), REPORT_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


CHECKS: list[Check] = [
    Check.documented("productRelated.present", related),
    Check.documented("getCart.present", cart),
    Check.documented("getSalesReport.present", sales_report),
]
