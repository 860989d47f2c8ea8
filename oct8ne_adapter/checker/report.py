"""The report: a table for people (coloured on a terminal) or JSON for machines."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from typing import Any

import click

from oct8ne_adapter.checker.results import Check, Level, Result, Status
from oct8ne_adapter.checker.runner import Report

STYLES: dict[Status, dict[str, Any]] = {
    Status.PASS: {"fg": "green"},
    Status.WARN: {"fg": "yellow", "bold": True},
    Status.FAIL: {"fg": "red", "bold": True},
    Status.BLOCKED: {"fg": "magenta"},
    Status.SKIP: {"fg": "cyan"},
}
LABEL_WIDTH = max(len(status.value) for status in Status)
#: How many blocked checks a cause lists by name before counting the rest.
BLOCKED_SHOWN = 8


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
        label = result.status.value.upper().ljust(LABEL_WIDTH)
        if self.color:
            label = click.style(label, **STYLES[result.status])
        lead = f"  {label}  {result.id.ljust(self.id_width)}  "
        indent = 2 + LABEL_WIDTH + 2 + self.id_width + 2
        if self.width <= indent + 20:
            return lead + result.reason
        lines = textwrap.wrap(result.reason, self.width - indent) or [""]
        return lead + ("\n" + " " * indent).join(lines)

    def causes(self, report: Report) -> str:
        """The causes found, most severe first, each with the checks it blocked."""
        if not report.findings:
            return ""
        lines = ["", "Causes, most severe first:"]
        for number, finding in enumerate(report.findings, 1):
            level = finding.level.label.upper()
            if self.color:
                failing = finding.level.value >= report.fail_on.value
                level = click.style(level, **STYLES[Status.FAIL if failing else Status.WARN])
            lines.append(f"  {number}. {level} ({finding.check}) {finding.message}")
            if finding.blocked:
                shown = ", ".join(finding.blocked[:BLOCKED_SHOWN])
                more = len(finding.blocked) - BLOCKED_SHOWN
                lines.append(f"     blocked: {shown}" + (f" and {more} more" if more > 0 else ""))
        return "\n".join(lines)

    def summary(self, report: Report) -> str:
        """The closing line: causes, then checks, then requests."""
        line = summary_line(report)
        if self.color:
            line = click.style(line, **STYLES[Status.FAIL if report.failed else Status.PASS])
        return "\n" + line


def summary_line(report: Report) -> str:
    """`Summary: N causes (...); M checks (...); R requests in S s; fails on LEVEL and above`."""
    causes = report.causes()
    counts = report.counts()
    by_level = ", ".join(f"{causes[level]} {level.label}" for level in Level)
    by_status = ", ".join(f"{counts[status]} {status.value}" for status in Status)
    return (
        f"Summary: {len(report.findings)} causes ({by_level}); "
        f"{len(report.results)} checks ({by_status}); "
        f"{report.requests} requests in {report.seconds:.1f} s; "
        f"fails on {report.fail_on.label} and above"
    )


def as_json(report: Report) -> str:
    """The report as one JSON document."""
    causes = report.causes()
    counts = report.counts()
    document = {
        "adapter": report.base_url,
        "ok": not report.failed,
        "fail_on": report.fail_on.label,
        "worst": report.worst.label if report.worst else None,
        "summary": {
            "causes": {level.label: causes[level] for level in Level},
            "checks": {status.value: counts[status] for status in Status},
            "requests": report.requests,
        },
        "seconds": round(report.seconds, 3),
        "causes": [
            {
                "level": finding.level.label,
                "message": finding.message,
                "check": finding.check,
                "blocked": list(finding.blocked),
            }
            for finding in report.findings
        ],
        "checks": [
            {
                "id": result.id,
                "status": result.status.value,
                "level": result.level.label if result.level else None,
                "reason": result.reason,
                "title": result.title,
            }
            for result in report.results
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
