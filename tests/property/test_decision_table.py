"""Every row of the match-resolution decision table, under every LeadUpdateBehavior, run through the engine.

The oracle is the literal `TABLE` in `tests/property/decision_table.py`, written from the specification
(R-M, R-U, R-B); `docs/decision-table.md` is rendered from it. Hypothesis then varies what must not matter
inside a row (casing, white space, phone formats, attribute order, body form, extra fields).
"""

from __future__ import annotations

import functools
import string
import subprocess
import sys
from pathlib import Path
from typing import Any, Final, assert_never

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success
from tests.property.decision_table import (
    BEHAVIORS,
    COMBINATIONS,
    ROWS,
    TABLE,
    UNKNOWN,
    VISITOR,
    VISITOR_SOURCE,
    WORLD_IDS,
    WORLD_LEADS,
    WORLD_VISITOR,
    Expected,
    Row,
    behavior_name,
    build_world,
    parse_cell,
)
from tests.property.render_decision_table import render
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import (
    CaptureActivityData,
    CaptureDecision,
    Convert,
    Create,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Outcome,
    Reject,
    Update,
    UpdateBehavior,
)

ROOT: Final = Path(__file__).resolve().parents[2]
DOC: Final = ROOT / "docs" / "decision-table.md"
NAMES: Final = {lead_id: name for name, lead_id in WORLD_IDS.items()}
DUPLICATE_MESSAGES: Final = {
    "A Lead with same Email already exists.": "Email",
    "A Lead with same Phone Number already exists.": "Phone",
}
"""R-U2's messages, and the field token each stands for in the table."""

CASES: Final = [
    pytest.param(row, behavior, id=f"{row.label},{behavior_name(behavior)}") for row in ROWS for behavior in BEHAVIORS
]


def engine_over(store: InMemoryLeadStore) -> Engine:
    """An engine whose clock and ids repeat from run to run, so a preview and a capture decide identically."""
    return Engine(store=store, clock=SteppingClock(), ids=CountingIds())


def describe(decision: CaptureDecision) -> str:
    """The decision in the table's spelling, so a mismatch reads as two cells."""
    rule = decision.explanation.rule
    match decision:
        case Create():
            return f"Created {rule}"
        case Update(lead=lead):
            return f"Updated {NAMES.get(lead.id, lead.id)} {rule}"
        case Convert(lead=lead):
            return f"Converted {NAMES.get(lead.id, lead.id)} {rule}"
        case Reject(problem=problem, explanation=explanation):
            field = DUPLICATE_MESSAGES.get(problem.message, problem.exception_type.value)
            holder = NAMES.get(explanation.lead_id or "", explanation.lead_id)
            return f"Rejected {field}@{holder} {rule}"
        case _:
            assert_never(decision)


def check_details(decision: CaptureDecision, expected: Expected, row: Row) -> None:
    """What the cell implies beyond its text: the new id, the visitor's source, the duplicate error and activity."""
    match decision:
        case Create(lead=lead, explanation=explanation):
            assert lead.id not in (*WORLD_IDS.values(), UNKNOWN)
            if row.prospect == "X":
                assert any("R-M7" in note for note in explanation.notes)
        case Convert(lead=lead):
            assert lead.id == VISITOR
            assert all(lead.fields.get(name) == value for name, value in VISITOR_SOURCE.items())
        case Reject(problem=problem, activity=activity):
            assert problem.exception_type is ExceptionType.DUPLICATE_ENTRY
            assert (problem.status, problem.rule) == (409, "R-U2")
            assert activity is not None
            assert activity.lead_id == WORLD_IDS[expected.lead or ""]
            assert isinstance(activity.data, CaptureActivityData)
            assert activity.data.outcome == "DuplicateRejected"
        case Update():
            pass
        case _:
            assert_never(decision)


def test_the_table_has_every_combination_exactly_once() -> None:
    """The table holds one row per combination of P, E, Ph and S: 5 x 4 x 4 x 3 = 240 rows."""
    assert len(ROWS) == len(COMBINATIONS) == 240
    assert sorted((row.prospect, row.email, row.phone, row.search_by) for row in ROWS) == sorted(COMBINATIONS)


def test_every_cell_reads_back_as_written() -> None:
    """Each cell of the literal table parses to a value that spells the cell again, so the parser loses nothing."""
    lines = [line.strip() for line in TABLE.splitlines()]
    cells = [cell.strip() for line in lines if line and not line.startswith("#") for cell in line.split("|")[1:]]
    assert len(cells) == 240 * 4
    assert [parse_cell(cell).text for cell in cells] == cells
    with pytest.raises(ValueError, match="not a cell"):
        parse_cell("Updated V R-M8")


def test_docs_decision_table_is_rendered_from_the_table() -> None:
    """docs/decision-table.md is exactly what the renderer makes of the table, so the two cannot drift."""
    assert DOC.read_text(encoding="utf-8") == render()


