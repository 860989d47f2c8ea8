"""What a check finds: faults with a level, results per check, and the exceptions checks raise.

CheckerError                the checker cannot go on as asked
├── InvalidBaseUrl          BASE_URL is not an http(s) URL (http.py)
├── Fault                   the adapter is wrong: a cause, at a level, reported once
│   └── NetworkError        a call got no HTTP answer (http.py)
└── NotApplicable           a check cannot run here (no token, nothing found): it is skipped
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

from oct8ne_adapter.errors import Oct8neError

if TYPE_CHECKING:
    from oct8ne_adapter.checker.context import Context


class Status(StrEnum):
    """How a check ended; a FAIL at or above `--fail-on` makes the command exit 1."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    BLOCKED = "blocked"
    SKIP = "skip"


class Level(Enum):
    """How much a fault matters, highest first in the report (value: its rank)."""

    SECURITY = 4  # callback reflection, token bypass, private data, anonymous state changes
    PROTOCOL = 3  # what the 2.4 document or the widget needs
    COMPATIBILITY = 2  # what oct8ne's servers were built against: the platform adapters' formats
    HARDENING = 1  # our own rules beyond the protocol (nosniff, `/**/`): a WARN by default

    @property
    def label(self) -> str:
        """The level as written in reports and given to `--fail-on`."""
        return self.name.lower()

    @classmethod
    def named(cls, label: str) -> Level:
        """The level written `label` (security, protocol, compatibility, hardening)."""
        return cls[label.upper()]


class CheckerError(Oct8neError):
    """Base of the checker's own errors; the message is one line for the report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Fault(CheckerError):
    """The adapter answered against the rules: one cause, identified by `key`, at a `level`.

    Two faults with the same key are one cause: the first check that meets it reports it, the
    others are listed as blocked by it (or, when met on the side, not repeated).
    """

    def __init__(
        self,
        message: str,
        *,
        level: Level = Level.PROTOCOL,
        key: Hashable | None = None,
        unblock: str = "",
    ) -> None:
        super().__init__(message)
        self.level = level
        self.key: Hashable = key if key is not None else message
        self.unblock = unblock  # what would let a blocked check run anyway (an option)

    def blocking(self, unblock: str) -> Fault:
        """The same cause, saying which option lets the checks it blocks run anyway."""
        return Fault(self.message, level=self.level, key=self.key, unblock=unblock)


class NotApplicable(CheckerError):
    """The check cannot run against this adapter with the options given (names the option)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check function returns when it did not raise."""

    status: Status
    reason: str


def passed(reason: str) -> Verdict:
    """A passing verdict."""
    return Verdict(Status.PASS, reason)


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
class Finding:
    """One cause found in the run: where it was first met and which checks it blocked."""

    level: Level
    message: str
    check: str
    blocked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one check (`level` for a FAIL or WARN, `blocked_by` for BLOCKED)."""

    id: str
    title: str
    status: Status
    reason: str
    level: Level | None = None
    blocked_by: str = ""


class Ledger:
    """The causes met in one run, each owned by the check that met it first."""

    def __init__(self) -> None:
        self._faults: dict[Hashable, Fault] = {}
        self._owners: dict[Hashable, str] = {}
        self._blocked: dict[Hashable, list[str]] = {}

    def record(self, fault: Fault, check: str) -> str:
        """Note `fault` met by `check`; the id of the check that owns its cause."""
        if fault.key not in self._owners:
            self._faults[fault.key] = fault
            self._owners[fault.key] = check
            self._blocked[fault.key] = []
        return self._owners[fault.key]

    def block(self, fault: Fault, check: str) -> None:
        """Note that `check` could not run because of `fault`'s cause."""
        blocked = self._blocked[fault.key]
        if check not in blocked and check != self._owners[fault.key]:
            blocked.append(check)

    def owned_by(self, check: str) -> list[Fault]:
        """The causes `check` met first, most severe first."""
        owned = [self._faults[key] for key, owner in self._owners.items() if owner == check]
        return sorted(owned, key=lambda fault: -fault.level.value)

    def findings(self) -> tuple[Finding, ...]:
        """Every cause, most severe first, then in the order met."""
        found = [
            Finding(fault.level, fault.message, self._owners[key], tuple(self._blocked[key]))
            for key, fault in self._faults.items()
        ]
        return tuple(sorted(found, key=lambda finding: -finding.level.value))
