"""Every cell of the data-quality decision tables (R-J1, R-J2, R-P1), run through the engine.

The oracles are the literal tables in `tests/property/data_quality_table.py`; `docs/decision-table.md`
renders them after the match table. Each identifier cell is previewed and then captured on a fresh world
indexed as its config indexes; each policy cell updates lead A's field under each behaviour.
"""

from __future__ import annotations

import re
from typing import Final, assert_never

import pytest
from returns.result import Failure, Success
from tests.property.data_quality_table import (
    CONFIGS,
    IDENTIFIER_COMBINATIONS,
    IDENTIFIER_ROWS,
    IDENTIFIER_TABLE,
    POLICY_COMBINATIONS,
    POLICY_FIELD,
    POLICY_ROWS,
    POLICY_SCHEMAS,
    WORLD_IDS,
    IdentifierRow,
    PolicyRow,
    build_identifier_world,
    build_policy_world,
    parse_identifier_table,
)
from tests.property.decision_table import BEHAVIORS, behavior_name
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import (
    CaptureDecision,
    Convert,
    Create,
    Engine,
    InMemoryLeadStore,
    Reject,
    Schema,
    Update,
    UpdateBehavior,
)

NAMES: Final = {lead_id: name for name, lead_id in WORLD_IDS.items()}
DUPLICATE_FIELDS: Final = {
    "A Lead with same Email already exists.": "Email",
    "A Lead with same Phone Number already exists.": "Phone",
}
_QUALITY_RULE = re.compile(r"\(R-(J\d)\)")

IDENTIFIER_CASES: Final = [
    pytest.param(row, index, id=f"{row.label},{name}")
    for row in IDENTIFIER_ROWS
    for index, (name, _schema) in enumerate(CONFIGS)
]
POLICY_CASES: Final = [
    pytest.param(row, behavior, id=f"{row.label},{behavior_name(behavior)}")
    for row in POLICY_ROWS
    for behavior in BEHAVIORS
]


def engine_over(store: InMemoryLeadStore, schema: Schema) -> Engine:
    """An engine whose clock and ids repeat from run to run, so a preview and a capture decide identically."""
    return Engine(store=store, schema=schema, clock=SteppingClock(), ids=CountingIds())


def describe(decision: CaptureDecision) -> str:
    """The decision in the table's spelling, with the data-quality rules its explanation notes."""
    explanation = decision.explanation
    match decision:
        case Create() | Convert():
            text = f"Created {explanation.rule}"
        case Update(lead=lead):
            text = f"Updated {NAMES.get(lead.id, lead.id)} {explanation.rule}"
        case Reject(problem=problem):
            field = DUPLICATE_FIELDS.get(problem.message, problem.message)
            text = f"Rejected {field}@{NAMES.get(explanation.lead_id or '', explanation.lead_id)} {explanation.rule}"
        case _:
            assert_never(decision)
    rules = sorted({rule for note in explanation.notes for rule in _QUALITY_RULE.findall(note)})
    return text + (" +" + "+".join(rules) if rules else "")


def test_the_tables_have_every_combination_exactly_once() -> None:
    """One identifier row per email and phone state (16), one policy row per policy, state and value (12)."""
    assert sorted((row.email, row.phone) for row in IDENTIFIER_ROWS) == sorted(IDENTIFIER_COMBINATIONS)
    assert sorted((row.policy, row.lead, row.given) for row in POLICY_ROWS) == sorted(POLICY_COMBINATIONS)
    with pytest.raises(ValueError, match="not a row"):
        parse_identifier_table("  j  j  | Updated V R-M8 | Created R-M1")


@pytest.mark.parametrize(("row", "column"), IDENTIFIER_CASES)
def test_J1_J2_preview_and_capture_decide_as_the_identifier_table_says(row: IdentifierRow, column: int) -> None:
    """Engine.preview gives the cell, and Engine.capture on a fresh world applies exactly that decision."""
    schema = CONFIGS[column][1]
    decision = engine_over(build_identifier_world(schema), schema).preview(row.attributes()).unwrap()
    assert describe(decision) == row.cells[column]
    store = build_identifier_world(schema)
    result = engine_over(store, schema).capture(row.attributes())
    if isinstance(decision, Reject):
        assert result == Failure(decision.problem)
    else:
        assert isinstance(result, Success)
        assert result.unwrap().decision == decision
        assert store.get_lead(decision.lead.id) == decision.lead


@pytest.mark.parametrize(("row", "behavior"), POLICY_CASES)
def test_P1_an_update_sets_or_keeps_the_field_as_the_policy_table_says(
    row: PolicyRow,
    behavior: UpdateBehavior | None,
) -> None:
    """The field is set only if behaviour and policy both allow it; a kept field names the rule that kept it."""
    schema = POLICY_SCHEMAS[row.policy]
    store = build_policy_world(row)
    given = "new" if row.given == "new" else ""
    receipt = engine_over(store, schema).capture({"EmailAddress": "a@example.com", POLICY_FIELD: given}, behavior)
    explanation = receipt.unwrap().decision.explanation
    changed = [change for change in explanation.changes if change.field == POLICY_FIELD]
    kept = [left.reason for left in explanation.unchanged if left.field == POLICY_FIELD]
    expected = row.cells[BEHAVIORS.index(behavior)]
    lead = store.get_lead(WORLD_IDS["A"])
    assert lead is not None
    if expected == "set":
        assert (len(changed), kept) == (1, [])
        assert lead.fields.get(POLICY_FIELD, "") == given
    else:
        rule = expected.removeprefix("kept ")
        assert changed == []
        assert len(kept) == 1
        assert kept[0].endswith(f"({rule})")
        assert lead.fields.get(POLICY_FIELD, "") == ("old" if row.lead == "old" else "")


def test_every_identifier_cell_is_a_known_shape() -> None:
    """The identifier table's cells are all outcome, lead and rule, with data-quality rules in order."""
    cells = [cell for row in IDENTIFIER_ROWS for cell in row.cells]
    assert len(cells) == len(IDENTIFIER_COMBINATIONS) * len(CONFIGS)
    assert all(re.fullmatch(r"[^+]+( \+J1)?(\+?J2)?", cell) for cell in cells), IDENTIFIER_TABLE
