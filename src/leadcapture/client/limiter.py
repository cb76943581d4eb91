"""A client-side limiter: keep one caller under N calls per W seconds, waiting instead of being refused."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec


class CallRate(msgspec.Struct, frozen=True, kw_only=True):
    """At most `amount` calls in any `seconds` seconds."""

    amount: int
    seconds: int


class CallLimiter:
    """A moving window of `rate` (the `limits` library); `wait` blocks until one more call fits in it."""

    def __init__(self, rate: CallRate, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Limit to `rate`, pausing with `sleep`."""
        if rate.amount < 1 or rate.seconds < 1:
            message = "a call rate needs amount >= 1 and seconds >= 1"
            raise ValueError(message)
        from limits import RateLimitItemPerSecond, storage, strategies

        self.rate = rate
        self._item = RateLimitItemPerSecond(rate.amount, rate.seconds)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._sleep = sleep

    def wait(self) -> float:
        """Count one call, first sleeping until the window has room; returns the seconds slept."""
        slept = 0.0
        while not self._limiter.hit(self._item, "calls"):
            reset_at = self._limiter.get_window_stats(self._item, "calls").reset_time
            pause = max(0.01, reset_at - time.time())
            self._sleep(pause)
            slept += pause
        return slept
