"""The adapter's Prometheus figures: counted in each process, or read from the database.

Imported only when metrics are on (see `web/metrics.py`), because prometheus_client chooses its
multiprocess mode when it is first imported: under gunicorn `oct8ne-adapter serve` sets
PROMETHEUS_MULTIPROC_DIR before the app is built, every worker writes its counts to files
there, and a scrape answered by any worker adds up all of them. Without that variable (a shop's
own single-process server, the tests) each app counts in its own registry.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime

from oct8ne_adapter.errors import ConfigError, DataSourceUnavailable
from oct8ne_adapter.events.stats import relay_figures
from oct8ne_adapter.sql.catalog_changes import CatalogVersion, catalog_version
from oct8ne_adapter.sql.database import Database

try:
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        generate_latest,
        values,
    )
    from prometheus_client.core import GaugeMetricFamily, Metric
    from prometheus_client.multiprocess import MultiProcessCollector
    from prometheus_client.registry import Collector
except ImportError as missing:  # the `metrics` extra
    raise ConfigError(
        "metrics_enabled needs prometheus-client: pip install 'oct8ne-adapter[metrics]'"
    ) from missing

log = logging.getLogger(__name__)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
INDEX_SEQ = "oct8ne_search_index_change_seq"
#: Frame latency buckets in seconds: the index answers in milliseconds, SQL searches in tens.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_directory() -> str | None:
    """The directory of the multiprocess mode, or None when this process counts alone."""
    directory = os.environ.get(MULTIPROCESS_VARIABLE)
    active = bool(getattr(values.ValueClass, "_multiprocess", False))
    if directory and not active:
        raise ConfigError(
            f"{MULTIPROCESS_VARIABLE} was set after prometheus_client was first imported: "
            "set it before the process starts"
        )
    if active and not (directory and os.path.isdir(directory)):
        raise ConfigError(f"{MULTIPROCESS_VARIABLE} must name an existing directory")
    return directory if active else None


class _Families(Collector):
    """A registry-like holder of metric families already collected, for `generate_latest`."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        """The families, as a registry yields them."""
        return self.families


class AppMetrics:
    """One app's metrics: the frame's calls, refusals, failed checks, index, relay and outbox."""

    def __init__(self, database: Database | None) -> None:
        self.database = database
        self.directory = multiprocess_directory()
        # In the multiprocess mode the values live in the directory's files, which a scrape
        # reads; registering them too would count every value twice.
        self.registry: CollectorRegistry | None = None if self.directory else CollectorRegistry()
        labels = ("method", "status")
        self.requests = Counter(
            "oct8ne_frame_requests",
            "Frame calls answered, by method and HTTP status.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "oct8ne_frame_request_duration_seconds",
            "Time to answer a frame call, by method and HTTP status.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.refusals = Counter(
            "oct8ne_ratelimit_refusals",
            "Frame calls refused with 429 Too Many Requests, by method.",
            ("method",),
            registry=self.registry,
        )
        self.failures = Counter(
            "oct8ne_failed_authentications",
            "Failed token or secret checks, by credential (api_token, events_secret, ...).",
            ("credential",),
            registry=self.registry,
        )
        self._index_seq: Gauge | None = None
        self._index_lock = threading.Lock()

    def frame_answered(self, method: str, status: int, seconds: float) -> None:
        """Count one answered frame call."""
        self.requests.labels(method, str(status)).inc()
        self.latency.labels(method, str(status)).observe(seconds)
        if status == 429:
            self.refusals.labels(method).inc()

    def failed_authentication(self, credential: str) -> None:
        """Count one failed token or secret check."""
        self.failures.labels(credential).inc()

    def index_caught_up(self, version: Hashable) -> None:
        """This process's search index now answers at `version` of the change log."""
        if not isinstance(version, CatalogVersion):
            return
        with self._index_lock:
            if self._index_seq is None:
                # Made on the first catch-up, never in gunicorn's master (which searches
                # nothing): a master's value would be the smallest of the live processes.
                self._index_seq = Gauge(
                    INDEX_SEQ,
                    "Last change-log entry this process's search index has applied.",
                    registry=self.registry,
                    multiprocess_mode="livemin",
                )
            self._index_seq.set(version.last_seq)

    def process_families(self) -> list[Metric]:
        """What the processes counted: every worker's in the multiprocess mode."""
        if self.directory is not None:
            collector = MultiProcessCollector(None, path=self.directory)  # type: ignore[no-untyped-call]
            return list(collector.collect())  # type: ignore[no-untyped-call]
        assert self.registry is not None
        return list(self.registry.collect())

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition of every figure, and its content type."""
        families = self.process_families()
        applied = [
            sample.value
            for family in families
            if family.name == INDEX_SEQ
            for sample in family.samples
        ]
        if self.database is not None:
            families += database_families(self.database, min(applied) if applied else None)
        return generate_latest(_Families(families)), CONTENT_TYPE_LATEST


def database_families(database: Database, applied_seq: float | None) -> list[Metric]:
    """The change log's head, the index's lag behind it, the relay's deliveries and outbox."""
    up = GaugeMetricFamily(
        "oct8ne_metrics_database_up", "1 if the database answered this scrape's queries, else 0."
    )
    try:
        with database.session() as session:
            head = catalog_version(session)
        relay = relay_figures(database)
    except DataSourceUnavailable:
        log.warning("metrics: the database did not answer; its figures are left out")
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    families: list[Metric] = [
        up,
        _gauge("oct8ne_catalog_change_seq", "Last entry of the catalog change log.", head.last_seq),
    ]
    if applied_seq is not None:
        families.append(
            _gauge(
                "oct8ne_search_index_lag",
                "Change-log entries the most behind live search index has not applied yet.",
                max(0.0, head.last_seq - applied_seq),
            )
        )
    deliveries = GaugeMetricFamily(
        "oct8ne_relay_deliveries",
        "Deliveries in the relay's ledger by vendor and state (pending, delivered, dead); "
        "relay purge deletes finished ones.",
        labels=("vendor", "state"),
    )
    for (sink, state), count in sorted(relay.deliveries.items()):
        deliveries.add_metric([sink, state], count)
    age = 0.0
    if relay.oldest_pending_at is not None:
        now = datetime.now(UTC).replace(tzinfo=None)
        age = max(0.0, (now - relay.oldest_pending_at).total_seconds())
    families += [
        deliveries,
        _gauge(
            "oct8ne_outbox_pending_events",
            "Recorded events with at least one delivery still pending.",
            relay.pending_events,
        ),
        _gauge(
            "oct8ne_outbox_oldest_pending_age_seconds",
            "Age of the oldest event with a pending delivery (0 when none is pending).",
            age,
        ),
    ]
    return families


def _gauge(name: str, documentation: str, value: float) -> Metric:
    """A gauge family of one unlabelled sample."""
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family
