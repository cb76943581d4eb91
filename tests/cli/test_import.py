"""The real `leadcapture` command: import, re-import, preview, malformed rows, capture, and import over HTTP."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from tests.support.server import RunningServer, start_server

LEADCAPTURE = str(Path(sys.executable).parent / "leadcapture")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `leadcapture` with `args` and wait for it."""
    return subprocess.run(
        [LEADCAPTURE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "300"},  # usage errors in one line
    )


def report_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a report file."""
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines()]


def dump(database: Path) -> list[str]:
    """Every table's content, to tell whether a database changed."""
    with sqlite3.connect(database) as conn:
        return list(conn.iterdump())


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV file with `header` and `rows`."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


LEADS = [
    ["ada@example.com", "Ada", "Lovelace", "+91-9876543210"],
    ["bob@example.com", "Bob", "", ""],
    ["ADA@example.com", "Augusta", "", ""],
    ["cy@example.com", "Cy", "Twombly", "+91-9876543211"],
    ["bob@example.com", "", "Dylan", ""],
]


@pytest.fixture
def leads_csv(tmp_path: Path) -> Path:
    """A CSV whose header names `E-mail` (mapped) and schema names, with in-file repeats."""
    return write_csv(tmp_path / "leads.csv", ["E-mail", "FirstName", "LastName", "Phone"], LEADS)


def test_import_then_reimport_the_same_csv(tmp_path: Path, leads_csv: Path) -> None:
    """First import: repeats inside the file merge into one lead; second import: every row Updated with no change."""
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    first = run("import", leads_csv, "--map", "E-mail=EmailAddress", "-d", database, "--report", tmp_path / "1.jsonl")
    assert first.returncode == 0, first.stderr
    lines = report_lines(tmp_path / "1.jsonl")
    assert [line["outcome"] for line in lines] == ["Created", "Created", "Updated", "Created", "Updated"]
    assert lines[2]["lead_id"] == lines[0]["lead_id"]
    assert lines[4]["lead_id"] == lines[1]["lead_id"]
    assert {"field": "FirstName", "old": "Ada", "new": "Augusta"} in lines[2]["changes"]
    assert "Failed rows: 0" in first.stdout
    with sqlite3.connect(tmp_path / "leads.db") as conn:
        assert conn.execute("SELECT count(*) FROM leads").fetchone() == (3,)

    second = run("import", leads_csv, "--map", "E-mail=EmailAddress", "-d", database, "--report", tmp_path / "2.jsonl")
    assert second.returncode == 0, second.stderr
    again = report_lines(tmp_path / "2.jsonl")
    assert {line["outcome"] for line in again} == {"Updated"}
    assert [line["lead_id"] for line in again] == [line["lead_id"] for line in lines]
    # Only the values the file itself gives twice move: row 1 puts FirstName back to Ada, row 3 to Augusta.
    assert [line["changes"] for line in again] == [
        [{"field": "FirstName", "old": "Augusta", "new": "Ada"}],
        [],
        [{"field": "FirstName", "old": "Ada", "new": "Augusta"}],
        [],
        [],
    ]
    with sqlite3.connect(tmp_path / "leads.db") as conn:
        assert conn.execute("SELECT count(*) FROM leads").fetchone() == (3,)


def test_D1_D3_dry_run_leaves_the_database_untouched_and_predicts_the_import(tmp_path: Path, leads_csv: Path) -> None:
    """`import --dry-run` changes nothing; its report then matches the real import row by row (R-D1, R-D3)."""
    path = tmp_path / "leads.db"
    database = f"sqlite:///{path}"
    seed = write_csv(tmp_path / "seed.csv", ["EmailAddress", "City"], [["cy@example.com", "Paris"]])
    assert run("import", seed, "-d", database).returncode == 0
    before = dump(path)

    dry = run(
        "import",
        leads_csv,
        "--map",
        "E-mail=EmailAddress",
        "-d",
        database,
        "--dry-run",
        "--report",
        tmp_path / "d.jsonl",
    )
    assert dry.returncode == 0, dry.stderr
    assert dump(path) == before

    real = run("import", leads_csv, "--map", "E-mail=EmailAddress", "-d", database, "--report", tmp_path / "r.jsonl")
    assert real.returncode == 0, real.stderr
    predicted, applied = report_lines(tmp_path / "d.jsonl"), report_lines(tmp_path / "r.jsonl")
    ids: dict[str, str] = {}
    for guess, fact in zip(predicted, applied, strict=True):
        assert (guess["row"], guess["outcome"], guess["rule"], guess["changes"], guess["error"]) == (
            fact["row"],
            fact["outcome"],
            fact["rule"],
            fact["changes"],
            fact["error"],
        )
        # A lead the dry run would create has another id than the one the import creates, consistently.
        assert ids.setdefault(guess["lead_id"], fact["lead_id"]) == fact["lead_id"]
    assert [line["outcome"] for line in applied] == ["Created", "Created", "Updated", "Updated", "Updated"]


