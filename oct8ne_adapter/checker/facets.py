"""Checks of search filters: applied at all, counts that are counts, the active filter's group.

The 2.4 document: "the widget will include the value of the active filters in the call", and
"The collection of available filters must include neither the active filter nor those for
which no products exist". DESIGN §3 reads "the active filter" as its whole group, with one
exception: a category drill-down, whose subcategories the widget applies in its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oct8ne_adapter.checker import results
from oct8ne_adapter.checker.context import Context
from oct8ne_adapter.checker.search import RESERVED, total_of

#: Facet options applied one by one (the first and last of each filter, at most this many).
MAX_SINGLE_OPTIONS = 14
MAX_COMBINED = 3
NO_SUCH_VALUE = "oct8ne-check-no-such-value"
#: "The collection of available filters must include neither the active filter nor those for
#: which no products exist" (API 2.4, search): a protocol rule.
ACTIVE_GROUP_LEVEL = results.Level.PROTOCOL


def available(result: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    """(param, options) of each offered filter, read leniently (types are search.json's)."""
    filters = result.get("filters")
    groups = filters.get("available") if isinstance(filters, dict) else None
    found = []
    for group in groups if isinstance(groups, list) else []:
        if isinstance(group, dict) and isinstance(group.get("param"), str):
            options = [o for o in group.get("options") or [] if isinstance(o, dict)]
            if options:
                found.append((group["param"], options))
    return found


def count_of(option: dict[str, Any]) -> int | None:
    """An option's count as a number (a digit string too), None when it has none."""
    count = option.get("count")
    if isinstance(count, str) and count.isdigit():
        return int(count)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _is_drill_down(param: str) -> bool:
    return "categor" in param.lower()


def _picks(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """The first and last option of each filter that can be applied as a parameter."""
    picks: list[tuple[str, dict[str, Any]]] = []
    for param, options in available(result):
        if param.lower() in RESERVED:
            continue
        for option in {id(options[0]): options[0], id(options[-1]): options[-1]}.values():
            picks.append((param, option))
    return picks[:MAX_SINGLE_OPTIONS]


def _filtered(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    picks = _picks(ctx.searched_products())
    if not picks:
        raise _no_facets("no facets: search offers no filter (filters.available is empty)")
    return picks


def _no_facets(message: str) -> results.Fault:
    """One cause for every facet check: the adapter offers no filter at all."""
    return results.Fault(message, level=results.Level.HARDENING, key=("no facets",))


def filters_applied(ctx: Context) -> results.Verdict:
    """A filter value the search did not offer finds nothing: filters are applied."""
    unfiltered = ctx.searched_products()
    total = total_of(unfiltered)
    offered = [param for param, _ in available(unfiltered) if param.lower() not in RESERVED]
    param = offered[0] if offered else "category"
    narrowed = total_of(ctx.search((param, NO_SUCH_VALUE)))
    if not offered:
        ignored = f"; {param}={NO_SUCH_VALUE} still finds {narrowed}" if narrowed else ""
        raise _no_facets(
            f"no facets: search offers no filter (filters.available is empty){ignored}"
        )
    if narrowed:
        raise results.Fault(
            f"search with {param}={NO_SUCH_VALUE} (a value it did not offer) finds "
            f"{narrowed} of {total}: the filter is ignored",
            key=("filters ignored",),
        )
    return results.passed(f"{param}={NO_SUCH_VALUE} finds 0 of {total}")


def facet_counts(ctx: Context) -> results.Verdict:
    """Applying a filter option finds exactly the products its `count` promised."""
    picks = _filtered(ctx)
    wrong = []
    for param, option in picks:
        total = total_of(ctx.search((param, str(option.get("value")))))
        if total != count_of(option):
            wrong.append(f"{param}={option.get('value')} says {option.get('count')}, finds {total}")
    if wrong:
        raise results.Fault(f"{len(wrong)} of {len(picks)} counts wrong: " + "; ".join(wrong[:3]))
    filters = len({param for param, _ in picks})
    return results.passed(
        f"{len(picks)} options of {filters} filters: each count is the total it gives"
    )


def facet_applied(ctx: Context) -> results.Verdict:
    """The active filter is listed in `applied` and its group no longer offered."""
    picks = _filtered(ctx)
    for param, option in picks:
        value = str(option.get("value"))
        result = ctx.search((param, value))
        filters = result.get("filters") if isinstance(result.get("filters"), dict) else {}
        found = filters.get("applied")
        listed: list[Any] = found if isinstance(found, list) else []
        applied = {
            (item.get("param"), str(item.get("value"))) for item in listed if isinstance(item, dict)
        }
        where = f"search with {param}={value}"
        if (param, value) not in applied:
            # The document: "The applied property is optional".
            ctx.flag(
                f"{where}: not listed in filters.applied",
                level=results.Level.HARDENING,
                key=("applied not listed",),
            )
        group = dict(available(result)).get(param, [])
        values = [str(choice.get("value")) for choice in group]
        if value in values:
            raise results.Fault(
                f"{where}: {param}={value} is offered again in filters.available (the 2.4 "
                'document: "must include neither the active filter ...")',
                key=("active filter offered",),
            )
        if values and not _is_drill_down(param):
            ctx.flag(
                f"{where}: the {param} group is still offered ({', '.join(values[:3])}): "
                "DESIGN §3 leaves out the active filter's whole group (only a category "
                "drill-down stays)",
                level=ACTIVE_GROUP_LEVEL,
                key=("active group offered",),
            )
    return results.passed(f"{len(picks)} options applied: listed, and their group not offered")


def facet_combined(ctx: Context) -> results.Verdict:
    """Counts stay exact with two filters applied together."""
    pairs: list[tuple[str, str, str, dict[str, Any]]] = []
    for param, option in _filtered(ctx):
        if len(pairs) >= MAX_COMBINED or param in {first for first, _, _, _ in pairs}:
            continue
        value = str(option.get("value"))
        second = _second_option(ctx.search((param, value)), param)
        if second is not None:
            pairs.append((param, value, *second))
    if not pairs:
        raise results.NotApplicable("no two filters can be applied together: give --search")
    for param, value, other, choice in pairs:
        total = total_of(ctx.search((param, value), (other, str(choice.get("value")))))
        if total != count_of(choice):
            raise results.Fault(
                f"search with {param}={value}: {other}={choice.get('value')} says "
                f"{choice.get('count')}, applying both finds {total}"
            )
    return results.passed(f"{len(pairs)} pairs of filters: each count is the total it gives")


def _second_option(result: Any, param: str) -> tuple[str, dict[str, Any]] | None:
    for other, options in available(result):
        if other != param and other.lower() not in RESERVED:
            return other, options[0]
    return None


CHECKS: Sequence[results.Check] = (
    results.Check.documented("search.filters", filters_applied),
    results.Check.documented("search.facets.counts", facet_counts),
    results.Check.documented("search.facets.applied", facet_applied),
    results.Check.documented("search.facets.combined", facet_combined),
)
