"""What a check finds: a status and a reason, and the exceptions checks use to say so.

CheckerError                the checker cannot go on as asked
├── InvalidBaseUrl          BASE_URL is not an http(s) URL (http.py)
├── NetworkError            a call got no HTTP answer (http.py)
├── Fault                   a check found the adapter wrong: the check fails
└── NotApplicable           a check cannot run here (no token, nothing found): it is skipped
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from oct8ne_adapter.errors import Oct8neError

if TYPE_CHECKING:
    from oct8ne_adapter.checker.context import Context


class Status(StrEnum):
    """How a check ended; a failure makes the command exit 1."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class CheckerError(Oct8neError):
    """Base of the checker's own errors; the message is one line for the report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Fault(CheckerError):
    """The adapter answered against the protocol."""


class NotApplicable(CheckerError):
    """The check cannot run against this adapter with the options given."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check function returns when it did not raise."""

    status: Status
    reason: str


def passed(reason: str) -> Verdict:
    """A passing verdict."""
    return Verdict(Status.PASS, reason)


def warned(reason: str) -> Verdict:
    """A warning: not wrong by the protocol, but worth knowing."""
    return Verdict(Status.WARN, reason)


def verdict(notes: list[str], reason: str) -> Verdict:
    """A warning listing `notes` if there are any, a pass with `reason` otherwise."""
    return warned("; ".join(notes)) if notes else passed(reason)


@dataclass(frozen=True, slots=True)
class Check:
    """One named check."""

    id: str
    title: str
    run: Callable[[Context], Verdict]

    @classmethod
    def documented(cls, id: str, run: Callable[[Context], Verdict]) -> Check:
        """A check titled by the first line of its function's docstring."""
        return cls(id, (run.__doc__ or id).strip(), run)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one check."""

    id: str
    title: str
    status: Status
    reason: str
