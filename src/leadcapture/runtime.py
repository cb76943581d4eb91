"""The real clock and id factory the engine uses unless told otherwise."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Final

_COUNTER_MAX: Final = 0xFFF
_RANDOM_BYTES: Final = 8 * 512
_VARIANT: Final = {digit: "89ab"[int(digit, 16) & 0b11] for digit in "0123456789abcdef"}
"""The first hex digit of the random half, with its top two bits set to the RFC 9562 variant `10`."""


def _time_prefix(ms: int) -> str:
    """`tttttttt-tttt-7`: the 48-bit millisecond timestamp and the version digit, as the id starts."""
    text = f"{ms:012x}"
    return f"{text[:8]}-{text[8:]}-7"


class _ForkCount:
    """How many times this process's line has forked; a child must not hand out its parent's random tails."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


os.register_at_fork(after_in_child=_ForkCount.bump)


def _random_tails() -> list[str]:
    """`-vxxx-xxxxxxxxxxxx` endings of ids: 62 random bits each, after the RFC 9562 variant bits."""
    random = os.urandom(_RANDOM_BYTES).hex()
    return [
        f"-{_VARIANT[random[at]]}{random[at + 1 : at + 4]}-{random[at + 4 : at + 16]}"
        for at in range(0, len(random), 16)
    ]


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

    __slots__ = ("_counter", "_forks", "_last_ms", "_lock", "_prefix", "_tails")

    def __init__(self) -> None:
        """A factory with its own monotonic counter."""
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._prefix = _time_prefix(0)
        self._tails: list[str] = []
        self._forks = _ForkCount.value

    def new_id(self) -> str:
        """A new UUIDv7 as a lowercase hyphenated string."""
        # Built as text: the timestamp part is formatted once per millisecond and the random part is
        # taken from tails formatted 512 at a time from one system call's bytes.
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._counter = 0
                self._prefix = _time_prefix(ms)
            else:
                self._counter += 1
                if self._counter > _COUNTER_MAX:
                    self._last_ms += 1
                    self._counter = 0
                    self._prefix = _time_prefix(self._last_ms)
            tails = self._tails
            if not tails or self._forks != _ForkCount.value:
                tails = self._tails = _random_tails()
                self._forks = _ForkCount.value
            return f"{self._prefix}{self._counter:03x}{tails.pop()}"
