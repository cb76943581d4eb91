"""The server's logs: one line per request, as text or as one JSON object, and the request id they share.

Every request gets a `RequestNote` for as long as it is handled: its request id (the caller's
`X-Request-Id` when it gave a usable one, else a new one), its route, the name of the key that called, and
what a capture did (outcome and rule) or which error it answered. Every log line written while the request
is handled carries its request id, and the access line carries the whole note. Neither the query (which may
hold keys) nor any lead data is ever logged.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from returns.result import Result, Success

from leadcapture.core.decision import CaptureReceipt
from leadcapture.core.problems import Problem

LogFormat = Literal["text", "json"]
LOG_FORMATS: Final[tuple[LogFormat, ...]] = ("text", "json")
REQUEST_ID_HEADER: Final = "X-Request-Id"
UNMATCHED_ROUTE: Final = "unmatched"
"""The route of a request that matched none: its path is not used, so that a scan cannot grow the labels."""
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"

_GIVEN_REQUEST_ID: Final = re.compile(r"[!-~]{1,128}")
"""A caller's request id is kept when it is 1 to 128 visible ASCII characters: it goes into headers and logs."""

access_log = logging.getLogger("leadcapture.access")


@dataclass(slots=True)
class RequestNote:
    """What one request is and did, filled in while it is handled; the access line and the metrics read it."""

    request_id: str
    method: str
    path: str
    route: str = UNMATCHED_ROUTE
    key: str | None = None
    """The name (never the secret) of the access key that called."""
    outcome: str | None = None
    """What the capture did: Created, Updated, Converted or Rejected; None when the request captured nothing."""
    rule: str | None = None
    """The rule id behind the outcome (the decision's, or the rejection's)."""
    exception_type: str | None = None
    """The error envelope's `ExceptionType`, when the answer is an error."""


_current: contextvars.ContextVar[RequestNote | None] = contextvars.ContextVar("leadcapture_request", default=None)


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-Id` if it sent a usable one (1-128 visible ASCII characters), else a new id."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            given = value.decode("latin-1")
            if _GIVEN_REQUEST_ID.fullmatch(given):
                return given
            break
    return new_request_id()


class _RandomIds:
    """Version-4 UUIDs in hex, as `uuid.uuid4().hex` makes them, from random bytes read 256 ids at a time.

    `uuid4` reads the system's random source once per id; in the server that system call released the
    interpreter lock on every request, and winning it back from the group-commit writer cost far more
    than the read itself (profiled under load). The bytes are the same kind (`os.urandom`).
    """

    _IDS_PER_READ: Final = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._next = 0
        os.register_at_fork(after_in_child=self._forget)  # a forked process must not repeat the parent's ids

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._next = b"", 0

    def __call__(self) -> str:
        with self._lock:
            if self._next >= len(self._pool):
                self._pool, self._next = os.urandom(16 * self._IDS_PER_READ), 0
            raw = bytearray(self._pool[self._next : self._next + 16])
            self._next += 16
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
        return raw.hex()


new_request_id: Final = _RandomIds()
"""A new request id: 32 hex digits of a random version-4 UUID."""


def begin_request(note: RequestNote) -> contextvars.Token[RequestNote | None]:
    """Make `note` the current request's (for this task and the threads it hands work to)."""
    return _current.set(note)


def end_request(token: contextvars.Token[RequestNote | None]) -> None:
    """Forget the current request."""
    _current.reset(token)


def current_request() -> RequestNote | None:
    """The note of the request being handled, if any."""
    return _current.get()


def note_key(name: str) -> None:
    """Record the name of the key the current request authenticated with."""
    note = _current.get()
    if note is not None:
        note.key = name


def note_capture(captured: Result[CaptureReceipt, Problem]) -> None:
    """Record what the current request's capture did: its outcome and rule (an error also notes its type)."""
    note = _current.get()
    if note is None:
        return
    if isinstance(captured, Success):
        receipt = captured.unwrap()
        note.outcome = receipt.outcome.value
        note.rule = receipt.decision.explanation.rule
    else:
        problem = captured.failure()
        note.outcome = "Rejected"
        note.rule = problem.rule
        note.exception_type = problem.exception_type.value


def note_problem(problem: Problem) -> None:
    """Record the error the current request answers."""
    note = _current.get()
    if note is not None:
        note.exception_type = problem.exception_type.value


def log_access(note: RequestNote, status: int, seconds: float) -> None:
    """Write the request's access line: method, path, status, duration and key, with the note for JSON."""
    access_log.info(
        "%s %s %d %.1fms key=%s request_id=%s",
        note.method,
        note.path,
        status,
        seconds * 1000,
        note.key or "-",
        note.request_id,
        extra={"access": (note, status, seconds)},
    )


class RequestIdFilter(logging.Filter):
    """Gives every record written while a request is handled that request's id (`record.request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id; never drops a record."""
        if not hasattr(record, "request_id"):
            note = _current.get()
            record.request_id = note.request_id if note is not None else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, and an access line's fields.

    An access line adds method, path, route, status, duration_ms, key, and, where the request had them,
    outcome, rule and exception_type. Fields without a value are left out.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        access = getattr(record, "access", None)
        if access is not None:
            note, status, seconds = access
            entry.update(
                method=note.method,
                path=note.path,
                route=note.route,
                status=status,
                duration_ms=round(seconds * 1000, 3),
                key=note.key,
                outcome=note.outcome,
                rule=note.rule,
                exception_type=note.exception_type,
            )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps({name: value for name, value in entry.items() if value is not None})


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    """The formatter of `log_format`: today's text line, or one JSON object per line."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: LogFormat = "text") -> None:
    """Access and error logs to stderr, one line per record, unless logging is configured already."""
    root = logging.getLogger("leadcapture")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter_for(log_format))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False  # written once, here, not again by handlers the framework put on the root logger


def uvicorn_log_config(log_format: LogFormat) -> dict[str, Any] | None:
    """uvicorn's own logging (startup, shutdown, its errors) in `log_format`; None keeps uvicorn's default."""
    if log_format == "text":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            name: {"handlers": ["json"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
