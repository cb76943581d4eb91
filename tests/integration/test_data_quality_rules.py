"""Data quality (R-P1, R-J1..R-J3) on every store: per-field update policies, blocked identifiers, canonical emails.

Each rule runs through the real `Engine` over the in-memory reference store, a SQLite file and a PostgreSQL
database, one capture at a time and in batches (`capture_many`), and must answer the same on all three.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conformance.test_lead_store_contract import STORE_FACTORIES
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import (
    DEFAULT_SCHEMA,
    CaptureReceipt,
    Create,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Lead,
    LeadStore,
    Outcome,
    Problem,
    Reject,
    Schema,
    Update,
    UpdateBehavior,
    schema_from_toml,
)

QUALITY = schema_from_toml(
    """
    email_match = "canonical"

    [blocked_identifiers]
    preset = "common"
    values = ["info@acme.example", "+44 20 7946 0000"]
    patterns = ["*@mailinator.com"]

    [fields.OwnerId]
    update = "never"

    [fields.ProspectStage]
    update = "if_empty"

    [fields.mx_Verified]
    data_type = "Text"
    update = "if_empty"
    """,
).unwrap()
"""Every data-quality rule on: the `common` blocked preset plus two values and a pattern, canonical Gmail
matching, OwnerId never updated, ProspectStage and mx_Verified only while empty."""


@pytest.fixture(params=[pytest.param(factory, id=name) for name, factory in STORE_FACTORIES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """A new, empty store of each kind; closed afterwards if it can be."""
    made: LeadStore = request.param(tmp_path, request)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()


def engine_over(store: LeadStore, schema: Schema = QUALITY) -> Engine:
    """An engine with the data-quality schema, a stepping clock and counting ids."""
    return Engine(store=store, schema=schema, clock=SteppingClock(), ids=CountingIds())


def captured(engine: Engine, attributes: object, behavior: str | UpdateBehavior | None = None) -> CaptureReceipt:
    """The receipt of a capture that must succeed."""
    return engine.capture(attributes, behavior).unwrap()


def refused(engine: Engine, attributes: object) -> Problem:
    """The problem of a capture that must be refused."""
    return engine.capture(attributes).failure()


def stored(engine: Engine, lead_id: str) -> Lead:
    """The lead as the store holds it."""
    found = engine.store.get_lead(lead_id)
    assert found is not None
    return found


def reasons(receipt: CaptureReceipt) -> dict[str, str]:
    """The fields the capture left alone, with the reason for each."""
    return {left.field: left.reason for left in receipt.decision.explanation.unchanged}


# R-P1: per-field update policies ------------------------------------------------------------------------------


def test_P1_never_field_is_set_on_create_and_kept_by_every_update(store: LeadStore) -> None:
    """An `update = "never"` field takes its value when the lead is created and keeps it under every behaviour."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "alice"})
    for behavior in (None, *UpdateBehavior):
        again = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "bob", "City": "Pune"}, behavior)
        assert again.lead_id == first.lead_id
    assert stored(engine, first.lead_id).fields["OwnerId"] == "alice"


def test_P1_never_field_is_not_cleared_by_an_empty_value(store: LeadStore) -> None:
    """An empty value clears a field under LeadSquared's rules (R-B1), but not a `never` field."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "alice"})
    again = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": None})
    assert reasons(again)["OwnerId"] == "update policy never (R-P1)"
    assert stored(engine, first.lead_id).fields["OwnerId"] == "alice"


def test_P1_never_field_empty_on_the_lead_stays_empty(store: LeadStore) -> None:
    """`never` means never by an update: an empty `never` field is not filled by a later capture either."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "ann@example.com"})
    again = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "bob"})
    assert reasons(again) == {"OwnerId": "update policy never (R-P1)", "EmailAddress": "equal value (R-B5)"}
    assert "OwnerId" not in stored(engine, first.lead_id).fields


