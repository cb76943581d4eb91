"""`python -m bench.summary`: every target ratio the benchmarks of this `make bench` recorded, in one table.

Written between the markers of docs/benchmarks.md (with `--no-write`, printed only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from bench.report import code_version, load_average, table
from bench.targets import TARGETS, Measured, Target, clear, load

DOCS: Final = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN: Final = "<!-- bench:ratios:begin (written by `make bench`; edits here are overwritten) -->"
END: Final = "<!-- bench:ratios:end -->"


def render() -> str:
    """The summary table: one row per target, measured or not."""
    measured = load()
    rows = []
    for target in TARGETS:
        found = measured.get(target.key)
        rows.append(
            (
                target.path,
                target.baseline,
                f"{found.ratio:.2f}x" if found else "-",
                target.wanted_text,
                _status(target, found) if found else "not measured",
                f"{found.bound:.2f}x" if found and found.bound is not None else "-",
                f"{found.detail} ({found.bench}, {found.at})" if found else "",
            )
        )
    header = ("path", "compared with (same run)", "ratio", "target", "", "its floor, same run", "measured")
    pairs = [(target, measured[target.key]) for target in TARGETS if target.key in measured]
    met = sum(1 for target, one in pairs if target.met(one.ratio))
    beyond = sum(1 for target, one in pairs if not target.met(one.ratio) and not target.reachable(one.bound))
    return "\n".join(
        [
            table(header, rows),
            "",
            f"{met} of {len(TARGETS)} targets met, {beyond} out of reach in this run (the least code doing the same"
            f" work with the same answers, measured beside them, misses the target too); code {code_version()};"
            f" load average after the run (1/5/15 min): {load_average()}.",
        ]
    )


def _status(target: Target, found: Measured) -> str:
    if target.met(found.ratio):
        return "met"
    if not target.reachable(found.bound):
        return "**out of reach**"
    return "**not met**"


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers of `path` with `section` (or put it after the first heading)."""
    text = path.read_text(encoding="utf-8")
    block = f"{BEGIN}\n\n{section}\n\n{END}"
    if BEGIN in text and END in text:
        before, _, rest = text.partition(BEGIN)
        _, _, after = rest.partition(END)
        text = before + block + after
    else:
        head, sep, rest = text.partition("\n\n")
        text = head + sep + block + "\n\n" + rest
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Print the summary and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--clear", action="store_true", help="forget the recorded ratios (before a new run)")
    options = parser.parse_args(argv)
    if options.clear:
        clear()
        return 0
    section = render()
    print(section)
    if not options.no_write:
        write_section(DOCS, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
