"""What a vendor sink is: a pure translation of events into requests, and of answers into verdicts.

Sinks do no I/O: the relay sends the requests, in order, and asks the sink what each answer
means. `requests_for` must be deterministic (same event and context, same requests), because
after a crash the relay rebuilds the list and resumes at the first request not yet delivered.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from oct8ne_adapter.errors import Oct8neError
from oct8ne_adapter.events.model import CommerceEvent, EventContext


class InvalidPayload(Oct8neError):
    """The event cannot become a request this vendor accepts: dead-letter it with this reason."""


@dataclass(frozen=True)
class OutboundRequest:
    """One HTTP request to a vendor."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    #: Seconds to wait for the answer (a vendor may recommend one, e.g. Optico's 5 s); None: the
    #: relay's default.
    timeout_seconds: float | None = None


class Outcome(enum.Enum):
    """What a vendor's answer means for the delivery."""

    #: Stored by the vendor (or already was, e.g. Alhena ORDER_ALREADY_EXISTS).
    DELIVERED = "delivered"
    #: A transient failure: try again later (5xx, 429, timeouts).
    RETRY = "retry"
    #: The vendor refused it for good (validation errors, Optico {"status": "error"}).
    REJECTED = "rejected"


@dataclass(frozen=True)
class Verdict:
    """An outcome, the reason in the vendor's words, and how long to wait before a retry."""

    outcome: Outcome
    reason: str = ""
    retry_after_seconds: float | None = None


class Sink(Protocol):
    """One vendor."""

    #: Stable name, stored with each delivery: "oct8ne", "octocom", "alhena", "optico", "pa".
    name: str
    #: At most this many requests per minute across all workers, None for no limit.
    requests_per_minute: int | None

    def requests_for(self, event: CommerceEvent, context: EventContext) -> list[OutboundRequest]:
        """The requests that deliver this event, in order; [] if this vendor does not take it."""
        ...

    def verdict(
        self, request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
    ) -> Verdict:
        """What this answer to this request means."""
        ...
