"""Checks of `search`: paging (`page`/`pageSize` and `start`/`count`) and ordering."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from oct8ne_adapter.checker import results
from oct8ne_adapter.checker.context import Context
from oct8ne_adapter.checker.http import describe, shorten

PAGE = 3
ORDER_PAGE = 20
#: A search text no shop's product has.
NOTHING = "oct8necheckzzqxnothing"
#: Beyond this page number some adapters refuse paging on purpose: no past-the-end probe.
MAX_PROBED_PAGE = 1_000
#: Parameters of `search` itself, never filters.
RESERVED = frozenset(
    {"search", "page", "pagesize", "start", "count", "orderby", "dir", "locale", "currency"}
    | {"callback", "apitoken"}
)
BAD_PAGING = (
    ("page", "-1"),
    ("page", "0"),
    ("page", "abc"),
    ("pageSize", "0"),
    ("pageSize", "-5"),
    ("page", "99999999999999999999"),
)

_NUMBER = re.compile(r"\d[\d.,'\s\u00a0\u202f]*")
_GROUPING = re.compile(r"[\s'\u00a0\u202f]")


def parse_price(text: str) -> Decimal | None:
    """The amount of a formatted price in any common locale: `$1,500.00`, `1.500,00 €`."""
    candidates = _NUMBER.findall(text)
    if not candidates:
        return None
    number = _GROUPING.sub("", max(candidates, key=lambda c: sum(d.isdigit() for d in c)))
    number = number.rstrip(".,")
    separators = [char for char in number if char in ".,"]
    decimal = ""
    if len(set(separators)) == 2:
        decimal = separators[-1]
    elif len(separators) == 1:
        # One separator followed by exactly three digits groups thousands (`1,500`).
        decimal = "" if len(number) - number.index(separators[0]) - 1 == 3 else separators[0]
    for separator in ".,":
        if separator != decimal:
            number = number.replace(separator, "")
    try:
        return Decimal(number.replace(",", "."))
    except InvalidOperation:
        return None


def fold(title: str) -> str:
    """A title without case and accents, as shops compare names."""
    decomposed = unicodedata.normalize("NFKD", title)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def total_of(result: Any) -> int:
    """`total` as a number (a digit string is the schema's to report, not a blocker here)."""
    total = result.get("total")
    if isinstance(total, str) and total.isdigit():
        return int(total)
    if isinstance(total, int) and not isinstance(total, bool):
        return total
    raise results.Fault(
        f"search: total {shorten(total)} is not a number of products",
        key=("shape", "search", "total"),
    )


def ids_of(result: Any) -> list[str]:
    """The internalIds of a search answer's results, as strings whatever their JSON type."""
    return [str(item.get("internalId")) for item in result["results"] if isinstance(item, dict)]


def _no_duplicates(where: str, ids: list[str]) -> None:
    twice = sorted({item for item in ids if ids.count(item) > 1})
    if twice:
        raise results.Fault(
            f"{where}: lists {', '.join(twice[:3])} more than once", key=("duplicates", "search")
        )


# -- paging ---------------------------------------------------------------------------------


def paging(ctx: Context) -> results.Verdict:
    """Pages are consistent: same total, no overlap or repeat, past the end an empty page."""
    total = total_of(ctx.searched_products())
    first = ctx.search(("page", "1"), page_size=PAGE)
    second = ctx.search(("page", "2"), page_size=PAGE)
    double = ctx.search(("page", "1"), page_size=2 * PAGE)
    where = describe("search", [("page", "1|2"), ("pageSize", str(PAGE))])
    for page in (first, second, double):
        _no_duplicates(where, ids_of(page))
    totals = {total_of(first), total_of(second), total_of(double), total}
    if len(totals) > 1:
        raise results.Fault(f"{where}: total changes with the page: {sorted(totals)}")
    if len(first["results"]) != min(PAGE, total):
        raise results.Fault(f"{where}: page 1 has {len(first['results'])} results of {total}")
    if len(second["results"]) != min(PAGE, max(0, total - PAGE)):
        raise results.Fault(f"{where}: page 2 has {len(second['results'])} results of {total}")
    overlap = sorted(set(ids_of(first)) & set(ids_of(second)))
    if overlap:
        raise results.Fault(f"{where}: product {overlap[0]} is on pages 1 and 2")
    if ids_of(first) + ids_of(second) != ids_of(double):
        raise results.Fault(
            f"{where}: pages 1+2 {ids_of(first) + ids_of(second)} are not page 1 of "
            f"{2 * PAGE}: {ids_of(double)}"
        )
    past = math.ceil(total / PAGE) + 1
    if past > MAX_PROBED_PAGE:
        return results.passed(f"total {total}; pages 1, 2 and 1 of {2 * PAGE} agree")
    _past_the_end(ctx, past, total)
    return results.passed(
        f"total {total}; pages 1, 2, 1 of {2 * PAGE} and {past} (past the end) agree"
    )


def _past_the_end(ctx: Context, past: int, total: int) -> None:
    """DESIGN §3: "a page past the end -> empty results with the true total"."""
    params = [("search", ctx.options.search), ("page", str(past)), ("pageSize", str(PAGE))]
    answer = ctx.call("search", params)
    if answer.status >= 500:
        raise results.Fault(f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}")
    beyond = ctx.payload(answer)
    if not isinstance(beyond, dict) or not isinstance(beyond.get("results"), list):
        raise results.Fault(
            f"{answer.request} (past the end): {shorten(beyond)}: expected "
            f"{{total: {total}, results: []}}"
        )
    if beyond["results"] or total_of(beyond) != total:
        raise results.Fault(
            f"{answer.request} (past the end): total {beyond.get('total')}, "
            f"{len(beyond['results'])} results; expected total {total} and none"
        )


def empty_search(ctx: Context) -> results.Verdict:
    """A search that finds nothing answers `{total: 0, results: []}`, not `[]` or an error."""
    answer = ctx.call("search", [("search", NOTHING), ("pageSize", str(PAGE))])
    payload = ctx.payload(answer)
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise results.Fault(
            f"{answer.request}: answered {shorten(payload)}, not {{total: 0, results: []}} "
            "(the widget reads `total` and `results` of every search)",
            key=("empty search shape",),
        )
    if payload["results"] or total_of(payload) != 0:
        raise results.Fault(
            f"{answer.request}: total {payload.get('total')}, {len(payload['results'])} "
            "results for a text no product has"
        )
    return results.passed(f"{answer.request}: total 0, no results")


def start_count(ctx: Context) -> results.Verdict:
    """`start`/`count` (the document's example) page as `page`/`pageSize` do."""
    ctx.searched_products()
    second = ids_of(ctx.search(("page", "2"), page_size=PAGE))
    params = [("search", ctx.options.search), ("start", str(PAGE)), ("count", str(PAGE))]
    answer = ctx.call("search", params)
    if 400 <= answer.status < 500 and answer.status != 429:
        raise results.Fault(
            f"{answer.request}: refused with HTTP {answer.status}",
            level=results.Level.COMPATIBILITY,
        )
    result = ctx.payload(answer)
    got = ids_of(result) if isinstance(result, dict) and "results" in result else []
    if got == second:
        return results.passed(f"start={PAGE}&count={PAGE} is page 2 of {PAGE}: {','.join(got)}")
    first = ids_of(ctx.search(("page", "1"), page_size=PAGE))
    if got[: len(first)] == first:
        raise results.Fault(
            f"{answer.request}: start/count ignored (answers page 1)",
            level=results.Level.COMPATIBILITY,
        )
    raise results.Fault(f"{answer.request}: answered {got}, page 2 of {PAGE} is {second}")


def bad_paging(ctx: Context) -> results.Verdict:
    """Malformed paging is refused with a 4xx (or recovered), never a 5xx."""
    refused, recovered = [], []
    for name, value in BAD_PAGING:
        answer = ctx.call("search", [("search", ctx.options.search), (name, value)])
        if answer.status >= 500:
            raise results.Fault(
                f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}",
                key=("bad paging 5xx",),
            )
        if answer.status == 200:
            ctx.payload(answer)  # JSON, whatever its fields' types (search.json judges them)
            recovered.append(f"{name}={value}")
        else:
            refused.append(f"{name}={value}")
    summary = f"{len(refused)} refused with a 4xx"
    return results.passed(
        summary + (f", answered normally: {', '.join(recovered)}" if recovered else "")
    )


