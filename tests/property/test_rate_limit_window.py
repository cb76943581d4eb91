"""The in-process moving window answers as `limits`' moving window over its memory storage does (R-H4)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import RateLimitItemPerSecond, storage, strategies

from leadcapture.entrypoints import ratelimit
from leadcapture.entrypoints.ratelimit import MovingWindow, RateLimit


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=5),
    seconds=st.integers(min_value=1, max_value=3),
    steps=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(min_value=0.0, max_value=1.5)),
        min_size=1,
        max_size=60,
    ),
)
def test_same_answers_as_limits(amount: int, seconds: int, steps: list[tuple[str, float]]) -> None:
    clock = _Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ratelimit.time, "time", clock.time)
        item = RateLimitItemPerSecond(amount, seconds)
        theirs = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        ours = MovingWindow(RateLimit(amount=amount, seconds=seconds))
        for key, pause in steps:
            clock.now += pause
            allowed = theirs.hit(item, key)
            expected = None
            if not allowed:
                reset = theirs.get_window_stats(item, key).reset_time
                expected = max(1, math.ceil(reset - clock.now))
            assert ours.hit(key) == expected
