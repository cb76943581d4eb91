"""`UUID7Factory`: RFC 9562 version-7 GUIDs that are unique and sort in the order they were made."""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
import uuid

from leadcapture import UUID7Factory

COUNT = 10_000
HYPHENATED_LOWERCASE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ids(count: int = COUNT) -> list[str]:
    factory = UUID7Factory()
    return [factory.new_id() for _ in range(count)]


def test_ids_are_lowercase_hyphenated_guids() -> None:
    """Every id is a lowercase 8-4-4-4-12 hexadecimal GUID."""
    assert all(HYPHENATED_LOWERCASE.fullmatch(new_id) for new_id in _ids(1_000))


def test_version_nibble_is_seven() -> None:
    """The version nibble (first digit of the third group) is 7."""
    for new_id in _ids(1_000):
        assert new_id[14] == "7"
        assert uuid.UUID(new_id).version == 7


def test_variant_bits_are_rfc_9562() -> None:
    """The two top bits of the clock-sequence byte are 10 (the RFC 4122/9562 variant)."""
    for new_id in _ids(1_000):
        assert int(new_id[19], 16) >> 2 == 0b10
        assert uuid.UUID(new_id).variant == uuid.RFC_4122


def test_ids_are_time_ordered() -> None:
    """10,000 ids made one after another are strictly increasing, as strings and as integers."""
    ids = _ids()
    assert all(earlier < later for earlier, later in itertools.pairwise(ids))
    numbers = [uuid.UUID(new_id).int for new_id in ids]
    assert numbers == sorted(numbers)


def test_ids_are_unique() -> None:
    """10,000 ids are all different."""
    assert len(set(_ids())) == COUNT


def test_timestamp_is_the_unix_time_in_milliseconds() -> None:
    """The first 48 bits are the Unix time in milliseconds at which the id was made."""
    before = time.time_ns() // 1_000_000
    new_id = UUID7Factory().new_id()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(new_id).int >> 80 <= after


def test_ids_made_on_many_threads_are_unique() -> None:
    """One factory shared by 8 threads still gives 8 x 1,000 different ids."""
    factory = UUID7Factory()
    made: list[list[str]] = []
    lock = threading.Lock()

    def make() -> None:
        ids = [factory.new_id() for _ in range(1_000)]
        with lock:
            made.append(ids)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    every = [new_id for ids in made for new_id in ids]
    assert len(every) == 8_000
    assert len(set(every)) == 8_000
    for ids in made:
        assert ids == sorted(ids)


def test_a_forked_process_never_repeats_its_parents_ids() -> None:
    """After a fork, parent and child draw different random parts, though they inherit one pool of them."""
    factory = UUID7Factory()
    factory.new_id()  # the parent has a pool of random tails the child inherits
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits at once
        os.close(read_end)
        os.write(write_end, "\n".join(factory.new_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write_end)
    parent_ids = {factory.new_id() for _ in range(100)}
    with os.fdopen(read_end, "rb") as pipe:
        child_ids = set(pipe.read().decode().split("\n"))
    os.waitpid(child, 0)
    assert len(child_ids) == 100
    # The random parts, not just the whole ids: the two processes may stamp the same millisecond and count.
    assert {made[19:] for made in parent_ids}.isdisjoint(made[19:] for made in child_ids)
