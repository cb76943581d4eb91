"""Fixtures the unit tests share: an empty in-memory store and a deterministic engine over it."""

from __future__ import annotations

import pytest
from tests.support.engines import make_engine

from leadcapture import Engine, InMemoryLeadStore


@pytest.fixture
def store() -> InMemoryLeadStore:
    """An empty in-memory store."""
    return InMemoryLeadStore()


@pytest.fixture
def engine(store: InMemoryLeadStore) -> Engine:
    """An engine over `store` with a deterministic clock and ids."""
    return make_engine(store)