# -- ordering -------------------------------------------------------------------------------


def _ordered(
    ctx: Context, key: str, value: Callable[[dict[str, Any]], Any], label: Callable[[Any], str]
) -> results.Verdict:
    ctx.searched_products()
    checked = 0
    for direction in ("asc", "desc"):
        items: list[dict[str, Any]] = []
        for page in ("1", "2"):
            params = (("orderby", key), ("dir", direction), ("locale", "en-US"), ("page", page))
            found = ctx.search(*params, page_size=ORDER_PAGE)["results"]
            items += [item for item in found if isinstance(item, dict)]
        keyed = [(item, value(item)) for item in items]
        keyed = [(item, sort_key) for item, sort_key in keyed if sort_key is not None]
        for (one, a), (other, b) in zip(keyed, keyed[1:], strict=False):
            if (a > b) if direction == "asc" else (a < b):
                raise results.Fault(
                    f"search?orderby={key}&dir={direction}: {label(one)} comes before "
                    f"{label(other)}"
                )
        checked += len(keyed)
    if checked < 4:
        raise results.NotApplicable(
            f"too few products with a {key} to check the order: give --search"
        )
    return results.passed(f"{checked} results in order, ascending and descending (2 pages each)")


def _price_of(item: dict[str, Any]) -> Decimal | None:
    text = item.get("formattedPrice")
    return parse_price(text) if isinstance(text, str) else None


def _title_of(item: dict[str, Any]) -> str | None:
    title = item.get("title")
    return fold(title) if isinstance(title, str) else None


def order_by_price(ctx: Context) -> results.Verdict:
    """`orderby=price` with `dir=asc|desc` sorts by the price shown."""
    return _ordered(
        ctx, "price", _price_of, lambda item: f"{item.get('internalId')} {item['formattedPrice']!r}"
    )


def order_by_name(ctx: Context) -> results.Verdict:
    """`orderby=name` with `dir=asc|desc` sorts by title (case and accents ignored)."""
    return _ordered(
        ctx,
        "name",
        _title_of,
        lambda item: f"{item.get('internalId')} {shorten(item['title'], 40)}",
    )


CHECKS: Sequence[results.Check] = (
    results.Check.documented("search.paging", paging),
    results.Check.documented("search.empty", empty_search),
    results.Check.documented("search.start-count", start_count),
    results.Check.documented("search.bad-paging", bad_paging),
    results.Check.documented("search.order.price", order_by_price),
    results.Check.documented("search.order.name", order_by_name),
)
