"""Peak protection: a burst far above what is applied per second is all accepted, then drained."""

from __future__ import annotations

from pathlib import Path

import httpx
from bench.loadgen import post_all
from tests.support.api import capture_body, wait_until_final
from tests.support.server import start_server

BURST = 5_000
CONNECTIONS = 64


def test_R_Q1_a_burst_of_5000_at_64_connections_is_all_accepted_and_drains(tmp_path: Path) -> None:
    """With the rate limit raised, 5,000 requests over 64 connections: every one a 200, none a 5xx; all applied."""
    server = start_server(tmp_path, "--rate-limit", "1000000/1s")
    try:
        bodies = [capture_body(EmailAddress=f"burst{n}@example.com") for n in range(BURST)]
        statuses = post_all(server.base_url, "/lead/capture", server.keys, bodies, connections=CONNECTIONS)
        with httpx.Client(base_url=server.base_url, params=server.keys, timeout=30) as client:
            wait_until_final(client, [], timeout=300)
            metrics = client.get("/lead/capture/metrics").json()
            sample = client.get(
                "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "burst4999@example.com"}
            )
    finally:
        server.stop()
    assert statuses == {200: BURST}
    assert metrics["PendingMessages"] == 0
    assert 0 < metrics["ProcessingRatePerMinute"] <= BURST
    assert len(sample.json()) == 1
