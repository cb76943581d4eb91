"""Optional extras: which modules each one brings, and the one line that tells a user to install it.

The base install serves, captures and imports on SQLite. PostgreSQL (`postgres`) and Redis rate-limit
storage shared by several servers (`redis`) are extras; a command that needs a missing one says so in one
line instead of a traceback.
"""

from __future__ import annotations

import importlib.util
from typing import Final

EXTRA_OF_MODULE: Final = {"psycopg": "postgres", "psycopg_pool": "postgres", "redis": "redis"}
"""The extra that installs each optional top-level module."""

_NEEDED_FOR: Final = {"postgres": "PostgreSQL databases", "redis": "Redis rate-limit storage"}


class MissingExtraError(ImportError):
    """A feature was asked for whose extra is not installed; the message says how to install it."""

    def __init__(self, extra: str) -> None:
        """The error for the missing `extra` (`postgres` or `redis`)."""
        super().__init__(f"{_NEEDED_FOR[extra]} need the {extra} extra: pip install 'leadcapture[{extra}]'")
        self.extra = extra


def missing_extra(error: ModuleNotFoundError) -> MissingExtraError | None:
    """The extra whose absence caused `error`, or None when the missing module belongs to no extra."""
    extra = EXTRA_OF_MODULE.get((error.name or "").partition(".")[0])
    return MissingExtraError(extra) if extra is not None else None


def require_extra(extra: str) -> None:
    """Raise MissingExtraError unless every module of `extra` can be imported."""
    for module, owner in EXTRA_OF_MODULE.items():
        if owner == extra and importlib.util.find_spec(module) is None:
            raise MissingExtraError(extra)


def require_extras_for(*, database: str, rate_limit_storage: str = "memory://") -> None:
    """Raise MissingExtraError when `database` or `rate_limit_storage` names a backend whose extra is missing."""
    if database.startswith(("postgresql", "postgres:")):
        require_extra("postgres")
    if rate_limit_storage.startswith(("redis://", "rediss://", "redis+")):
        require_extra("redis")
