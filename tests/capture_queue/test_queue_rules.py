"""Async capture, one test per rule R-Q1..R-Q6, against a real `leadcapture serve` and real stores."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.capture_queue.support import ACCESS_KEY, accept
from tests.support.api import activity_count, capture_body, statuses, submit, wait_until_final
from tests.support.determinism import START, CountingIds
from tests.support.server import RunningServer, start_server, worker_running

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.names import UpdateBehavior
from leadcapture.entrypoints.worker import DEFAULT_RETRY_DELAYS, CaptureWorker, parse_delays
from leadcapture.service import Engine

ACCEPTED = "Request accepted. Please use below request id to check the status"


class SettableClock:
    """A clock that stays where a test puts it."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class FaultyEngine(Engine):
    """An engine whose first `faults` captures meet a database fault, as a full disk or a lost server would."""

    def __init__(self, *, faults: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.faults = faults
        self.poison: bytes | None = None
        """Captures of a body containing this always meet the fault."""

    def capture_in(self, tx: object, attributes: object, behavior: str | UpdateBehavior | None = None):  # type: ignore[no-untyped-def, override]
        poisoned = self.poison is not None and isinstance(attributes, bytes) and self.poison in attributes
        if self.faults > 0 or poisoned:
            self.faults -= 1
            msg = "disk I/O error"
            raise sqlite3.OperationalError(msg)
        return super().capture_in(tx, attributes, behavior)  # type: ignore[arg-type]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server with its worker, and a rate limit out of the way."""
    running = start_server(tmp_path, "--rate-limit", "100000/1s")
    yield running
    running.stop()


def test_R_Q1_a_request_is_stored_durably_before_it_is_accepted(tmp_path: Path) -> None:
    """The 200 with a RequestID comes after the commit: a server killed right after it loses nothing.

    A body whose structure is broken is a 400 at once and is not stored.
    """
    server = start_server(tmp_path, "--rate-limit", "100000/1s", "--no-worker")
    try:
        with server.client() as client:
            answer = client.post("/lead/capture", content=capture_body(EmailAddress="durable@example.com"))
            broken = client.post("/lead/capture", content=b'{"EmailAddress": ')
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    finally:
        if server.process.poll() is None:
            server.stop()
    assert answer.status_code == 200
    assert answer.json()["Status"] == ACCEPTED
    assert broken.status_code == 400
    assert broken.json()["Status"] == "Error"
    store = SQLiteLeadStore(tmp_path / "leads.db")
    inbox = SQLInbox(store)
    status = inbox.status(answer.json()["RequestID"], server.access_key)
    assert status is not None
    assert status.status == "In-Queue"
    assert inbox.metrics(datetime.now(tz=START.tzinfo)).pending == 1
    CaptureWorker(Engine(store=store), inbox).drain()
    done = inbox.status(answer.json()["RequestID"], server.access_key)
    assert done is not None
    assert done.status == "Success"
    assert store.find_leads("EmailAddress", "durable@example.com")
    store.close()


def test_R_Q2_status_reports_the_outcome_and_the_synchronous_answer(server: RunningServer) -> None:
    """Success carries Lead.Capture's answer; an MX error ends as FAILURE at once with its envelope."""
    with server.client() as client:
        good = submit(client, EmailAddress="status@example.com")
        bad = submit(client, EmailAddress="not-an-email")
        done = wait_until_final(client, [good, bad])
        unknown = client.get("/lead/status", params={"RequestId": "00000000-0000-7000-8000-000000000000"})
        other_keys = server.issue_key("another")
        foreign = client.get("/lead/status", params={"RequestId": good, **other_keys})
        lead = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "status@example.com"}
        )
    success = done[good]
    assert success["RequestId"] == good
    assert success["TaskStatus"] == {"TaskType": "Lead Capture", "Status": "Success", "StatusReason": None}
    assert success["Message"]["Status"] == "Success"
    assert success["Message"]["Message"]["Id"] == lead.json()[0]["ProspectID"]
    assert success["Message"]["Message"]["IsCreated"] is True
    failure = done[bad]
    assert failure["TaskStatus"]["Status"] == "FAILURE"
    assert "EmailAddress" in failure["TaskStatus"]["StatusReason"]
    assert failure["Message"]["ExceptionType"] == "MXInvalidInputException"
    assert unknown.status_code == 404
    assert unknown.json()["Status"] == "Error"
    assert foreign.status_code == 404  # only the access key that sent a request reads its status


def _inbox_engine(path: Path, *, faults: int) -> tuple[FaultyEngine, SQLInbox, SettableClock]:
    clock = SettableClock()
    store = SQLiteLeadStore(path)
    engine = FaultyEngine(faults=faults, store=store, clock=clock, ids=CountingIds())
    return engine, SQLInbox(store), clock


