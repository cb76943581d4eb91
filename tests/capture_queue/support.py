"""Helpers for the async capture tests that work inside the process: queuing a request as the server does."""

from __future__ import annotations

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.entrypoints.async_capture import request_identifiers
from leadcapture.service import Engine

ACCESS_KEY = "in-process-key"
"""The access key requests queued in-process are sent with."""


def accept(engine: Engine, inbox: SQLInbox, attributes: bytes, behavior: str | None = None) -> str:
    """Put a request in the inbox as `POST /lead/capture` does; its RequestID."""
    request_id = engine.new_id()
    with inbox.store.transaction() as tx:
        assert isinstance(tx, SQLTransaction)
        inbox.accept_in(
            tx,
            request_id=request_id,
            access_key=ACCESS_KEY,
            body=attributes,
            behavior=behavior,
            identifiers=request_identifiers(engine, attributes, behavior),
            now=engine.now(),
        )
    return request_id
