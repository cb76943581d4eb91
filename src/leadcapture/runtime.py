"""The real clock and id factory the engine uses unless told otherwise."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Final

_COUNTER_MAX: Final = 0xFFF
_RANDOM_BLOCK: Final = 8 * 512


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


class UUID7Factory:
    """Time-ordered GUIDs in the UUIDv7 layout (RFC 9562): 48 bits of Unix milliseconds, then random bits.

    Ids made later sort later, so new rows land at the right edge of a B-tree index instead of at random
    places; ids made within one millisecond stay ordered through a 12-bit counter.
    """

    __slots__ = ("_counter", "_last_ms", "_lock", "_random", "_random_at")

    def __init__(self) -> None:
        """A factory with its own monotonic counter."""
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._random = b""
        self._random_at = 0

    def new_id(self) -> str:
        """A new UUIDv7 as a lowercase hyphenated string."""
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                self._counter += 1
                if self._counter > _COUNTER_MAX:
                    self._last_ms += 1
                    self._counter = 0
                ms = self._last_ms
            else:
                self._last_ms = ms
                self._counter = 0
            counter = self._counter
            # One system call per 512 ids rather than one per id.
            if self._random_at >= len(self._random):
                self._random = os.urandom(_RANDOM_BLOCK)
                self._random_at = 0
            chunk = self._random[self._random_at : self._random_at + 8]
            self._random_at += 8
        tail = int.from_bytes(chunk, "big") & 0x3FFF_FFFF_FFFF_FFFF
        value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | tail
        text = f"{value:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
