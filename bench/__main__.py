"""`python -m bench` (`make bench`): run the engine benchmark, print it, and record it in docs/benchmarks.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import targets
from bench.ab import run_ab
from bench.engine import run_engine_bench
from bench.report import command_line, console, generated_section, load_average, machine_details, write_section
from bench.workload import check_contact_forms, make_workload

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, report."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--captures", type=int, default=50_000, help="timed bodies per repeat (default 50000)")
    parser.add_argument("--existing", type=int, default=10_000, help="leads in the store before timing")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per figure; the best one counts")
    parser.add_argument("--seed", type=int, default=20_260_701, help="seed of the generated bodies")
    parser.add_argument("--profile-captures", type=int, default=10_000, help="bodies run under cProfile")
    parser.add_argument("--library-values", type=int, default=2_000, help="values timed through each library")
    parser.add_argument(
        "--against",
        metavar="REV",
        default=None,
        help="also time REV's Engine.capture (its own src/, in a subprocess) beside this tree's, same bodies",
    )
    parser.add_argument("--ab-rounds", type=int, default=4, help="alternating A/B rounds (default 4)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    options = parser.parse_args(argv)

    started = time.perf_counter()
    load_before = load_average()
    workload = make_workload(seed=options.seed, existing=options.existing, captures=options.captures)
    check_contact_forms(workload)
    results = run_engine_bench(
        workload,
        repeats=options.repeats,
        profile_captures=options.profile_captures,
        library_values=options.library_values,
    )
    ab = None
    if options.against is not None:
        print(f"A/B against {options.against}: {options.ab_rounds} alternating rounds", flush=True)
        ab = run_ab(workload, options.against, rounds=options.ab_rounds, repeats=options.repeats)
    machine = machine_details(load_before, load_average())
    print(console(results, machine, ab))
    if ab is not None:
        detail = (
            f"{ab.current.best:,.0f} vs {ab.older.best:,.0f} captures per CPU second on {ab.revision}, best rounds;"
            f" the floor {ab.floor_ratio:.2f}x, the floor that also answers what Engine.capture answers"
            f" {ab.answering_floor_ratio:.2f}x"
        )
        # The answering floor gives Engine.capture's answers with the least code: no engine giving them goes past it.
        targets.record("python -m bench", {"engine-ab": (ab.ratio, detail)}, {"engine-ab": ab.answering_floor_ratio})
    if not options.no_write:
        write_section(DOCS, generated_section(results, machine, command_line(), ab))
        print(f"\nwritten to {DOCS}")
    print(f"benchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
