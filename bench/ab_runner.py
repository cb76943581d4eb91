"""Times `Engine.capture` of one source tree on bodies from a file; run by `bench.ab` as a script, not imported.

    python bench/ab_runner.py SRC BODIES REPEATS [--floor | --floor-answers]

`SRC` is a tree's `src/` folder: `leadcapture` is imported from there and nowhere else (the run stops if
Python found it elsewhere), so an older commit's engine runs on its own code. With `--floor` the runner
times `bench.floor.FloorCapture` (this checkout's, on `SRC`'s leadcapture) instead of the engine, and with
`--floor-answers` `bench.floor.AnsweringFloor`, the floor that also answers what `Engine.capture` answers.
`BODIES` is a msgpack file `[seed_bodies, bodies]`. Each repeat captures the seed bodies
into a fresh `InMemoryLeadStore` untimed, then times the capture of every body; the wall and CPU seconds
of the repeat that took the least CPU are printed as JSON, with the Python bytecodes one capture executes
on average over the first `_TRACED` bodies (counted with an opcode trace in a fresh store: a figure the
machine's load does not move).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

_TRACED = 500


def _bytecodes_per_capture(capture: Any, bodies: list[bytes]) -> float:
    """The bytecodes the interpreter executes per `capture(body)`, over `bodies` (all Python code, any module)."""
    executed = 0

    def trace(frame: FrameType, event: str, _arg: object) -> Any:
        nonlocal executed
        frame.f_trace_opcodes = True
        if event == "opcode":
            executed += 1
        return trace

    sys.settrace(trace)
    try:
        for body in bodies:
            capture(body)
    finally:
        sys.settrace(None)
    return executed / len(bodies)


def _capture_factory(mode: str | None) -> Callable[[], Any]:
    """What makes a new capture function: `Engine.capture` over an empty store, or the floor `mode` names."""
    if mode is None:
        from leadcapture import Engine, InMemoryLeadStore

        return lambda: Engine(store=InMemoryLeadStore()).capture
    # This checkout's floors, on SRC's leadcapture.
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
    from bench.floor import AnsweringFloor, FloorCapture

    if mode == "--floor":
        return lambda: FloorCapture().capture
    return lambda: AnsweringFloor().capture


def main() -> int:
    """Import the engine from the given tree, time it, print the result."""
    src, bodies_file, repeats = Path(sys.argv[1]).resolve(), Path(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else None
    if mode not in (None, "--floor", "--floor-answers"):
        print(f"unknown option {mode}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(src))
    import msgspec
    from returns.result import Success

    import leadcapture

    fresh = _capture_factory(mode)

    def succeeded(result: object) -> bool:
        """An engine and the answering floor answer a `Result`, the floor the lead's id (floors raise on the rest)."""
        return isinstance(result, str) if mode == "--floor" else isinstance(result, Success)

    where = Path(leadcapture.__file__).resolve()
    if src not in where.parents:
        print(f"leadcapture was imported from {where}, not from {src}", file=sys.stderr)
        return 1
    seed_bodies, bodies = msgspec.msgpack.decode(Path(bodies_file).read_bytes(), type=tuple[list[bytes], list[bytes]])
    best = (float("inf"), 0.0)  # (CPU seconds, wall seconds) of the repeat that took the least CPU
    for _ in range(repeats):
        capture = fresh()
        if not all(succeeded(capture(body)) for body in seed_bodies):
            print("a seed body failed", file=sys.stderr)
            return 1
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        results = [capture(body) for body in bodies]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        failed = sum(1 for result in results if not succeeded(result))
        if failed:
            print(f"{failed} captures failed", file=sys.stderr)
            return 1
        del results
        best = min(best, (cpu, wall))
    capture = fresh()
    for body in seed_bodies:
        capture(body)
    bytecodes = _bytecodes_per_capture(capture, bodies[:_TRACED])
    found = {"count": len(bodies), "seconds": best[1], "cpu_seconds": best[0], "bytecodes": bytecodes}
    print(json.dumps({**found, "module": str(where)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
