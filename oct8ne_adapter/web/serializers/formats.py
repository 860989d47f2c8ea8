"""Formatting shared by every payload: dates, plain amounts, HTML descriptions, absolute URLs."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from markupsafe import escape

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_LOOKS_LIKE_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
#: An absolute http(s) URL that urljoin gives back unchanged: no parameters, query or fragment
#: delimiters it could drop when empty, no IPv6 brackets, no characters it would strip.
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9._~%!$&()*+,=:@-]+(?:/[A-Za-z0-9._~%!$&()*+,=:@/-]*)?"
)
#: A root-relative path that urljoin only prefixes with the base's origin: as above, and no
#: empty, `.` or `..` segments, which it would remove or resolve.
_PLAIN_ROOT_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~%!$&()*+,=:@-]+)+/?")

Json = dict[str, Any]


def description_html(text: str) -> str:
    """Descriptions are shown as HTML: plain text is escaped and its line breaks become <br/>."""
    html = text if _LOOKS_LIKE_HTML.search(text) else str(escape(text))
    return html.replace("\r\n", "\n").replace("\n", "<br/>")


def format_date(moment: datetime | None) -> str:
    """`YYYY-MM-DD HH:MM:SS`, or an empty string."""
    return "" if moment is None else moment.strftime(DATE_FORMAT)


def utc_timestamp(moment: datetime) -> str:
    """A naive UTC time as the platform adapters send it: `2026-11-26 13:07:06`."""
    return moment.strftime(DATE_FORMAT)


def plain_amount(amount: Decimal) -> str:
    """A machine-readable amount: `1500.00`."""
    return format(amount, "f")


def json_amount(amount: Decimal) -> float:
    """An amount as a JSON number, as the platform adapters send cart and report amounts.

    Amounts of up to 15 significant digits survive the float: orjson writes its shortest text,
    which reads back as the same decimal (`179.8` for `179.80`).
    """
    return float(amount)


def absolute_url(base: str, url: str) -> str:
    """`urljoin(base, url)`, without parsing the common cases: absolute and root-relative URLs."""
    # urljoin parses both URLs on every call: a third of productInfo's serialization time.
    if _PLAIN_ABSOLUTE_URL.fullmatch(url):
        return url
    if _PLAIN_ROOT_PATH.fullmatch(url):
        origin = _origin(base)
        if origin is not None:
            return origin + url
    return urljoin(base, url)


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    """`https://host` of an http(s) base URL that urljoin treats plainly, else None."""
    if not _PLAIN_ABSOLUTE_URL.fullmatch(base):
        return None
    scheme, netloc, *_ = urlsplit(base)
    return f"{scheme}://{netloc}"
