"""A conformance checker for any oct8ne 2.4 adapter, ours or another platform's, over HTTP."""

from __future__ import annotations

from oct8ne_adapter.checker.context import CheckOptions
from oct8ne_adapter.checker.results import Result, Status
from oct8ne_adapter.checker.runner import CHECKS, Report, run_checks

__all__ = ["CHECKS", "CheckOptions", "Report", "Result", "Status", "run_checks"]
