"""The targets of `make bench` (`bench/targets.py`) and their summary: met, not met, or out of reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import summary, targets


@pytest.fixture(autouse=True)
def results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "results.json"
    monkeypatch.setattr(targets, "RESULTS", path)
    return path


def test_a_ratio_that_meets_its_target_is_met_whatever_the_bound() -> None:
    assert targets.verdict("http", 0.8, bound=0.7) == "met"
    assert targets.verdict("http-p99", 2.0) == "met"


def test_a_missed_target_whose_floor_misses_it_too_is_out_of_reach() -> None:
    assert targets.verdict("http", 0.5, bound=0.7) == "NOT met, out of reach (its floor 0.70x)"
    assert targets.verdict("engine-ab", 1.2, bound=1.8) == "NOT met, out of reach (its floor 1.80x)"


def test_a_missed_target_whose_floor_meets_it_stays_open() -> None:
    assert targets.verdict("http", 0.5, bound=0.8) == "NOT met"
    assert targets.verdict("engine-ab", 1.2, bound=2.3) == "NOT met"
    assert targets.verdict("engine-ab", 1.2) == "NOT met"


def test_an_at_most_target_is_out_of_reach_when_its_floor_is_above_it() -> None:
    assert targets.verdict("http-p99", 4.0, bound=3.5) == "NOT met, out of reach (its floor 3.50x)"
    assert targets.verdict("http-p99", 4.0, bound=2.5) == "NOT met"


def test_the_summary_shows_each_recorded_bound_and_counts_the_targets_out_of_reach(
    capsys: pytest.CaptureFixture[str],
) -> None:
    targets.record("python -m bench.http", {"http": (0.5, "a"), "http-p99": (2.0, "b")}, {"http": 0.6})
    targets.record("python -m bench", {"engine-ab": (1.2, "c")}, {"engine-ab": 2.3})
    printed = capsys.readouterr().out
    assert "0.50x (wanted >= 0.75x): NOT met, out of reach (its floor 0.60x) (a)" in printed
    assert "1.20x (wanted >= 2x): NOT met (c)" in printed
    rows = {line.split("|")[1].strip(): line for line in summary.render().splitlines() if line.startswith("|")}
    http = rows[targets.BY_KEY["http"].path]
    assert "**out of reach**" in http
    assert "0.60x" in http
    assert "**not met**" in rows[targets.BY_KEY["engine-ab"].path]
    assert "2.30x" in rows[targets.BY_KEY["engine-ab"].path]
    assert [cell.strip() for cell in rows[targets.BY_KEY["http-p99"].path].split("|")][5:7] == ["met", "-"]
    assert "not measured" in rows[targets.BY_KEY["preview"].path]
    assert "1 of 6 targets met, 1 out of reach in this run" in summary.render()


def test_results_recorded_before_bounds_existed_still_load(results_file: Path) -> None:
    results_file.write_text('{"http": {"ratio": 0.5, "detail": "d", "bench": "b", "at": "t"}}', encoding="utf-8")
    loaded = targets.load()
    assert loaded["http"].bound is None
    assert loaded["http"].ratio == 0.5
