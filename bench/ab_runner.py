"""Times `Engine.capture` of one source tree on bodies from a file; run by `bench.ab` as a script, not imported.

    python bench/ab_runner.py SRC BODIES REPEATS [--floor]

`SRC` is a tree's `src/` folder: `leadcapture` is imported from there and nowhere else (the run stops if
Python found it elsewhere), so an older commit's engine runs on its own code. With `--floor` the runner
times `bench.floor.FloorCapture` (this checkout's, on `SRC`'s leadcapture) instead of the engine.
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


def main() -> int:
    """Import the engine from the given tree, time it, print the result."""
    src, bodies_file, repeats = Path(sys.argv[1]).resolve(), Path(sys.argv[2]), int(sys.argv[3])
    floor = sys.argv[4:] == ["--floor"]
    sys.path.insert(0, str(src))
    import msgspec
    from returns.result import Success

    import leadcapture
    from leadcapture import Engine, InMemoryLeadStore

    def engine_capture() -> Any:
        return Engine(store=InMemoryLeadStore()).capture

    def floor_capture() -> Any:
        sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
        from bench.floor import FloorCapture

        return FloorCapture().capture

    fresh = floor_capture if floor else engine_capture

    def succeeded(result: object) -> bool:
        """An engine answers a `Result`; the floor, the lead's id (it raises on what it cannot take)."""
        return isinstance(result, str) if floor else isinstance(result, Success)

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
