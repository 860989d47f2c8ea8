"""Checks of `search`: paging, ordering by price and name, and facet counts that are counts."""

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
from oct8ne_adapter.checker.schemas import schema_problems

PAGE = 3
ORDER_PAGE = 20
#: Facet options applied one by one (the first and last of each filter, at most this many).
MAX_SINGLE_OPTIONS = 14
MAX_COMBINED = 3
#: Beyond this page number some adapters refuse paging on purpose: no past-the-end probe.
MAX_PROBED_PAGE = 1_000
#: Parameters of `search` itself, never filters.
RESERVED = frozenset(
    {"search", "page", "pagesize", "start", "count", "orderby", "dir", "locale", "currency"}
    | {"callback", "apitoken"}
)
BAD_PAGING = (
    ("page", "-1"),
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


def _ids(result: Any) -> list[str]:
    return [str(item["internalId"]) for item in result["results"]]


# -- paging ---------------------------------------------------------------------------------


def paging(ctx: Context) -> results.Verdict:
    """Pages are consistent: same total, no overlap, two pages of N are one page of 2N."""
    total = ctx.searched_products()["total"]
    first = ctx.search(("page", "1"), page_size=PAGE)
    second = ctx.search(("page", "2"), page_size=PAGE)
    double = ctx.search(("page", "1"), page_size=2 * PAGE)
    where = describe("search", [("page", "1|2"), ("pageSize", str(PAGE))])
    totals = {first["total"], second["total"], double["total"], total}
    if len(totals) > 1:
        raise results.Fault(f"{where}: total changes with the page: {sorted(totals)}")
    if len(first["results"]) != min(PAGE, total):
        raise results.Fault(f"{where}: page 1 has {len(first['results'])} results of {total}")
    if len(second["results"]) != min(PAGE, max(0, total - PAGE)):
        raise results.Fault(f"{where}: page 2 has {len(second['results'])} results of {total}")
    overlap = sorted(set(_ids(first)) & set(_ids(second)))
    if overlap:
        raise results.Fault(f"{where}: product {overlap[0]} is on pages 1 and 2")
    if _ids(first) + _ids(second) != _ids(double):
        raise results.Fault(
            f"{where}: pages 1+2 {_ids(first) + _ids(second)} are not page 1 of "
            f"{2 * PAGE}: {_ids(double)}"
        )
    past = math.ceil(total / PAGE) + 1
    if past > MAX_PROBED_PAGE:
        return results.passed(f"total {total}; pages 1, 2 and 1 of {2 * PAGE} agree")
    beyond = ctx.search(("page", str(past)), page_size=PAGE)
    if beyond["results"] or beyond["total"] != total:
        raise results.Fault(
            f"search page {past} (past the end): total {beyond['total']}, "
            f"{len(beyond['results'])} results; expected total {total} and none"
        )
    return results.passed(
        f"total {total}; pages 1, 2, 1 of {2 * PAGE} and {past} (past the end) agree"
    )


def start_count(ctx: Context) -> results.Verdict:
    """`start`/`count` (the document's example) page as `page`/`pageSize` do."""
    ctx.searched_products()
    second = _ids(ctx.search(("page", "2"), page_size=PAGE))
    params = [("search", ctx.options.search), ("start", str(PAGE)), ("count", str(PAGE))]
    answer = ctx.call("search", params)
    if 400 <= answer.status < 500 and answer.status != 429:
        return results.warned(f"{answer.request}: refused with HTTP {answer.status}")
    result = answer.expect_json()
    problems = schema_problems("search", result)
    if problems:
        raise results.Fault(f"{answer.request}: " + "; ".join(problems))
    got = _ids(result)
    if got == second:
        return results.passed(f"start={PAGE}&count={PAGE} is page 2 of {PAGE}: {','.join(got)}")
    first = _ids(ctx.search(("page", "1"), page_size=PAGE))
    if got[: len(first)] == first:
        return results.warned(f"{answer.request}: start/count ignored (answers page 1)")
    raise results.Fault(f"{answer.request}: answered {got}, page 2 of {PAGE} is {second}")


def bad_paging(ctx: Context) -> results.Verdict:
    """Malformed paging is refused with a 4xx (or ignored), never a 5xx."""
    refused, ignored = [], []
    for name, value in BAD_PAGING:
        answer = ctx.call("search", [("search", ctx.options.search), (name, value)])
        if answer.status >= 500:
            raise results.Fault(f"{answer.request}: HTTP {answer.status}: {shorten(answer.text)}")
        if answer.status == 200:
            problems = schema_problems("search", answer.expect_json())
            if problems:
                raise results.Fault(f"{answer.request}: " + "; ".join(problems))
            ignored.append(f"{name}={value}")
        else:
            refused.append(f"{name}={value}")
    summary = f"{len(refused)} refused with a 4xx"
    return results.passed(
        summary + (f", answered normally: {', '.join(ignored)}" if ignored else "")
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
            items += ctx.search(*params, page_size=ORDER_PAGE)["results"]
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
        raise results.NotApplicable(f"too few products with a {key} to check the order")
    return results.passed(f"{checked} results in order, ascending and descending (2 pages each)")


def _price_of(item: dict[str, Any]) -> Decimal | None:
    text = item.get("formattedPrice")
    return parse_price(text) if isinstance(text, str) else None


def order_by_price(ctx: Context) -> results.Verdict:
    """`orderby=price` with `dir=asc|desc` sorts by the price shown."""
    return _ordered(
        ctx, "price", _price_of, lambda item: f"{item['internalId']} {item['formattedPrice']!r}"
    )


def order_by_name(ctx: Context) -> results.Verdict:
    """`orderby=name` with `dir=asc|desc` sorts by title (case and accents ignored)."""
    return _ordered(
        ctx,
        "name",
        lambda item: fold(item["title"]),
        lambda item: f"{item['internalId']} {shorten(item['title'], 40)}",
    )


# -- facets ---------------------------------------------------------------------------------


def _picks(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """The first and last option of each filter that can be applied as a parameter."""
    picks: list[tuple[str, dict[str, Any]]] = []
    for available in result["filters"]["available"]:
        if available["param"].lower() in RESERVED:
            continue
        options = available["options"]
        for option in {id(options[0]): options[0], id(options[-1]): options[-1]}.values():
            picks.append((available["param"], option))
    return picks[:MAX_SINGLE_OPTIONS]


def _filtered(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    picks = _picks(ctx.searched_products())
    if not picks:
        raise results.NotApplicable("the search offers no filter to apply")
    return picks


def facet_counts(ctx: Context) -> results.Verdict:
    """Applying a filter option finds exactly the products its `count` promised."""
    picks = _filtered(ctx)
    wrong = []
    for param, option in picks:
        total = ctx.search((param, option["value"]))["total"]
        if total != option["count"]:
            wrong.append(f"{param}={option['value']} says {option['count']}, finds {total}")
    if wrong:
        raise results.Fault(f"{len(wrong)} of {len(picks)} counts wrong: " + "; ".join(wrong[:3]))
    filters = len({param for param, _ in picks})
    return results.passed(
        f"{len(picks)} options of {filters} filters: each count is the total it gives"
    )


def facet_applied(ctx: Context) -> results.Verdict:
    """An applied option is listed in `applied` and no longer offered in `available`."""
    picks = _filtered(ctx)
    notes = []
    for param, option in picks:
        value = str(option["value"])
        result = ctx.search((param, value))
        listed = result["filters"].get("applied", [])
        applied = {(item["param"], str(item["value"])) for item in listed}
        if (param, value) not in applied:
            notes.append(f"{param}={value} is not listed in filters.applied")
        offered = {
            (available["param"], str(choice["value"]))
            for available in result["filters"]["available"]
            for choice in available["options"]
        }
        if (param, value) in offered:
            raise results.Fault(f"search with {param}={value}: still offered in filters.available")
    # The document calls `applied` optional: leaving it out is a warning, not a failure.
    return results.verdict(
        notes[:3], f"{len(picks)} options applied: listed, and not offered again"
    )


def facet_combined(ctx: Context) -> results.Verdict:
    """Counts stay exact with two filters applied together."""
    pairs: list[tuple[str, Any, str, dict[str, Any]]] = []
    for param, option in _filtered(ctx):
        if len(pairs) >= MAX_COMBINED or param in {first for first, _, _, _ in pairs}:
            continue
        narrowed = ctx.search((param, option["value"]))
        second = _second_option(narrowed, param)
        if second is not None:
            pairs.append((param, option["value"], *second))
    if not pairs:
        raise results.NotApplicable("no two filters can be applied together")
    for param, value, other, choice in pairs:
        total = ctx.search((param, value), (other, choice["value"]))["total"]
        if total != choice["count"]:
            raise results.Fault(
                f"search with {param}={value}: {other}={choice['value']} says "
                f"{choice['count']}, applying both finds {total}"
            )
    return results.passed(f"{len(pairs)} pairs of filters: each count is the total it gives")


def _second_option(result: Any, param: str) -> tuple[str, dict[str, Any]] | None:
    for available in result["filters"]["available"]:
        other = available["param"]
        if other != param and other.lower() not in RESERVED:
            return other, available["options"][0]
    return None


CHECKS: Sequence[results.Check] = (
    results.Check.documented("search.paging", paging),
    results.Check.documented("search.start-count", start_count),
    results.Check.documented("search.bad-paging", bad_paging),
    results.Check.documented("search.order.price", order_by_price),
    results.Check.documented("search.order.name", order_by_name),
    results.Check.documented("search.facets.counts", facet_counts),
    results.Check.documented("search.facets.applied", facet_applied),
    results.Check.documented("search.facets.combined", facet_combined),
)
