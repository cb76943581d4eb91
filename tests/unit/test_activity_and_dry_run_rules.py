"""Activities (R-A1..R-A3) and dry runs (R-D1..R-D3), through `Engine.capture`, `preview` and `preview_many`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
from returns.result import Failure, Success
from tests.support.determinism import START
from tests.support.engines import captured, lead, make_engine, problem_of

from leadcapture import (
    Account,
    CaptureActivityData,
    Convert,
    Create,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Outcome,
    Reject,
    SubmittedAttribute,
    Update,
    UpdateBehavior,
    Visit,
    Visitor,
    WebVisitData,
)
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.report import summarize
from leadcapture.service import answer_for
from leadcapture.wire.leadsquared import error_envelope, preview_body, success_envelope

ACCOUNT_ID = "ac000000-0000-4000-8000-000000000001"
UNKNOWN_ACCOUNT = "ac000000-0000-4000-8000-0000000000ff"
VISITOR_GUID = "d0000000-0000-4000-8000-00000000000d"


def snapshot(store: InMemoryLeadStore) -> object:
    """Everything the store holds that a capture could change, as comparable data."""
    return [
        (stored, store.activities(stored.id), store.index_entries(stored.id), store.visitor(stored.id))
        for stored in store.leads()
    ], store.visitor(VISITOR_GUID)


def _visitor() -> Visitor:
    visit = Visit(
        id="f0000000-0000-4000-8000-000000000001",
        visited_on=START,
        page_url="https://example.com/?utm_source=Google",
        source={"Source": "Google"},
    )
    return Visitor(id=VISITOR_GUID, visits=(visit,))


def lead_capture_activities(store: InMemoryLeadStore, lead_id: str) -> list[Any]:
    """A lead's Lead Capture activities (event 23), newest first."""
    return [activity for activity in store.activities(lead_id) if activity.event_code == 23]


# R-A1 ----------------------------------------------------------------------------------------------------------


def test_A1_created_updated_and_converted_each_post_one_lead_capture_activity(
    engine: Engine,
    store: InMemoryLeadStore,
) -> None:
    """R-A1: each successful capture posts exactly one activity 23 `Lead Capture` on the resulting lead."""
    store.save_visitor(_visitor())
    created = captured(engine, {"EmailAddress": "a@example.com"})
    updated = captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann"})
    converted = captured(engine, {"ProspectId": VISITOR_GUID, "EmailAddress": "v@example.com"})
    assert [created.outcome, updated.outcome, converted.outcome] == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.CONVERTED,
    ]
    for receipts, lead_id in (((updated, created), created.lead_id), ((converted,), VISITOR_GUID)):
        activities = lead_capture_activities(store, lead_id)
        assert [activity.id for activity in activities] == [receipt.activity_id for receipt in receipts]
        for activity in activities:
            assert (activity.event_code, activity.event_name, activity.lead_id) == (23, "Lead Capture", lead_id)
    assert lead(store, created.lead_id).last_activity_on == updated.decision.activity.created_on


def test_A1_a_conversion_posts_one_capture_activity_beside_its_visits(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-A1: a Converted lead gets one Lead Capture activity; its visits are web-visit activities, not captures."""
    store.save_visitor(_visitor())
    captured(engine, {"ProspectId": VISITOR_GUID, "FirstName": "Vee"})
    activities = store.activities(VISITOR_GUID)
    assert len(lead_capture_activities(store, VISITOR_GUID)) == 1
    visits = [activity for activity in activities if activity.event_code != 23]
    assert len(visits) == 1
    assert isinstance(visits[0].data, WebVisitData)


@pytest.mark.parametrize(
    "attributes",
    [
        {"EmailAddress": "not-an-email", "FirstName": "Ann"},
        {"EmailAddress": "a@example.com", "RelatedCompanyId": UNKNOWN_ACCOUNT},
        {"Mobile": "9000000004", "FirstName": "Dup"},
    ],
    ids=["invalid-input", "unknown-account", "duplicate"],
)
def test_A1_failed_captures_post_no_activity_on_a_new_lead(
    engine: Engine,
    store: InMemoryLeadStore,
    attributes: dict[str, str],
) -> None:
    """R-A1: a capture that fails creates no lead and posts no Lead Capture activity of its own."""
    holder = captured(engine, {"Mobile": "9000000004"}).lead_id
    problem_of(engine.capture(attributes))
    assert [stored.id for stored in store.leads()] == [holder]
    data = [activity.data for activity in store.activities(holder)]
    assert all(isinstance(item, CaptureActivityData) for item in data)
    assert [item.outcome for item in data if isinstance(item, CaptureActivityData)][-1] == "Created"


# R-A2 ----------------------------------------------------------------------------------------------------------


def test_A2_activity_records_outcome_rule_identifier_behaviour_submission_and_changes(
    engine: Engine,
    store: InMemoryLeadStore,
) -> None:
    """R-A2: the activity holds the outcome, rule, matching identifier, behaviour, submitted data and changes."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann"}).lead_id
    submitted = [
        {"Attribute": "emailaddress", "Value": " A@example.com "},
        {"Attribute": "FirstName", "Value": "Zed"},
        {"Attribute": "City", "Value": "Pune"},
        {"Attribute": "DoNotCall", "Value": True},
    ]
    receipt = captured(engine, submitted, UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS)
    activity = store.activities(lead_a)[0]
    assert activity.id == receipt.activity_id
    assert activity.data == CaptureActivityData(
        outcome="Updated",
        rule="R-M8",
        matched_by="EmailAddress",
        behavior=UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS,
        submitted=(
            SubmittedAttribute(attribute="EmailAddress", value=" A@example.com "),
            SubmittedAttribute(attribute="FirstName", value="Zed"),
            SubmittedAttribute(attribute="City", value="Pune"),
            SubmittedAttribute(attribute="DoNotCall", value=True),
        ),
        changes=receipt.decision.explanation.changes,
        source={},
    )
    assert [(c.field, c.old, c.new) for c in receipt.decision.explanation.changes] == [
        ("City", "", "Pune"),
        ("DoNotCall", "", "1"),
    ]


