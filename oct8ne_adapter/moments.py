"""Times given as text (ISO 8601) read the one way every part of the adapter reads them."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_moment(text: str) -> datetime:
    """An ISO 8601 date-time as an aware UTC datetime; one without an offset is read as UTC.

    Raises ValueError for text that is no such time. A time whose UTC form lies outside years
    1-9999 (0001-01-01T00:00+05:00) becomes `datetime.min` or `datetime.max` in UTC, so callers
    refuse it with their range check instead of failing on an OverflowError.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        ahead_of_utc = moment.year == datetime.min.year
        return (datetime.min if ahead_of_utc else datetime.max).replace(tzinfo=UTC)
