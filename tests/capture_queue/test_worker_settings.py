"""The worker's settings as the command line gives them: durations and the retry schedule (R-Q3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadcapture.entrypoints.worker import DEFAULT_RETRY_DELAYS, DEFAULT_RETRY_SCHEDULE, parse_delays, parse_duration


def test_R_Q3_the_default_schedule_text_is_the_spec_schedule() -> None:
    """`--retry-delays`' default reads as 30s, 2m, 7m, 15m, 30m, 45m, 60m, 1.5h, 2h, 3h."""
    assert parse_delays(DEFAULT_RETRY_SCHEDULE) == DEFAULT_RETRY_DELAYS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("2m", timedelta(minutes=2)),
        ("1.5h", timedelta(minutes=90)),
        ("7d", timedelta(days=7)),
    ],
)
def test_durations_read_with_their_unit(text: str, expected: timedelta) -> None:
    """A number and s, m, h or d."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "s", "-1m", "2w", "abc"])
def test_bad_durations_are_refused_with_the_accepted_forms(text: str) -> None:
    """Anything else is a ValueError that says what is accepted."""
    with pytest.raises(ValueError, match="use a number and s, m, h or d"):
        parse_duration(text)


def test_an_empty_schedule_means_no_retries() -> None:
    """`--retry-delays ''`: a system fault ends the request as ERROR at once."""
    assert parse_delays("") == ()
