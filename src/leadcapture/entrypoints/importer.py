"""Importing a file of leads: read CSV or JSONL as a stream, capture (or preview) in file order, report each row.

Memory stays bounded whatever the file size: rows are read, decided and reported `batch_size` at a time,
and only the totals are kept. Rows are applied in file order, so two rows with one email make one lead;
a dry run decides every row inside one store transaction that is rolled back at the end, so the preview
of row 2 sees the lead row 1 would have made (R-D1, R-D3).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, Protocol

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.client.api import LeadCaptureClient
from leadcapture.client.errors import ApiError
from leadcapture.core.decision import CaptureDecision, CaptureReceipt, Reject
from leadcapture.core.names import Outcome, UpdateBehavior
from leadcapture.core.problems import FieldError, Problem, invalid_input
from leadcapture.core.records import FieldChange
from leadcapture.core.report import data_quality_rules
from leadcapture.service import DryRun, Engine

DEFAULT_BATCH_SIZE: Final = 1_000
FORMATS: Final = ("csv", "jsonl")

Attributes = dict[str, Any] | list[Any]
"""One row's attributes: `{name: value}`, or a JSONL row already in LeadSquared's list form."""


class SourceRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A row as read from the file, numbered from 1 (the header is not a row); `problem` if unreadable."""

    number: int
    attributes: Attributes | None = None
    problem: Problem | None = None


