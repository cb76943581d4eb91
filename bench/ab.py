"""A/B: this tree's `Engine.capture` against an older commit's, on the same bodies, in one run.

`python -m bench --against REV` exports REV's `src/` (`git archive`) into a temporary folder and times both
engines with `bench/ab_runner.py`, each in a subprocess that imports `leadcapture` from its own tree only,
on the same bodies (written to a file once). The two alternate for `rounds` rounds, so both see the same
machine; the ratio is the median of the per-round ratios of captures per second of CPU time (time spent
waiting for the core, which other processes on a shared machine take, does not count). Each round also
times the floor (`bench/floor.py`: the least work a capture of these bodies can do, on this tree's
leadcapture) and the answering floor (the same work, also answering what `Engine.capture` answers: its
receipt, decision and explanation), so the run shows how far above either floor either engine is.
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

from bench.floor import check_agreement, check_answer_agreement
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
        """Captures per second of the process's CPU time, per round: waiting for the core does not count."""
        return [count / cpu for count, _wall, cpu in self.rounds]

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
    floor: Side
    """The floor's timings in the same rounds."""
    answering_floor: Side
    """The answering floor's timings in the same rounds: the floor that also answers what `Engine.capture` does."""

    @property
    def ratio(self) -> float:
        """This tree's captures per second over the older tree's, median over rounds."""
        return _median_ratio(self.current, self.older)

    @property
    def floor_ratio(self) -> float:
        """The floor's captures per second over the older tree's: the most any engine could reach here."""
        return _median_ratio(self.floor, self.older)

    @property
    def answering_floor_ratio(self) -> float:
        """The answering floor's captures per second over the older tree's: the most an engine giving the same
        answers could reach here."""
        return _median_ratio(self.answering_floor, self.older)


def _median_ratio(side: Side, base: Side) -> float:
    return statistics.median(new / old for new, old in zip(side.rates, base.rates, strict=True))


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


def _run(src: Path, bodies: Path, repeats: int, mode: str | None = None) -> tuple[int, float, float, float]:
    """One runner process: the engine of `src`, or with `mode` (`--floor`, `--floor-answers`) one of the floors."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(RUNNER), str(src), str(bodies), str(repeats), *([mode] if mode is not None else [])],
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


def run_ab(workload: Workload, revision: str, *, rounds: int = 4, repeats: int = 2) -> ABResult:
    """Time this tree's engine, REV's, the floor and the answering floor, in turns, on the workload's bodies.

    The floor is first checked to store what this tree's engine stores for every body (`check_agreement`), and
    the answering floor to store it and answer what the engine answers (`check_answer_agreement`).
    """
    every_body = [*workload.seed_bodies, *workload.bodies]
    check_agreement(every_body)
    check_answer_agreement(every_body)
    with tempfile.TemporaryDirectory(prefix="leadcapture-ab-") as tmp:
        folder = Path(tmp)
        older_src, commit = export_source(revision, folder / "older")
        bodies = folder / "bodies.msgpack"
        bodies.write_bytes(msgspec.msgpack.encode((list(workload.seed_bodies), list(workload.bodies))))
        sides: list[tuple[str, Path, str | None]] = [
            ("current", ROOT / "src", None),
            ("older", older_src, None),
            ("floor", ROOT / "src", "--floor"),
            ("answering floor", ROOT / "src", "--floor-answers"),
        ]
        runs: dict[str, list[tuple[int, float, float, float]]] = {label: [] for label, _, _ in sides}
        for number in range(rounds):
            # The order turns by one side a round: with as many rounds as sides, each side runs first once.
            order = sides[number % len(sides) :] + sides[: number % len(sides)]
            for label, src, mode in order:
                runs[label].append(_run(src, bodies, repeats, mode))
            print(
                f"  A/B round {number + 1}/{rounds}: this tree {_rate(runs['current'][-1]):,.0f}/s, "
                f"{commit} {_rate(runs['older'][-1]):,.0f}/s, floor {_rate(runs['floor'][-1]):,.0f}/s, "
                f"answering floor {_rate(runs['answering floor'][-1]):,.0f}/s",
                flush=True,
            )
    return ABResult(
        revision=commit,
        current=_side("this tree", runs["current"]),
        older=_side(commit, runs["older"]),
        floor=_side("floor", runs["floor"]),
        answering_floor=_side("answering floor", runs["answering floor"]),
    )


def _rate(run: tuple[int, float, float, float]) -> float:
    """Captures per CPU second of one run, as `Side.rates` counts them."""
    count, _wall, cpu, _bytecodes = run
    return count / cpu


def _side(label: str, runs: list[tuple[int, float, float, float]]) -> Side:
    return Side(label, tuple((count, wall, cpu) for count, wall, cpu, _ in runs), bytecodes=runs[0][3])
