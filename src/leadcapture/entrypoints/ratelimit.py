"""Per-access-key rate limiting (R-H4) with the `limits` library: a moving window, in memory or Redis."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from typing import Final

import msgspec
from limits import RateLimitItemPerSecond, storage, strategies

_SPEC: Final = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*s(?:ec(?:ond)?s?)?\s*")


class RateLimit(msgspec.Struct, frozen=True, kw_only=True):
    """At most `amount` requests per `seconds` seconds for one access key."""

    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Read `N/Ws` (`25/5s`; `100/s` means per one second)."""
        found = _SPEC.fullmatch(text)
        if found is None or int(found.group(1)) < 1:
            msg = f"rate limit must look like 25/5s, not {text!r}"
            raise ValueError(msg)
        return cls(amount=int(found.group(1)), seconds=int(found.group(2) or 1))


_SWEEP_EVERY: Final = 4096
"""Hits between two sweeps of the in-process windows that have emptied (keys not seen for a window)."""


class MovingWindow:
    """The moving window of `limits` (at most `amount` hits in any `seconds`), kept in this process.

    It answers as `limits.strategies.MovingWindowRateLimiter` over `MemoryStorage` does: a hit is allowed
    while fewer than `amount` allowed hits are at most `seconds` old, and a refused one may retry when
    the oldest of them leaves the window. (At the instant that hit is exactly `seconds` old, `limits`
    reports a window that starts at the next hit, so its Retry-After is longer than the wait; this one
    says the wait.) Each key keeps its last `amount` allowed hits' times in a
    bounded deque, so a hit costs the same whatever the limit, with no timer thread; keys whose hits
    have all left the window are dropped every few thousand hits.
    """

    def __init__(self, limit: RateLimit) -> None:
        """Count hits against `limit`."""
        self._amount = limit.amount
        self._seconds = limit.seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._until_sweep = _SWEEP_EVERY

    def hit(self, key: str) -> int | None:
        """Count one request for `key`: None if it is allowed, else the seconds to wait (Retry-After)."""
        now = time.time()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque(maxlen=self._amount)
            elif len(hits) == self._amount and hits[0] >= now - self._seconds:
                return max(1, math.ceil(hits[0] + self._seconds - now))
            hits.append(now)
            self._until_sweep -= 1
            if self._until_sweep <= 0:
                self._sweep(now)
            return None

    def _sweep(self, now: float) -> None:
        self._until_sweep = _SWEEP_EVERY
        oldest = now - self._seconds
        for key in [key for key, hits in self._hits.items() if hits[-1] < oldest]:
            del self._hits[key]


class RateLimiter:
    """A moving-window limiter; in this process's memory for one process, in `redis://` for several."""

    def __init__(self, limit: RateLimit, *, storage_uri: str = "memory://", namespace: str = "key") -> None:
        """Limit every key to `limit`, counting in the storage `storage_uri` names under `namespace`."""
        self.limit = limit
        self.in_process = storage_uri.startswith("memory://")
        """Whether counting stays in this process (memory storage), so a hit never waits on the network."""
        self._window = MovingWindow(limit) if self.in_process else None
        self._item = RateLimitItemPerSecond(limit.amount, limit.seconds, namespace=namespace)
        self._limiter = (
            None if self.in_process else strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        )

    def hit(self, key: str) -> int | None:
        """Count one request for `key`: None if it is allowed, else the seconds to wait (Retry-After)."""
        if self._window is not None:
            return self._window.hit(key)
        assert self._limiter is not None  # noqa: S101 - one of the two is set
        if self._limiter.hit(self._item, key):
            return None
        reset_at = self._limiter.get_window_stats(self._item, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