def test_A2_created_activity_lists_every_field_set(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-A2: a Created lead's activity has outcome Created, its rule, no identifier, and every field as a change."""
    receipt = captured(engine, {"FirstName": "Ann", "Phone": "9000000001", "Source": "Ads"})
    data = store.activities(receipt.lead_id)[0].data
    assert isinstance(data, CaptureActivityData)
    assert (data.outcome, data.rule, data.matched_by, data.behavior) == ("Created", "R-M9", None, None)
    assert [(c.field, c.old, c.new) for c in data.changes] == [
        ("FirstName", "", "Ann"),
        ("Phone", "", "+91-9000000001"),
        ("Source", "", "Ads"),
    ]
    assert data.source == {"Source": "Ads"}


# R-A3 ----------------------------------------------------------------------------------------------------------


def test_A3_unknown_related_company_id_is_invalid_input(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-A3: a RelatedCompanyId of no existing account is a 400 MXInvalidInputException and writes nothing."""
    problem = problem_of(engine.capture({"EmailAddress": "a@example.com", "RelatedCompanyId": UNKNOWN_ACCOUNT}))
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert problem.status == 400
    assert problem.rule == "R-A3"
    assert store.leads() == ()


def test_A3_unknown_related_company_id_does_not_change_an_existing_lead(
    engine: Engine,
    store: InMemoryLeadStore,
) -> None:
    """R-A3: an update naming an unknown account is refused and leaves the lead and its history alone."""
    before = captured(engine, {"EmailAddress": "a@example.com"}).decision.lead
    problem = problem_of(
        engine.capture({"EmailAddress": "a@example.com", "City": "Pune", "RelatedCompanyId": UNKNOWN_ACCOUNT}),
    )
    assert (problem.status, problem.rule) == (400, "R-A3")
    assert lead(store, before.id) == before
    assert len(store.activities(before.id)) == 1


def test_A3_related_company_id_must_be_a_guid(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-A3: a RelatedCompanyId that is not a GUID is a 400 MXInvalidInputException."""
    problem = problem_of(engine.capture({"EmailAddress": "a@example.com", "RelatedCompanyId": "ACME"}))
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert problem.status == 400
    assert store.leads() == ()


def test_A3_known_related_company_id_links_the_lead(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-A3: a RelatedCompanyId of an existing account links the Created lead, and an update can link it too."""
    store.add_account(Account(id=ACCOUNT_ID, name="Acme", created_on=START))
    created = captured(engine, {"EmailAddress": "a@example.com", "RelatedCompanyId": ACCOUNT_ID.upper()})
    assert lead(store, created.lead_id).related_company_id == ACCOUNT_ID
    other = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    assert lead(store, other).related_company_id is None
    captured(engine, {"EmailAddress": "b@example.com", "RelatedCompanyId": ACCOUNT_ID})
    assert lead(store, other).related_company_id == ACCOUNT_ID


# R-D1 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"EmailAddress": "new@example.com"}, Create),
        ({"EmailAddress": "a@example.com", "FirstName": "Zed"}, Update),
        ({"ProspectId": VISITOR_GUID, "FirstName": "Vee"}, Convert),
        ({"EmailAddress": "a@example.com", "Mobile": "9000000004"}, Reject),
    ],
    ids=["create", "update", "convert", "duplicate"],
)
def test_D1_preview_decides_and_writes_nothing(
    engine: Engine,
    store: InMemoryLeadStore,
    attributes: dict[str, str],
    expected: type,
) -> None:
    """R-D1: Engine.preview runs the whole decision, whatever its outcome, and leaves the store untouched."""
    store.save_visitor(_visitor())
    captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann"})
    captured(engine, {"Mobile": "9000000004"})
    before = snapshot(store)
    decision = engine.preview(attributes).unwrap()
    assert isinstance(decision, expected)
    assert snapshot(store) == before


def test_D1_preview_of_bad_input_is_the_same_failure_as_capture(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-D1: a request that cannot be decided fails in preview exactly as in capture, and nothing is written."""
    attributes = {"EmailAddress": "nope", "Foo": "1"}
    assert engine.preview(attributes) == engine.capture(attributes)
    assert store.leads() == ()


# R-D2 ----------------------------------------------------------------------------------------------------------


def test_D2_preview_is_the_decision_the_real_call_applies(store: InMemoryLeadStore) -> None:
    """R-D2: with the same clock and ids, preview's decision is exactly the one capture then applies."""
    setup = make_engine(store)
    captured(setup, {"EmailAddress": "a@example.com", "FirstName": "Ann", "Source": "Google"})
    attributes = {"EmailAddress": "A@example.com", "FirstName": "Zed", "LastName": "Rao", "Source": "Bing"}
    preview = make_engine(store, prefix=9).preview(attributes, "UpdateOnlyEmptyFields").unwrap()
    receipt = captured(make_engine(store, prefix=9), attributes, UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS)
    assert receipt.decision == preview
    assert success_envelope(receipt) == success_envelope(answer_for(preview).unwrap())


def test_D2_explanation_shows_search_changes_and_why_fields_were_left_alone(
    engine: Engine,
    store: InMemoryLeadStore,
) -> None:
    """R-D2: a preview names outcome, rule, search, lookups, lead, changes, fields left alone and why, activity."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann", "Source": "Google"}).lead_id
    attributes = {"EmailAddress": "a@example.com", "FirstName": "Zed", "LastName": "Rao", "Source": "Bing"}
    decision = engine.preview({**attributes, "Phone": "9000000001"}, "UpdateOnlyEmptyFields").unwrap()
    assert isinstance(decision, Update)
    explanation = decision.explanation
    assert (explanation.outcome, explanation.rule, explanation.lead_id) == (Outcome.UPDATED, "R-M8", lead_a)
    assert explanation.search_order == ("EmailAddress", "Phone")
    assert [(look.identifier, look.found, look.lead_ids) for look in explanation.lookups] == [
        ("EmailAddress", "lead", (lead_a,)),
        ("Phone", "not searched", ()),
    ]
    assert [(c.field, c.old, c.new) for c in explanation.changes] == [
        ("LastName", "", "Rao"),
        ("Phone", "", "+91-9000000001"),
    ]
    reasons = {left.field: left.reason for left in explanation.unchanged}
    assert "R-B5" in reasons["EmailAddress"]
    assert "R-B3" in reasons["FirstName"]
    assert "R-S1" in reasons["Source"]
    assert decision.activity.lead_id == lead_a
    assert isinstance(decision.activity.data, CaptureActivityData)
    assert decision.activity.data.outcome == "Updated"


def test_D2_preview_of_a_duplicate_answers_the_real_error_plus_the_preview(engine: Engine) -> None:
    """R-D2: previewing a duplicate gives the real call's 409 problem and envelope, plus the explanation."""
    holder = captured(engine, {"Mobile": "9000000004"}).lead_id
    attributes = {"FirstName": "Dup", "Mobile": "9000000004"}
    decision = engine.preview(attributes).unwrap()
    assert isinstance(decision, Reject)
    real = problem_of(engine.capture(attributes))
    assert decision.problem == real
    assert real.status == 409
    assert decision.explanation.outcome is Outcome.REJECTED
    assert decision.explanation.lead_id == holder
    assert decision.activity is not None
    assert decision.activity.lead_id == holder
    body = preview_body(error_envelope(decision.problem), decision)
    assert body["Status"] == "Error"
    assert body["ExceptionType"] == "MXDuplicateEntryException"
    assert body["ExceptionMessage"] == "A Lead with same Mobile Number already exists."
    assert body["Preview"] == msgspec.to_builtins(decision)
    assert body["Preview"]["explanation"]["rule"] == "R-M1"


def test_D2_preview_of_a_create_answers_the_success_envelope_plus_the_preview(store: InMemoryLeadStore) -> None:
    """R-D2: a previewed Create answers the success envelope the real call answers, with IsCreated true."""
    attributes = {"FirstName": "Ann", "EmailAddress": "ann@example.com"}
    decision = make_engine(store, prefix=3).preview(attributes).unwrap()
    answer = answer_for(decision)
    assert isinstance(answer, Success)
    body = preview_body(success_envelope(answer.unwrap()), decision)
    real = success_envelope(captured(make_engine(store, prefix=3), attributes))
    assert {key: value for key, value in body.items() if key != "Preview"} == msgspec.to_builtins(real)
    assert body["Message"]["IsCreated"] is True
    assert body["Preview"]["type"] == "Create"
    assert body["Preview"]["explanation"]["rule"] == "R-M9"


# R-D3 ----------------------------------------------------------------------------------------------------------

BATCH: list[dict[str, Any]] = [
    {"EmailAddress": "asha@example.com", "FirstName": "Asha"},
    {"EmailAddress": "ASHA@example.com", "City": "Pune"},
    {"EmailAddress": "not-an-email"},
    {"EmailAddress": "ben@example.com", "Phone": "9000000001"},
    {"EmailAddress": "asha@example.com", "Phone": "9000000001"},
    {"Colour": "blue"},
]


def test_D3_preview_many_sees_earlier_rows_and_writes_nothing(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-D3: a batch dry run decides rows in order, each seeing what the earlier rows would do, and writes nothing."""
    before = snapshot(store)
    previews = engine.preview_many(BATCH)
    assert snapshot(store) == before
    first, second = previews[0].unwrap(), previews[1].unwrap()
    assert first.explanation.outcome is Outcome.CREATED
    assert second.explanation.outcome is Outcome.UPDATED
    assert second.explanation.lead_id == first.lead.id
    assert isinstance(previews[2], Failure)
    assert previews[4].unwrap().explanation.outcome is Outcome.REJECTED


def test_D3_batch_report_counts_outcomes_and_rules_and_lists_failing_rows(engine: Engine) -> None:
    """R-D3: the report totals rows per outcome and per rule and names every failing row with its error."""
    report = summarize(engine.preview_many(BATCH))
    assert report.rows == 6
    assert report.by_outcome == {"Created": 2, "Rejected": 3, "Updated": 1}
    assert report.by_rule == {"R-M8": 1, "R-M9": 2, "R-U2": 1, "R-V2": 1, "R-V4": 1}
    assert [(failure.row, failure.problem.exception_type) for failure in report.failures] == [
        (3, ExceptionType.INVALID_INPUT),
        (5, ExceptionType.DUPLICATE_ENTRY),
        (6, ExceptionType.UNKNOWN_ATTRIBUTE),
    ]


def test_D3_the_dry_run_predicts_the_real_batch_row_by_row(store: InMemoryLeadStore) -> None:
    """R-D3: previewing a batch and then capturing it give the same outcome and rule on every row."""
    previews = make_engine(store).preview_many(BATCH)
    captures = make_engine(store).capture_many(BATCH)
    for preview, capture in zip(previews, captures, strict=True):
        if isinstance(capture, Success):
            assert preview.unwrap().explanation.outcome is capture.unwrap().outcome
            assert preview.unwrap().explanation.rule == capture.unwrap().decision.explanation.rule
        else:
            expected = preview.failure() if isinstance(preview, Failure) else preview.unwrap().problem
            assert expected == capture.failure()


def test_D3_batch_dry_run_on_sqlite_leaves_the_file_untouched(tmp_path: Path) -> None:
    """R-D3 on a real SQLite file: the batch preview rolls its transaction back, so nothing is written."""
    sqlite_store = SQLiteLeadStore(tmp_path / "leads.db")
    try:
        previews = Engine(store=sqlite_store).preview_many(BATCH)
        assert previews[1].unwrap().explanation.outcome is Outcome.UPDATED
        assert sqlite_store.leads() == ()
    finally:
        sqlite_store.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_D3_a_dry_run_fed_in_batches_sees_every_earlier_batch(backend: str, tmp_path: Path) -> None:
    """R-D3: `Engine.dry_run` previews a file a batch at a time; each batch sees the batches before it."""
    store = InMemoryLeadStore() if backend == "memory" else SQLiteLeadStore(tmp_path / "leads.db")
    engine = Engine(store=store)
    try:
        with engine.dry_run() as run:
            answers = [preview for row in BATCH for preview in run.preview_many([row])]
        assert answers[0].unwrap().explanation.outcome is Outcome.CREATED
        assert answers[1].unwrap().explanation.outcome is Outcome.UPDATED
        assert answers[1].unwrap().explanation.lead_id == answers[0].unwrap().lead.id
        assert summarize(answers) == summarize(engine.preview_many(BATCH))
        assert store.leads() == ()
    finally:
        if isinstance(store, SQLiteLeadStore):
            store.close()
