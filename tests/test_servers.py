"""The servers the CLI starts never log a query string (the request logs are in test_running)."""

from __future__ import annotations

import pytest

from oct8ne_adapter.cli.servers import ACCESS_LOG_FORMAT, without_query


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        (
            "/oct8ne/frame/getOrders?apiToken=t&customerEmail=a@b.c",
            "/oct8ne/frame/getOrders?<query hidden>",
        ),
        ("/oct8ne/frame/search", "/oct8ne/frame/search"),
        (42, 42),
    ],
)
def test_error_lines_lose_the_query(target: object, logged: object) -> None:
    assert without_query(target) == logged


def test_the_access_format_has_neither_request_line_nor_query_nor_referrer() -> None:
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({raw_uri}e)s"):
        assert atom not in ACCESS_LOG_FORMAT
    assert "%(U)s" in ACCESS_LOG_FORMAT
