"""Uniqueness (R-U1..R-U3), LeadUpdateBehavior (R-B1..R-B6) and first-touch source fields (R-S1, R-S2)."""

from __future__ import annotations

from typing import Any

import pytest
from returns.result import Failure
from tests.support.engines import captured, lead, make_engine

from leadcapture import (
    DEFAULT_SCHEMA,
    CaptureActivityData,
    CaptureReceipt,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Outcome,
    Problem,
    SubmittedAttribute,
    UpdateBehavior,
    Visitor,
    schema_from_toml,
)

CUSTOM_UNIQUE = schema_from_toml(
    """
    [fields.mx_TaxId]
    data_type = "Text"
    display_name = "Tax Id"
    is_unique = true
    [fields.mx_CustomerNo]
    data_type = "Text"
    display_name = "Customer Number"
    is_unique = true
    """,
).unwrap()


def rejected(engine: Engine, attributes: object, behavior: UpdateBehavior | None = None) -> Problem:
    """The problem of a capture that must fail."""
    result = engine.capture(attributes, behavior)
    assert isinstance(result, Failure), result
    problem = result.failure()
    assert isinstance(problem, Problem)
    return problem


def capture_data(store: InMemoryLeadStore, lead_id: str, newest: int = 0) -> CaptureActivityData:
    """The Lead Capture data of a lead's activity, counted from the newest."""
    data = store.activities(lead_id)[newest].data
    assert isinstance(data, CaptureActivityData)
    return data


def assert_duplicate(problem: Problem, message: str) -> None:
    """`problem` is R-U2's 409 MXDuplicateEntryException with `message`."""
    assert problem.exception_type is ExceptionType.DUPLICATE_ENTRY
    assert problem.status == 409
    assert problem.rule == "R-U2"
    assert problem.message == message


# R-U1 ----------------------------------------------------------------------------------------------------------


def test_U1_email_phone_and_mobile_are_unique_by_default() -> None:
    """R-U1: the default schema's unique fields are EmailAddress, Phone and Mobile, in that order."""
    assert DEFAULT_SCHEMA.unique_fields == ("EmailAddress", "Phone", "Mobile")
    assert [spec.schema_name for spec in DEFAULT_SCHEMA.fields if spec.is_unique] == [
        "EmailAddress",
        "Phone",
        "Mobile",
    ]


