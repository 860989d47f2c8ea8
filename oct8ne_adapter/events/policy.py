"""How the relay retries, gives up and paces: its options, the backoff, reasons, rate limits.

Pure rules, no database and no HTTP: the relay's loop (events.relay) and its bookkeeping
(events.ledger) apply them.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.events.sinks.base import Sink
from oct8ne_adapter.settings import RelaySettings

#: Longest reason stored with a delivery (vendor answers can be long).
MAX_REASON = 1_000


@dataclass(frozen=True)
class RelayOptions:
    """How the relay retries, leases and paces; the defaults are the configuration's."""

    timeout: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 12
    max_age: timedelta = timedelta(hours=72)
    backoff_base: float = 2.0
    backoff_max: float = 3600.0
    poll_interval: float = 1.0
    rate_limit_storage: str = "memory://"
    #: Deliveries of a batch sent at the same time. Above 1, a worker killed mid-batch can
    #: leave up to this many requests stored by a vendor but not marked (resent on restart).
    concurrency: int = 1
    #: Delivered marks written together, in one commit: a worker killed mid-batch can leave up
    #: to this many delivered but unmarked (resent on restart, with the same Idempotency-Key).
    mark_batch: int = 1
    #: The longest vendor answer read (bytes, after decompression); longer is retried.
    max_answer_bytes: int = 1_048_576

    @classmethod
    def from_settings(cls, relay: RelaySettings, ratelimit_storage: str) -> RelayOptions:
        """The relay options of the `relay_*` keys; the frame limits' storage as a fallback."""
        return cls(
            timeout=float(relay.timeout),
            lease=timedelta(seconds=relay.lease_seconds),
            max_attempts=relay.max_attempts,
            max_age=timedelta(hours=relay.max_age_hours),
            backoff_base=float(relay.backoff_seconds),
            backoff_max=float(relay.backoff_max_seconds),
            poll_interval=relay.poll_ms / 1000,
            rate_limit_storage=relay.ratelimit_storage or ratelimit_storage,
            concurrency=relay.concurrency,
            mark_batch=relay.mark_batch,
        )

    def check_lease(self) -> None:
        """Refuse a lease too short for a request's answer to come back within it."""
        if self.lease.total_seconds() < 2 * (self.timeout + 1):
            # A worker starts no request whose answer could come after its claim ran out.
            raise ConfigError(
                "relay_lease_seconds must be at least twice relay_timeout + 1 "
                f"({self.lease.total_seconds():g} s for a {self.timeout:g} s timeout)"
            )


def retry_delay(
    options: RelayOptions,
    attempts: int,
    age: timedelta,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds until the next attempt: backoff with jitter, or the vendor's Retry-After.

    Never more than `backoff_max`, whatever the vendor asks (a Retry-After of 10^20 seconds
    or of the year 9999 would otherwise overflow, or park the delivery for ever), and never
    past the delivery's `max_age`: the attempts and the age still run out, and dead-letter it.
    """
    # The exponent is bounded so that a large max_attempts cannot overflow a float.
    exponent = min(attempts - 1, 64)
    backoff = min(options.backoff_max, options.backoff_base * 2.0**exponent)
    # Equal jitter: never less than half the backoff, so a failing vendor is not hammered.
    delay = backoff / 2 + rng.uniform(0, backoff / 2)
    if retry_after is not None and not math.isnan(retry_after):
        delay = max(delay, min(retry_after, options.backoff_max))
    return max(0.0, min(delay, options.max_age.total_seconds() - age.total_seconds()))


def reason_text(text: str) -> str:
    """One line of printable text: a vendor's answer may hold anything (PostgreSQL refuses NUL)."""
    printable = "".join(char if char.isprintable() else " " for char in text[: 4 * MAX_REASON])
    return " ".join(printable.split())[:MAX_REASON]


def error_text(error: Exception) -> str:
    """An unexpected error as `Type: message`, for a delivery's last error."""
    return f"{type(error).__name__}: {error}"


class Throttle:
    """Each sink's requests-per-minute limit, in a `limits` storage (memory or Redis)."""

    def __init__(self, sinks: Iterable[Sink], storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._items = {
            sink.name: RateLimitItemPerMinute(sink.requests_per_minute)
            for sink in sinks
            if sink.requests_per_minute
        }

    def acquire(self, sink: str) -> float:
        """0 if a request may go now (and counts it), else the seconds until one may."""
        item = self._items.get(sink)
        if item is None or self._limiter.hit(item, "oct8ne-relay", sink):
            return 0.0
        reset_at = self._limiter.get_window_stats(item, "oct8ne-relay", sink).reset_time
        return max(0.05, reset_at - time.time())
