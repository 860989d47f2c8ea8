"""A conformance checker for any oct8ne 2.4 adapter, ours or another platform's, over HTTP."""

from __future__ import annotations

from .command import check_command
from .context import CheckOptions
from .results import Result, Status
from .runner import CHECKS, Report, run_checks

__all__ = ["CHECKS", "CheckOptions", "Report", "Result", "Status", "check_command", "run_checks"]
