"""Building the HTTP app from settings, for `leadcapture serve` and for uvicorn's worker processes."""

from __future__ import annotations

import logging
import os
from typing import Final

import msgspec
from litestar import Litestar
from returns.result import Failure

from leadcapture.adapters import DEFAULT_DATABASE_URL, open_store
from leadcapture.adapters.keystore import SQLKeyStore
from leadcapture.config import load_schema
from leadcapture.core.schema import DEFAULT_SCHEMA
from leadcapture.entrypoints.http import create_app
from leadcapture.entrypoints.ratelimit import RateLimit
from leadcapture.service import Engine

SETTINGS_ENV: Final = "LEADCAPTURE_SERVE_SETTINGS"


class ServeSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What `leadcapture serve` was asked for; passed to worker processes as JSON in the environment."""

    database: str = DEFAULT_DATABASE_URL
    rate_limit: str = "25/5s"
    rate_limit_storage: str = "memory://"
    config: str | None = None
    group_commit: bool = True
    baseline_route: bool = False


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
    engine = Engine(store=open_store(settings.database), schema=schema)
    return create_app(
        engine=engine,
        keys=SQLKeyStore(settings.database),
        rate_limit=RateLimit.parse(settings.rate_limit),
        limiter_storage=settings.rate_limit_storage,
        group_commit=settings.group_commit,
        baseline_route=settings.baseline_route,
    )


def app_from_environment() -> Litestar:
    """uvicorn's app factory: the settings come from the environment the command set."""
    raw = os.environ.get(SETTINGS_ENV, "{}")
    return build_app(msgspec.json.decode(raw, type=ServeSettings))