def test_D1_D3_preview_command_is_a_dry_run_with_the_report_on(tmp_path: Path, leads_csv: Path) -> None:
    """`leadcapture preview FILE` writes FILE.preview.jsonl beside the file and changes nothing."""
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    result = run("preview", leads_csv, "--map", "E-mail=EmailAddress", "-d", database, "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    lines = report_lines(tmp_path / "leads.preview.jsonl")
    # Batches of two: row 3 (batch 2) and row 5 (batch 3) still see the leads rows 1 and 2 would create.
    assert [line["outcome"] for line in lines] == ["Created", "Created", "Updated", "Created", "Updated"]
    assert lines[4]["lead_id"] == lines[1]["lead_id"]
    assert "dry run" in result.stdout
    with sqlite3.connect(tmp_path / "leads.db") as conn:
        assert conn.execute("SELECT count(*) FROM leads").fetchone() == (0,)


def test_malformed_rows_are_reported_while_good_rows_land(tmp_path: Path) -> None:
    """A bad email, an unknown column filled in and a row of too many cells fail with their errors; the rest land."""
    source = write_csv(
        tmp_path / "mixed.csv",
        ["EmailAddress", "FirstName", "ShoeSize"],
        [
            ["ada@example.com", "Ada", ""],
            ["not-an-email", "Nobody", ""],
            ["bob@example.com", "Bob", "44"],
            ["cy@example.com", "Cy", "", "surplus"],
            ["dee@example.com", "Dee", ""],
        ],
    )
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    result = run("import", source, "-d", database, "--report", tmp_path / "r.jsonl", "--no-progress")
    assert result.returncode == 1
    lines = report_lines(tmp_path / "r.jsonl")
    assert [line["outcome"] for line in lines] == ["Created", "Rejected", "Rejected", "Rejected", "Created"]
    assert lines[1]["error"]["exception_type"] == "MXInvalidInputException"
    assert lines[1]["error"]["field_errors"] == [
        {"field": "EmailAddress", "reason": "EmailAddress: not a valid email address"},
    ]
    assert lines[1]["rule"] == "R-V4"
    assert lines[2]["error"] == {
        "exception_type": "MXUnknownAttributeException",
        "message": "Attribute(s) does not exist - ShoeSize",
        "field_errors": [],
    }
    assert lines[3]["error"]["message"] == "Row has 4 cells but the header has 3"
    assert "Failed rows: 3" in result.stdout
    with sqlite3.connect(tmp_path / "leads.db") as conn:
        emails = {row[0] for row in conn.execute("SELECT fields FROM leads")}
    assert len(emails) == 2
    assert any("ada@example.com" in text for text in emails)
    assert any("dee@example.com" in text for text in emails)


def test_jsonl_import_with_mapping_and_behavior(tmp_path: Path) -> None:
    """JSONL rows (objects or LeadSquared lists) are mapped and captured; a broken line is its own failed row."""
    source = tmp_path / "leads.jsonl"
    source.write_text(
        '{"mail": "ada@example.com", "FirstName": "Ada"}\n'
        "\n"
        '[{"Attribute": "mail", "Value": "ada@example.com"}, {"Attribute": "FirstName", "Value": "Augusta"}]\n'
        "{not json\n"
        '{"mail": "ada@example.com", "LastName": "Lovelace"}\n',
    )
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    result = run(
        "import",
        source,
        "-d",
        database,
        "--map",
        "mail=EmailAddress",
        "--behavior",
        "UpdateOnlyEmptyFields",
        "--report",
        tmp_path / "r.jsonl",
    )
    assert result.returncode == 1
    lines = report_lines(tmp_path / "r.jsonl")
    assert [line["row"] for line in lines] == [1, 2, 3, 4]
    assert [line["outcome"] for line in lines] == ["Created", "Updated", "Rejected", "Updated"]
    assert lines[1]["changes"] == []  # UpdateOnlyEmptyFields keeps FirstName "Ada"
    assert lines[2]["error"]["message"].startswith("Invalid JSON line")
    assert lines[3]["changes"] == [{"field": "LastName", "old": "", "new": "Lovelace"}]


def test_capture_command_with_set_pairs_file_and_dry_run(tmp_path: Path) -> None:
    """`leadcapture capture` takes a JSON file and --set pairs, previews with --dry-run, and prints JSON."""
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    attributes = tmp_path / "lead.json"
    attributes.write_text('{"EmailAddress": "ada@example.com", "FirstName": "Ada"}')
    preview = run("capture", attributes, "--set", "LastName=Lovelace", "--dry-run", "-d", database)
    assert preview.returncode == 0, preview.stderr
    decision = msgspec.json.decode(preview.stdout)
    assert decision["type"] == "Create"
    assert decision["lead"]["fields"] == {"EmailAddress": "ada@example.com", "FirstName": "Ada", "LastName": "Lovelace"}

    created = msgspec.json.decode(run("capture", attributes, "-d", database).stdout)
    updated = msgspec.json.decode(run("capture", "--set", "EmailAddress=ADA@example.com", "-d", database).stdout)
    assert created["is_created"] is True
    assert (created["outcome"], created["decision"]["type"]) == ("Created", "Create")
    assert (updated["lead_id"], updated["is_created"], updated["outcome"]) == (created["lead_id"], False, "Updated")
    assert updated["decision"]["explanation"]["rule"] == "R-M8"
    assert updated["decision"]["activity"]["id"] == updated["activity_id"]

    refused = run("capture", "--set", "EmailAddress=nope", "-d", database)
    assert refused.returncode == 1
    assert msgspec.json.decode(refused.stderr) == {
        "Status": "Error",
        "ExceptionType": "MXInvalidInputException",
        "ExceptionMessage": "EmailAddress: not a valid email address",
    }


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server for imports over HTTP."""
    running = start_server(tmp_path_factory.mktemp("cli"), "--rate-limit", "100000/1s")
    yield running
    running.stop()


def test_import_over_http_lands_in_the_servers_database(server: RunningServer, leads_csv: Path, tmp_path: Path) -> None:
    """`import --url` sends each row through HTTPTransport; the server's database holds the merged leads."""
    keys = ("--access-key", server.access_key, "--secret-key", server.secret_key)
    dry = run("preview", leads_csv, "--map", "E-mail=EmailAddress", "--url", server.base_url, *keys)
    assert dry.returncode == 0, dry.stderr
    # Over HTTP each row is previewed against the server's data alone, so the in-file repeats preview as
    # Created too (docs/cli.md); and nothing is written.
    assert [line["outcome"] for line in report_lines(tmp_path / "leads.preview.jsonl")] == ["Created"] * 5
    result = run(
        "import",
        leads_csv,
        "--map",
        "E-mail=EmailAddress",
        "--url",
        server.base_url,
        *keys,
        "--report",
        tmp_path / "r.jsonl",
    )
    assert result.returncode == 0, result.stderr
    lines = report_lines(tmp_path / "r.jsonl")
    assert [line["outcome"] for line in lines] == ["Created", "Created", "Updated", "Created", "Updated"]
    # The server answers each capture with its decision: the report says what a direct import says.
    direct_db = f"sqlite:///{tmp_path / 'direct.db'}"
    direct = run("import", leads_csv, "--map", "E-mail=EmailAddress", "-d", direct_db, "--report", tmp_path / "d.jsonl")
    assert direct.returncode == 0, direct.stderr

    def explained(line: dict[str, Any]) -> tuple[object, ...]:
        return line["row"], line["outcome"], line["rule"], line["changes"]

    assert [explained(line) for line in lines] == [explained(line) for line in report_lines(tmp_path / "d.jsonl")]
    assert all(line["rule"] for line in lines)
    found = run("capture", "--set", "EmailAddress=ada@example.com", "--dry-run", "--url", server.base_url, *keys)
    decision = msgspec.json.decode(found.stdout)
    assert decision["type"] == "Update"
    assert decision["lead"]["id"] == lines[0]["lead_id"]
    assert decision["lead"]["fields"]["FirstName"] == "Augusta"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "E-mail"], "Column=Attribute"),
        (["--format", "xlsx"], "--format csv or --format jsonl"),
        (["--url", "http://127.0.0.1:9"], "--url needs --access-key and --secret-key"),
    ],
)
def test_bad_options_are_refused_before_any_row(tmp_path: Path, leads_csv: Path, args: list[str], message: str) -> None:
    """A malformed mapping, an unknown format or keyless --url stop with a usage error and touch nothing."""
    result = run("import", leads_csv, "-d", f"sqlite:///{tmp_path / 'leads.db'}", *args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "leads.db").exists()


