"""ISO 8601 text to aware UTC datetimes (`oct8ne_adapter.moments`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oct8ne_adapter.moments import utc_moment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("2026-12-01T10:00+01:00", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        # Without an offset a time is UTC (Merchant Center reads it so; so does our events API).
        ("2026-12-01T10:00", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        (" 2026-12-01 ", datetime(2026, 12, 1, tzinfo=UTC)),
        # Before year 1 in UTC: the earliest time, for the caller's range check to refuse.
        ("0001-01-01T00:00+05:00", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:00-05:00", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_reads_iso_8601_as_utc(text: str, expected: datetime) -> None:
    assert utc_moment(text) == expected


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01", "2026-12-01T25:00Z"])
def test_refuses_what_is_no_time(text: str) -> None:
    with pytest.raises(ValueError):
        utc_moment(text)
