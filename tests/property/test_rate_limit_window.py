"""The in-process moving window answers as `limits`' moving window over its memory storage does (R-H4)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
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
@example(amount=2, seconds=3, steps=[("a", 0.0), ("a", 1.5), ("a", 1.5)])  # a hit exactly a window old
def test_same_answers_as_limits(amount: int, seconds: int, steps: list[tuple[str, float]]) -> None:
    """Both allow and refuse the same hits; a refusal waits until the hit that blocks it leaves the window.

    At the instant that hit is exactly `seconds` old, `limits` refuses (it counts the hit as in the window)
    but reports its window from the next hit, so its Retry-After is longer than the wait; ours is the wait.
    """
    clock = _Clock()
    allowed_at: dict[str, list[float]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ratelimit.time, "time", clock.time)
        item = RateLimitItemPerSecond(amount, seconds)
        theirs = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        ours = MovingWindow(RateLimit(amount=amount, seconds=seconds))
        for key, pause in steps:
            clock.now += pause
            allowed = theirs.hit(item, key)
            answer = ours.hit(key)
            if allowed:
                assert answer is None
                allowed_at.setdefault(key, []).append(clock.now)
                continue
            blocking = allowed_at[key][-amount]  # the oldest of the last `amount` allowed hits
            assert answer == max(1, math.ceil(blocking + seconds - clock.now))
            if blocking > clock.now - seconds:  # strictly inside the window: `limits` reports it too
                reset = theirs.get_window_stats(item, key).reset_time
                assert answer == max(1, math.ceil(reset - clock.now))


def test_a_hit_exactly_a_window_old_still_refuses_and_the_wait_is_one_second() -> None:
    """The case hypothesis found: two hits allowed in 3 s at 0 and 1.5 s; at 3.0 s the first still counts."""
    clock = _Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ratelimit.time, "time", clock.time)
        ours = MovingWindow(RateLimit(amount=2, seconds=3))
        answers = []
        for pause in (0.0, 1.5, 1.5, 0.5):
            clock.now += pause
            answers.append(ours.hit("a"))
    assert answers == [None, None, 1, None]
