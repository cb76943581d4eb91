"""Rendering a run: the machine it ran on, the tables, the profile, and the generated part of the docs."""

from __future__ import annotations

import os
import platform
import pstats
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bench.engine import EngineResults, Figure
from bench.targets import BY_KEY, verdict

if TYPE_CHECKING:
    from bench.ab import ABResult

BEGIN: Final = "<!-- bench:engine:begin (written by `make bench`; edits here are overwritten) -->"
END: Final = "<!-- bench:engine:end -->"
PROFILE_ROWS: Final = 25


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or "?" where /proc is missing."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "?"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what `platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def code_version() -> str:
    """The commit measured, and whether the work tree had uncommitted changes under src/."""
    root = Path(__file__).resolve().parent.parent
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"

    def run(*args: str) -> str:
        return subprocess.run([git, *args], cwd=root, capture_output=True, text=True, check=True).stdout  # noqa: S603

    try:
        commit = run("rev-parse", "--short", "HEAD").strip()
        changed = run("status", "--porcelain", "--", "src").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (f" with uncommitted changes to {len(changed)} files under src/" if changed else "")


def machine_details(load_before: str, load_after: str) -> list[tuple[str, str]]:
    """What the figures depend on, as (item, value) rows."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("code", code_version()),
        ("CPU", cpu_model()),
        ("cores", f"{cores} ({usable} usable by this process; the benchmark uses one)"),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("msgspec", version("msgspec")),
        ("phonenumbers", version("phonenumbers")),
        ("email-validator", version("email-validator")),
        ("returns", version("returns")),
        ("load average (1/5/15 min) before / after", f"{load_before} / {load_after}"),
    ]


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """A Markdown table whose columns line up in a terminal too."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _per_second(figure: Figure) -> str:
    return f"{figure.rate:,.0f}"


def main_table(results: EngineResults) -> str:
    """Captures, previews and the baseline, each with its ratio to the baseline."""
    base = results.baseline.rate
    rows = [
        (
            figure.name,
            _per_second(figure),
            f"{figure.micros:,.1f}",
            f"{figure.rate / base:.3f} ({base / figure.rate:,.0f}x slower)" if figure is not results.baseline else "1",
            f"{figure.cpu_rate:,.0f} ({figure.cpu_seconds / figure.seconds:.0%})",
            figure.note,
        )
        for figure in (results.capture, results.preview, results.baseline)
    ]
    header = ("figure", "per second", "µs each", "ratio to baseline", "per CPU second (CPU/wall)", "what is timed")
    return table(header, rows)


def micro_table(results: EngineResults) -> str:
    """The libraries next to their fast paths, on the values the workload submits."""
    library_email, fast_email, normal_email, library_phone, fast_phone, normal_phone = results.micro
    rows = []
    for figure, library, hits in (
        (library_email, None, None),
        (fast_email, library_email, results.email_fast_hits),
        (normal_email, library_email, None),
        (library_phone, None, None),
        (fast_phone, library_phone, results.phone_fast_hits),
        (normal_phone, library_phone, None),
    ):
        rows.append(
            (
                figure.name,
                _per_second(figure),
                f"{figure.micros:,.2f}",
                f"{figure.rate / library.rate:,.1f}x" if library is not None else "1x",
                f"{hits:.1%}" if hits is not None else "",
                f"{figure.note} ({figure.count:,} values)",
            ),
        )
    return table(("value check", "per second", "µs each", "vs library", "fast-path hits", "what is timed"), rows)


