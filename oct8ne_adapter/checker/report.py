"""The report: a table for people (coloured on a terminal) or JSON for machines."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from typing import Any

import click

from oct8ne_adapter.checker.results import Check, Result, Status
from oct8ne_adapter.checker.runner import Report

STYLES: dict[Status, dict[str, Any]] = {
    Status.PASS: {"fg": "green"},
    Status.WARN: {"fg": "yellow", "bold": True},
    Status.FAIL: {"fg": "red", "bold": True},
    Status.SKIP: {"fg": "cyan"},
}


class TableWriter:
    """Writes one row per check as it finishes, aligned on the longest check id."""

    def __init__(self, checks: Sequence[Check], *, color: bool, width: int | None = None) -> None:
        self.id_width = max(len(check.id) for check in checks)
        self.color = color
        # Wrap only on a terminal; a log or a pipe gets one line per check, easy to grep.
        self.width = (
            width if width is not None else (shutil.get_terminal_size().columns if color else 0)
        )

    def header(self, base_url: str) -> str:
        """The line above the table."""
        return f"oct8ne adapter check: {base_url}\n"

    def row(self, result: Result) -> str:
        """One check: status, id, reason."""
        label = result.status.value.upper().ljust(4)
        if self.color:
            label = click.style(label, **STYLES[result.status])
        lead = f"  {label}  {result.id.ljust(self.id_width)}  "
        indent = 2 + 4 + 2 + self.id_width + 2
        if self.width <= indent + 20:
            return lead + result.reason
        lines = textwrap.wrap(result.reason, self.width - indent) or [""]
        return lead + ("\n" + " " * indent).join(lines)

    def summary(self, report: Report) -> str:
        """The closing line."""
        counts = report.counts()
        parts = [f"{counts[status]} {status.value}" for status in Status]
        line = (
            f"Summary: {', '.join(parts)} ({len(report.results)} checks, "
            f"{report.requests} requests in {report.seconds:.1f} s)"
        )
        if self.color:
            line = click.style(line, **STYLES[Status.FAIL if report.failed else Status.PASS])
        return "\n" + line


def as_json(report: Report) -> str:
    """The report as one JSON document."""
    counts = report.counts()
    document = {
        "adapter": report.base_url,
        "ok": not report.failed,
        "summary": {status.value: counts[status] for status in Status}
        | {"checks": len(report.results), "requests": report.requests},
        "seconds": round(report.seconds, 3),
        "checks": [
            {
                "id": result.id,
                "status": result.status.value,
                "reason": result.reason,
                "title": result.title,
            }
            for result in report.results
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