def test_a_file_that_is_not_utf8_stops_with_an_error(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 end the import with a message naming the file, not a traceback."""
    source = tmp_path / "latin1.csv"
    source.write_bytes("EmailAddress,City\nada@example.com,Zürich\n".encode("latin-1"))
    result = run("import", source, "-d", f"sqlite:///{tmp_path / 'leads.db'}", "--no-progress")
    assert result.returncode == 1
    assert "cannot read it as csv in UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_import_into_sqlite_reads_without_a_memory_map(tmp_path: Path, dry_run: bool) -> None:
    """`import` and `preview` open SQLite with no memory map, so the file's pages never count in their memory."""
    from leadcapture.adapters.sqlite import SQLiteLeadStore
    from leadcapture.entrypoints.cli import IMPORT_MEMORY_MAP_BYTES, Target, _applier
    from leadcapture.entrypoints.importer import DatabaseApplier

    database = f"sqlite:///{tmp_path / 'leads.db'}"
    target = Target(database=database, url=None, access_key=None, secret_key=None, config=None)
    with _applier(target, None, dry_run=dry_run) as applier:
        assert isinstance(applier, DatabaseApplier)
        store = applier.engine.store
        assert isinstance(store, SQLiteLeadStore)
        with store.transaction() as tx:
            (in_use,) = tx.raw_cursor().execute("PRAGMA mmap_size").fetchone()
    assert IMPORT_MEMORY_MAP_BYTES == 0
    assert in_use == 0