class RowError(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The error a row answered, as LeadSquared's envelope names it, with the failing fields."""

    exception_type: str
    message: str
    field_errors: tuple[FieldError, ...] = ()


class RowReport(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One line of the import report: what happened (or would happen) to one row."""

    row: int
    outcome: str
    rule: str
    lead_id: str | None
    changes: tuple[FieldChange, ...] = ()
    error: RowError | None = None
    data_quality: tuple[str, ...] = ()
    """The data-quality rules that changed the row (R-J1, R-J2, R-P1); see `data_quality_rules`."""

    @property
    def failed(self) -> bool:
        """Whether the row was refused."""
        return self.error is not None


class ImportSummary(msgspec.Struct, kw_only=True):
    """Totals of an import: rows per outcome and per deciding rule, and how many rows failed."""

    rows: int = 0
    failed: int = 0
    by_outcome: dict[str, int] = msgspec.field(default_factory=dict)
    by_rule: dict[str, int] = msgspec.field(default_factory=dict)
    by_data_quality: dict[str, int] = msgspec.field(default_factory=dict)
    """Rows per data-quality rule that changed them (R-J1, R-J2, R-P1)."""

    def add(self, report: RowReport) -> None:
        """Count one row."""
        self.rows += 1
        self.failed += report.failed
        self.by_outcome[report.outcome] = self.by_outcome.get(report.outcome, 0) + 1
        if report.rule:
            self.by_rule[report.rule] = self.by_rule.get(report.rule, 0) + 1
        for rule in report.data_quality:
            self.by_data_quality[rule] = self.by_data_quality.get(rule, 0) + 1


# --- reading ---------------------------------------------------------------------------------------------


class RowReader:
    """Streams the rows of a CSV or JSONL file, renaming columns by `mapping`; counts the characters read.

    In CSV an empty cell is an attribute left out (never a value that clears a field), so a column that
    is only sometimes filled in affects only the rows that fill it in.
    """

    def __init__(self, path: Path, *, file_format: str | None = None, mapping: Mapping[str, str] | None = None) -> None:
        """Read `path`, as `file_format` (`csv` or `jsonl`; by default from the suffix)."""
        chosen = (file_format or path.suffix.lstrip(".")).lower()
        if chosen == "ndjson":
            chosen = "jsonl"
        if chosen not in FORMATS:
            msg = f"cannot tell the format of {path.name}: use --format csv or --format jsonl"
            raise ValueError(msg)
        self.path = path
        self.file_format = chosen
        self.mapping = dict(mapping or {})
        self.total_size = path.stat().st_size
        self.position = 0
        """Characters read so far, for a progress bar against `total_size`."""

    def __iter__(self) -> Iterator[SourceRow]:
        """The file's rows in order."""
        with self.path.open(encoding="utf-8-sig", newline="") as file:
            lines = self._counted(file)
            yield from self._csv(lines) if self.file_format == "csv" else self._jsonl(lines)

    def _counted(self, file: IO[str]) -> Iterator[str]:
        for line in file:
            self.position += len(line)
            yield line

    def _csv(self, lines: Iterator[str]) -> Iterator[SourceRow]:
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            return
        names = [self.mapping.get(name.strip(), name.strip()) for name in header]
        for number, cells in enumerate(reader, start=1):
            if len(cells) > len(names):
                problem = invalid_input(f"Row has {len(cells)} cells but the header has {len(names)}", rule="R-V1")
                yield SourceRow(number=number, problem=problem)
                continue
            yield SourceRow(number=number, attributes={n: v for n, v in zip(names, cells, strict=False) if v != ""})

    def _jsonl(self, lines: Iterator[str]) -> Iterator[SourceRow]:
        numbered = (line for line in lines if line.strip())
        for number, line in enumerate(numbered, start=1):
            try:
                value = msgspec.json.decode(line)
            except msgspec.DecodeError as exc:
                yield SourceRow(number=number, problem=invalid_input(f"Invalid JSON line: {exc}", rule="R-V1"))
                continue
            yield SourceRow(number=number, attributes=self._renamed(value))

    def _renamed(self, value: object) -> Attributes:
        if isinstance(value, dict):
            return {self.mapping.get(str(name), str(name)): item for name, item in value.items()}
        if isinstance(value, list):
            return [_renamed_pair(item, self.mapping) for item in value]
        return [value]  # not an object: the engine answers R-V1 for it


def _renamed_pair(item: object, mapping: Mapping[str, str]) -> object:
    if isinstance(item, dict) and isinstance(item.get("Attribute"), str):
        return {**item, "Attribute": mapping.get(item["Attribute"], item["Attribute"])}
    return item


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`["E-mail=EmailAddress", ...]` as `{"E-mail": "EmailAddress", ...}`."""
    mapping = {}
    for pair in pairs:
        column, sep, attribute = pair.partition("=")
        if not sep or not column.strip() or not attribute.strip():
            msg = f"a mapping looks like Column=Attribute, not {pair!r}"
            raise ValueError(msg)
        mapping[column.strip()] = attribute.strip()
    return mapping


# --- reporting --------------------------------------------------------------------------------------------


def _error(problem: Problem) -> RowError:
    return RowError(
        exception_type=problem.exception_type.value,
        message=problem.message,
        field_errors=problem.field_errors,
    )


def _refused(
    number: int,
    problem: Problem,
    lead_id: str | None = None,
    data_quality: tuple[str, ...] = (),
) -> RowReport:
    return RowReport(
        row=number,
        outcome=Outcome.REJECTED.value,
        rule=problem.rule,
        lead_id=lead_id,
        error=_error(problem),
        data_quality=data_quality,
    )


def report_for_receipt(number: int, result: Result[CaptureReceipt, Problem]) -> RowReport:
    """The report line of a captured row."""
    if isinstance(result, Failure):
        return _refused(number, result.failure())
    explanation = result.unwrap().decision.explanation
    return RowReport(
        row=number,
        outcome=explanation.outcome.value,
        rule=explanation.rule,
        lead_id=result.unwrap().lead_id,
        changes=explanation.changes,
        data_quality=data_quality_rules(explanation),
    )


def report_for_decision(number: int, result: Result[CaptureDecision, Problem]) -> RowReport:
    """The report line of a previewed row: what capturing it would do."""
    if isinstance(result, Failure):
        return _refused(number, result.failure())
    decision = result.unwrap()
    if isinstance(decision, Reject):
        explanation = decision.explanation
        return _refused(number, decision.problem, explanation.lead_id, data_quality_rules(explanation))
    explanation = decision.explanation
    return RowReport(
        row=number,
        outcome=explanation.outcome.value,
        rule=explanation.rule,
        lead_id=decision.lead.id,
        changes=explanation.changes,
        data_quality=data_quality_rules(explanation),
    )


# --- applying ---------------------------------------------------------------------------------------------


class RowApplier(Protocol):
    """Captures or previews batches of rows in file order, handing each batch's report lines on."""

    def run(self, batches: Iterable[list[SourceRow]], emit: Callable[[list[RowReport]], None]) -> None:
        """Apply every batch in order and `emit` its report lines."""
        ...


class DatabaseApplier:
    """Rows straight into a store through the engine: `capture_many` per batch, or a rolled-back dry run."""

    def __init__(self, engine: Engine, *, behavior: str | UpdateBehavior | None, dry_run: bool) -> None:
        """Capture (or, with `dry_run`, preview) with `engine` and `behavior`."""
        self.engine = engine
        self.behavior = behavior
        self.dry_run = dry_run

    def run(self, batches: Iterable[list[SourceRow]], emit: Callable[[list[RowReport]], None]) -> None:
        """Each batch is one transaction of `capture_many`; a dry run is one transaction, rolled back."""
        if not self.dry_run:
            for batch in batches:
                emit(self._capture(batch))
            return
        with self.engine.dry_run() as run:
            for batch in batches:
                emit(self._preview(run, batch))

    def _capture(self, batch: list[SourceRow]) -> list[RowReport]:
        readable = [row for row in batch if row.problem is None]
        results = iter(
            self.engine.capture_many([row.attributes for row in readable], self.behavior, batch_size=len(batch)),
        )
        return [
            _refused(row.number, row.problem)
            if row.problem is not None
            else report_for_receipt(row.number, next(results))
            for row in batch
        ]

    def _preview(self, run: DryRun, batch: list[SourceRow]) -> list[RowReport]:
        """What capturing a batch would do, seeing what the batches before it would have done."""
        readable = [row for row in batch if row.problem is None]
        results = iter(run.preview_many([row.attributes for row in readable], self.behavior))
        return [
            _refused(row.number, row.problem)
            if row.problem is not None
            else report_for_decision(row.number, next(results))
            for row in batch
        ]


class ClientApplier:
    """Rows through a `LeadCaptureClient`, one call per row.

    `leadcapture serve` answers each capture with the decision it applied, so the report has the rule and
    the changes; a LeadSquared host names only the lead and whether it was created, and those stay empty
    (`Created` then also stands for a converted visitor). A dry run previews each row against the server's
    current data: unlike a database dry run, it cannot see the leads earlier rows of the file would make.
    """

    def __init__(self, client: LeadCaptureClient, *, behavior: str | UpdateBehavior | None, dry_run: bool) -> None:
        """Capture (or, with `dry_run`, preview) through `client` with `behavior`."""
        self.client = client
        self.behavior = behavior
        self.dry_run = dry_run

    def run(self, batches: Iterable[list[SourceRow]], emit: Callable[[list[RowReport]], None]) -> None:
        """Send every row in order."""
        for batch in batches:
            emit([self._one(row) for row in batch])

    def _one(self, row: SourceRow) -> RowReport:
        if row.problem is not None or row.attributes is None:
            return _refused(row.number, row.problem or invalid_input("Empty row", rule="R-V1"))
        try:
            if self.dry_run:
                return report_for_decision(row.number, Success(self.client.preview(row.attributes, self.behavior)))
            receipt = self.client.capture(row.attributes, self.behavior)
        except ApiError as exc:
            return RowReport(
                row=row.number,
                outcome=Outcome.REJECTED.value,
                rule="",
                lead_id=None,
                error=RowError(exception_type=exc.exception_type, message=exc.message),
            )
        if receipt.decision is not None:
            explanation = receipt.decision.explanation
            return RowReport(
                row=row.number,
                outcome=explanation.outcome.value,
                rule=explanation.rule,
                lead_id=receipt.lead_id,
                changes=explanation.changes,
                data_quality=data_quality_rules(explanation),
            )
        # A LeadSquared host answers only the lead and whether it was created.
        outcome = Outcome.CREATED if receipt.is_created else Outcome.UPDATED
        return RowReport(row=row.number, outcome=outcome.value, rule="", lead_id=receipt.lead_id)


# --- the import -------------------------------------------------------------------------------------------


def batched(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    """`rows` in lists of at most `size`."""
    if size < 1:
        msg = "batch size must be at least 1"
        raise ValueError(msg)
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_encode_line = msgspec.json.Encoder().encode


def run_import(
    reader: Iterable[SourceRow],
    applier: RowApplier,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report: IO[bytes] | None = None,
    on_batch: Callable[[list[RowReport]], None] | None = None,
) -> ImportSummary:
    """Apply every row of `reader` in order, writing one JSON line per row to `report`; returns the totals."""
    summary = ImportSummary()

    def emit(lines: list[RowReport]) -> None:
        for line in lines:
            summary.add(line)
        if report is not None:
            report.write(b"".join(_encode_line(line) + b"\n" for line in lines))
        if on_batch is not None:
            on_batch(lines)

    applier.run(batched(reader, batch_size), emit)
    return summary
