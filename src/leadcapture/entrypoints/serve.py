"""Building the HTTP app from settings, for `leadcapture serve` and for uvicorn's worker processes."""

from __future__ import annotations

import logging
import os
import threading
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
from leadcapture.entrypoints.ratelimit import RateLimit
from leadcapture.entrypoints.worker import (
    DEFAULT_RETRY_SCHEDULE,
    CaptureWorker,
    parse_delays,
    parse_duration,
    run_workers,
)
from leadcapture.service import Engine

SETTINGS_ENV: Final = "LEADCAPTURE_SERVE_SETTINGS"
ACCEPT_FIRST_SECONDS: Final = 0.5
"""How long the in-process worker lets waiting async requests be accepted before its next round."""


class ServeSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What `leadcapture serve` was asked for; passed to worker processes as JSON in the environment."""

    database: str = DEFAULT_DATABASE_URL
    rate_limit: str = "25/5s"
    site_rate_limit: str = "30/60s"
    rate_limit_storage: str = "memory://"
    config: str | None = None
    group_commit: bool = True
    baseline_route: bool = False
    worker: bool = True
    """Run the async capture worker in this process (`--no-worker` leaves it to `leadcapture worker`)."""
    worker_concurrency: int = 1
    retry_delays: str = DEFAULT_RETRY_SCHEDULE
    keep_finished: str = "7d"


def configure_logging() -> None:
    """Access and error logs to stderr, one line per request, unless logging is configured already."""
    root = logging.getLogger("leadcapture")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False  # written once, here, not again by handlers the framework put on the root logger


def build_app(settings: ServeSettings) -> Litestar:
    """The app over the database and schema config that `settings` name."""
    configure_logging()
    schema = DEFAULT_SCHEMA
    if settings.config is not None:
        loaded = load_schema(settings.config)
        if isinstance(loaded, Failure):  # the command checks the config before starting workers
            raise SystemExit(loaded.failure().message)
        schema = loaded.unwrap()
    store = open_store(settings.database)
    engine = Engine(store=store, schema=schema)
    inbox = SQLInbox(store)
    app = create_app(
        engine=engine,
        keys=SQLKeyStore(settings.database),
        rate_limit=RateLimit.parse(settings.rate_limit),
        site_rate_limit=RateLimit.parse(settings.site_rate_limit),
        limiter_storage=settings.rate_limit_storage,
        group_commit=settings.group_commit,
        baseline_route=settings.baseline_route,
        inbox=inbox,
    )
    if settings.worker:
        worker = worker_from_settings(engine, inbox, settings)
        acceptor: InboxAcceptor = app.state.acceptor
        worker.before_round = lambda: acceptor.wait_quiet(ACCEPT_FIRST_SECONDS)
        attach_worker(app, worker, settings.worker_concurrency)
    return app


def worker_from_settings(engine: Engine, inbox: SQLInbox, settings: ServeSettings) -> CaptureWorker:
    """The async capture worker the settings ask for."""
    return CaptureWorker(
        engine,
        inbox,
        retry_delays=parse_delays(settings.retry_delays),
        keep_finished=parse_duration(settings.keep_finished),
    )


def attach_worker(app: Litestar, worker: CaptureWorker, concurrency: int) -> None:
    """Run `worker` in a background thread while `app` serves, stopping it when the app shuts down."""
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
        runner.join(timeout=10)

    app.on_startup.append(start)
    app.on_shutdown.append(finish)


def app_from_environment() -> Litestar:
    """uvicorn's app factory: the settings come from the environment the command set."""
    raw = os.environ.get(SETTINGS_ENV, "{}")
    return build_app(msgspec.json.decode(raw, type=ServeSettings))
