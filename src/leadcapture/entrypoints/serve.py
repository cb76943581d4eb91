"""Building the HTTP app from settings, for `leadcapture serve` and for uvicorn's worker processes."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import Final

import msgspec
from litestar import Litestar
from returns.result import Failure

from leadcapture.adapters import DEFAULT_DATABASE_URL, open_store
from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.keystore import SQLKeyStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.config import load_schema
from leadcapture.core.schema import DEFAULT_SCHEMA
from leadcapture.entrypoints.async_capture import InboxAcceptor
from leadcapture.entrypoints.http import create_app
from leadcapture.entrypoints.logs import LogFormat, configure_logging, uvicorn_log_config
from leadcapture.entrypoints.metrics import (
    MULTIPROCESS_ENV,
    ServerMetrics,
    multiprocess_directory,
    serve_metrics,
    supervisor_registry,
)
from leadcapture.entrypoints.ratelimit import RateLimit
from leadcapture.entrypoints.worker import (
    DEFAULT_RETRY_SCHEDULE,
    CaptureWorker,
    parse_delays,
    parse_duration,
    run_workers,
)
from leadcapture.runtime import SystemClock
from leadcapture.service import Engine

SETTINGS_ENV: Final = "LEADCAPTURE_SERVE_SETTINGS"
ACCEPT_FIRST_SECONDS: Final = 0.5
"""How long the in-process worker lets waiting async requests be accepted before its next round."""
DEFAULT_SHUTDOWN_SECONDS: Final = 25
"""How long a stopping server lets requests in flight finish: within the 30 s most supervisors wait (adr/0044)."""


class ServeSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What `leadcapture serve` was asked for; passed to worker processes as JSON in the environment."""

    database: str = DEFAULT_DATABASE_URL
    rate_limit: str = "25/5s"
    site_rate_limit: str = "30/60s"
    bulk_rate_limit: str = "5/5s"
    public_url: str | None = None
    """The address clients reach the server at (`UserByAccessKey.Get` answers its host, R-L9)."""
    rate_limit_storage: str = "memory://"
    config: str | None = None
    group_commit: bool = True
    baseline_route: bool = False
    worker: bool = True
    """Run the async capture worker in this process (`--no-worker` leaves it to `leadcapture worker`)."""
    worker_concurrency: int = 1
    retry_delays: str = DEFAULT_RETRY_SCHEDULE
    keep_finished: str = "7d"
    log_format: LogFormat = "text"
    metrics_route: bool = True
    """Serve `GET /metrics` beside the API (off when the metrics have a port of their own)."""
    metrics_port: int | None = None
    """Serve the metrics on this port from this process (one process; several are summed by their supervisor)."""
    metrics_host: str = "127.0.0.1"
    shutdown_seconds: int = DEFAULT_SHUTDOWN_SECONDS
    """How long requests in flight, then the in-process worker's round, may take when the server stops."""


def build_app(settings: ServeSettings) -> Litestar:
    """The app over the database and schema config that `settings` name."""
    configure_logging(settings.log_format)
    schema = DEFAULT_SCHEMA
    if settings.config is not None:
        loaded = load_schema(settings.config)
        if isinstance(loaded, Failure):  # the command checks the config before starting workers
            raise SystemExit(loaded.failure().message)
        schema = loaded.unwrap()
    # Checkpoints off the commits: a group's answers never wait for the log's copy (adr/0061).
    store = open_store(settings.database, background_checkpoints=True)
    engine = Engine(store=store, schema=schema)
    inbox = SQLInbox(store)
    metrics = ServerMetrics(inbox=inbox, now=engine.now)
    metrics.watch_connections(store)
    app = create_app(
        engine=engine,
        keys=SQLKeyStore(settings.database),
        rate_limit=RateLimit.parse(settings.rate_limit),
        site_rate_limit=RateLimit.parse(settings.site_rate_limit),
        bulk_rate_limit=RateLimit.parse(settings.bulk_rate_limit),
        limiter_storage=settings.rate_limit_storage,
        group_commit=settings.group_commit,
        baseline_route=settings.baseline_route,
        inbox=inbox,
        public_url=settings.public_url,
        metrics=metrics,
        metrics_route_served=settings.metrics_route,
    )
    if settings.worker:
        worker = worker_from_settings(engine, inbox, settings)
        worker.metrics = metrics
        acceptor: InboxAcceptor = app.state.acceptor
        worker.before_round = lambda: acceptor.wait_quiet(ACCEPT_FIRST_SECONDS)
        attach_worker(app, worker, settings.worker_concurrency, finish_within=settings.shutdown_seconds)
    if settings.metrics_port is not None:
        attach_metrics_port(app, metrics, settings.metrics_host, settings.metrics_port)
    app.on_shutdown.append(metrics.process_exiting)
    checkpoints = getattr(store, "checkpoints", None)
    if checkpoints is not None:
        app.on_shutdown.append(checkpoints.close)
    return app


