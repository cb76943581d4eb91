"""`take_group`: what the group-commit writer (and the benchmark's floor route) takes into one transaction."""

from __future__ import annotations

import queue

from leadcapture.entrypoints.group_commit import take_group

_STOP = object()


def _queued(*items: object) -> queue.SimpleQueue[object]:
    waiting: queue.SimpleQueue[object] = queue.SimpleQueue()
    for item in items:
        waiting.put(item)
    return waiting


def test_a_group_is_the_first_item_and_everything_already_waiting() -> None:
    waiting = _queued(2, 3)
    assert take_group(waiting, 1, 10, _STOP) == ([1, 2, 3], False)
    assert waiting.empty()


def test_a_group_holds_at_most_the_limit_and_leaves_the_rest_queued() -> None:
    waiting = _queued(2, 3, 4)
    assert take_group(waiting, 1, 2, _STOP) == ([1, 2], False)
    assert [waiting.get_nowait(), waiting.get_nowait()] == [3, 4]


def test_the_stop_marker_ends_the_group_and_is_reported_not_taken() -> None:
    waiting = _queued(2, _STOP, 3)
    assert take_group(waiting, 1, 10, _STOP) == ([1, 2], True)
    assert waiting.get_nowait() == 3


def test_a_lone_first_item_is_a_group_of_one() -> None:
    assert take_group(_queued(), "only", 5, None) == (["only"], False)