def _where(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":
        return func
    for marker in ("site-packages/", "/src/", "/lib/python"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({func})"


def _area(filename: str) -> str:
    if filename == "~":
        return "built-ins and C extensions (msgspec, re, dict, ...)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/src/" in filename:
        return filename.split("/src/", 1)[1]
    return "standard library (" + filename.rsplit("/", 1)[-1] + ")"


def profile_tables(stats: pstats.Stats) -> tuple[str, str, float]:
    """The top functions by own time, own time by file or package, and the total profiled seconds."""
    entries = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    total = sum(tt for _cc, _nc, tt, _ct, _callers in entries.values())
    ordered = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:PROFILE_ROWS]
    rows = [
        (
            str(nc) if nc == cc else f"{nc}/{cc}",
            f"{tt:.3f}",
            f"{tt / total:.1%}",
            f"{ct:.3f}",
            _where(key).replace("|", "\\|"),
        )
        for key, (cc, nc, tt, ct, _callers) in ordered
    ]
    top = table(("calls", "tottime s", "share", "cumtime s", "function"), rows)
    areas: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in entries.items():
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + tt
    area_rows = [
        (area, f"{seconds:.3f}", f"{seconds / total:.1%}")
        for area, seconds in sorted(areas.items(), key=lambda item: item[1], reverse=True)[:15]
    ]
    return top, table(("where", "tottime s", "share"), area_rows), total


STAGES: Final = (
    ("Engine.capture (whole)", "leadcapture/service.py", "capture"),
    ("  Engine._checked (decode, validate)", "leadcapture/service.py", "_checked"),
    ("    read_attributes (JSON decode)", "leadcapture/core/request.py", "read_attributes"),
    ("    check_request (names, values)", "leadcapture/core/request.py", "check_request"),
    ("      normalize_value (values off the fast paths)", "leadcapture/core/values.py", "normalize_value"),
    ("      StandardNormalizer.email", "leadcapture/normalize.py", "email"),
    ("      StandardNormalizer.phone", "leadcapture/normalize.py", "phone"),
    ("  Engine.decide", "leadcapture/service.py", "decide"),
    ("    candidate_query", "leadcapture/core/match.py", "candidate_query"),
    ("    store.find_candidates", "leadcapture/adapters/memory.py", "find_candidates"),
    ("    UUID7Factory.new_id (2 per capture)", "leadcapture/runtime.py", "new_id"),
    ("    decide_capture", "leadcapture/core/decide.py", "decide_capture"),
    ("      resolve_match", "leadcapture/core/match.py", "resolve_match"),
    ("      _update (plan, index, activity)", "leadcapture/core/decide.py", "_update"),
    ("      _create", "leadcapture/core/decide.py", "_create"),
    ("      index_entries", "leadcapture/core/decide.py", "index_entries"),
    ("  store.apply", "leadcapture/adapters/memory.py", "apply"),
    ("  returns: Result containers (own time)", "returns/", ""),
)
"""Profile rows by where they are in a capture: (label, file, function; empty function = whole package)."""


def _calls_per_capture(results: EngineResults) -> float:
    calls: int = results.profile.total_calls  # type: ignore[attr-defined]  # set by pstats, untyped
    return calls / max(results.profile_captures, 1)


def stage_table(stats: pstats.Stats) -> str:
    """Cumulative time of the capture's stages as shares of the whole capture (function names from `STAGES`)."""
    entries = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    found: dict[str, tuple[int, float]] = {}
    for label, path, func in STAGES:
        calls, seconds = 0, 0.0
        for (filename, _line, name), (_cc, nc, tt, ct, _callers) in entries.items():
            if path in filename.replace("\\", "/") and (name == func or not func):
                calls += nc
                seconds += ct if func else tt
        found[label] = (calls, seconds)
    whole = found[STAGES[0][0]][1] or 1.0
    rows = [
        (label, f"{calls:,}", f"{seconds:.3f}", f"{seconds / whole:.1%}")
        for label, (calls, seconds) in found.items()
        if calls
    ]
    return table(("stage", "calls", "cumtime s", "share of capture"), rows)


def _wrap(paragraph: str) -> str:
    return textwrap.fill(paragraph, width=110, break_long_words=False, break_on_hyphens=False)


def ab_table(ab: ABResult) -> str:
    """Both engines', the floor's and the answering floor's captures per second in each A/B round, as ratios to the
    older engine."""
    rounds = zip(ab.current.rates, ab.older.rates, ab.floor.rates, ab.answering_floor.rates, strict=True)
    rows = [
        (
            str(number),
            f"{new:,.0f}",
            f"{old:,.0f}",
            f"{new / old:.2f}x",
            f"{floor:,.0f}",
            f"{floor / old:.2f}x",
            f"{answering:,.0f}",
            f"{answering / old:.2f}x",
        )
        for number, (new, old, floor, answering) in enumerate(rounds, start=1)
    ]
    rows.append(
        (
            "median ratio",
            "",
            "",
            f"{ab.ratio:.2f}x",
            "",
            f"{ab.floor_ratio:.2f}x",
            "",
            f"{ab.answering_floor_ratio:.2f}x",
        )
    )
    old, new, floor, answering = (
        ab.older.bytecodes,
        ab.current.bytecodes,
        ab.floor.bytecodes,
        ab.answering_floor.bytecodes,
    )
    rows.append(
        (
            "bytecodes per capture (opcode trace)",
            f"{new:,.0f}",
            f"{old:,.0f}",
            f"{old / new:.2f}x fewer",
            f"{floor:,.0f}",
            f"{old / floor:.2f}x fewer",
            f"{answering:,.0f}",
            f"{old / answering:.2f}x fewer",
        )
    )
    header = (
        "A/B round",
        "this tree, captures per CPU s",
        f"{ab.revision}, captures per CPU s",
        "ratio",
        "floor (bench/floor.py), captures per CPU s",
        f"floor / {ab.revision}",
        "answering floor (same answers), captures per CPU s",
        f"answering floor / {ab.revision}",
    )
    return table(header, rows)


def _target_text(ab: ABResult | None) -> str:
    target = BY_KEY["engine-ab"]
    wanted = f"Target: {target.wanted_text} the captures/s of an older commit's engine in the same run"
    if ab is None:
        return wanted + " (not measured: run with `--against REV`)."
    found = verdict("engine-ab", ab.ratio, ab.answering_floor_ratio)
    return (
        f"{wanted}: measured {ab.ratio:.2f}x against {ab.revision}, **{found}**; the floor"
        f" (`bench/floor.py`, the least a capture of these bodies can do) ran {ab.floor_ratio:.2f}x, and the floor"
        f" that also answers what Engine.capture answers ran {ab.answering_floor_ratio:.2f}x."
    )


def generated_section(
    results: EngineResults, machine: list[tuple[str, str]], command: str, ab: ABResult | None = None
) -> str:
    """The part of docs/benchmarks.md a run writes."""
    top, areas, total = profile_tables(results.profile)
    return "\n".join(
        [
            BEGIN,
            "",
            f"Run: `{command}`.",
            "",
            table(("machine", ""), machine),
            "",
            main_table(results),
            "",
            _wrap(
                _target_text(ab) + f" Cyclic garbage collection took {results.gc_share:.1%} of the best capture repeat."
            ),
            *_busy_note(results),
            *(
                [
                    "",
                    _wrap(
                        f"A/B: `Engine.capture` of this tree and of commit {ab.revision} (its own `src/`, exported "
                        "with `git archive`), the floor and the answering floor, each in a subprocess on the same "
                        "bodies, in turns:"
                    ),
                    "",
                    ab_table(ab),
                ]
                if ab is not None
                else []
            ),
            "",
            micro_table(results),
            "",
            _wrap(
                f"Profile: cProfile of `Engine.capture` over {results.profile_captures:,} bodies of the same mix "
                f"with the garbage collector off ({total:.2f} s of own time under the profiler, which roughly "
                f"doubles the cost of Python calls; {_calls_per_capture(results):,.0f} function calls per "
                f"capture), top {PROFILE_ROWS} functions by own time:",
            ),
            "",
            top,
            "",
            "The same profile by stage (cumulative time, so nested rows are part of the row above them):",
            "",
            stage_table(results.profile),
            "",
            "Own time by file or package:",
            "",
            areas,
            "",
            END,
        ],
    )


BUSY: Final = 0.9
"""Below this CPU/wall ratio in the best capture repeat, other processes had a noticeable share of the core."""


def _busy_note(results: EngineResults) -> list[str]:
    share = results.capture.cpu_seconds / results.capture.seconds
    if share >= BUSY:
        return []
    return [
        "",
        _wrap(
            f"**The machine was busy during this run** (the process had the core {share:.0%} of the time): the "
            "wall-clock rates understate what the code does on a quiet machine; the CPU-time column is closer.",
        ),
    ]


def write_section(path: Path, section: str) -> None:
    """Replace the generated part of `path`, keeping the hand-written text around it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        before, _, rest = text.partition(BEGIN)
        _, _, after = rest.partition(END)
        text = before + section + after
    else:
        heading = "" if text else "# Benchmarks\n\n## Engine (issue: capture decision engine)\n\n"
        text = text + ("\n" if text and not text.endswith("\n") else "") + heading + section + "\n"
    path.write_text(text, encoding="utf-8")


def console(results: EngineResults, machine: list[tuple[str, str]], ab: ABResult | None = None) -> str:
    """What a run prints."""
    top, areas, _total = profile_tables(results.profile)
    return "\n\n".join(
        [
            table(("machine", ""), machine),
            main_table(results),
            _target_text(ab) + f" Garbage collection {results.gc_share:.1%} of capture time.",
            *([ab_table(ab)] if ab is not None else []),
            micro_table(results),
            "profile of Engine.capture, top functions by own time:\n" + top,
            stage_table(results.profile),
            areas,
        ],
    )


def command_line() -> str:
    """How this run was started, for the record."""
    args = " ".join(sys.argv[1:])
    return ("make bench" if not args else f"python -m bench {args}").strip()