def test_P1_if_empty_field_is_filled_once_then_kept(store: LeadStore) -> None:
    """An `if_empty` field is set while it is empty and then kept, even by the default behaviour."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "ann@example.com"})
    filled = captured(engine, {"EmailAddress": "ann@example.com", "ProspectStage": "Opportunity"})
    assert [(c.field, c.new) for c in filled.decision.explanation.changes] == [("ProspectStage", "Opportunity")]
    kept = captured(engine, {"EmailAddress": "ann@example.com", "ProspectStage": "Customer", "City": "Pune"})
    assert reasons(kept)["ProspectStage"] == "update policy if_empty: field not empty (R-P1)"
    assert stored(engine, first.lead_id).fields == {
        "EmailAddress": "ann@example.com",
        "ProspectStage": "Opportunity",
        "City": "Pune",
    }


def test_P1_a_field_is_set_only_if_behaviour_and_policy_both_allow_it(store: LeadStore) -> None:
    """The behaviour decides first and names its own rule; the policy then keeps what it forbids (R-B, R-P1)."""
    engine = engine_over(store)
    captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "alice", "mx_Verified": "yes"})
    kept_by_behavior = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "bob"}, "DoNotUpdate")
    assert reasons(kept_by_behavior)["OwnerId"] == "LeadUpdateBehavior DoNotUpdate (R-B2)"
    only_empty = captured(
        engine,
        {"EmailAddress": "ann@example.com", "OwnerId": "bob", "ProspectStage": "Customer"},
        "UpdateOnlyEmptyFields",
    )
    assert reasons(only_empty)["OwnerId"] == "LeadUpdateBehavior UpdateOnlyEmptyFields: field not empty (R-B3)"
    assert [c.field for c in only_empty.decision.explanation.changes] == ["ProspectStage"]
    unique_kept = captured(engine, {"EmailAddress": "ann@example.com", "mx_Verified": "no"}, "DoNotUpdateUniqueFields")
    assert reasons(unique_kept)["mx_Verified"] == "update policy if_empty: field not empty (R-P1)"


def test_P1_without_config_every_field_updates_as_in_leadsquared(store: LeadStore) -> None:
    """With the default schema OwnerId and ProspectStage are ordinary fields: an update sets them (R-B1)."""
    engine = engine_over(store, DEFAULT_SCHEMA)
    first = captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "alice", "ProspectStage": "Prospect"})
    captured(engine, {"EmailAddress": "ann@example.com", "OwnerId": "bob", "ProspectStage": "Customer"})
    assert stored(engine, first.lead_id).fields["OwnerId"] == "bob"
    assert stored(engine, first.lead_id).fields["ProspectStage"] == "Customer"


# R-J1: blocked identifiers ------------------------------------------------------------------------------------


def test_J1_a_blocked_email_never_matches_another_lead(store: LeadStore) -> None:
    """Two people who typed test@test.com are two leads, each storing the address as given."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "test@test.com", "FirstName": "Ann"})
    second = captured(engine, {"EmailAddress": "TEST@test.com", "FirstName": "Ben"})
    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.CREATED)
    assert second.decision.explanation.rule == "R-M1"
    assert stored(engine, second.lead_id).fields == {"EmailAddress": "TEST@test.com", "FirstName": "Ben"}


def test_J1_the_explanation_says_which_identifier_was_blocked_and_why(store: LeadStore) -> None:
    """The decision notes each blocked identifier with what blocks it; blocked ones are not searched."""
    engine = engine_over(store)
    receipt = captured(engine, {"EmailAddress": "noemail@shop.example", "Phone": "99999 99999"})
    explanation = receipt.decision.explanation
    assert explanation.search_order == ()
    assert explanation.notes == (
        "EmailAddress noemail@shop.example is a blocked identifier (pattern noemail@*): stored, never matched "
        "nor held unique (R-J1)",
        "Phone +91-9999999999 is a blocked identifier (phone number of one repeated digit): stored, never "
        "matched nor held unique (R-J1)",
    )


def test_J1_a_blocked_value_is_never_held_unique(store: LeadStore) -> None:
    """A lead may take a blocked mobile or email another lead has: no duplicate error (R-U2 does not apply)."""
    engine = engine_over(store)
    captured(engine, {"EmailAddress": "ann@example.com", "Mobile": "1234567890", "Phone": "5555555555"})
    ben = captured(engine, {"EmailAddress": "ben@example.com", "Mobile": "1234567890"})
    assert ben.outcome is Outcome.CREATED
    moved = captured(engine, {"EmailAddress": "ben@example.com", "Phone": "55555 55555"})
    assert moved.outcome is Outcome.UPDATED
    assert stored(engine, ben.lead_id).fields["Phone"] == "+91-5555555555"


def test_J1_another_identifier_still_matches_and_the_blocked_value_is_stored(store: LeadStore) -> None:
    """A capture with a junk email and a real phone updates the lead with that phone, filling its empty email."""
    engine = engine_over(store)
    ann = captured(engine, {"Phone": "9000000001", "FirstName": "Ann"})
    again = captured(engine, {"EmailAddress": "na@na.com", "Phone": "9000000001"})
    assert (again.lead_id, again.decision.explanation.matched_by) == (ann.lead_id, "Phone")
    assert stored(engine, ann.lead_id).fields["EmailAddress"] == "na@na.com"


