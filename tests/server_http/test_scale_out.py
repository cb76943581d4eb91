"""Several server processes on one database: uvicorn workers (`--workers`) and separate `leadcapture serve`
processes share their rate limit through Redis (R-H4) and still make one lead of one person (R-M10).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
from tests.support.api import capture, capture_at_once, capture_body, leads_by_email
from tests.support.server import RunningServer, start_another, start_server

LIMIT = 10


def _captures_over_two_servers(folder: Path, *options: str) -> list[httpx.Response]:
    """2 x LIMIT captures of new emails sent in turn to two servers on one database, started with `options`."""
    first = start_server(folder, *options)
    second = start_another(first, folder, *options)
    try:
        servers = (first, second)
        return [capture(servers[n % 2], capture_body(EmailAddress=f"turn{n}@example.com")) for n in range(2 * LIMIT)]
    finally:
        second.stop()
        first.stop()


def test_H4_two_servers_with_redis_storage_share_one_rate_limit(tmp_path: Path, redis_url: str) -> None:
    """R-H4: two processes counting in one Redis let a key through LIMIT times in all, not LIMIT each."""
    answers = _captures_over_two_servers(tmp_path, "--rate-limit", f"{LIMIT}/60s", "--rate-limit-storage", redis_url)

    assert Counter(answer.status_code for answer in answers) == {200: LIMIT, 429: LIMIT}
    refused = [answer for answer in answers if answer.status_code == 429]
    assert all(answer.json()["ExceptionType"] == "MXAPIRateLimitExceededException" for answer in refused)
    assert all(1 <= int(answer.headers["Retry-After"]) <= 60 for answer in refused)


def test_H4_separate_servers_with_memory_storage_count_apart(tmp_path: Path) -> None:
    """R-H4: with the default memory storage each process counts alone (why Redis is there for several)."""
    answers = _captures_over_two_servers(tmp_path, "--rate-limit", f"{LIMIT}/60s")

    assert Counter(answer.status_code for answer in answers) == {200: 2 * LIMIT}


def _wait_for_workers(server: RunningServer, count: int) -> None:
    """Wait until `count` uvicorn worker processes have started listening."""
    deadline = time.monotonic() + 60
    while server.log.read_text().count("Started server process") < count:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.1)


def test_M10_two_workers_racing_on_one_new_email_make_one_lead(tmp_path: Path, redis_url: str) -> None:
    """R-M10 with `--workers 2`: 16 threads capturing one new email at once, over both workers, give one lead."""
    server = start_server(tmp_path, "--workers", "2", "--rate-limit", "1000/1s", "--rate-limit-storage", redis_url)
    try:
        _wait_for_workers(server, 2)  # /health answered once the first worker was up
        # one connection each, spread over the workers
        answers = capture_at_once(server, [capture_body(EmailAddress="race@example.com")] * 16)
        with server.client() as client:
            found = leads_by_email(client, "race@example.com")
    finally:
        server.stop()

    assert [answer.status_code for answer in answers] == [200] * 16
    assert len({answer.json()["Message"]["Id"] for answer in answers}) == 1
    assert sum(answer.json()["Message"]["IsCreated"] for answer in answers) == 1
    assert len(found) == 1