def test_U1_a_second_lead_cannot_take_a_mobile_number(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U1: Mobile is unique: a new lead with a Mobile another lead holds is refused."""
    captured(engine, {"Mobile": "9000000004", "FirstName": "Dev"})
    assert_duplicate(rejected(engine, {"Mobile": "+91 90000 00004"}), "A Lead with same Mobile Number already exists.")
    assert len(store.leads()) == 1


def test_U1_custom_fields_are_unique_by_config(store: InMemoryLeadStore) -> None:
    """R-U1: a custom field flagged `is_unique` in the config is unique, after the standard ones."""
    assert CUSTOM_UNIQUE.unique_fields == ("EmailAddress", "Phone", "Mobile", "mx_TaxId", "mx_CustomerNo")
    engine = make_engine(store, CUSTOM_UNIQUE)
    captured(engine, {"mx_TaxId": "T-1"})
    assert_duplicate(rejected(engine, {"mx_TaxId": "T-1"}), "A Lead with same Tax Id already exists.")


# R-U2 ----------------------------------------------------------------------------------------------------------


def test_U2_new_lead_may_not_take_another_leads_email(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U2: a Created lead whose email another lead holds fails with `A Lead with same Email already exists.`."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    captured(engine, {"EmailAddress": "b@example.com"})
    problem = rejected(engine, {"ProspectId": lead_a, "EmailAddress": "B@Example.com"})
    assert_duplicate(problem, "A Lead with same Email already exists.")
    assert len(store.leads()) == 2


def test_U2_updated_lead_may_not_take_another_leads_phone(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U2: an Updated lead's new phone that another lead holds fails with the Phone Number message."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"})
    captured(engine, {"Phone": "9000000002"})
    problem = rejected(engine, {"EmailAddress": "a@example.com", "Phone": "9000000002", "FirstName": "Ann"})
    assert_duplicate(problem, "A Lead with same Phone Number already exists.")
    assert lead(store, lead_a.lead_id) == lead_a.decision.lead


def test_U2_converted_lead_may_not_take_another_leads_email(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U2: a visitor whose conversion would take another lead's email is refused and stays unconverted."""
    visitor_id = "d0000000-0000-4000-8000-00000000000d"
    store.save_visitor(Visitor(id=visitor_id))
    captured(engine, {"EmailAddress": "b@example.com"})
    problem = rejected(engine, {"ProspectId": visitor_id, "EmailAddress": "b@example.com"})
    assert_duplicate(problem, "A Lead with same Email already exists.")
    assert store.get_lead(visitor_id) is None
    assert store.visitor(visitor_id) == Visitor(id=visitor_id)


def test_U2_custom_unique_field_message_uses_its_display_name(store: InMemoryLeadStore) -> None:
    """R-U2: a custom unique clash says `A Lead with same <DisplayName> already exists.`."""
    engine = make_engine(store, CUSTOM_UNIQUE)
    captured(engine, {"mx_CustomerNo": "C-1"})
    assert_duplicate(rejected(engine, {"mx_CustomerNo": "C-1"}), "A Lead with same Customer Number already exists.")
    assert len(store.leads()) == 1


def test_U2_email_is_checked_before_phone(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U2: when a new lead's email and phone both clash, the email clash is the one reported."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    captured(engine, {"EmailAddress": "b@example.com"})
    captured(engine, {"Phone": "9000000003"})
    problem = rejected(engine, {"ProspectId": lead_a, "EmailAddress": "b@example.com", "Phone": "9000000003"})
    assert_duplicate(problem, "A Lead with same Email already exists.")
    assert len(store.leads()) == 3


def test_U2_mobile_is_checked_before_custom_fields_and_customs_in_config_order(store: InMemoryLeadStore) -> None:
    """R-U2: Mobile is checked before custom unique fields, which are checked in config order."""
    engine = make_engine(store, CUSTOM_UNIQUE)
    captured(engine, {"Mobile": "9000000004"})
    captured(engine, {"mx_TaxId": "T-1"})
    captured(engine, {"mx_CustomerNo": "C-1"})
    everything = {"mx_CustomerNo": "C-1", "mx_TaxId": "T-1", "Mobile": "9000000004"}
    assert_duplicate(rejected(engine, everything), "A Lead with same Mobile Number already exists.")
    customs = {"mx_CustomerNo": "C-1", "mx_TaxId": "T-1"}
    assert_duplicate(rejected(engine, customs), "A Lead with same Tax Id already exists.")
    assert len(store.leads()) == 3


def test_U2_a_lead_keeping_its_own_unique_values_is_no_clash(engine: Engine) -> None:
    """R-U2: an update that submits the lead's own email and phone again is not a duplicate."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "Phone": "9000000001"}).lead_id
    receipt = captured(engine, {"EmailAddress": "A@example.com", "Phone": "+91-9000000001", "City": "Pune"})
    assert (receipt.outcome, receipt.lead_id) == (Outcome.UPDATED, lead_a)


# R-U3 ----------------------------------------------------------------------------------------------------------


def test_U3_duplicate_changes_nothing_and_is_posted_on_the_holder(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U3: a duplicate creates or changes no lead and posts a DuplicateRejected activity on the holder."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann"})
    holder = captured(engine, {"Phone": "9000000002", "FirstName": "Bob"})
    submitted = [
        {"Attribute": "EmailAddress", "Value": "a@example.com"},
        {"Attribute": "Phone", "Value": "9000000002"},
        {"Attribute": "FirstName", "Value": "Changed"},
    ]
    assert_duplicate(rejected(engine, submitted), "A Lead with same Phone Number already exists.")
    assert store.leads() == (lead_a.decision.lead, holder.decision.lead)
    assert len(store.activities(lead_a.lead_id)) == 1
    activities = store.activities(holder.lead_id)
    assert len(activities) == 2
    assert activities[0].event_code == 23
    data = capture_data(store, holder.lead_id)
    assert data.outcome == "DuplicateRejected"
    assert data.submitted == tuple(SubmittedAttribute(attribute=p["Attribute"], value=p["Value"]) for p in submitted)
    assert data.changes == ()


def test_U3_a_rejected_new_lead_leaves_no_trace(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-U3: a Created lead refused as a duplicate is not stored and gets no activity of its own."""
    holder = captured(engine, {"Mobile": "9000000004"}).lead_id
    decision = engine.preview({"Mobile": "9000000004", "FirstName": "Dup"}).unwrap()
    rejected(engine, {"Mobile": "9000000004", "FirstName": "Dup"})
    assert [stored.id for stored in store.leads()] == [holder]
    assert decision.explanation.lead_id == holder
    assert [activity.lead_id for activity in store.activities(holder)] == [holder, holder]


# R-B1 ----------------------------------------------------------------------------------------------------------


def _existing(engine: Engine) -> CaptureReceipt:
    """A lead with an email, a first name, a city, a mobile and an empty last name."""
    return captured(
        engine,
        {"EmailAddress": "a@example.com", "FirstName": "Ann", "City": "Pune", "Mobile": "9000000004"},
    )


def test_B1_absent_behaviour_sets_every_given_field(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B1: without a behaviour every given field takes its given value, non-empty fields included."""
    lead_a = _existing(engine).lead_id
    captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Anna", "LastName": "Rao", "Mobile": "9000000009"})
    assert lead(store, lead_a).fields == {
        "EmailAddress": "a@example.com",
        "FirstName": "Anna",
        "LastName": "Rao",
        "City": "Pune",
        "Mobile": "+91-9000000009",
    }


@pytest.mark.parametrize("empty", ["", None, "   "], ids=["empty-string", "null", "blank"])
def test_B1_an_empty_value_clears_the_field(engine: Engine, store: InMemoryLeadStore, empty: str | None) -> None:
    """R-B1: an empty (or null, or blank) value clears the field on an Updated lead."""
    lead_a = _existing(engine).lead_id
    receipt = captured(engine, {"EmailAddress": "a@example.com", "City": empty})
    assert "City" not in lead(store, lead_a).fields
    assert [(c.field, c.old, c.new) for c in receipt.decision.explanation.changes] == [("City", "Pune", "")]


# R-B2 ----------------------------------------------------------------------------------------------------------


def test_B2_do_not_update_changes_no_field_but_posts_the_activity(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B2: DoNotUpdate leaves every field as it was, posts the activity and answers IsCreated false."""
    before = _existing(engine).decision.lead
    receipt = captured(
        engine,
        {"EmailAddress": "a@example.com", "FirstName": "Zed", "LastName": "Rao", "City": "", "Source": "Ads"},
        UpdateBehavior.DO_NOT_UPDATE,
    )
    after = lead(store, before.id)
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.is_created is False
    assert after.fields == before.fields
    assert after.modified_on == before.modified_on
    assert receipt.decision.explanation.changes == ()
    assert len(store.activities(before.id)) == 2
    assert capture_data(store, before.id).behavior is UpdateBehavior.DO_NOT_UPDATE


# R-B3 ----------------------------------------------------------------------------------------------------------


def test_B3_update_only_empty_fields_fills_only_empty_fields(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B3: UpdateOnlyEmptyFields sets LastName (empty) and keeps FirstName, City and Mobile (not empty)."""
    lead_a = _existing(engine).lead_id
    captured(
        engine,
        {"EmailAddress": "a@example.com", "FirstName": "Zed", "LastName": "Rao", "City": "", "Mobile": "9000000009"},
        UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS,
    )
    assert lead(store, lead_a).fields == {
        "EmailAddress": "a@example.com",
        "FirstName": "Ann",
        "LastName": "Rao",
        "City": "Pune",
        "Mobile": "+91-9000000004",
    }


# R-B4 ----------------------------------------------------------------------------------------------------------


def test_B4_do_not_update_unique_fields_sets_all_but_unique_ones(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B4: DoNotUpdateUniqueFields sets every given field except EmailAddress, Phone and Mobile."""
    existing = captured(engine, {"Phone": "9000000001", "Mobile": "9000000004", "FirstName": "Ann", "City": "Pune"})
    receipt = captured(
        engine,
        {
            "EmailAddress": "new@example.com",
            "Phone": "9000000001",
            "Mobile": "9000000009",
            "FirstName": "Anna",
            "City": "",
        },
        UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
    )
    assert receipt.lead_id == existing.lead_id
    assert lead(store, existing.lead_id).fields == {
        "Phone": "+91-9000000001",
        "Mobile": "+91-9000000004",
        "FirstName": "Anna",
    }
    kept = {left.field for left in receipt.decision.explanation.unchanged}
    assert {"EmailAddress", "Mobile"} <= kept


def test_B4_custom_unique_fields_are_kept_too(store: InMemoryLeadStore) -> None:
    """R-B4: a custom unique field is not set under DoNotUpdateUniqueFields."""
    engine = make_engine(store, CUSTOM_UNIQUE)
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "mx_TaxId": "T-1"}).lead_id
    captured(engine, {"EmailAddress": "a@example.com", "mx_TaxId": "T-2"}, UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS)
    assert lead(store, lead_a).fields["mx_TaxId"] == "T-1"


# R-B5 ----------------------------------------------------------------------------------------------------------


def test_B5_the_same_request_twice_changes_nothing_the_second_time(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B5: capturing one request twice changes no field the second time but posts a second activity."""
    attributes = {"EmailAddress": "a@example.com", "FirstName": "Ann", "Phone": "9000000001", "Source": "Ads"}
    first = captured(engine, attributes)
    second = captured(engine, attributes)
    assert second.outcome is Outcome.UPDATED
    assert second.decision.explanation.changes == ()
    stored = lead(store, first.lead_id)
    assert stored.fields == first.decision.lead.fields
    assert stored.modified_on == first.decision.lead.modified_on
    assert len(store.activities(first.lead_id)) == 2


def test_B5_values_equal_after_normalisation_are_no_change(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B5: the same email in other casing and the same phone in another shape change nothing."""
    first = captured(engine, {"EmailAddress": "Ann@Example.com", "Phone": "9000000001"})
    second = captured(engine, {"EmailAddress": "ann@example.com", "Phone": "+91 90000 00001"})
    assert second.decision.explanation.changes == ()
    reasons = {left.field: left.reason for left in second.decision.explanation.unchanged}
    assert set(reasons) == {"EmailAddress", "Phone"}
    assert all("R-B5" in reason for reason in reasons.values())
    assert lead(store, first.lead_id).fields == {"EmailAddress": "Ann@Example.com", "Phone": "+91-9000000001"}


# R-B6 ----------------------------------------------------------------------------------------------------------


def test_B6_created_on_and_modified_on_are_accepted_but_never_set(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B6: CreatedOn and ModifiedOn in a request are accepted and ignored, on create and on update."""
    created = captured(
        engine,
        {"EmailAddress": "a@example.com", "CreatedOn": "2001-01-01 00:00:00", "ModifiedOn": "2001-01-01 00:00:00"},
    )
    stored = lead(store, created.lead_id)
    assert stored.created_on.year == 2026
    assert stored.modified_on.year == 2026
    assert stored.fields == {"EmailAddress": "a@example.com"}
    updated = captured(engine, {"EmailAddress": "a@example.com", "ModifiedOn": "2001-01-01 00:00:00", "City": "Pune"})
    after = lead(store, created.lead_id)
    assert after.created_on == stored.created_on
    assert after.modified_on == updated.decision.activity.created_on
    assert after.fields == {"EmailAddress": "a@example.com", "City": "Pune"}
    reasons = {left.field: left.reason for left in updated.decision.explanation.unchanged}
    assert "R-B6" in reasons["ModifiedOn"]


def test_B6_prospect_id_and_search_by_are_never_set_as_fields(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-B6: ProspectId never becomes a lead's id or field, and SearchBy is never stored."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    receipt = captured(engine, {"ProspectId": lead_a, "EmailAddress": "a@example.com", "SearchBy": "EmailAddress"})
    assert receipt.lead_id == lead_a
    assert lead(store, lead_a).fields == {"EmailAddress": "a@example.com"}
    unknown = "e0000000-0000-4000-8000-00000000000e"
    created = captured(engine, {"ProspectId": unknown, "Phone": "9000000001", "SearchBy": "Phone"})
    assert created.lead_id != unknown
    assert lead(store, created.lead_id).fields == {"Phone": "+91-9000000001"}


# R-S1 ----------------------------------------------------------------------------------------------------------

SOURCE = {"Source": "Google", "SourceMedium": "cpc", "SourceCampaign": "spring"}


def test_S1_source_fields_are_set_on_created(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-S1: a Created lead takes the submitted source fields."""
    receipt = captured(engine, {"EmailAddress": "a@example.com", **SOURCE})
    assert lead(store, receipt.lead_id).fields == {"EmailAddress": "a@example.com", **SOURCE}


@pytest.mark.parametrize(
    "behavior",
    [None, UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS, UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS],
    ids=["absent", "UpdateOnlyEmptyFields", "DoNotUpdateUniqueFields"],
)
def test_S1_updated_lead_takes_source_fields_only_where_empty(
    engine: Engine,
    store: InMemoryLeadStore,
    behavior: UpdateBehavior | None,
) -> None:
    """R-S1: on Updated, a source field is set only where the lead's value is empty, under these behaviours."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "Source": "Google"}).lead_id
    receipt = captured(
        engine,
        {"EmailAddress": "a@example.com", "Source": "Bing", "SourceMedium": "email", "FirstName": "Ann"},
        behavior,
    )
    assert lead(store, lead_a).fields == {
        "EmailAddress": "a@example.com",
        "Source": "Google",
        "SourceMedium": "email",
        "FirstName": "Ann",
    }
    reasons = {left.field: left.reason for left in receipt.decision.explanation.unchanged}
    assert "R-S1" in reasons["Source"]


def test_S1_source_fields_are_not_cleared_by_an_empty_value(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-S1: first touch means a set source field is kept even when an update sends it empty."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "Source": "Google"}).lead_id
    captured(engine, {"EmailAddress": "a@example.com", "Source": ""})
    assert lead(store, lead_a).fields["Source"] == "Google"


def test_S1_do_not_update_sets_no_source_field(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-S1: under DoNotUpdate even empty source fields stay empty."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    captured(engine, {"EmailAddress": "a@example.com", **SOURCE}, UpdateBehavior.DO_NOT_UPDATE)
    assert lead(store, lead_a).fields == {"EmailAddress": "a@example.com"}


def test_S1_fields_flagged_as_source_are_first_touch(store: InMemoryLeadStore) -> None:
    """R-S1: a custom field flagged `is_source_field` is first-touch like the standard source fields."""
    schema = schema_from_toml('[fields.mx_Channel]\ndata_type = "Text"\nis_source_field = true').unwrap()
    assert "mx_Channel" in schema.source_fields
    engine = make_engine(store, schema)
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "mx_Channel": "Partner"}).lead_id
    captured(engine, {"EmailAddress": "a@example.com", "mx_Channel": "Direct"})
    assert lead(store, lead_a).fields["mx_Channel"] == "Partner"


# R-S2 ----------------------------------------------------------------------------------------------------------


def test_S2_every_capture_keeps_its_source_fields_on_its_activity(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-S2: each capture's activity keeps that capture's source fields, even those the lead did not take."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "Source": "Google", "FirstName": "Ann"}).lead_id
    captured(engine, {"EmailAddress": "a@example.com", "Source": "Bing", "SourceCampaign": "spring"})
    captured(engine, {"EmailAddress": "a@example.com", "Source": "Email"}, UpdateBehavior.DO_NOT_UPDATE)
    history = [capture_data(store, lead_a, newest).source for newest in range(3)]
    assert history == [
        {"Source": "Email"},
        {"Source": "Bing", "SourceCampaign": "spring"},
        {"Source": "Google"},
    ]
    assert lead(store, lead_a).fields["Source"] == "Google"


def test_S2_a_capture_without_source_fields_records_none(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-S2: the activity's source holds only source fields, and nothing when none were given."""
    attributes: dict[str, Any] = {"EmailAddress": "a@example.com", "FirstName": "Ann"}
    lead_a = captured(engine, attributes).lead_id
    assert capture_data(store, lead_a).source == {}
