"""The benchmark's floor (`bench/floor.py`) stores what the engine stores, or it would not measure the same work."""

from __future__ import annotations

import random  # noqa: TID251 - the store benchmark draws its rows from a seeded generator
from pathlib import Path

import msgspec
import pytest
from bench import floor as floor_module
from bench.ab import ABResult, Side
from bench.floor import (
    AnsweringFloor,
    FloorCapture,
    FloorDisagreesError,
    check_agreement,
    check_answer_agreement,
    check_row_agreement,
    sql_rows,
)
from bench.report import _target_text, ab_table
from bench.stores import stream
from bench.workload import Kind, make_workload

from leadcapture import Engine
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.decision import Create, FieldLeftAlone, IdentifierLookup, Update
from leadcapture.core.names import EMAIL, PHONE, EmailMatch
from leadcapture.core.records import FieldChange, Lead
from leadcapture.core.schema import DEFAULT_SCHEMA, Schema
from leadcapture.core.update import EQUAL_VALUE, FIRST_TOUCH


def test_the_floor_stores_the_engines_leads_and_activities_for_the_engine_benchmark_bodies() -> None:
    workload = make_workload(seed=7, existing=300, captures=1_500)
    bodies = [*workload.seed_bodies, *workload.bodies]
    leads = check_agreement(bodies)
    # The mix is 40% new leads; the rest update leads the seed bodies made.
    assert 300 + 500 <= leads < len(bodies)


def test_the_floor_stores_the_engines_leads_for_the_store_benchmark_rows() -> None:
    rows = stream(0, 2_000, repeats=0.2, earlier=range(0), rng=random.Random(5))  # noqa: S311 - a fixed seed, not a secret
    leads = check_agreement(rows)
    assert 1_400 <= leads < 2_000


def test_a_rule_the_floor_does_not_apply_is_caught_as_a_disagreement() -> None:
    """Under canonical email matching (R-J2) the engine finds a Gmail mailbox spelt otherwise; the floor cannot."""
    canonical = Schema(DEFAULT_SCHEMA.fields, email_match=EmailMatch.CANONICAL)
    bodies = [
        {"EmailAddress": "ann.lee@gmail.com", "FirstName": "Ann"},
        {"EmailAddress": "annlee@gmail.com", "FirstName": "Ann"},
    ]
    with pytest.raises(FloorDisagreesError, match="the engine stored lead"):
        check_agreement(bodies, schema=canonical)


def test_the_floor_refuses_what_it_does_not_store_as_the_engine_would() -> None:
    floor = FloorCapture()
    floor.capture({"EmailAddress": "ann@example.com", "City": "Pune"})
    with pytest.raises(ValueError, match="does not clear"):
        floor.capture({"EmailAddress": "ann@example.com", "City": ""})
    with pytest.raises(ValueError, match="EmailAddress"):
        floor.capture({"EmailAddress": "not an address"})


def test_the_answering_floor_answers_what_the_engine_answers_for_the_engine_benchmark_bodies() -> None:
    workload = make_workload(seed=7, existing=300, captures=1_500)
    leads = check_answer_agreement([*workload.seed_bodies, *workload.bodies])
    assert leads == 300 + workload.count(Kind.NEW)
    # The answers cover every shape the bodies reach: created, and updated after an email or a phone found the lead.
    floor = AnsweringFloor()
    for body in workload.seed_bodies:
        floor.capture(body)
    decisions = [floor.capture(body).unwrap().decision for body in workload.bodies]
    creates = [decision for decision in decisions if isinstance(decision, Create)]
    updates = [decision for decision in decisions if isinstance(decision, Update)]
    assert len(creates) == workload.count(Kind.NEW)
    assert sum(1 for update in updates if update.explanation.matched_by == EMAIL) == workload.count(Kind.EMAIL)
    assert sum(1 for update in updates if update.explanation.matched_by == PHONE) == workload.count(Kind.PHONE)
    skipped = [update for update in updates if update.explanation.lookups[-1].found == "not searched"]
    assert skipped
    assert all(update.explanation.search_order == (EMAIL, PHONE) for update in skipped)
    assert all(update.expected_version == update.lead.version - 1 for update in updates)
    assert any(left.reason == FIRST_TOUCH for update in updates for left in update.explanation.unchanged)