def test_the_renderer_runs_as_a_module_from_the_project_root() -> None:
    """`python -m tests.property.render_decision_table` prints the document, as its header says."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.property.render_decision_table"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout == render()


@pytest.mark.parametrize(("row", "behavior"), CASES)
def test_preview_decides_as_the_table_says(row: Row, behavior: UpdateBehavior | None) -> None:
    """Engine.preview gives the cell's outcome, lead and rule (R-M1..R-M9), and its R-U2 error for a rejection."""
    expected = row.expected(behavior)
    decision = engine_over(build_world()).preview(row.attributes(), behavior).unwrap()
    assert describe(decision) == expected.text
    check_details(decision, expected, row)


@pytest.mark.parametrize(("row", "behavior"), CASES)
def test_capture_does_what_the_preview_showed(row: Row, behavior: UpdateBehavior | None) -> None:
    """Engine.capture on a fresh world applies exactly the previewed decision, and the store shows it (R-D1, R-U3)."""
    preview = engine_over(build_world()).preview(row.attributes(), behavior).unwrap()
    store = build_world()
    result = engine_over(store).capture(row.attributes(), behavior)
    match preview:
        case Reject(problem=problem, activity=activity):
            assert result == Failure(problem)
            assert store.leads() == WORLD_LEADS
            assert activity is not None
            assert store.activities(activity.lead_id)[0] == activity
        case Create(lead=lead) | Update(lead=lead) | Convert(lead=lead):
            assert isinstance(result, Success)
            receipt = result.unwrap()
            assert receipt.decision == preview
            assert receipt.is_created == (preview.explanation.outcome is not Outcome.UPDATED)
            assert store.get_lead(lead.id) == lead
            converted = isinstance(preview, Convert)
            assert store.visitor(VISITOR) == msgspec.structs.replace(WORLD_VISITOR, converted=converted)
        case _:
            assert_never(preview)


# Inside a row: details the rules say do not matter.

_PADDING: Final = st.sampled_from(["", " ", "  ", "\t"])
_EXTRA_FIELDS: Final = ("LastName", "City", "Company", "JobTitle", "Notes")
"""Plain fields a request may add; none of them is an identifier."""
_TEXT: Final = st.text(alphabet=string.ascii_letters, min_size=1, max_size=20)


@functools.cache
def _casings(name: str) -> st.SearchStrategy[str]:
    """`name` with each letter in either case (bit i of the mask upper-cases letter i): `eMAILaDDRESS`, ..."""

    def spell(mask: int) -> str:
        return "".join(c.upper() if mask >> i & 1 else c.lower() for i, c in enumerate(name))

    return st.integers(min_value=0, max_value=2 ** len(name) - 1).map(spell)


def _padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_PADDING, values, _PADDING).map("".join)


_PLAIN_TEXT: Final = _padded(_TEXT)


@functools.cache
def _phone_spellings(stored: str) -> st.SearchStrategy[str]:
    """`+91-9000000001` as a person might type it: spaced, national only, without the dash, in brackets."""
    national = stored.removeprefix("+91-")
    return _padded(
        st.sampled_from(
            [stored, f"+91 {national[:5]} {national[5:]}", national, f"+91{national}", f"(+91) {national}"],
        ),
    )


@functools.cache
def _value_spellings(name: str, value: str) -> st.SearchStrategy[str]:
    if name == "EmailAddress":
        return _padded(_casings(value))  # R-N1: trimmed, compared case-insensitively
    if name == "Phone":
        return _phone_spellings(value)  # R-N2: compared on E.164
    if name == "ProspectId":
        return st.sampled_from([value, value.upper()])  # a GUID, whatever its hex casing
    if name == "SearchBy":
        return _casings(value)  # it names an attribute, and attribute names ignore case (R-V2)
    return _PLAIN_TEXT  # FirstName: any text (R-N3)


@st.composite
def _spelt(draw: st.DrawFn, row: Row) -> list[tuple[str, str]]:
    """The row's request with every name and value spelt some other equivalent way, plus extra plain fields."""
    pairs = [(draw(_casings(name)), draw(_value_spellings(name, value))) for name, value in row.pairs()]
    extras = draw(st.lists(st.sampled_from(_EXTRA_FIELDS), unique=True, max_size=4))
    pairs += [(draw(_casings(name)), draw(_PLAIN_TEXT)) for name in extras]
    return draw(st.permutations(pairs))


def _body(pairs: list[tuple[str, str]], form: str) -> Any:
    objects = [{"Attribute": name, "Value": value} for name, value in pairs]
    if form == "json":
        return msgspec.json.encode(objects)
    if form == "mapping":
        return dict(pairs)
    return objects


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_equivalent_spellings_keep_the_row_s_outcome(data: st.DataObject) -> None:
    """Casing, white space, phone formats, attribute order, body form and extra fields never change a cell."""
    labels = {row.label: row for row in ROWS}
    row = labels[data.draw(st.sampled_from(sorted(labels)), label="row")]
    behavior = data.draw(st.sampled_from(BEHAVIORS), label="behavior")
    spelling = None if behavior is None else data.draw(_casings(behavior.value), label="LeadUpdateBehavior")
    pairs = data.draw(_spelt(row), label="attributes")
    body = _body(pairs, data.draw(st.sampled_from(["pairs", "mapping", "json"]), label="body form"))
    expected = row.expected(behavior)
    decision = engine_over(build_world()).preview(body, spelling).unwrap()
    assert describe(decision) == expected.text
    check_details(decision, expected, row)
