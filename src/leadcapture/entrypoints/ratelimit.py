"""Per-access-key rate limiting (R-H4) with the `limits` library: a moving window, in memory or Redis."""

from __future__ import annotations

import math
import re
import time
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


class RateLimiter:
    """A moving-window limiter; memory storage for one process, `redis://` for several."""

    def __init__(self, limit: RateLimit, *, storage_uri: str = "memory://", namespace: str = "key") -> None:
        """Limit every key to `limit`, counting in the storage `storage_uri` names under `namespace`."""
        self.limit = limit
        self.in_process = storage_uri.startswith("memory://")
        """Whether counting stays in this process (memory storage), so a hit never waits on the network."""
        self._item = RateLimitItemPerSecond(limit.amount, limit.seconds, namespace=namespace)
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def hit(self, key: str) -> int | None:
        """Count one request for `key`: None if it is allowed, else the seconds to wait (Retry-After)."""
        if self._limiter.hit(self._item, key):
            return None
        reset_at = self._limiter.get_window_stats(self._item, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