def test_R_Q3_system_faults_are_retried_on_the_backoff_schedule(sqlite_path: Path) -> None:
    """A fault leaves the request In-Queue, due again after 30 s, then 2 m, ...; it then succeeds once."""
    assert [delay.total_seconds() for delay in DEFAULT_RETRY_DELAYS] == [
        30,
        120,
        420,
        900,
        1800,
        2700,
        3600,
        5400,
        7200,
        10800,
    ]
    engine, inbox, clock = _inbox_engine(sqlite_path, faults=2)
    worker = CaptureWorker(engine, inbox)
    request_id = accept(engine, inbox, capture_body(EmailAddress="retry@example.com"))
    assert worker.run_once() == 1
    first = inbox.status(request_id, ACCESS_KEY)
    assert first is not None
    assert (first.status, first.status_reason) == ("In-Queue", "System fault: OperationalError")
    clock.moment = START + timedelta(seconds=29)
    assert worker.run_once() == 0  # not due before its 30 s
    clock.moment = START + timedelta(seconds=30)
    assert worker.run_once() == 1  # second fault: due again 2 minutes later
    clock.moment += timedelta(seconds=119)
    assert worker.run_once() == 0
    clock.moment += timedelta(seconds=1)
    assert worker.run_once() == 1
    done = inbox.status(request_id, ACCESS_KEY)
    assert done is not None
    assert done.status == "Success"
    assert len(engine.store.find_leads("EmailAddress", "retry@example.com")) == 1


def test_R_Q3_a_fault_after_the_last_retry_is_an_error(sqlite_path: Path) -> None:
    """With a schedule of two retries, the third fault ends the request as ERROR, and nothing is written."""
    engine, inbox, clock = _inbox_engine(sqlite_path, faults=100)
    worker = CaptureWorker(engine, inbox, retry_delays=parse_delays("1s,2s"))
    request_id = accept(engine, inbox, capture_body(EmailAddress="error@example.com"))
    for step in (0, 1, 2):
        clock.moment += timedelta(seconds=step)
        assert worker.run_once() == 1
    status = inbox.status(request_id, ACCESS_KEY)
    assert status is not None
    assert status.status == "ERROR"
    assert status.message is None
    assert "gave up after 3 attempts" in (status.status_reason or "")
    assert engine.store.find_leads("EmailAddress", "error@example.com") == ()


def test_R_Q3_a_fault_in_a_batch_is_charged_to_its_own_request(sqlite_path: Path) -> None:
    """A batch that meets a fault is undone and its requests are tried one by one: only one waits."""
    engine, inbox, _ = _inbox_engine(sqlite_path, faults=0)
    ids = [accept(engine, inbox, capture_body(EmailAddress=f"batch{n}@example.com")) for n in range(5)]
    engine.poison = b"batch0@"
    worker = CaptureWorker(engine, inbox)
    worker.drain()
    found = [inbox.status(request_id, ACCESS_KEY) for request_id in ids]
    assert [status.status for status in found if status is not None] == ["In-Queue"] + ["Success"] * 4


def test_R_Q4_requests_for_one_email_are_applied_in_acceptance_order(server: RunningServer) -> None:
    """50 requests for one email with increasing FirstName end with the last value, one activity each."""
    with server.client() as client:
        ids = [submit(client, EmailAddress="order@example.com", FirstName=f"n{n:02}") for n in range(1, 51)]
        done = wait_until_final(client, ids)
        lead = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "order@example.com"}
        )
        lead_id = lead.json()[0]["ProspectID"]
        activities = client.post("/v2/ProspectActivity.svc/Retrieve", params={"leadId": lead_id})
    assert {status["TaskStatus"]["Status"] for status in done.values()} == {"Success"}
    assert lead.json()[0]["FirstName"] == "n50"
    assert activities.json()["RecordCount"] == 50


def test_R_Q4_four_postgres_workers_keep_the_order(tmp_path: Path, postgres_url: str) -> None:
    """50 requests for one email, queued first, then applied by 4 worker processes of 2 threads sharing the inbox."""
    server = start_server(tmp_path, "--rate-limit", "100000/1s", "--no-worker", database=postgres_url)
    try:
        with server.client() as client, contextlib.ExitStack() as workers:
            ids = [submit(client, EmailAddress="pg@example.com", FirstName=f"n{n:02}") for n in range(1, 51)]
            others = [submit(client, EmailAddress=f"other{n}@example.com") for n in range(50)]
            for n in range(4):
                workers.enter_context(worker_running(postgres_url, tmp_path / f"worker{n}.log", "--concurrency", "2"))
            done = wait_until_final(client, ids + others)
            lead = client.get(
                "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "pg@example.com"}
            )
            activities = client.post(
                "/v2/ProspectActivity.svc/Retrieve", params={"leadId": lead.json()[0]["ProspectID"]}
            )
    finally:
        server.stop()
    assert {status["TaskStatus"]["Status"] for status in done.values()} == {"Success"}
    assert lead.json()[0]["FirstName"] == "n50"
    assert activities.json()["RecordCount"] == 50
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(4)]
    assert all("worker applying queued captures" in log for log in logs)


