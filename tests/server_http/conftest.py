"""Fixtures for the black-box HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server per test module, default settings but rate limits high enough not to get in the way."""
    running = start_server(
        tmp_path_factory.mktemp("server"), "--rate-limit", "100000/1s", "--bulk-rate-limit", "100000/1s"
    )
    yield running
    running.stop()


@pytest.fixture
def server_options() -> tuple[str, ...]:
    """The `serve` options of `server_on_each_database`; a module overrides this fixture to change them."""
    return ("--rate-limit", "100000/1s", "--no-worker")


@pytest.fixture(params=["sqlite", "postgres"])
def server_on_each_database(
    request: pytest.FixtureRequest, tmp_path: Path, server_options: tuple[str, ...]
) -> Iterator[RunningServer]:
    """A new server for each test, on a new SQLite file and again on a new PostgreSQL database."""
    database = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    running = start_server(tmp_path, *server_options, database=database)
    yield running
    running.stop()