def test_the_answering_floor_answers_an_update_found_by_phone_with_both_lookups_and_the_fields_left_alone() -> None:
    floor = AnsweringFloor()
    created = floor.capture({"EmailAddress": "ann@example.com", "Phone": "9876543210", "Source": "Website"}).unwrap()
    assert created.is_created
    assert isinstance(created.decision, Create)
    index = created.decision.index
    assert [(entry.field, entry.key, entry.unique) for entry in index] == [
        (EMAIL, "ann@example.com", True),
        (PHONE, "+919876543210", True),
    ]
    answer = floor.capture({"EmailAddress": "ravi@example.com", "Phone": "+91 98765 43210", "Source": "Facebook"})
    receipt = answer.unwrap()
    decision = receipt.decision
    assert isinstance(decision, Update)
    assert receipt.lead_id == created.lead_id
    assert not receipt.is_created
    assert decision.explanation.lookups == (
        IdentifierLookup(identifier=EMAIL, value="ravi@example.com", found="nothing"),
        IdentifierLookup(identifier=PHONE, value="+91-9876543210", found="lead", lead_ids=(created.lead_id,)),
    )
    assert decision.explanation.unchanged == (
        FieldLeftAlone(field=PHONE, value="+91-9876543210", reason=EQUAL_VALUE),
        FieldLeftAlone(field="Source", value="Facebook", reason=FIRST_TOUCH),
    )
    assert decision.previous_index == index
    assert [(entry.field, entry.key) for entry in decision.index] == [
        (EMAIL, "ravi@example.com"),
        (PHONE, "+919876543210"),
    ]


class _FirstTouchCalledEqual(AnsweringFloor):
    """Gives a first-touch source field left alone the equal-value reason: the stored records stay right."""

    def _plan(
        self, stored: dict[str, str], values: dict[str, str]
    ) -> tuple[tuple[FieldChange, ...], tuple[FieldLeftAlone, ...], bool]:
        changes, unchanged, reindex = super()._plan(stored, values)
        reasons = tuple(
            msgspec.structs.replace(left, reason=EQUAL_VALUE) if left.reason == FIRST_TOUCH else left
            for left in unchanged
        )
        return changes, reasons, reindex


class _LookupByKey(AnsweringFloor):
    """Records the match key looked up (the email in lower case) as the lookup's value, not the value given."""

    def _search(self, field: str, value: str, key: str) -> tuple[Lead | None, IdentifierLookup]:
        return super()._search(field, key, key)


@pytest.mark.parametrize(
    ("floor_type", "where"),
    [
        (_FirstTouchCalledEqual, r"body 1: receipt\.decision\.explanation\.unchanged\[1\]\.reason differs"),
        (_LookupByKey, r"body 0: receipt\.decision\.explanation\.lookups\[0\]\.value differs"),
    ],
    ids=["a reason", "a lookup"],
)
def test_a_wrong_answer_is_caught_as_a_disagreement_though_the_records_agree(
    monkeypatch: pytest.MonkeyPatch, floor_type: type[AnsweringFloor], where: str
) -> None:
    bodies = [
        {"EmailAddress": "Ann@example.com", "Source": "Website"},
        {"EmailAddress": "Ann@example.com", "Source": "Facebook"},
    ]
    assert check_agreement(bodies) == 1  # the plain floor's check sees nothing wrong: the records are the same
    assert check_answer_agreement(bodies) == 1
    monkeypatch.setattr(floor_module, "AnsweringFloor", floor_type)
    with pytest.raises(FloorDisagreesError, match=where):
        check_answer_agreement(bodies)


