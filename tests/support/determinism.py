"""A clock and an id factory that give the same sequence every time, so several engines stay in step."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 1, tzinfo=UTC)


class SteppingClock:
    """Starts at 2026-01-01 UTC and moves one millisecond forward at every reading."""

    def __init__(self, start: datetime = START) -> None:
        """A clock whose first reading is `start` plus one millisecond."""
        self._ticks = itertools.count(1)
        self._start = start

    def now(self) -> datetime:
        """The next moment."""
        return self._start + timedelta(milliseconds=next(self._ticks))


class CountingIds:
    """GUID-shaped ids from a counter: `00000000-0000-7000-8000-000000000001`, then ...02, and so on."""

    def __init__(self, prefix: int = 0) -> None:
        """Ids whose first group is `prefix`, so that two factories never collide."""
        self._numbers = itertools.count(1)
        self._prefix = prefix

    def new_id(self) -> str:
        """The next id."""
        return f"{self._prefix:08x}-0000-7000-8000-{next(self._numbers):012x}"
