"""The served OpenAPI document lists the async capture routes exactly when the app serves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from leadcapture.adapters import open_store
from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.keystore import SQLKeyStore
from leadcapture.entrypoints.http import create_app
from leadcapture.entrypoints.openapi import OPENAPI_PATH
from leadcapture.service import Engine

ASYNC_PATHS = {"/lead/capture", "/lead/status", "/lead/capture/metrics"}


@pytest.mark.parametrize("with_inbox", [True, False])
def test_document_lists_the_async_routes_only_when_they_are_served(sqlite_path: Path, *, with_inbox: bool) -> None:
    """With an inbox the three routes are served and documented; without one neither (they answer 404)."""
    url = f"sqlite:///{sqlite_path}"
    store = open_store(url)
    keys = SQLKeyStore(url)
    app = create_app(
        engine=Engine(store=store),
        keys=keys,
        group_commit=False,
        inbox=SQLInbox(store) if with_inbox else None,
    )
    try:
        with TestClient(app) as client:
            documented = set(client.get(OPENAPI_PATH).json()["paths"])
            unauthenticated = {path: client.get(path).status_code for path in ("/lead/status", "/lead/capture/metrics")}
    finally:
        keys.close()
        store.close()

    assert (documented >= ASYNC_PATHS) is with_inbox
    assert documented.isdisjoint(ASYNC_PATHS) is not with_inbox
    assert set(unauthenticated.values()) == ({401} if with_inbox else {404})
