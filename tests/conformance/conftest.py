"""The `store` fixture of the conformance suites: every store of `STORE_FACTORIES`, new and empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conformance.test_lead_store_contract import STORE_FACTORIES

from leadcapture import LeadStore


@pytest.fixture(params=[pytest.param(factory, id=name) for name, factory in STORE_FACTORIES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """A new, empty store of each kind; closed afterwards if it can be."""
    made: LeadStore = request.param(tmp_path, request)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()
