"""`GET /metrics` of a real server after a known mix of requests: every count exact (issue 16, adr/0042)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from tests.support.api import (
    ASYNC_CAPTURE,
    CAPTURE,
    capture,
    capture_body,
    poll_until,
    submit,
    wait_until_final,
)
from tests.support.metrics import Scrape, labels, scrape
from tests.support.postgres import free_port
from tests.support.server import RunningServer, start_server, worker_running

CAPTURES = "leadcapture_captures_total"
ERRORS = "leadcapture_errors_total"
REQUESTS = "leadcapture_http_requests_total"


def scrape_once_applied(url: str, applied: int) -> Scrape:
    """Scrape `url` once it counts `applied` async captures: the worker counts each just after its commit, so
    a request's final status can be read a moment before its count is.
    """
    return poll_until(
        lambda: scrape(url),
        lambda scraped: sum(scraped.values(CAPTURES, endpoint=ASYNC_CAPTURE).values()) == applied,
    )


def _send_the_known_mix(server: RunningServer) -> list[int]:
    """Eleven Lead.Capture calls, an unknown path and three async submissions; the Lead.Capture statuses."""
    statuses = [
        capture(server, capture_body(EmailAddress="a@example.com")).status_code,  # Created, R-M9
        capture(server, capture_body(EmailAddress="b@example.com")).status_code,  # Created, R-M9
        capture(server, capture_body(EmailAddress="c@example.com")).status_code,  # Created, R-M9
        capture(server, capture_body(EmailAddress="A@example.com", FirstName="Ada")).status_code,  # Updated, R-M8
        capture(server, capture_body(EmailAddress="not-an-email")).status_code,  # Rejected, R-V4
        capture(server, capture_body(EmailAddress="x@example.com", Colour="blue")).status_code,  # Rejected, R-V2
    ]
    with server.client({"accessKey": server.access_key, "secretKey": "wrong"}) as stranger:
        statuses.append(stranger.post(CAPTURE, content=capture_body(EmailAddress="e@example.com")).status_code)
    # Dry runs decide and write nothing: no capture is counted, nor the error a preview predicts.
    statuses.append(capture(server, capture_body(EmailAddress="e@example.com"), dryRun="true").status_code)
    statuses.append(capture(server, capture_body(EmailAddress="not-an-email"), dryRun="true").status_code)
    with server.client() as client:
        for _ in range(2):  # the second is a replay of the first answer: captured once
            once = client.post(
                CAPTURE, content=capture_body(EmailAddress="d@example.com"), headers={"Idempotency-Key": "k1"}
            )
            statuses.append(once.status_code)
        assert client.get("/nope").status_code == 404
        queued = [submit(client, EmailAddress="q1@example.com"), submit(client, EmailAddress="q2@example.com")]
        queued.append(submit(client, EmailAddress="not-an-email"))  # well-formed: accepted, then FAILURE
        wait_until_final(client, queued)
    return statuses


def test_metrics_count_a_known_mix_of_requests_exactly(tmp_path: Path) -> None:
    """Captures by endpoint, outcome and rule, errors by type, requests, latency, group commits and the inbox."""
    server = start_server(tmp_path, "--rate-limit", "100000/1s")
    try:
        statuses = _send_the_known_mix(server)
        scraped = scrape_once_applied(f"{server.base_url}/metrics", 3)
    finally:
        server.stop()

    assert statuses == [200, 200, 200, 200, 400, 400, 401, 200, 400, 200, 200]
    assert scraped.values(CAPTURES) == {
        labels(endpoint=CAPTURE, outcome="Created", rule="R-M9"): 4,
        labels(endpoint=CAPTURE, outcome="Updated", rule="R-M8"): 1,
        labels(endpoint=CAPTURE, outcome="Rejected", rule="R-V4"): 1,
        labels(endpoint=CAPTURE, outcome="Rejected", rule="R-V2"): 1,
        labels(endpoint=ASYNC_CAPTURE, outcome="Created", rule="R-M9"): 2,
        labels(endpoint=ASYNC_CAPTURE, outcome="Rejected", rule="R-V4"): 1,
    }
    assert scraped.values(ERRORS) == {
        labels(route=CAPTURE, exception_type="MXInvalidInputException"): 1,
        labels(route=CAPTURE, exception_type="MXUnknownAttributeException"): 1,
        labels(route=CAPTURE, exception_type="MXInvalidAccessDetailsException"): 1,
        labels(route="unmatched", exception_type="MXNotFoundException"): 1,
    }
    assert scraped.values(REQUESTS, route=CAPTURE) == {
        labels(method="POST", status="200"): 7,
        labels(method="POST", status="400"): 3,
        labels(method="POST", status="401"): 1,
    }
    assert scraped.values(REQUESTS, route=ASYNC_CAPTURE) == {labels(method="POST", status="200"): 3}
    assert scraped.values(REQUESTS, route="unmatched") == {labels(method="GET", status="404"): 1}
    latency = "leadcapture_http_request_duration_seconds"
    assert scraped.value(f"{latency}_count", method="POST", route=CAPTURE) == 11
    assert scraped.value(f"{latency}_bucket", method="POST", route=CAPTURE, le="+Inf") == 11
    # Six captures went through the group-commit writer (no dry run, no idempotency key, no bad key),
    # one at a time: six groups of one.
    assert scraped.value("leadcapture_group_commit_batch_size_count") == 6
    assert scraped.value("leadcapture_group_commit_batch_size_sum") == 6
    assert scraped.value("leadcapture_group_commit_batch_size_bucket", le="1.0") == 6
    assert scraped.value("leadcapture_group_commit_duration_seconds_count") == 6
    assert scraped.value("leadcapture_inbox_accepted_total") == 3
    assert scraped.value("leadcapture_inbox_pending_requests") == 0
    assert scraped.value("leadcapture_inbox_oldest_pending_age_seconds") == 0
    assert scraped.value("leadcapture_inbox_retries_total") == 0
    assert scraped.value("leadcapture_inbox_given_up_total") == 0
    assert scraped.values("leadcapture_rate_limit_refusals_total") == {}
    assert scraped.value("leadcapture_http_requests_in_progress") == 1  # the scrape itself


def test_metrics_hold_no_lead_data_and_no_key(tmp_path: Path) -> None:
    """No label value is an email, a name or a key: only routes, methods, statuses, outcomes, rules, types; a
    path no route serves is `unmatched` and a method outside the usual ones is `other`.
    """
    server = start_server(tmp_path)
    try:
        capture(server, capture_body(EmailAddress="private@example.com", FirstName="Secretive"))
        capture(server, capture_body(EmailAddress="private@example.com", Colour="blue"))
        brewed = httpx.request("PROPFIND", f"{server.base_url}/private@example.com", timeout=30)
        text = httpx.get(f"{server.base_url}/metrics", timeout=30).text
    finally:
        server.stop()

    for private in ("private@example.com", "Secretive", "Colour", server.access_key, server.secret_key):
        assert private not in text
    assert brewed.status_code == 404
    assert Scrape(text).values(REQUESTS, route="unmatched") == {labels(method="other", status="404"): 1}
    label_names = {name for samples in Scrape(text).samples.values() for labels_ in samples for name, _ in labels_}
    assert label_names == {"method", "route", "status", "endpoint", "outcome", "rule", "exception_type", "le"}


def test_a_metrics_port_serves_them_apart_and_counts_rate_limit_refusals(tmp_path: Path) -> None:
    """With `--metrics-port` the API port has no /metrics; the port of their own has, 429s counted by route."""
    metrics_port = free_port()
    server = start_server(tmp_path, "--rate-limit", "2/60s", "--metrics-port", str(metrics_port))
    try:
        answers = [capture(server, capture_body(EmailAddress=f"r{n}@example.com")).status_code for n in range(3)]
        on_api_port = httpx.get(f"{server.base_url}/metrics", timeout=30)
        scraped = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        server.stop()

    assert answers == [200, 200, 429]
    assert on_api_port.status_code == 404
    assert scraped.values("leadcapture_rate_limit_refusals_total") == {labels(route=CAPTURE): 1}
    assert scraped.values(ERRORS) == {
        labels(route=CAPTURE, exception_type="MXAPIRateLimitExceededException"): 1,
        labels(route="unmatched", exception_type="MXNotFoundException"): 1,
    }
    assert scraped.values(CAPTURES) == {labels(endpoint=CAPTURE, outcome="Created", rule="R-M9"): 2}
    assert scraped.value("leadcapture_http_requests_in_progress") == 0  # this scrape is not a request of the app


def _wait_for_workers(server: RunningServer, count: int) -> None:
    """Wait until `count` uvicorn worker processes have started listening."""
    deadline = time.monotonic() + 60
    while server.log.read_text().count("Application startup complete") < count:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.1)


def _twelve_captures_over_two_workers(server: RunningServer) -> None:
    """Twelve new leads, each on a connection of its own, once both worker processes listen."""
    _wait_for_workers(server, 2)
    answers = [capture(server, capture_body(EmailAddress=f"w{n}@example.com")).status_code for n in range(12)]
    assert answers == [200] * 12


def test_two_worker_processes_add_up_on_metrics(tmp_path: Path) -> None:
    """`--workers 2`: whichever process answers the scrape, it reports both processes' counts, summed."""
    server = start_server(tmp_path, "--workers", "2", "--rate-limit", "100000/1s")
    try:
        _twelve_captures_over_two_workers(server)
        scrapes = [scrape(f"{server.base_url}/metrics") for _ in range(4)]
    finally:
        server.stop()

    for scraped in scrapes:
        assert scraped.values(CAPTURES) == {labels(endpoint=CAPTURE, outcome="Created", rule="R-M9"): 12}
        assert scraped.values(REQUESTS, route=CAPTURE) == {labels(method="POST", status="200"): 12}
        assert scraped.value("leadcapture_group_commit_batch_size_sum") == 12
        assert scraped.value("leadcapture_inbox_pending_requests") == 0


