"""Runs every check against one adapter; each ends as a result, never as an exception."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oct8ne_adapter.checker import extras, facets, orders, products, protocol, search
from oct8ne_adapter.checker.context import CheckOptions, Context
from oct8ne_adapter.checker.http import AdapterClient, frame_base
from oct8ne_adapter.checker.results import (
    Check,
    Fault,
    Finding,
    Level,
    NotApplicable,
    Result,
    Status,
    Verdict,
)

log = logging.getLogger(__name__)

#: Every check, in the order it runs and is reported.
CHECKS: Sequence[Check] = (
    *protocol.CHECKS,
    *products.CHECKS,
    *search.CHECKS,
    *facets.CHECKS,
    *orders.CHECKS,
    *extras.CHECKS,
)


@dataclass(frozen=True, slots=True)
class Report:
    """The results of one run against one adapter, and the causes behind them."""

    base_url: str
    results: tuple[Result, ...]
    requests: int
    seconds: float
    findings: tuple[Finding, ...] = ()
    fail_on: Level = Level.PROTOCOL

    def counts(self) -> Counter[Status]:
        """How many checks ended with each status."""
        return Counter(result.status for result in self.results)

    def causes(self) -> Counter[Level]:
        """How many causes were found at each level."""
        return Counter(finding.level for finding in self.findings)

    @property
    def worst(self) -> Level | None:
        """The highest level found, None when nothing was."""
        return max((f.level for f in self.findings), key=lambda level: level.value, default=None)

    @property
    def failed(self) -> bool:
        """Whether a cause at or above `fail_on` was found (the command then exits 1)."""
        return self.worst is not None and self.worst.value >= self.fail_on.value


def run_check(check: Check, ctx: Context) -> Result:
    """One check's result: its verdict, what it found, or the cause that blocked it."""
    ctx.current = check.id
    verdict: Verdict | None = None
    try:
        verdict = check.run(ctx)
    except NotApplicable as error:
        verdict = Verdict(Status.SKIP, error.message)
    except Fault as fault:  # a Fault or a NetworkError: the adapter's doing
        owner = ctx.ledger.record(fault, check.id)
        if owner != check.id:
            ctx.ledger.block(fault, check.id)
            hint = f" ({fault.unblock})" if fault.unblock else ""
            reason = f"blocked by {owner}: {fault.message}{hint}"
            return Result(check.id, check.title, Status.BLOCKED, reason, fault.level, owner)
    except Exception as error:
        # An answer shaped in a way no check foresaw: reported, never a traceback on screen.
        log.debug("check %s raised", check.id, exc_info=error)
        reason = f"unexpected answer ({type(error).__name__}: {error})"
        ctx.ledger.record(Fault(reason, key=("unexpected", check.id)), check.id)
    owned = ctx.ledger.owned_by(check.id)
    if owned:
        worst = owned[0].level
        status = Status.FAIL if worst.value >= ctx.options.fail_on.value else Status.WARN
        reason = "; ".join(f"[{fault.level.label}] {fault.message}" for fault in owned)
        return Result(check.id, check.title, status, reason, worst)
    assert verdict is not None  # no verdict means a fault was raised, and it is owned here
    return Result(check.id, check.title, verdict.status, verdict.reason)


def run_checks(
    options: CheckOptions,
    *,
    checks: Sequence[Check] = CHECKS,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Run `checks` against the adapter at `options.base_url` (a frame base or a shop root)."""
    base_url = frame_base(options.base_url)
    client = AdapterClient(base_url, timeout=options.timeout)
    ctx = Context(options=options, client=client)
    started = time.monotonic()
    results = []
    try:
        for check in checks:
            result = run_check(check, ctx)
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        client.close()
    return Report(
        base_url=base_url,
        results=tuple(results),
        requests=client.requests_sent,
        seconds=time.monotonic() - started,
        findings=ctx.ledger.findings(),
        fail_on=options.fail_on,
    )
