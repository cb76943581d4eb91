"""`leadcapture preview` and `import` with a data-quality config: per-row rule ids and rows per rule (R-J3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.cli.test_import import report_lines, run, write_csv

CONFIG = """
email_match = "canonical"

[blocked_identifiers]
preset = "common"

[fields.OwnerId]
update = "never"
"""

ROWS = [
    ["test@test.com", "Ann", "alice"],
    ["TEST@test.com", "Ben", "bob"],
    ["J.Doe@gmail.com", "Jay", "carol"],
    ["jdoe+promo@googlemail.com", "Jay", "dave"],
    ["ann@example.com", "Ann", "erin"],
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A CSV with junk emails, two spellings of one Gmail mailbox and owners; and the config that turns it all on."""
    source = write_csv(tmp_path / "leads.csv", ["EmailAddress", "FirstName", "OwnerId"], ROWS)
    config = tmp_path / "schema.toml"
    config.write_text(CONFIG)
    return source, config


def test_J3_preview_counts_the_rows_each_data_quality_rule_changed(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """The preview's report names each row's data-quality rules and its summary counts rows per rule."""
    source, config = files
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    result = run("preview", source, "-d", database, "--config", config, "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = report_lines(tmp_path / "leads.preview.jsonl")
    assert [line["outcome"] for line in lines] == ["Created", "Created", "Created", "Updated", "Created"]
    assert [line["data_quality"] for line in lines] == [["R-J1"], ["R-J1"], [], ["R-J2", "R-P1"], []]
    assert "Rows changed by data-quality rules" in result.stdout
    summary = {line.split()[1]: line.split()[-2] for line in result.stdout.splitlines() if "│ R-" in line}
    assert summary == {"R-J1": "2", "R-J2": "1", "R-P1": "1", "R-M1": "2", "R-M8": "1", "R-M9": "2"}
    with sqlite3.connect(tmp_path / "leads.db") as conn:
        assert conn.execute("SELECT count(*) FROM leads").fetchone() == (0,)


def test_J3_without_the_config_the_same_file_merges_junk_and_shows_no_data_quality_rule(
    tmp_path: Path,
    files: tuple[Path, Path],
) -> None:
    """Before the rules are turned on, the junk rows merge into one lead and the summary has no such table."""
    source, _config = files
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    result = run("import", source, "-d", database, "--report", tmp_path / "r.jsonl", "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = report_lines(tmp_path / "r.jsonl")
    assert [line["outcome"] for line in lines] == ["Created", "Updated", "Created", "Created", "Created"]
    assert all(line["data_quality"] == [] for line in lines)
    assert "data-quality" not in result.stdout
