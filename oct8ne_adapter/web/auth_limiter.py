"""The failed-authentication limiter: every token or secret check reports to it.

oct8ne's servers call the token methods (getOrders, getOrderDetails, getSalesReport) for many
agents from a few addresses, so a per-address limit on those calls would throttle oct8ne
itself. This limiter counts only *failed* checks per address: a request with a valid token or
secret is always answered, and once an address has failed `auth_failure_limit` checks in the
current window its failed checks are answered 429 (`retryAfter`: the window's end) instead of
`[]`, without another write. What keeps a token from being guessed is its length (32+ random
characters); the limiter bounds the cost and the noise of failed attempts, tells the caller
to stop, and never locks oct8ne out because a neighbour behind the same address failed.

Counters are shared by every worker and host: in Redis when `ratelimit_storage` is a
`redis://` URL, otherwise in the adapter's SQL database (a write per failure only, a read per
failed check), otherwise (a shop's own repository without our database) in this process.
Windows are fixed: `10/minute` allows ten failures per address in each clock minute.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from oct8ne_adapter.errors import TooManyFailures

if TYPE_CHECKING:
    from oct8ne_adapter.settings import Settings
    from oct8ne_adapter.sql.database import Database

log = logging.getLogger(__name__)

#: The prefix of the limiter's keys in Redis.
REDIS_PREFIX = "oct8ne:authfail"
#: Seconds to wait for Redis: a check must never hang a request.
REDIS_TIMEOUT = 2.0


class FailureCounter(Protocol):
    """Where failures are counted: per address and window (its start, in Unix seconds)."""

    def failures(self, address: str, window_start: int) -> int:
        """Failures counted for `address` in the window starting at `window_start`."""
        ...

    def add_failure(self, address: str, window_start: int) -> None:
        """Count one failure of `address` in that window."""
        ...


class MemoryFailureCounter:
    """Counters in this process only: for apps with neither Redis nor the adapter's database."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def failures(self, address: str, window_start: int) -> int:
        """Failures counted for `address` in that window."""
        with self._lock:
            return self._counts.get((address, window_start), 0)

    def add_failure(self, address: str, window_start: int) -> None:
        """Count one failure; forget past windows."""
        with self._lock:
            for key in [key for key in self._counts if key[1] < window_start]:
                del self._counts[key]
            key = (address, window_start)
            self._counts[key] = self._counts.get(key, 0) + 1


class RedisFailureCounter:
    """Counters in Redis, shared by every worker and host; each expires after its window."""

    def __init__(self, url: str, window_seconds: int) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self.window_seconds = window_seconds

    @staticmethod
    def key(address: str, window_start: int) -> str:
        """The Redis key of one address's counter in one window."""
        return f"{REDIS_PREFIX}:{window_start}:{address}"

    def failures(self, address: str, window_start: int) -> int:
        """Failures counted for `address` in that window."""
        return int(self.client.get(self.key(address, window_start)) or 0)

    def add_failure(self, address: str, window_start: int) -> None:
        """Count one failure (INCR), the key expiring when its window is over."""
        key = self.key(address, window_start)
        with self.client.pipeline(transaction=True) as pipeline:
            pipeline.incr(key)
            pipeline.expire(key, self.window_seconds + 1)
            pipeline.execute()


class AuthLimiter:
    """Refuses an address that failed too many checks in the current window."""

    def __init__(
        self,
        limit: int,
        window_seconds: int,
        counter: FailureCounter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.counter = counter
        self.clock = clock

    def _window(self) -> tuple[int, float]:
        now = self.clock()
        return int(now // self.window_seconds) * self.window_seconds, now

    def check(self, address: str) -> int | None:
        """None if `address` may try; else the seconds until it may (its window's end)."""
        window_start, now = self._window()
        try:
            failures = self.counter.failures(address, window_start)
        except Exception:  # noqa: BLE001  (a broken counter store must not refuse anyone)
            log.warning("failed-authentication counters unreadable", exc_info=True)
            return None
        if failures < self.limit:
            return None
        return max(1, math.ceil(window_start + self.window_seconds - now))

    def record_failure(self, address: str) -> None:
        """Count one failed check of `address`."""
        window_start, _ = self._window()
        try:
            self.counter.add_failure(address, window_start)
        except Exception:  # noqa: BLE001
            log.warning("failed-authentication counter not written", exc_info=True)

    def verdict(self, address: str, valid: bool) -> None:
        """After a token or secret check: pass a valid one; count or refuse a failed one.

        Raises TooManyFailures when `address` is over its limit (the failure is then not
        counted again: a refused address costs one read per request, no write).
        """
        if valid:
            return
        wait = self.check(address)
        if wait is not None:
            raise TooManyFailures(wait)
        self.record_failure(address)


class AuthGuard(Protocol):
    """What a token or secret check reports to (an AuthLimiter, or NoLimit)."""

    def verdict(self, address: str, valid: bool) -> None:
        """Pass a valid check; count a failed one, or raise TooManyFailures."""
        ...


class NoLimit:
    """The limiter when rate limits are switched off (`ratelimit_enabled = false`)."""

    def verdict(self, address: str, valid: bool) -> None:
        """Nothing is ever refused."""


def auth_limiter(settings: Settings, database: Database | None) -> AuthGuard:
    """The limiter the settings ask for, counting where the workers can share the counts."""
    from limits import parse

    if not settings.ratelimits.enabled:
        return NoLimit()
    item = parse(settings.ratelimits.auth_failures)
    window = int(item.get_expiry())
    storage = settings.ratelimits.storage
    counter: FailureCounter
    if storage.startswith(("redis://", "rediss://")):
        counter = RedisFailureCounter(storage, window)
    elif database is not None:
        from oct8ne_adapter.sql.auth_failures import SqlFailureCounter

        counter = SqlFailureCounter(database)
    else:
        counter = MemoryFailureCounter()
    return AuthLimiter(item.amount, window, counter)