def test_J1_a_blocked_value_never_replaces_a_stored_identifier(store: LeadStore) -> None:
    """A junk email or phone beside a matching identifier is kept off a lead that has a real one."""
    engine = engine_over(store)
    ann = captured(engine, {"EmailAddress": "ann@example.com", "Phone": "9000000001"})
    by_phone = captured(engine, {"Phone": "9000000001", "EmailAddress": "test@test.com", "City": "Pune"})
    by_id = captured(engine, {"ProspectId": ann.lead_id, "EmailAddress": "none@example.com", "Phone": "1234567890"})
    assert (by_phone.lead_id, by_id.lead_id, by_id.decision.explanation.rule) == (ann.lead_id, ann.lead_id, "R-M5")
    assert reasons(by_phone)["EmailAddress"] == "a blocked identifier never replaces a stored value (R-J1)"
    assert reasons(by_id)["Phone"] == "a blocked identifier never replaces a stored value (R-J1)"
    kept = captured(engine, {"EmailAddress": "ann@example.com", "Phone": "7777777777"}, "DoNotUpdate")
    assert reasons(kept)["Phone"] == "LeadUpdateBehavior DoNotUpdate (R-B2)"
    assert stored(engine, ann.lead_id).fields == {
        "EmailAddress": "ann@example.com",
        "Phone": "+91-9000000001",
        "City": "Pune",
    }


def test_J1_a_prospect_id_lead_with_a_junk_email_takes_the_real_one(store: LeadStore) -> None:
    """R-M4 compares emails, and a blocked email counts as none: the ProspectId's lead is updated (R-M5)."""
    engine = engine_over(store)
    ann = captured(engine, {"EmailAddress": "none@example.com", "FirstName": "Ann"})
    again = captured(engine, {"ProspectId": ann.lead_id, "EmailAddress": "ann@example.com"})
    assert (again.lead_id, again.decision.explanation.rule) == (ann.lead_id, "R-M5")
    assert stored(engine, ann.lead_id).fields["EmailAddress"] == "ann@example.com"


def test_J1_search_by_a_blocked_value_is_ignored(store: LeadStore) -> None:
    """SearchBy naming a field whose value is blocked is ignored, as SearchBy on an empty field is (R-M3)."""
    engine = engine_over(store)
    ann = captured(engine, {"EmailAddress": "ann@example.com"})
    again = captured(engine, {"EmailAddress": "ann@example.com", "Mobile": "7777777777", "SearchBy": "Mobile"})
    assert again.lead_id == ann.lead_id
    assert "SearchBy Mobile ignored: its value is a blocked identifier (R-M3, R-J1)" in again.decision.explanation.notes


def test_J1_config_values_and_patterns_block_as_the_preset_does(store: LeadStore) -> None:
    """A config's own values (an email, a phone written any way) and patterns block too."""
    engine = engine_over(store)
    for body in (
        {"EmailAddress": "INFO@acme.example"},
        {"EmailAddress": "someone@mailinator.com"},
        {"Phone": "+44-2079460000"},
    ):
        outcomes = {captured(engine, body).outcome for _ in range(2)}
        assert outcomes == {Outcome.CREATED}, body


def test_J1_a_look_up_by_a_blocked_value_finds_every_lead_holding_it(store: LeadStore) -> None:
    """A blocked value is still indexed for look-ups (Leads.GetByEmailaddress finds all who typed it)."""
    engine = engine_over(store)
    ids = {captured(engine, {"EmailAddress": "test@test.com"}).lead_id for _ in range(3)}
    assert {lead.id for lead in engine.store.find_leads("EmailAddress", "test@test.com")} == ids


def test_J1_without_config_nothing_is_blocked(store: LeadStore) -> None:
    """With the default schema test@test.com matches and is unique, as in LeadSquared."""
    engine = engine_over(store, DEFAULT_SCHEMA)
    first = captured(engine, {"EmailAddress": "test@test.com", "Mobile": "9999999999"})
    assert captured(engine, {"EmailAddress": "test@test.com"}).lead_id == first.lead_id
    duplicate = refused(engine, {"EmailAddress": "other@example.com", "Mobile": "9999999999"})
    assert duplicate.exception_type is ExceptionType.DUPLICATE_ENTRY


# R-J2: canonical email matching -------------------------------------------------------------------------------


