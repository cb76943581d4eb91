"""`SQLKeyStore`: API access keys in the `api_keys` table of a SQL database (SQLAlchemy Core).

Keys are read once per request at most: a short cache keeps the hot path off the database, and a revoked
key stops working within `cache_seconds`.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import create_engine, insert, select, update
from sqlalchemy.engine import Row

from leadcapture.adapters.dbapi import from_micros, to_micros
from leadcapture.adapters.migrate import sqlalchemy_url
from leadcapture.adapters.tables import api_keys
from leadcapture.keys import ApiKey, Scope


class SQLKeyStore:
    """Access keys in SQLite or PostgreSQL; the tables must exist (`open_store` or `db upgrade`)."""

    def __init__(self, url: str, *, cache_seconds: float = 5.0) -> None:
        """Keys in the database at `url`, cached for `cache_seconds`."""
        self._engine = create_engine(sqlalchemy_url(url))
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def add_key(self, key: ApiKey) -> None:
        """Store a new access key."""
        with self._engine.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    access_key=key.access_key,
                    name=key.name,
                    secret_hash=key.secret_hash,
                    created_on=to_micros(key.created_on),
                    revoked_on=to_micros(key.revoked_on) if key.revoked_on else None,
                    scopes=",".join(sorted(key.scopes)),
                    site=key.site,
                    origins="\n".join(key.origins),
                ),
            )

    def find_key(self, access_key: str) -> ApiKey | None:
        """The key with this access key, revoked or not (cached briefly)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(access_key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        with self._engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.access_key == access_key)).first()
        key = _key_from_row(row) if row is not None else None
        with self._lock:
            if len(self._cache) > 10_000:  # noqa: PLR2004 - a bound on memory, not a tuning knob
                self._cache.clear()
            self._cache[access_key] = (now, key)
        return key

    def list_keys(self) -> tuple[ApiKey, ...]:
        """Every key, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_on, api_keys.c.access_key)).all()
        return tuple(_key_from_row(row) for row in rows)

    def revoke_key(self, access_key: str, *, when: datetime) -> bool:
        """Revoke a key; False if there is no such key or it was already revoked."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.access_key == access_key, api_keys.c.revoked_on.is_(None))
                .values(revoked_on=to_micros(when)),
            )
        with self._lock:
            self._cache.pop(access_key, None)
        return done.rowcount == 1

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()


def _key_from_row(row: Row[tuple[object, ...]]) -> ApiKey:
    values = row._mapping
    revoked = values["revoked_on"]
    return ApiKey(
        access_key=str(values["access_key"]),
        name=str(values["name"]),
        secret_hash=str(values["secret_hash"]),
        created_on=from_micros(int(values["created_on"])),
        revoked_on=from_micros(int(revoked)) if revoked is not None else None,
        scopes=frozenset(Scope(name) for name in str(values["scopes"]).split(",") if name),
        site=bool(values["site"]),
        origins=tuple(origin for origin in str(values["origins"]).split("\n") if origin),
    )
