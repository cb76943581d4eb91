"""A/B: this tree's `Engine.capture` against an older commit's, on the same bodies, in one run.

`python -m bench --against REV` exports REV's `src/` (`git archive`) into a temporary folder and times both
engines with `bench/ab_runner.py`, each in a subprocess that imports `leadcapture` from its own tree only,
on the same bodies (written to a file once). The two alternate for `rounds` rounds, so both see the same
machine; the ratio is the median of the per-round ratios of captures per second.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Final

import msgspec

from bench.workload import Workload

ROOT: Final = Path(__file__).resolve().parent.parent
RUNNER: Final = Path(__file__).resolve().parent / "ab_runner.py"


@dataclass(frozen=True)
class Side:
    """One engine's timings: its label and, per round, (captures, wall seconds, CPU seconds)."""

    label: str
    rounds: tuple[tuple[int, float, float], ...]
    bytecodes: float
    """Python bytecodes executed per capture (an opcode trace; the same in every round)."""

    @property
    def rates(self) -> list[float]:
        """Captures per second, per round."""
        return [count / seconds for count, seconds, _cpu in self.rounds]

    @property
    def best(self) -> float:
        """The best round's captures per second."""
        return max(self.rates)


@dataclass(frozen=True)
class ABResult:
    """Both sides and the median of per-round ratios (this tree over the older one)."""

    revision: str
    current: Side
    older: Side

    @property
    def ratio(self) -> float:
        """This tree's captures per second over the older tree's, median over rounds."""
        return statistics.median(new / old for new, old in zip(self.current.rates, self.older.rates, strict=True))


def _git(*args: str) -> bytes:
    git = shutil.which("git")
    if git is None:
        msg = "git is needed to export the older commit"
        raise RuntimeError(msg)
    return subprocess.run([git, *args], cwd=ROOT, capture_output=True, check=True).stdout  # noqa: S603


def export_source(revision: str, folder: Path) -> tuple[Path, str]:
    """REV's `src/` tree under `folder`, and REV's short commit id."""
    commit = _git("rev-parse", "--short", f"{revision}^{{commit}}").decode().strip()
    archive = _git("archive", "--format=tar", commit, "src")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src", commit


def _run(src: Path, bodies: Path, repeats: int) -> tuple[int, float, float, float]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(RUNNER), str(src), str(bodies), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
        cwd=bodies.parent,
    )
    if done.returncode != 0:
        msg = f"the engine of {src} failed: {done.stderr.strip()}"
        raise RuntimeError(msg)
    found = json.loads(done.stdout)
    return found["count"], found["seconds"], found["cpu_seconds"], found["bytecodes"]


def run_ab(workload: Workload, revision: str, *, rounds: int = 3, repeats: int = 2) -> ABResult:
    """Time this tree's engine and REV's, alternating, on the workload's bodies."""
    with tempfile.TemporaryDirectory(prefix="leadcapture-ab-") as tmp:
        folder = Path(tmp)
        older_src, commit = export_source(revision, folder / "older")
        bodies = folder / "bodies.msgpack"
        bodies.write_bytes(msgspec.msgpack.encode((list(workload.seed_bodies), list(workload.bodies))))
        current: list[tuple[int, float, float, float]] = []
        older: list[tuple[int, float, float, float]] = []
        for number in range(rounds):
            order = [("current", ROOT / "src"), ("older", older_src)]
            for label, src in order if number % 2 == 0 else reversed(order):
                (current if label == "current" else older).append(_run(src, bodies, repeats))
            print(
                f"  A/B round {number + 1}/{rounds}: this tree {current[-1][0] / current[-1][1]:,.0f}/s, "
                f"{commit} {older[-1][0] / older[-1][1]:,.0f}/s",
                flush=True,
            )
    return ABResult(revision=commit, current=_side("this tree", current), older=_side(commit, older))


def _side(label: str, runs: list[tuple[int, float, float, float]]) -> Side:
    return Side(label, tuple((count, wall, cpu) for count, wall, cpu, _ in runs), bytecodes=runs[0][3])
