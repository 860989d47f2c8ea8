"""Request arguments -> validated domain queries; every rejection names the parameter and why."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel import Locale
from werkzeug.datastructures import MultiDict

from oct8ne_adapter.domain import FilterValue, PriceBasis, SearchQuery, SortField
from oct8ne_adapter.errors import InvalidParameter
from oct8ne_adapter.feeds.records import RESERVED_ATTRIBUTE_CODES
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.pricing import language_chain, parse_locale, price_basis, resolve_currency

#: Parameters of the search method itself; every other one is a filter. They are the names
#: reserved for a feed's attributes, less the built-in filters.
SEARCH_PARAMETERS = RESERVED_ATTRIBUTE_CODES - {"category", "brand", "price", "availability"}

MAX_ID_LENGTH = 64
MAX_SEARCH_TEXT = 10_000
MAX_FILTER_VALUE = 200
MAX_FILTERS = 20
#: The blanks tolerated around a keyword such as `orderby= price `.
BLANKS = " \t\r\n"
#: Deeper pages than this get no rows: nobody pages that far, and OFFSET costs grow with it.
MAX_OFFSET = 100_000
_INTEGER_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Presentation:
    """How to present an answer: the locale, its translation chain and the price currency."""

    locale: Locale
    languages: tuple[str, ...]
    currency: str
    basis: PriceBasis


@dataclass(frozen=True, slots=True)
class Paging:
    """A validated page: skip `offset` rows, return at most `limit`."""

    offset: int
    limit: int

    @property
    def past_window(self) -> bool:
        """Past the paging window: count the matches, fetch no rows."""
        return self.limit == 0


#: A page past the paging window (or past any page there can be): no rows, the true total.
PAST_WINDOW = Paging(offset=0, limit=0)


def arg(args: Mapping[str, str], name: str) -> str | None:
    """A parameter's first value, or None: werkzeug's `get` makes and catches an exception for
    every absent one (most calls have no callback, locale or currency)."""
    return args[name] if name in args else None


def parse_presentation(args: Mapping[str, str], settings: Settings) -> Presentation:
    """`locale` and `currency`; malformed or unknown values fall back to the defaults."""
    default_locale = parse_locale(settings.default_locale, "en-US")
    locale = parse_locale((arg(args, "locale") or "").strip()[:35] or None, settings.default_locale)
    currency = resolve_currency(arg(args, "currency"), settings)
    return Presentation(
        locale=locale,
        languages=language_chain(locale, default_locale),
        currency=currency,
        basis=price_basis(currency, settings),
    )


def parse_product_ids(
    args: Mapping[str, str], settings: Settings, name: str = "productIds"
) -> list[str]:
    """Comma-separated ids, blanks dropped, duplicates removed, order kept, count bounded."""
    seen: dict[str, None] = {}
    for raw in args.get(name, "").split(","):
        product_id = raw.strip()
        # An id longer than any stored id cannot match; skipping it is the same as unknown.
        if product_id and len(product_id) <= MAX_ID_LENGTH and product_id.isprintable():
            seen.setdefault(product_id, None)
    if len(seen) > settings.search.max_product_ids:
        raise InvalidParameter(
            f"{name}: at most {settings.search.max_product_ids} ids per call, got {len(seen)}"
        )
    return list(seen)


#: A whole number too long to be a real page or size: past any window, above any cap.
TOO_LARGE: int = 10**_INTEGER_DIGITS


def _parse_int(args: Mapping[str, str], name: str, default: int) -> int:
    """A whole number as sent (range checks are the caller's fallbacks); long ones are TOO_LARGE."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    text = raw
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise InvalidParameter(f"{name} must be a whole number, got {text[:20]!r}")
    if len(digits) > _INTEGER_DIGITS:
        # Too long to parse cheaply: as large (or as small) as it gets, and then falls back.
        return -TOO_LARGE if text.startswith("-") else TOO_LARGE
    return int(text)


def _page_size(args: Mapping[str, str], name: str, settings: Settings) -> int:
    """A page size: below 1 the default, above the maximum the maximum (as the PHP adapters)."""
    size = _parse_int(args, name, settings.search.default_page_size)
    if size < 1:
        return settings.search.default_page_size
    return min(size, settings.search.max_page_size)


def _lookup(args: Mapping[str, str], *names: str) -> dict[str, str]:
    """The first present spelling of each parameter, under its first name."""
    found: dict[str, str] = {}
    for name in names:
        if name in args:
            found[names[0]] = args[name]
            break
    return found


def parse_paging(args: Mapping[str, str], settings: Settings, *, allow_offset: bool) -> Paging:
    """`page` (1-based) & `pageSize`, or `start` (0-based) & `count`; out-of-range values fall back.

    As the official PHP adapters do, nothing in range is refused: a page below 1 is page 1, a
    size below 1 the default and above the maximum the maximum, and a page past the paging
    window is `PAST_WINDOW` (no rows, the true total). Only a value that is not a whole number
    is refused.
    """
    # Every paging parameter given is checked, also the pair that is not used.
    page = max(1, _parse_int(args, "page", 1))
    page_size = _page_size(args, "pageSize", settings)
    if allow_offset:
        start = max(0, _parse_int(args, "start", 0))
        count = _page_size(args, "count", settings)
    if allow_offset and "start" in args and "page" not in args:
        offset, limit = start, count
    else:
        limit = page_size
        offset = (page - 1) * limit
    if offset > MAX_OFFSET:
        return PAST_WINDOW
    return Paging(offset=offset, limit=limit)


def parse_sort(args: Mapping[str, str]) -> tuple[SortField, bool]:
    """`orderby` (or `orderBy`) and `dir`; an unknown value is the default, as the PHP adapters."""
    raw_sort = _lookup(args, "orderby", "orderBy").get("orderby", "").strip(BLANKS)
    try:
        sort = SortField(raw_sort.lower())
    except ValueError:
        sort = SortField.RELEVANCE
    raw_dir = (args.get("dir") or "").strip(BLANKS).lower()
    return sort, raw_dir == "desc"


def parse_filters(args: MultiDict[str, str]) -> tuple[FilterValue, ...]:
    """Every non-search parameter as a filter; the repository ignores names it does not know."""
    filters: dict[tuple[str, str], None] = {}
    for name, value in args.items(multi=True):
        if name.lower() in SEARCH_PARAMETERS or not value.strip():
            continue
        if len(name) > MAX_FILTER_VALUE or len(value) > MAX_FILTER_VALUE:
            continue
        if not (name.isprintable() and value.isprintable()):
            raise InvalidParameter(f"filter {name[:40]!r} has control characters")
        filters.setdefault((name, value.strip()), None)
    if len(filters) > MAX_FILTERS:
        raise InvalidParameter(f"at most {MAX_FILTERS} filters per search")
    return tuple(FilterValue(param, value) for param, value in filters)


def parse_search(args: MultiDict[str, str], settings: Settings) -> tuple[SearchQuery, Presentation]:
    """The whole search request."""
    presentation = parse_presentation(args, settings)
    paging = parse_paging(args, settings, allow_offset=True)
    sort, descending = parse_sort(args)
    text = args.get("search", "")[:MAX_SEARCH_TEXT]
    query = SearchQuery(
        text=text,
        languages=presentation.languages,
        price_basis=presentation.basis,
        filters=parse_filters(args),
        sort=sort,
        descending=descending,
        offset=paging.offset,
        limit=paging.limit,
        hide_out_of_stock=settings.search.out_of_stock == "hide",
    )
    return query, presentation


def parse_text(args: Mapping[str, str], name: str, max_length: int = 320) -> str:
    """A trimmed text parameter; empty when absent, too long treated as absent."""
    value = args.get(name, "").strip()
    # Over-long or control-character values cannot match anything stored: treat as absent.
    return value if len(value) <= max_length and value.isprintable() else ""


#: getSalesReport covers at most this long a period per call (an older `from` is moved up).
MAX_REPORT_PERIOD = timedelta(days=93)
#: getSalesReport's `from`/`to`: empty (the default), Unix seconds, or a UTC date or time.
REPORT_TIME_PATTERN = (
    r"^([0-9]{1,10}|[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?Z?)?)?$"
)
_REPORT_TIME = re.compile(REPORT_TIME_PATTERN)
_LATEST = datetime(9999, 12, 31, 23, 59, 59)


def _parse_report_time(args: Mapping[str, str], name: str, *, end: bool) -> datetime | None:
    """A time as naive UTC; a date alone is its whole day (so `to=2026-11-26` includes it).

    A day past the end of its month runs on into the next (2026-02-30 is 2026-03-02), so every
    value of the documented pattern is a time.
    """
    raw = args.get(name, "")
    if not _REPORT_TIME.fullmatch(raw):
        raise InvalidParameter(
            f"{name} must be a UTC date (2026-11-26), time (2026-11-26T13:07:06Z) or Unix "
            f"seconds, got {raw[:30]!r}"
        )
    if not raw:
        return None
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC).replace(tzinfo=None)
    year, month, day = int(raw[0:4]), int(raw[5:7]), int(raw[8:10])
    clock = raw[11:].rstrip("Z")
    hours, minutes, seconds = (int(part) for part in ((clock or "00:00") + ":00").split(":")[:3])
    try:
        moment = datetime(year, month, 1) + timedelta(
            days=day - 1, hours=hours, minutes=minutes, seconds=seconds
        )
        return moment + timedelta(days=1) if end and not clock else moment
    except OverflowError:
        return _LATEST


def parse_report_period(
    args: Mapping[str, str], now: datetime | None = None
) -> tuple[datetime, datetime]:
    """getSalesReport's `from` and `to` as naive UTC [start, end); the last day by default.

    `from` after `to` is an empty period; one longer than 93 days is its last 93 days.
    """
    end = _parse_report_time(args, "to", end=True)
    start = _parse_report_time(args, "from", end=False)
    if end is None:
        end = now or datetime.now(UTC).replace(tzinfo=None)
    earliest = _before(end, MAX_REPORT_PERIOD)
    if start is None:
        start = _before(end, timedelta(days=1))
    return min(max(start, earliest), end), end


def _before(moment: datetime, span: timedelta) -> datetime:
    try:
        return moment - span
    except OverflowError:
        return datetime.min
