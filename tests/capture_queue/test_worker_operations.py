"""The worker as an operator sees it: what it counts in the server's metrics, and how it stops (issue 16)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from prometheus_client import generate_latest
from tests.capture_queue.support import ACCESS_KEY, accept
from tests.capture_queue.test_queue_rules import _inbox_engine
from tests.support.api import ASYNC_CAPTURE, capture_body
from tests.support.metrics import Scrape, labels

from leadcapture.entrypoints.metrics import ServerMetrics
from leadcapture.entrypoints.worker import CaptureWorker, parse_delays, run_workers


def test_the_worker_counts_captures_once_committed_and_its_retries_and_given_up_requests(sqlite_path: Path) -> None:
    """A batch that meets a fault is rolled back and tried one by one: its captures are counted once, when
    they commit; the faulty request counts one retry, then, after its last retry, one given-up request.
    """
    engine, inbox, clock = _inbox_engine(sqlite_path, faults=0)
    ids = [accept(engine, inbox, capture_body(EmailAddress=f"batch{n}@example.com")) for n in range(4)]
    ids.append(accept(engine, inbox, capture_body(EmailAddress="not-an-email")))
    ids.append(accept(engine, inbox, capture_body(EmailAddress="poisoned@example.com")))
    engine.poison = b"poisoned@"
    metrics = ServerMetrics()
    worker = CaptureWorker(engine, inbox, retry_delays=parse_delays("1s"), metrics=metrics)
    worker.drain()
    after_the_fault = Scrape(generate_latest(metrics.registry).decode())
    clock.moment += timedelta(seconds=1)
    worker.drain()
    after_the_last_retry = Scrape(generate_latest(metrics.registry).decode())

    assert after_the_fault.values("leadcapture_captures_total") == {
        labels(endpoint=ASYNC_CAPTURE, outcome="Created", rule="R-M9"): 4,
        labels(endpoint=ASYNC_CAPTURE, outcome="Rejected", rule="R-V4"): 1,
    }
    assert after_the_fault.value("leadcapture_inbox_retries_total") == 1
    assert after_the_fault.value("leadcapture_inbox_given_up_total") == 0
    assert after_the_last_retry.values("leadcapture_captures_total") == after_the_fault.values(
        "leadcapture_captures_total"
    )
    assert after_the_last_retry.value("leadcapture_inbox_retries_total") == 1
    assert after_the_last_retry.value("leadcapture_inbox_given_up_total") == 1
    final = [inbox.status(request_id, ACCESS_KEY) for request_id in ids]
    assert [status.status for status in final if status is not None] == ["Success"] * 4 + ["FAILURE", "ERROR"]


def test_a_stopped_worker_finishes_the_round_it_is_in_and_starts_no_other(sqlite_path: Path) -> None:
    """Stop is asked for as a round begins (as SIGTERM may arrive at any moment): that round's request is
    applied and committed, and the worker then returns, leaving the others pending for the next worker.
    """
    engine, inbox, _ = _inbox_engine(sqlite_path, faults=0)
    ids = [accept(engine, inbox, capture_body(EmailAddress=f"round{n}@example.com")) for n in range(3)]
    stop = threading.Event()
    worker = CaptureWorker(engine, inbox, batch_size=1, before_round=stop.set)
    runner = threading.Thread(
        target=run_workers,
        args=(worker,),
        kwargs={"concurrency": 1, "stop": stop, "database_path": sqlite_path},
    )
    runner.start()
    runner.join(timeout=60)

    assert not runner.is_alive()
    found = [inbox.status(request_id, ACCESS_KEY) for request_id in ids]
    assert [status.status for status in found if status is not None] == ["Success", "In-Queue", "In-Queue"]
    assert len(engine.store.find_leads("EmailAddress", "round0@example.com")) == 1
