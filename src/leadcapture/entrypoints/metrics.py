"""The server's Prometheus metrics (`GET /metrics`, or a port of their own with `--metrics-port`).

`ServerMetrics` holds every metric one server process records: requests by route, method and status and
their latency, captures by endpoint, outcome and rule, errors by `ExceptionType`, rate-limit refusals, group
commit batch sizes and commit latency, the async inbox's accepted requests, retries and given-up requests,
and the database connections. The inbox's backlog (pending requests, the oldest one's age) is read from the
database when scraped, so every process answers the same figures for the one shared inbox.

With several processes (`leadcapture serve --workers N`) prometheus_client's multiprocess mode is on: each
process writes its values to files in `PROMETHEUS_MULTIPROC_DIR`, and a scrape of any process (or of the
`--metrics-port`, served by the supervising process) adds them up (adr/0042). Labels hold only bounded sets
(route templates, outcomes, rule ids, exception types, statuses), never lead data or keys.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from litestar import Request, Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from returns.result import Result, Success

from leadcapture.adapters.sqlstore import ConnectionUsage, SQLStoreBase
from leadcapture.core.decision import CaptureReceipt
from leadcapture.core.names import ExceptionType, Outcome
from leadcapture.core.problems import Problem

if TYPE_CHECKING:
    from leadcapture.adapters.inbox import SQLInbox
    from leadcapture.entrypoints.logs import RequestNote

log = logging.getLogger("leadcapture.metrics")

METRICS_PATH: Final = "/metrics"
MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
ASYNC_ENDPOINT: Final = "/lead/capture"
"""The `endpoint` label of captures applied by the async worker: the route that accepted them."""
BATCH_SIZE_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256)
"""Group commit takes at most 256 captures per transaction (`group_commit.MAX_GROUP`)."""
LABELLED_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""HTTP methods counted under their own name; any other a client sends is `other`, so labels stay bounded."""
COMMIT_SECONDS_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""A durable commit takes a fraction of a millisecond to tens of milliseconds; slower is trouble."""


def multiprocess_directory() -> str | None:
    """The folder processes share their values through, when multiprocess mode is on."""
    return os.environ.get(MULTIPROCESS_ENV) or None


class InboxCollector(Collector):
    """The async inbox's backlog, read from the database at each scrape (one inbox for every process)."""

    def __init__(self, inbox: SQLInbox, now: Callable[[], datetime]) -> None:
        """Read `inbox`'s backlog as of `now()`."""
        self._inbox = inbox
        self._now = now

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: registering must not query the database."""
        return ()

    def collect(self) -> Iterable[Metric]:
        """Pending requests and the oldest one's age; nothing when the database does not answer."""
        try:
            backlog = self._inbox.metrics(self._now())
        except Exception:
            log.exception("could not read the async inbox's backlog for /metrics")
            return
        yield GaugeMetricFamily(
            "leadcapture_inbox_pending_requests",
            "Async capture requests accepted and not yet applied (retries waiting included).",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "leadcapture_inbox_oldest_pending_age_seconds",
            "Seconds since the oldest pending async capture request was accepted (0 when none is pending).",
            value=backlog.max_delay_seconds,
        )


_CONNECTIONS_HELP: Final = {
    "open": ("leadcapture_db_connections", "Database connections this server has open."),
    "in_use": (
        "leadcapture_db_connections_in_use",
        "Pooled database connections lent to a transaction or read, or being opened.",
    ),
    "max_open": ("leadcapture_db_connections_max", "The most connections the database pool opens."),
    "waiting": ("leadcapture_db_pool_waiting_requests", "Callers waiting for a pooled database connection."),
}


class ConnectionCollector(Collector):
    """This process's database connections, read at each scrape (one process: its own pool is the truth)."""

    def __init__(self, store: SQLStoreBase) -> None:
        """Read `store`'s connection usage."""
        self._store = store

    def describe(self) -> Iterable[Metric]:
        """Nothing up front."""
        return ()

    def collect(self) -> Iterable[Metric]:
        """One gauge per figure the store knows (SQLite knows only the open connections)."""
        usage = self._store.connection_usage()
        for field, (name, documentation) in _CONNECTIONS_HELP.items():
            value = getattr(usage, field)
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


