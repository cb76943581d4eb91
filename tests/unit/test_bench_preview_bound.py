"""The preview's bound (`bench.importer.preview_bound`): what no dry run of the file can go under."""

from __future__ import annotations

import pytest
from bench.importer import Run, preview_bound


def _run(rows: int, seconds: float) -> Run:
    return Run("figure", rows, seconds, 0.0, 0.0, 0)


def test_the_bound_is_the_reference_over_the_reference_plus_the_start_and_the_file_and_report() -> None:
    preview = _run(100_000, 5.0)  # its own time does not enter the bound
    startup = _run(1, 0.4)  # 4 µs per row of the previewed file's 100,000
    engine = _run(50_000, 0.8)  # 16 µs per row
    base = _run(100_000, 0.3)  # 3 µs per row
    assert preview_bound(preview, startup, engine, base) == pytest.approx(16 / (4 + 16 + 3))


def test_a_longer_file_spreads_the_start_over_more_rows_and_raises_the_bound() -> None:
    startup, engine, base = _run(1, 0.4), _run(50_000, 0.8), _run(100_000, 0.3)
    short = preview_bound(_run(100_000, 5.0), startup, engine, base)
    long = preview_bound(_run(1_000_000, 50.0), startup, engine, base)
    assert long > short
    assert long == pytest.approx(16 / (0.4 + 16 + 3))
