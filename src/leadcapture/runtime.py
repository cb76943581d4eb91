"""The real clock and id factory the engine uses unless told otherwise."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Final

_COUNTER_MAX: Final = 0xFFF
_IDS_PER_DRAW: Final = 512
_VARIANT_BITS: Final = bytes((byte & 0x3F) | 0x80 for byte in range(256))
"""Each byte with its top two bits set to the RFC 9562 variant `10`: a table for `bytes.translate`."""


def _time_prefix(ms: int) -> str:
    """`tttttttt-tttt-7`: the 48-bit millisecond timestamp and the version digit, as the id starts."""
    text = f"{ms:012x}"
    return f"{text[:8]}-{text[8:]}-7"


class _ForkCount:
    """How many times this process's line has forked; a child must not hand out its parent's random parts."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


os.register_at_fork(after_in_child=_ForkCount.bump)


def _random_parts() -> tuple[list[str], list[str]]:
    """The random halves of 512 ids, 62 bits each: `vxxx` groups, the variant bits set, and `xxxxxxxxxxxx`.

    Formatted by `bytes.hex` with a separator and split, without a Python step per id.
    """
    heads = bytearray(os.urandom(2 * _IDS_PER_DRAW))
    heads[0::2] = heads[0::2].translate(_VARIANT_BITS)
    return heads.hex("-", 2).split("-"), os.urandom(6 * _IDS_PER_DRAW).hex("-", 6).split("-")


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

    __slots__ = ("_counter", "_forks", "_heads", "_last_ms", "_lock", "_prefix", "_tails")

    def __init__(self) -> None:
        """A factory with its own monotonic counter."""
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._prefix = _time_prefix(0)
        self._heads: list[str] = []
        self._tails: list[str] = []
        self._forks = _ForkCount.value

    def new_id(self) -> str:
        """A new UUIDv7 as a lowercase hyphenated string."""
        # Built as text: the timestamp part is formatted once per millisecond and the random part is
        # taken from parts formatted 512 at a time from the system's random bytes.
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
            heads, tails = self._heads, self._tails
            if not tails or self._forks != _ForkCount.value:
                heads, tails = self._heads, self._tails = _random_parts()
                self._forks = _ForkCount.value
            return f"{self._prefix}{self._counter:03x}-{heads.pop()}-{tails.pop()}"
