"""The performance targets, each a ratio to a baseline measured in the same run (issue 15), and their summary.

Absolute rates differ 3-4x between machines of one kind and from hour to hour, so every target compares
a path with something the same run measured on the same machine. Each benchmark calls `record` with the
ratios it measured; they land in `bench/.results.json` (not committed), and `python -m bench.summary`
(the last step of `make bench`) prints them as one table and writes it into docs/benchmarks.md.

A benchmark may record a bound beside a ratio: the ratio a floor reached in the same run, the least code
that does the same work with the same durability and gives the same answers (`bench/floor.py`,
`bench/floor_route.py`, the process start of a command). A target whose bound misses it is out of reach
in that run: no change to our code above that floor can meet it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

RESULTS: Final = Path(__file__).resolve().parent / ".results.json"


@dataclass(frozen=True)
class Target:
    """A wanted ratio: `path` compared with `baseline`, at least (or at most) `wanted`."""

    key: str
    path: str
    baseline: str
    wanted: float
    at_most: bool = False

    def reachable(self, bound: float | None) -> bool:
        """Whether a path whose floor reached `bound` could meet the target (True when no bound was measured)."""
        return bound is None or self.met(bound)

    def met(self, ratio: float) -> bool:
        """Whether `ratio` meets the target."""
        compare: Callable[[float, float], bool] = operator.le if self.at_most else operator.ge
        return compare(ratio, self.wanted)

    @property
    def wanted_text(self) -> str:
        """`>= 0.75x` or `<= 3x`."""
        return f"{'<=' if self.at_most else '>='} {self.wanted:g}x"


TARGETS: Final = (
    Target(
        "http",
        "HTTP Lead.Capture, group commit, SQLite FULL, 32 connections",
        "the baseline route of the same server (requests/s)",
        0.75,
    ),
    Target(
        "http-p99",
        "HTTP Lead.Capture p99 latency, same run",
        "the baseline route's p99",
        3.0,
        at_most=True,
    ),
    Target("sqlite-many", "capture_many into SQLite FULL", "raw sqlite3 batches (leads/s)", 0.6),
    Target("postgres-many", "capture_many into PostgreSQL", "raw psycopg COPY batches (leads/s)", 0.8),
    Target("preview", "`leadcapture preview FILE`", "Engine.preview of each row alone, in memory (rows/s)", 0.8),
    Target(
        "engine-ab",
        "Engine.capture in memory",
        "the same bench on an older commit, same run (`--against`; make bench: 597236f)",
        2.0,
    ),
)
BY_KEY: Final = {target.key: target for target in TARGETS}


class Measured(msgspec.Struct, frozen=True):
    """One measured ratio, what it compared, and when and by which benchmark it was measured."""

    ratio: float
    detail: str
    bench: str
    at: str
    bound: float | None = None
    """The ratio the path's floor reached in the same run: no code giving the same answers goes past it."""


def verdict(key: str, ratio: float, bound: float | None = None) -> str:
    """`met`, `NOT met`, or `NOT met, out of reach` when the floor's `bound` misses the target `key` too."""
    target = BY_KEY[key]
    if target.met(ratio):
        return "met"
    if bound is not None and not target.met(bound):
        return f"NOT met, out of reach (its floor {bound:.2f}x)"
    return "NOT met"


def line(key: str, ratio: float, bound: float | None = None) -> str:
    """What a benchmark prints for one ratio: the ratio, the target and whether it is met or within reach."""
    target = BY_KEY[key]
    return f"target {target.path} vs {target.baseline}: {ratio:.2f}x (wanted {target.wanted_text}): " + verdict(
        key, ratio, bound
    )


def record(bench: str, ratios: dict[str, tuple[float, str]], bounds: dict[str, float] | None = None) -> None:
    """Print the ratios `bench` measured against their targets and keep them for the summary.

    `bounds` holds, for some of them, the ratio the path's floor reached in the same run.
    """
    known = load()
    at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for key, (ratio, detail) in ratios.items():
        bound = (bounds or {}).get(key)
        print(line(key, ratio, bound) + f" ({detail})", flush=True)
        known[key] = Measured(ratio=ratio, detail=detail, bench=bench, at=at, bound=bound)
    RESULTS.write_bytes(msgspec.json.encode(known))


def load() -> dict[str, Measured]:
    """The ratios recorded so far (none if no benchmark ran here yet)."""
    try:
        return msgspec.json.decode(RESULTS.read_bytes(), type=dict[str, Measured])
    except (OSError, msgspec.DecodeError):
        return {}


def clear() -> None:
    """Forget the ratios of earlier runs (the first step of `make bench`)."""
    RESULTS.unlink(missing_ok=True)
