"""Lead.Create, Lead.Update, Lead.CreateOrUpdate and Lead.Convert (R-L1..R-L4) as decided by `Engine`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from tests.support.engines import captured, lead, problem_of

from leadcapture import Create, Engine, InMemoryLeadStore, Outcome, Reject, Update, Visit, Visitor
from leadcapture.core.policies import ConvertPolicy, CreateOrUpdatePolicy, CreatePolicy, UpdateByIdPolicy

UNKNOWN: Final = "e0000000-0000-4000-8000-00000000000e"
VISITOR: Final = "d0000000-0000-4000-8000-00000000000d"


def _visitor(store: InMemoryLeadStore, source: str = "Google") -> None:
    visit = Visit(
        id="f0000000-0000-4000-8000-000000000001",
        visited_on=datetime(2026, 1, 1, tzinfo=UTC),
        page_url=f"https://example.com/?utm_source={source}",
        source={"Source": source},
    )
    store.save_visitor(Visitor(id=VISITOR, visits=(visit,)))


def test_L1_create_never_matches_and_posts_no_activity(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L1: a second Lead.Create with a non-unique field only makes a second lead; neither has an activity."""
    first = engine.capture({"FirstName": "Ada", "Source": "Fair"}, policy=CreatePolicy()).unwrap()
    second = engine.capture({"FirstName": "Ada"}, policy=CreatePolicy()).unwrap()
    assert first.lead_id != second.lead_id
    assert (first.outcome, first.is_created, first.activity_id) == (Outcome.CREATED, True, None)
    assert lead(store, first.lead_id).fields == {"FirstName": "Ada", "Source": "Fair"}
    assert store.activities(first.lead_id) == ()
    assert first.decision.explanation.rule == "R-L1"


def test_L1_create_with_a_unique_value_another_lead_holds_is_the_duplicate_error(engine: Engine) -> None:
    """R-L1 with R-U2: Lead.Create never updates; an email another lead has is a 409, and nothing is written."""
    captured(engine, {"EmailAddress": "ada@example.com"})
    clash = engine.capture({"EmailAddress": "ADA@example.com"}, policy=CreatePolicy())
    problem = problem_of(clash)
    assert (problem.status, problem.exception_type) == (409, "MXDuplicateEntryException")
    preview = engine.preview({"EmailAddress": "ada@example.com"}, policy=CreatePolicy()).unwrap()
    assert isinstance(preview, Reject)
    assert preview.activity is None  # R-U3's activity is Lead.Capture's


