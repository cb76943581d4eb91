"""Alembic environment: runs migrations on the connection `leadcapture.adapters.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from leadcapture.adapters.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    _url = context.config.get_main_option("sqlalchemy.url")
    if _url is None:
        msg = "set sqlalchemy.url or pass a connection in config.attributes['connection']"
        raise RuntimeError(msg)
    _engine = create_engine(_url, poolclass=NullPool)
    with _engine.begin() as _conn:
        _run(_conn)
    _engine.dispose()
