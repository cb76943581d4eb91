"""Pytest fixtures for real services, loaded for the whole suite (`-p tests.support.fixtures`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.postgres import create_database, throwaway_cluster
from tests.support.redis import throwaway_redis

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the test session; its admin URL."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_cluster: str) -> str:
    """A new, empty database on the session's cluster, for one test."""
    return create_database(postgres_cluster, f"test_{next(_database_numbers)}")


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A path for a new SQLite database file, in the test's own temporary folder."""
    return tmp_path / "leads.db"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One throwaway Redis server for the test session; its URL."""
    with throwaway_redis() as url:
        yield url
