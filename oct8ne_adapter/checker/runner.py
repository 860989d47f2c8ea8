"""Runs every check against one adapter; each ends as a result, never as an exception."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oct8ne_adapter.checker import orders, protocol, search
from oct8ne_adapter.checker.context import CheckOptions, Context
from oct8ne_adapter.checker.http import AdapterClient, frame_base
from oct8ne_adapter.checker.results import Check, CheckerError, NotApplicable, Result, Status

log = logging.getLogger(__name__)

#: Every check, in the order it runs and is reported.
CHECKS: Sequence[Check] = (*protocol.CHECKS, *search.CHECKS, *orders.CHECKS, *protocol.EXTRA_CHECKS)


@dataclass(frozen=True, slots=True)
class Report:
    """The results of one run against one adapter."""

    base_url: str
    results: tuple[Result, ...]
    requests: int
    seconds: float

    def counts(self) -> Counter[Status]:
        """How many checks ended with each status."""
        return Counter(result.status for result in self.results)

    @property
    def failed(self) -> bool:
        """Whether any check failed (the command then exits 1)."""
        return any(result.status is Status.FAIL for result in self.results)


def run_check(check: Check, ctx: Context) -> Result:
    """One check's result: its verdict, or what stopped it."""
    try:
        verdict = check.run(ctx)
    except NotApplicable as error:
        return Result(check.id, check.title, Status.SKIP, error.message)
    except CheckerError as error:  # a Fault, or a NetworkError: the adapter's doing
        return Result(check.id, check.title, Status.FAIL, error.message)
    except Exception as error:
        # An answer shaped in a way no check foresaw: reported, never a traceback on screen.
        log.debug("check %s raised", check.id, exc_info=error)
        reason = f"unexpected answer ({type(error).__name__}: {error})"
        return Result(check.id, check.title, Status.FAIL, reason)
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
    )