def test_the_answering_floor_refuses_what_it_does_not_answer_as_the_engine_would() -> None:
    with pytest.raises(ValueError, match="LeadSquared's identifier and update rules only"):
        AnsweringFloor(schema=Schema(DEFAULT_SCHEMA.fields, email_match=EmailMatch.CANONICAL))
    floor = AnsweringFloor()
    with pytest.raises(ValueError, match="R-M1"):
        floor.capture({"FirstName": "Ann"})
    floor.capture({"EmailAddress": "ann@example.com", "City": "Pune"})
    with pytest.raises(ValueError, match="does not clear"):
        floor.capture({"EmailAddress": "ann@example.com", "City": ""})


def test_the_floors_sql_rows_are_the_rows_the_sqlite_store_writes_for_the_same_bodies(tmp_path: Path) -> None:
    rows = stream(0, 1_500, repeats=0.2, earlier=range(0), rng=random.Random(9))  # noqa: S311 - a fixed seed, not a secret
    leads = check_row_agreement(rows, tmp_path / "rows.db")
    assert 1_050 <= leads < 1_500


def test_the_floors_sql_rows_hold_one_row_per_lead_and_one_per_activity() -> None:
    floor = FloorCapture()
    floor.capture({"EmailAddress": "ann@example.com", "City": "Pune"})
    floor.capture({"EmailAddress": "ann@example.com", "City": "Mumbai"})
    floor.capture({"Phone": "9876543210", "FirstName": "Ravi"})
    lead_rows, activity_rows = sql_rows(floor)
    assert len(lead_rows) == 2
    assert len(activity_rows) == 3
    ann = next(row for row in lead_rows if "ann@example.com" in row[1])
    assert '"City":"Mumbai"' in ann[1]
    assert ann[6] == 2  # the latest version: a store writes the lead's final state once per batch


def test_a_row_the_floor_did_not_make_is_caught_as_a_disagreement(tmp_path: Path) -> None:
    path = tmp_path / "rows.db"
    store = SQLiteLeadStore(path)
    Engine(store=store).capture({"EmailAddress": "someone.else@example.com"}).unwrap()
    store.close()
    with pytest.raises(FloorDisagreesError, match="leads: the store holds"):
        check_row_agreement([{"EmailAddress": "ann@example.com"}], path)


def _side(label: str, rates: list[int], bytecodes: float) -> Side:
    """A side whose rounds captured `rate` bodies in one CPU second each."""
    return Side(label, tuple((rate, 1.5, 1.0) for rate in rates), bytecodes=bytecodes)


def test_the_ab_table_shows_the_answering_floor_beside_the_engines_and_the_floor() -> None:
    ab = ABResult(
        revision="597236f",
        current=_side("this tree", [33_000, 30_000, 36_000], 2_500),
        older=_side("597236f", [30_000, 30_000, 30_000], 3_000),
        floor=_side("floor", [66_000, 69_000, 72_000], 1_350),
        answering_floor=_side("answering floor", [51_000, 60_000, 54_000], 1_450),
    )
    assert ab.answering_floor_ratio == pytest.approx(1.8)  # the median of 1.7, 2.0 and 1.8
    header, _rule, *rows = ab_table(ab).splitlines()
    cells = [[cell.strip() for cell in line.strip("| ").split(" | ")] for line in (header, *rows)]
    assert cells[0][6:] == ["answering floor (same answers), captures per CPU s", "answering floor / 597236f"]
    assert [row[6:] for row in cells[1:4]] == [["51,000", "1.70x"], ["60,000", "2.00x"], ["54,000", "1.80x"]]
    assert cells[4] == ["median ratio", "", "", "1.10x", "", "2.30x", "", "1.80x"]
    assert cells[5] == [
        "bytecodes per capture (opcode trace)",
        "2,500",
        "3,000",
        "1.20x fewer",
        "1,350",
        "2.22x fewer",
        "1,450",
        "2.07x fewer",
    ]
    assert "the floor that also answers what Engine.capture answers ran 1.80x" in _target_text(ab)