def test_R_Q5_a_resubmission_with_an_idempotency_key_returns_the_first_request_id(server: RunningServer) -> None:
    """Same key and body: the first RequestID and one capture; same key, other body: a 400 naming it."""
    payload = capture_body(EmailAddress="again@example.com")
    with server.client() as client:
        first = client.post("/lead/capture", content=payload, headers={"Idempotency-Key": "form-7"})
        second = client.post("/lead/capture", content=payload, headers={"Idempotency-Key": "form-7"})
        other = client.post(
            "/lead/capture", content=capture_body(EmailAddress="x@example.com"), headers={"Idempotency-Key": "form-7"}
        )
        wait_until_final(client, [first.json()["RequestID"]])
        activities = activity_count(client, "again@example.com")
    assert first.status_code == second.status_code == 200
    assert second.json()["RequestID"] == first.json()["RequestID"]
    assert second.headers["Idempotency-Replayed"] == "true"
    assert other.status_code == 400
    assert "Idempotency-Key" in other.json()["ExceptionMessage"]
    assert activities == 1


def test_R_Q6_metrics_count_pending_delay_and_rate(tmp_path: Path) -> None:
    """Pending requests and the oldest one's wait while no worker runs; the rate once a worker drained them."""
    server = start_server(tmp_path, "--rate-limit", "100000/1s", "--no-worker")
    try:
        with server.client() as client:
            ids = [submit(client, EmailAddress=f"m{n}@example.com") for n in range(3)]
            waiting = client.get("/lead/capture/metrics").json()
            with worker_running(server.database, tmp_path / "worker.log"):
                wait_until_final(client, ids)
            drained = client.get("/lead/capture/metrics").json()
            final = statuses(client, ids)
    finally:
        server.stop()
    assert waiting["PendingMessages"] == 3
    assert waiting["MaxDelayInSeconds"] >= 0
    assert set(waiting) == {"PendingMessages", "MaxDelayInSeconds", "ProcessingRatePerMinute"}
    assert drained == {"PendingMessages": 0, "MaxDelayInSeconds": 0, "ProcessingRatePerMinute": 3}
    assert {status["TaskStatus"]["Status"] for status in final.values()} == {"Success"}


def test_finished_requests_are_purged_after_the_keeping_time(sqlite_path: Path) -> None:
    """Housekeeping deletes requests finished longer ago than `keep_finished` (7 days by default)."""
    engine, inbox, clock = _inbox_engine(sqlite_path, faults=0)
    worker = CaptureWorker(engine, inbox)
    old = accept(engine, inbox, capture_body(EmailAddress="old@example.com"))
    worker.drain()
    clock.moment = START + timedelta(days=6)
    recent = accept(engine, inbox, capture_body(EmailAddress="recent@example.com"))
    worker.drain()
    clock.moment = START + timedelta(days=7, seconds=1)
    worker.housekeeping()
    assert inbox.status(old, ACCESS_KEY) is None
    kept = inbox.status(recent, ACCESS_KEY)
    assert kept is not None
    assert kept.status == "Success"
    with inbox.store.transaction() as tx:
        assert isinstance(tx, SQLTransaction)


def test_R_Q6_metrics_measure_the_oldest_wait_and_the_last_minute(sqlite_path: Path) -> None:
    """MaxDelayInSeconds is the oldest pending request's age; the rate counts requests finished in the last 60 s."""
    engine, inbox, clock = _inbox_engine(sqlite_path, faults=0)
    accept(engine, inbox, capture_body(EmailAddress="first@example.com"))
    clock.moment = START + timedelta(seconds=30)
    accept(engine, inbox, capture_body(EmailAddress="second@example.com"))
    clock.moment = START + timedelta(seconds=90)
    waiting = inbox.metrics(clock.moment)
    CaptureWorker(engine, inbox).drain()
    just_after = inbox.metrics(clock.moment + timedelta(seconds=59))
    a_minute_later = inbox.metrics(clock.moment + timedelta(seconds=61))
    assert (waiting.pending, waiting.max_delay_seconds, waiting.processed_last_minute) == (2, 90, 0)
    assert (just_after.pending, just_after.max_delay_seconds, just_after.processed_last_minute) == (0, 0, 2)
    assert a_minute_later.processed_last_minute == 0