class ServerMetrics:
    """Every metric one server process records, and the registry a scrape of this process reads."""

    def __init__(self, *, inbox: SQLInbox | None = None, now: Callable[[], datetime] | None = None) -> None:
        """Metrics of a fresh registry; with `inbox` (and a clock `now`) the inbox backlog is scraped too."""
        # A `_created` timestamp per series doubles what is scraped and tells an operator nothing here.
        disable_created_metrics()  # type: ignore[no-untyped-call] # unannotated upstream
        self.multiprocess = multiprocess_directory() is not None
        self.registry = CollectorRegistry()
        self._store: SQLStoreBase | None = None
        registry = self.registry
        self.requests = Counter(
            "leadcapture_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "leadcapture_http_request_duration_seconds",
            "Time from a request's arrival to its answer's last byte, by method and route template.",
            ["method", "route"],
            registry=registry,
        )
        self.requests_in_progress = Gauge(
            "leadcapture_http_requests_in_progress",
            "HTTP requests being handled now (a scrape counts itself).",
            registry=registry,
            multiprocess_mode="livesum",  # with several processes, each one's count while it lives, summed
        )
        self.captures = Counter(
            "leadcapture_captures",
            "Captures applied or rejected, by endpoint, outcome (Created, Updated, Converted, Rejected) and rule id.",
            ["endpoint", "outcome", "rule"],
            registry=registry,
        )
        self.errors = Counter(
            "leadcapture_errors",
            "Error answers, by route template and LeadSquared ExceptionType.",
            ["route", "exception_type"],
            registry=registry,
        )
        self.rate_limit_refusals = Counter(
            "leadcapture_rate_limit_refusals",
            "Requests refused with 429 because their access key was over its rate limit, by route template.",
            ["route"],
            registry=registry,
        )
        self.group_commit_batch_size = Histogram(
            "leadcapture_group_commit_batch_size",
            "Captures committed together in one group-commit transaction.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self.group_commit_duration = Histogram(
            "leadcapture_group_commit_duration_seconds",
            "Time to apply and commit one group-commit transaction.",
            buckets=COMMIT_SECONDS_BUCKETS,
            registry=registry,
        )
        self.inbox_accepted = Counter(
            "leadcapture_inbox_accepted",
            "Async capture requests newly stored in the inbox (replays of an idempotency key not counted).",
            registry=registry,
        )
        self.inbox_retries = Counter(
            "leadcapture_inbox_retries",
            "Async capture requests that met a system fault and were rescheduled by this server's worker.",
            registry=registry,
        )
        self.inbox_given_up = Counter(
            "leadcapture_inbox_given_up",
            "Async capture requests that ended as ERROR after their last retry, in this server's worker.",
            registry=registry,
        )
        self._connection_gauges: dict[str, Gauge] = {}
        self._inbox = InboxCollector(inbox, now) if inbox is not None and now is not None else None
        self.scraped = self._scrape_registry()

    def _scrape_registry(self) -> CollectorRegistry:
        if not self.multiprocess:
            if self._inbox is not None:
                self.registry.register(self._inbox)
            return self.registry
        scraped = CollectorRegistry()
        MultiProcessCollector(scraped)  # type: ignore[no-untyped-call] # prometheus_client leaves it unannotated
        if self._inbox is not None:
            scraped.register(self._inbox)
        return scraped

    def watch_connections(self, store: object) -> None:
        """Report `store`'s database connections (SQL stores only; others have none to report).

        One process reads them at each scrape. Several write theirs to gauges after each request, one gauge
        per figure the store knows, so that a scrape of any process adds them up.
        """
        if not isinstance(store, SQLStoreBase):
            return
        self._store = store
        if not self.multiprocess:
            self.registry.register(ConnectionCollector(store))
            return
        known = store.connection_usage()
        self._connection_gauges = {
            field: Gauge(name, documentation, registry=self.registry, multiprocess_mode="livesum")
            for field, (name, documentation) in _CONNECTIONS_HELP.items()
            if getattr(known, field) is not None
        }

    def refresh_connections(self) -> None:
        """Write this process's connection figures for the other processes' scrapes (multiprocess mode)."""
        if self._connection_gauges and self._store is not None:
            usage: ConnectionUsage = self._store.connection_usage()
            for field, gauge in self._connection_gauges.items():
                value = getattr(usage, field)
                if value is not None:
                    gauge.set(value)

    def request_finished(self, note: RequestNote, status: int, seconds: float) -> None:
        """Count a request answered with `status` after `seconds`, with what its note says it did."""
        method = note.method if note.method in LABELLED_METHODS else "other"
        self.requests.labels(method, note.route, str(status)).inc()
        self.request_duration.labels(method, note.route).observe(seconds)
        if note.outcome is not None and note.rule is not None:
            self.captures.labels(note.route, note.outcome, note.rule).inc()
        if note.exception_type is not None:
            self.errors.labels(note.route, note.exception_type).inc()
            if note.exception_type == ExceptionType.RATE_LIMITED:
                self.rate_limit_refusals.labels(note.route).inc()
        self.refresh_connections()

    def applied_async(self, result: Result[CaptureReceipt, Problem]) -> None:
        """Count a capture the async worker applied or rejected, under the endpoint that accepted it."""
        if isinstance(result, Success):
            receipt = result.unwrap()
            self.captures.labels(ASYNC_ENDPOINT, receipt.outcome.value, receipt.decision.explanation.rule).inc()
        else:
            self.captures.labels(ASYNC_ENDPOINT, Outcome.REJECTED.value, result.failure().rule).inc()

    def group_committed(self, size: int, seconds: float) -> None:
        """Record one group-commit transaction of `size` captures that took `seconds`."""
        self.group_commit_batch_size.observe(size)
        self.group_commit_duration.observe(seconds)

    def exposition(self) -> bytes:
        """The scrape's answer: every metric of this server (all its processes in multiprocess mode)."""
        self.refresh_connections()
        return generate_latest(self.scraped)

    def process_exiting(self) -> None:
        """Drop this process's live gauges from the shared files (multiprocess mode), as it stops."""
        if self.multiprocess:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call] # unannotated upstream


def supervisor_registry(inbox: SQLInbox | None, now: Callable[[], datetime] | None) -> CollectorRegistry:
    """What the process supervising several server processes serves on `--metrics-port`: their sum."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call] # unannotated upstream
    if inbox is not None and now is not None:
        registry.register(InboxCollector(inbox, now))
    return registry


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> Callable[[], None]:
    """Serve `registry` over HTTP on `host:port` from a thread (any path answers); the function that stops it."""
    server, thread = start_http_server(port, addr=host, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop


@get(METRICS_PATH, include_in_schema=False)
async def metrics_route(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The server's metrics in Prometheus' text format (no keys needed)."""
    metrics: ServerMetrics = request.app.state.metrics
    body = await anyio.to_thread.run_sync(metrics.exposition)  # the inbox backlog is a database read
    return Response(body, media_type=CONTENT_TYPE_LATEST)