def test_two_worker_processes_on_a_metrics_port_are_summed_by_their_supervisor(tmp_path: Path) -> None:
    """`--workers 2 --metrics-port`: the supervising process serves the port, with both workers' counts."""
    metrics_port = free_port()
    server = start_server(tmp_path, "--workers", "2", "--rate-limit", "100000/1s", "--metrics-port", str(metrics_port))
    try:
        _twelve_captures_over_two_workers(server)
        scraped = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        on_api_port = httpx.get(f"{server.base_url}/metrics", timeout=30)
    finally:
        server.stop()

    assert on_api_port.status_code == 404
    assert scraped.values(CAPTURES) == {labels(endpoint=CAPTURE, outcome="Created", rule="R-M9"): 12}
    assert scraped.values(REQUESTS, route=CAPTURE) == {labels(method="POST", status="200"): 12}
    assert scraped.value("leadcapture_inbox_pending_requests") == 0


def test_a_separate_worker_serves_its_own_metrics(tmp_path: Path) -> None:
    """`leadcapture worker --metrics-port`: the captures it applied, by outcome and rule, and the backlog."""
    server = start_server(tmp_path, "--no-worker", "--rate-limit", "100000/1s")
    metrics_port = free_port()
    try:
        with server.client() as client:
            queued = [submit(client, EmailAddress=f"s{n}@example.com") for n in range(3)]
            waiting = scrape(f"{server.base_url}/metrics")
            with worker_running(server.database, tmp_path / "worker.log", "--metrics-port", str(metrics_port)):
                wait_until_final(client, queued)
                scraped = scrape_once_applied(f"http://127.0.0.1:{metrics_port}/metrics", 3)
    finally:
        server.stop()

    assert waiting.value("leadcapture_inbox_pending_requests") == 3
    assert waiting.value("leadcapture_inbox_accepted_total") == 3
    assert scraped.values(CAPTURES) == {labels(endpoint=ASYNC_CAPTURE, outcome="Created", rule="R-M9"): 3}
    assert scraped.value("leadcapture_inbox_pending_requests") == 0
    assert scraped.values(REQUESTS) == {}  # a worker answers no API request
