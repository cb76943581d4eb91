"""Fixtures for the black-box HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator

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