def test_J2_gmail_dots_tags_and_googlemail_find_one_lead(store: LeadStore) -> None:
    """Every spelling of one Gmail mailbox finds the lead; the address stays as first given."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "John.Doe@gmail.com"})
    for spelling in ("johndoe@gmail.com", "j.o.h.n.doe+newsletter@gmail.com", "JOHNDOE@googlemail.com"):
        again = captured(engine, {"EmailAddress": spelling, "City": "Pune"})
        assert again.lead_id == first.lead_id, spelling
        assert reasons(again)["EmailAddress"] == "the same Gmail mailbox as the stored address (R-J2)"
        assert again.decision.explanation.notes == (
            f"EmailAddress {spelling} found John.Doe@gmail.com: the same Gmail mailbox (R-J2)",
        )
    assert stored(engine, first.lead_id).fields["EmailAddress"] == "John.Doe@gmail.com"


def test_J2_one_gmail_mailbox_is_held_unique(store: LeadStore) -> None:
    """Another lead may not take another spelling of a mailbox a lead holds: 409 as for the same address."""
    engine = engine_over(store)
    captured(engine, {"EmailAddress": "john.doe@gmail.com"})
    ben = captured(engine, {"Phone": "9000000001"})
    problem = refused(engine, {"Phone": "9000000001", "EmailAddress": "johndoe+ben@gmail.com", "SearchBy": "Phone"})
    assert (problem.exception_type, problem.message) == (
        ExceptionType.DUPLICATE_ENTRY,
        "A Lead with same Email already exists.",
    )
    assert "EmailAddress" not in stored(engine, ben.lead_id).fields
    notes = engine.preview({"Phone": "9000000001", "EmailAddress": "johndoe+ben@gmail.com", "SearchBy": "Phone"})
    assert "EmailAddress johndoe+ben@gmail.com found john.doe@gmail.com: the same Gmail mailbox (R-J2)" in (
        notes.unwrap().explanation.notes
    )


def test_J2_a_look_up_by_the_stored_spelling_or_the_mailbox_finds_the_lead(store: LeadStore) -> None:
    """The address is indexed as spelt and as its mailbox, so either look-up finds it."""
    engine = engine_over(store)
    first = captured(engine, {"EmailAddress": "John.Doe+x@gmail.com"})
    for key in ("john.doe+x@gmail.com", "johndoe@gmail.com"):
        assert [lead.id for lead in engine.store.find_leads("EmailAddress", key)] == [first.lead_id]


@pytest.mark.parametrize(
    ("schema", "emails"),
    [
        pytest.param(QUALITY, ("john.doe@example.com", "johndoe@example.com"), id="other-domain"),
        pytest.param(DEFAULT_SCHEMA, ("john.doe@gmail.com", "johndoe+x@gmail.com"), id="option-off"),
    ],
)
def test_J2_other_domains_and_the_default_schema_compare_whole_addresses(
    store: LeadStore,
    schema: Schema,
    emails: tuple[str, str],
) -> None:
    """Dots and tags matter outside Gmail, and everywhere without the option: two leads."""
    engine = engine_over(store, schema)
    receipts = [captured(engine, {"EmailAddress": email}) for email in emails]
    assert [receipt.outcome for receipt in receipts] == [Outcome.CREATED, Outcome.CREATED]


# R-J3: the same rules for batches -----------------------------------------------------------------------------


ROWS = [
    {"EmailAddress": "test@test.com", "FirstName": "Ann"},
    {"EmailAddress": "test@test.com", "FirstName": "Ben"},
    {"EmailAddress": "J.Doe@gmail.com", "OwnerId": "alice", "ProspectStage": "Prospect"},
    {"EmailAddress": "jdoe+x@googlemail.com", "OwnerId": "bob", "ProspectStage": "Customer", "City": "Pune"},
    {"EmailAddress": "ann@example.com", "Mobile": "1111111111"},
    {"EmailAddress": "ben@example.com", "Mobile": "1111111111"},
]


def test_J3_a_batch_decides_each_row_as_a_single_capture_would(store: LeadStore) -> None:
    """`capture_many` and `preview_many` apply every data-quality rule exactly as captures one by one do."""
    previews = engine_over(store).preview_many(ROWS)
    answers = engine_over(store).capture_many(ROWS)
    one_by_one = engine_over(InMemoryLeadStore())
    singles = [one_by_one.capture(row) for row in ROWS]
    assert [a.unwrap().decision for a in answers] == [s.unwrap().decision for s in singles]
    assert [p.unwrap() for p in previews] == [s.unwrap().decision for s in singles]
    outcomes = [a.unwrap().outcome.value for a in answers]
    assert outcomes == ["Created", "Created", "Created", "Updated", "Created", "Created"]
    assert isinstance(previews[3].unwrap(), Update)
    assert isinstance(previews[0].unwrap(), Create)
    assert not any(isinstance(p.unwrap(), Reject) for p in previews)