def test_L2_update_sets_only_the_given_fields_and_posts_no_activity(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L2: the named lead gets the given fields (a source field too: it is an ordinary field here)."""
    made = captured(engine, {"EmailAddress": "ada@example.com", "FirstName": "Ada", "Source": "Google"})
    updated = engine.capture({"LastName": "Lovelace", "Source": "Fair"}, policy=UpdateByIdPolicy(lead_id=made.lead_id))
    receipt = updated.unwrap()
    assert (receipt.lead_id, receipt.outcome, receipt.is_created, receipt.activity_id) == (
        made.lead_id,
        Outcome.UPDATED,
        False,
        None,
    )
    assert lead(store, made.lead_id).fields == {
        "EmailAddress": "ada@example.com",
        "FirstName": "Ada",
        "Source": "Fair",
        "LastName": "Lovelace",
    }
    assert len(store.activities(made.lead_id)) == 1  # the capture's, and no other
    assert lead(store, made.lead_id).last_activity_on == made.decision.lead.last_activity_on


def test_L2_update_of_an_unknown_lead_is_a_404_naming_it(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L2: no lead with the id: a 404 MXInvalidInputException naming it, and nothing is written."""
    problem = problem_of(engine.capture({"FirstName": "Ada"}, policy=UpdateByIdPolicy(lead_id=UNKNOWN)))
    assert (problem.status, problem.exception_type, problem.message) == (
        404,
        "MXInvalidInputException",
        f"No lead with id {UNKNOWN}",
    )
    assert store.leads() == ()


def test_L2_update_to_an_email_another_lead_holds_is_the_duplicate_error(engine: Engine) -> None:
    """R-L2 with R-U2: the update would give the lead a unique value another lead holds: a 409."""
    captured(engine, {"EmailAddress": "ada@example.com"})
    bob = captured(engine, {"EmailAddress": "bob@example.com"})
    problem = problem_of(
        engine.capture({"EmailAddress": "ada@example.com"}, policy=UpdateByIdPolicy(lead_id=bob.lead_id))
    )
    assert problem.status == 409


def test_L3_create_or_update_updates_the_lead_with_the_email_then_the_phone(
    engine: Engine, store: InMemoryLeadStore
) -> None:
    """R-L3: without SearchBy, EmailAddress is searched, then Phone; the match is updated, no activity."""
    ada = captured(engine, {"EmailAddress": "ada@example.com"})
    bob = captured(engine, {"Phone": "9000000002"})
    by_email = engine.capture(
        {"EmailAddress": "ADA@example.com", "City": "London"}, policy=CreateOrUpdatePolicy()
    ).unwrap()
    by_phone = engine.capture(
        {"EmailAddress": "b@example.com", "Phone": "+91 90000 00002"}, policy=CreateOrUpdatePolicy()
    ).unwrap()
    created = engine.capture({"EmailAddress": "cy@example.com"}, policy=CreateOrUpdatePolicy()).unwrap()
    assert (by_email.lead_id, by_email.is_created, by_email.decision.explanation.matched_by) == (
        ada.lead_id,
        False,
        "EmailAddress",
    )
    assert (by_phone.lead_id, by_phone.is_created, by_phone.decision.explanation.matched_by) == (
        bob.lead_id,
        False,
        "Phone",
    )
    assert created.is_created is True
    assert [lookup.found for lookup in by_phone.decision.explanation.lookups] == ["nothing", "lead"]
    assert len(store.activities(ada.lead_id)) == 1


def test_L3_search_by_names_the_one_field_searched(engine: Engine) -> None:
    """R-L3: SearchBy (any unique field) is the field searched; EmailAddress is then not searched."""
    mobile = captured(engine, {"Mobile": "8000000001"})
    captured(engine, {"EmailAddress": "ada@example.com"})
    found = engine.capture(
        {"Mobile": "8000000001", "EmailAddress": "new@example.com", "SearchBy": "Mobile"}, policy=CreateOrUpdatePolicy()
    ).unwrap()
    assert (found.lead_id, found.decision.explanation.search_order) == (mobile.lead_id, ("Mobile",))


def test_L3_a_prospect_id_or_no_unique_field_is_a_400(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L3: ProspectId in the body, or no value for any unique field, is a 400 and writes nothing."""
    with_id = problem_of(
        engine.capture({"ProspectId": UNKNOWN, "EmailAddress": "a@example.com"}, policy=CreateOrUpdatePolicy())
    )
    no_unique = problem_of(engine.capture({"FirstName": "Ada"}, policy=CreateOrUpdatePolicy()))
    assert (with_id.status, with_id.message) == (
        400,
        "ProspectId is not accepted by Lead.CreateOrUpdate: use Lead.Update",
    )
    assert (no_unique.status, no_unique.message) == (
        400,
        "Lead.CreateOrUpdate needs a value for a unique field: EmailAddress, Phone, Mobile",
    )
    assert store.leads() == ()


def test_L4_convert_makes_the_visitor_a_lead_with_its_id_and_first_touch_source(
    engine: Engine, store: InMemoryLeadStore
) -> None:
    """R-L4: the visitor becomes a lead with the same id, the body's fields and its first-touch source (R-M6)."""
    _visitor(store)
    receipt = engine.capture({"EmailAddress": "ada@example.com"}, policy=ConvertPolicy(visitor_id=VISITOR)).unwrap()
    assert (receipt.lead_id, receipt.outcome, receipt.activity_id) == (VISITOR, Outcome.CONVERTED, None)
    assert lead(store, VISITOR).fields == {"EmailAddress": "ada@example.com", "Source": "Google"}
    assert [activity.event_name for activity in store.activities(VISITOR)] == ["Web Visit"]
    visitor = store.visitor(VISITOR)
    assert visitor is not None
    assert visitor.converted is True


def test_L4_convert_of_an_unknown_or_converted_visitor_is_a_400(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L4: no such visitor, or one already converted, is a 400; nothing is written."""
    unknown = problem_of(engine.capture({"FirstName": "Ada"}, policy=ConvertPolicy(visitor_id=UNKNOWN)))
    _visitor(store)
    engine.capture({"FirstName": "Ada"}, policy=ConvertPolicy(visitor_id=VISITOR)).unwrap()
    again = problem_of(engine.capture({"FirstName": "Ada"}, policy=ConvertPolicy(visitor_id=VISITOR)))
    assert (unknown.status, unknown.message) == (400, f"No visitor with id {UNKNOWN} to convert")
    assert (again.status, again.message) == (400, f"Visitor {VISITOR} is already converted into a lead")
    assert len(store.leads()) == 1


def test_L10_each_call_previews_what_it_would_do_and_writes_nothing(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-L10: a dry run of each call is its decision, explained, and the store is unchanged."""
    ada = captured(engine, {"EmailAddress": "ada@example.com"})
    before = store.leads()
    create = engine.preview({"EmailAddress": "new@example.com"}, policy=CreatePolicy()).unwrap()
    update = engine.preview({"City": "Paris"}, policy=UpdateByIdPolicy(lead_id=ada.lead_id)).unwrap()
    upsert = engine.preview({"EmailAddress": "ada@example.com", "City": "Rome"}, policy=CreateOrUpdatePolicy()).unwrap()
    assert isinstance(create, Create)
    assert isinstance(update, Update)
    assert isinstance(upsert, Update)
    assert [(c.field, c.new) for c in update.explanation.changes] == [("City", "Paris")]
    assert (create.explanation.rule, update.explanation.rule, upsert.explanation.rule) == ("R-L1", "R-L2", "R-L3")
    assert store.leads() == before