def worker_from_settings(engine: Engine, inbox: SQLInbox, settings: ServeSettings) -> CaptureWorker:
    """The async capture worker the settings ask for."""
    return CaptureWorker(
        engine,
        inbox,
        retry_delays=parse_delays(settings.retry_delays),
        keep_finished=parse_duration(settings.keep_finished),
    )


APP_FACTORY: Final = "leadcapture.entrypoints.serve:app_from_environment"
"""The app factory uvicorn imports in each server process."""


def run_server(  # noqa: PLR0913 - the settings and where to serve them, keyword-only
    settings: ServeSettings,
    *,
    host: str,
    port: int,
    workers: int,
    tls: tuple[str, str] | None = None,
    factory: str = APP_FACTORY,
) -> None:
    """Serve `settings` with uvicorn on `host:port` until stopped (SIGTERM or Ctrl-C stop it gracefully).

    `tls` (a PEM certificate chain file and its key file) serves HTTPS instead of HTTP. `factory` names the
    app factory (`module:function`) each process calls; another one builds on `app_from_environment`.

    With several `workers` (processes) their metrics are added up through prometheus_client's multiprocess
    mode, in `PROMETHEUS_MULTIPROC_DIR` (a new folder removed on exit unless the environment names one),
    and `--metrics-port` is served by this supervising process (adr/0042).
    """
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    made_folder = None
    stop_metrics = None
    supervisor_store = None
    if workers > 1:
        if multiprocess_directory() is None:
            made_folder = tempfile.mkdtemp(prefix="leadcapture-metrics-")
            os.environ[MULTIPROCESS_ENV] = made_folder
        if settings.metrics_port is not None:
            supervisor_store = open_store(settings.database)
            registry = supervisor_registry(SQLInbox(supervisor_store), SystemClock().now)
            stop_metrics = serve_metrics(registry, settings.metrics_host, settings.metrics_port)
            settings = msgspec.structs.replace(settings, metrics_port=None)
    os.environ[SETTINGS_ENV] = msgspec.json.encode(settings).decode()
    try:
        uvicorn.run(
            factory,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=uvicorn_log_config(settings.log_format) or LOGGING_CONFIG,
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_seconds,
            ssl_certfile=tls[0] if tls is not None else None,
            ssl_keyfile=tls[1] if tls is not None else None,
        )
    finally:
        if stop_metrics is not None:
            stop_metrics()
        if supervisor_store is not None:
            supervisor_store.close()
        if made_folder is not None:
            shutil.rmtree(made_folder, ignore_errors=True)


def attach_worker(
    app: Litestar, worker: CaptureWorker, concurrency: int, *, finish_within: float = DEFAULT_SHUTDOWN_SECONDS
) -> None:
    """Run `worker` in a background thread while `app` serves, stopping it when the app shuts down.

    On shutdown the worker finishes the round it is in (a round is one transaction) and starts no other; a
    round that takes longer than `finish_within` seconds is left to roll back as the process exits, its
    requests still pending for the next worker.
    """
    stop = threading.Event()
    store = worker.inbox.store
    database_path = store.path if isinstance(store, SQLiteLeadStore) else None
    runner = threading.Thread(
        target=run_workers,
        args=(worker,),
        kwargs={"concurrency": concurrency, "stop": stop, "database_path": database_path},
        name="capture-worker",
        daemon=True,
    )

    def start() -> None:
        runner.start()

    def finish() -> None:
        stop.set()
        runner.join(timeout=finish_within)

    app.on_startup.append(start)
    app.on_shutdown.append(finish)


def attach_metrics_port(app: Litestar, metrics: ServerMetrics, host: str, port: int) -> None:
    """Serve `metrics` on `host:port` from when `app` starts until it has stopped."""
    stoppers: list[Callable[[], None]] = []

    def start() -> None:
        stoppers.append(serve_metrics(metrics.scraped, host, port))

    def finish() -> None:
        for stop in stoppers:
            stop()

    app.on_startup.append(start)
    app.on_shutdown.append(finish)


def app_from_environment() -> Litestar:
    """uvicorn's app factory: the settings come from the environment the command set."""
    raw = os.environ.get(SETTINGS_ENV, "{}")
    app = build_app(msgspec.json.decode(raw, type=ServeSettings))
    app.on_startup.append(freeze_startup_objects)
    return app


def freeze_startup_objects() -> None:
    """Keep what the server process built before serving out of every later garbage collection.

    The modules, the schema, the framework's routes and the phone-number metadata are a heap that lives as
    long as the process, yet each full collection walked all of it: under load a full collection came every
    second or two and stopped the event loop and the writer for 40-85 ms (profiled), most of the slowest
    answers. Only the server process does this: an app built in a test must stay collectable.
    """
    gc.collect()
    gc.freeze()
