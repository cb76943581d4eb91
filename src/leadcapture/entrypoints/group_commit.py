"""Group commit: one writer thread per server process applies the captures that arrive together in one
transaction, so that one durable commit (one fsync with SQLite's `synchronous=FULL`) acknowledges many.

Each request still gets exactly the answer a capture of its own would give, and is acknowledged only after
the transaction holding it committed: the group is an `Engine.capture_many` call, in which every capture is
all-or-nothing, a later one sees what earlier ones did, and a rejected one does not undo the others
(adr/0033). Requests are grouped by their `LeadUpdateBehavior`, in arrival order.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeVar

from returns.result import Result

from leadcapture.core.decision import CaptureReceipt
from leadcapture.core.problems import Problem
from leadcapture.service import Engine

if TYPE_CHECKING:
    from leadcapture.entrypoints.metrics import ServerMetrics

Item = TypeVar("Item")

MAX_GROUP: Final = 256
"""The most captures one transaction takes; a longer queue is committed in several groups."""
CATCH_UP_SECONDS: Final = 0.02
"""How long the writer waits at most for the event loop to hand over the captures it has in hand."""


@dataclass(eq=False)
class _Pending:
    body: bytes
    behavior: str | None
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[Result[CaptureReceipt, Problem]] = field(init=False)

    def __post_init__(self) -> None:
        self.answer = self.loop.create_future()


_STOP: Final = object()


class GroupCommitWriter:
    """Applies every capture of this process from one thread, committing what arrived together at once."""

    def __init__(self, engine: Engine, *, max_group: int = MAX_GROUP, metrics: ServerMetrics | None = None) -> None:
        """Write through `engine`, at most `max_group` captures per transaction, recording each in `metrics`."""
        if max_group < 1:
            msg = "max_group must be at least 1"
            raise ValueError(msg)
        self._engine = engine
        self._max_group = max_group
        self._metrics = metrics
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leadcapture-writer", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Apply what is queued, then stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    async def capture(self, body: bytes, behavior: str | None) -> Result[CaptureReceipt, Problem]:
        """Capture `body` in the next group; answers once the group's transaction has committed."""
        self.start()
        pending = _Pending(body, behavior, asyncio.get_running_loop())
        self._queue.put(pending)
        return await pending.answer

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            if isinstance(first, _Pending):
                let_loop_catch_up(first.loop)
            group, stopping = take_group(self._queue, first, self._max_group, _STOP)
            self._commit([item for item in group if isinstance(item, _Pending)])
            if stopping:
                return

    def _commit(self, group: list[_Pending]) -> None:
        by_behavior: dict[str | None, list[_Pending]] = {}
        for pending in group:
            by_behavior.setdefault(pending.behavior, []).append(pending)
        for behavior, members in by_behavior.items():
            started = time.perf_counter()
            try:
                results = self._engine.capture_many([pending.body for pending in members], behavior)
            except Exception as exc:
                for pending in members:
                    pending.loop.call_soon_threadsafe(_fail, pending.answer, exc)
                continue
            if self._metrics is not None:
                self._metrics.group_committed(len(members), time.perf_counter() - started)
            # One hand-off per event loop for the whole group, not one per request: each wakes the loop.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Answer, Result[CaptureReceipt, Problem]]]] = {}
            for pending, result in zip(members, results, strict=True):
                by_loop.setdefault(pending.loop, []).append((pending.answer, result))
            for loop, answers in by_loop.items():
                loop.call_soon_threadsafe(_settle_all, answers)


_Answer = asyncio.Future[Result[CaptureReceipt, Problem]]


def take_group(waiting: queue.SimpleQueue[Item], first: Item, limit: int, stop: object) -> tuple[list[Item], bool]:
    """`first` and what else is waiting, up to `limit` items in all; and whether `stop` was taken meanwhile.

    Takes only what is already queued: a group never waits for a capture that has not arrived.
    """
    group = [first]
    while len(group) < limit:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            break
        if item is stop:
            return group, True
        group.append(item)
    return group, False


def let_loop_catch_up(loop: asyncio.AbstractEventLoop) -> None:
    """Wait until `loop` has run what it had ready, so that the group takes every capture it had in hand.

    Under load, the first capture of a group arrives while the event loop still holds the next requests,
    parsed but not yet queued: a group taken at once holds a few captures, and each of its commits pays
    again for the transaction and for the interpreter lock passing between the two threads, both at
    work. Waiting for the loop to pass a marker makes groups several times larger (profiled: 6 to 25
    captures at 32 connections) and lets the writer work while the loop waits for it. An idle loop
    passes the marker at once; a loop that is stopping may never run it, so the wait is bounded.
    """
    passed = threading.Event()
    try:
        loop.call_soon_threadsafe(passed.set)
    except RuntimeError:  # the loop is closed: nothing more can arrive from it
        return
    passed.wait(CATCH_UP_SECONDS)


def _settle_all(answers: list[tuple[_Answer, Result[CaptureReceipt, Problem]]]) -> None:
    for answer, result in answers:
        if not answer.done():  # the client may have gone away and the request been cancelled
            answer.set_result(result)


def _fail(answer: asyncio.Future[Result[CaptureReceipt, Problem]], exc: Exception) -> None:
    if not answer.done():
        answer.set_exception(exc)
