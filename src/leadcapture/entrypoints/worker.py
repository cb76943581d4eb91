"""The async capture worker: applies the inbox's requests (R-Q2..R-Q4), alone or inside `leadcapture serve`.

Each round claims a batch of due requests and, in the same store transaction, captures each one and marks
it done: Success with the synchronous answer, or FAILURE with the MX error a synchronous call would have
answered (never retried). A system fault (the database gone, a capture that kept racing) rolls the round
back; the requests are then tried one at a time, so that the fault is charged to the request that met it,
which is retried on the backoff schedule (R-Q3) and ends as ERROR after the last retry.

On SQLite one worker process at a time applies requests: the others wait on a lock file beside the
database and take over when it is free (a killed worker's lock goes with it). On PostgreSQL any number of
workers, on any number of machines, share the inbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import msgspec
from returns.result import Result, Success

from leadcapture.adapters.inbox import ERROR, FAILURE, SUCCESS, QueuedRequest, SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.core.decision import CaptureReceipt
from leadcapture.core.problems import Problem
from leadcapture.service import Engine
from leadcapture.wire.leadsquared import error_envelope, success_envelope

if TYPE_CHECKING:
    from leadcapture.entrypoints.metrics import ServerMetrics

log = logging.getLogger("leadcapture.worker")

DEFAULT_RETRY_DELAYS: Final = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=7),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(minutes=45),
    timedelta(minutes=60),
    timedelta(hours=1.5),
    timedelta(hours=2),
    timedelta(hours=3),
)
"""R-Q3: the waits before each retry of a request that met a system fault."""
DEFAULT_RETRY_SCHEDULE: Final = "30s,2m,7m,15m,30m,45m,60m,1.5h,2h,3h"
"""`DEFAULT_RETRY_DELAYS` as the command line writes it."""
DEFAULT_KEEP_FINISHED: Final = timedelta(days=7)
DEFAULT_BATCH_SIZE: Final = 64
HOUSEKEEPING_SECONDS: Final = 60.0
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_encode = msgspec.json.Encoder().encode


def parse_duration(text: str) -> timedelta:
    """`30s`, `2m`, `1.5h` or `7d` as a timedelta."""
    text = text.strip()
    unit = _UNITS.get(text[-1:])
    try:
        amount = float(text[:-1])
    except ValueError:
        amount = -1.0
    if unit is None or amount < 0:
        msg = f"not a duration: {text!r} (use a number and s, m, h or d, such as 30s or 1.5h)"
        raise ValueError(msg)
    return timedelta(seconds=amount * unit)


def parse_delays(text: str) -> tuple[timedelta, ...]:
    """A comma-separated retry schedule (`30s,2m,7m`) as timedeltas; empty means no retries."""
    return tuple(parse_duration(part) for part in text.split(",") if part.strip())


class SystemFaultError(Exception):
    """A request met a fault of the system rather than of its input: it is retried later."""


class CaptureWorker:
    """Applies the inbox's requests with an engine over the same store."""

    def __init__(  # noqa: PLR0913 - every setting is keyword-only with the documented default
        self,
        engine: Engine,
        inbox: SQLInbox,
        *,
        retry_delays: Sequence[timedelta] = DEFAULT_RETRY_DELAYS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        keep_finished: timedelta = DEFAULT_KEEP_FINISHED,
        poll_seconds: float = 0.05,
        before_round: Callable[[], object] | None = None,
        metrics: ServerMetrics | None = None,
    ) -> None:
        """A worker applying `inbox`'s requests with `engine` (whose store holds the inbox).

        `metrics` counts the captures it applies or rejects, and the retries and given-up requests.
        """
        if batch_size < 1:
            msg = "batch_size must be at least 1"
            raise ValueError(msg)
        self.engine = engine
        self.inbox = inbox
        self.retry_delays = tuple(retry_delays)
        self.batch_size = batch_size
        self.keep_finished = keep_finished
        self.poll_seconds = poll_seconds
        self.before_round = before_round
        """Called before each round of `run`: the server's acceptor lets a burst in first."""
        self.metrics = metrics
        self._one_at_a_time = 0
        """Rounds left to claim single requests, after a batch met a fault."""

    def run_once(self) -> int:
        """Claim and apply one round of due requests; how many were finished or rescheduled."""
        limit = 1 if self._one_at_a_time > 0 else self.batch_size
        self._one_at_a_time = max(0, self._one_at_a_time - 1)
        claimed: list[QueuedRequest] = []
        try:
            with self.inbox.store.transaction() as tx:
                claimed = self.inbox.claim_in(tx, now=self.engine.now(), limit=limit)
                applied = [self._apply_in(tx, request) for request in claimed]
        except Exception as exc:
            if len(claimed) == 1:
                self._charge(claimed[0], exc)
                return 1
            if claimed:
                # Which request met the fault is unknown: try this many one at a time.
                self._one_at_a_time = len(claimed)
                return 0
            raise
        if self.metrics is not None:  # counted once committed: a round that rolled back is applied again
            for captured in applied:
                self.metrics.applied_async(captured)
        return len(claimed)

    def _apply_in(self, tx: SQLTransaction, request: QueuedRequest) -> Result[CaptureReceipt, Problem]:
        """Apply `request` in `tx` and mark it finished; what the capture gave (a system fault raises)."""
        captured = self.engine.capture_in(tx, request.body, request.behavior)
        now = self.engine.now()
        if isinstance(captured, Success):
            body = _encode(success_envelope(captured.unwrap()))
            self.inbox.finish_in(tx, request, status=SUCCESS, reason=None, message=body, now=now)
            return captured
        problem = captured.failure()
        if problem.status >= 500:  # noqa: PLR2004 - the server-fault range: not the request's fault
            raise SystemFaultError(problem.message)
        body = _encode(error_envelope(problem))
        self.inbox.finish_in(tx, request, status=FAILURE, reason=problem.message, message=body, now=now)
        return captured

    def _charge(self, request: QueuedRequest, fault: Exception) -> None:
        """Record a system fault on `request`: due again after its next delay, or ERROR after the last."""
        reason = f"System fault: {type(fault).__name__}"
        log.warning("request %s met a system fault (attempt %d)", request.request_id, request.attempts + 1)
        now = self.engine.now()
        with self.inbox.store.transaction() as tx:
            if request.attempts < len(self.retry_delays):
                due = now + self.retry_delays[request.attempts]
                self.inbox.retry_in(tx, request, due=due, reason=reason)
                gave_up = False
            else:
                reason = f"{reason}; gave up after {request.attempts + 1} attempts"
                self.inbox.finish_in(tx, request, status=ERROR, reason=reason, message=None, now=now)
                gave_up = True
        if self.metrics is not None:
            (self.metrics.inbox_given_up if gave_up else self.metrics.inbox_retries).inc()

    def drain(self) -> int:
        """Apply requests until none is due; how many rounds' worth were handled."""
        handled = 0
        while (done := self.run_once()) or self._one_at_a_time:
            handled += done
        return handled

    def housekeeping(self) -> None:
        """Purge requests finished longer ago than `keep_finished`, and expired idempotency records."""
        self.inbox.purge(self.engine.now() - self.keep_finished)
        self.engine.purge_idempotency_records()

    def run(self, stop: threading.Event) -> None:
        """Apply requests until `stop` is set, waiting `poll_seconds` whenever none is due."""
        next_housekeeping = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_housekeeping:
                    self.housekeeping()
                    next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                if self.before_round is not None:
                    self.before_round()
                if self.run_once() or self._one_at_a_time:
                    continue
            except Exception:
                log.exception("worker round failed; trying again shortly")
                stop.wait(1.0)
            stop.wait(self.poll_seconds)


@contextlib.contextmanager
def sole_worker(database_path: Path | None, stop: threading.Event) -> Iterator[bool]:
    """Hold the lock file that makes this the only worker process on a SQLite database (no-op for others).

    Waits until the lock is free or `stop` is set; yields whether the lock is held.
    """
    if database_path is None:
        yield True
        return
    lock_path = database_path.with_name(database_path.name + ".worker-lock")
    with lock_path.open("a") as handle:
        while not stop.is_set():
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stop.wait(0.5)
                continue
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
            return
        yield False


def run_workers(
    worker: CaptureWorker,
    *,
    concurrency: int,
    stop: threading.Event,
    database_path: Path | None,
) -> None:
    """Run `concurrency` threads of `worker` until `stop` is set (on SQLite once this process holds the lock)."""
    with sole_worker(database_path, stop) as held:
        if not held:
            return
        log.info("worker applying queued captures with %d thread(s)", concurrency)
        threads = [
            threading.Thread(target=worker.run, args=(stop,), name=f"capture-worker-{n}", daemon=True)
            for n in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
