"""The `LeadStore` contract, run against every store in `STORE_FACTORIES`.

Decisions are made by the real `Engine` (`preview` decides without writing), so every struct applied here is
one the engine could produce. Deciding two captures before applying either is how a race looks to a store
(R-M10): the second decision was made on data that has changed since, and the store must refuse it.
Only the `LeadStore` protocol is used to look at a store, never an adapter's own helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest
from returns.result import Failure, Success
from tests.support.determinism import START, CountingIds, SteppingClock

from leadcapture import (
    DEFAULT_SCHEMA,
    Account,
    Activity,
    CandidateQuery,
    Candidates,
    CaptureActivityData,
    CaptureDecision,
    Convert,
    Create,
    Engine,
    InMemoryLeadStore,
    Lead,
    LeadStore,
    Reject,
    Schema,
    StoreConflict,
    Update,
    UpdateBehavior,
    Visit,
    Visitor,
    WebVisitData,
    candidate_query,
    schema_from_toml,
)
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.visits import visit_activity

StoreFactory = Callable[[Path, pytest.FixtureRequest], LeadStore]
D = TypeVar("D", Create, Update, Convert, Reject)


def _in_memory(_folder: Path, _request: pytest.FixtureRequest) -> LeadStore:
    return InMemoryLeadStore()


def _sqlite(folder: Path, _request: pytest.FixtureRequest) -> LeadStore:
    return SQLiteLeadStore(folder / "leads.db")


def _postgres(_folder: Path, request: pytest.FixtureRequest) -> LeadStore:
    return PostgresLeadStore(request.getfixturevalue("postgres_url"))


STORE_FACTORIES: list[tuple[str, StoreFactory]] = [
    ("memory", _in_memory),
    ("sqlite", _sqlite),
    ("postgres", _postgres),
]
"""Every store under contract: a name for the test id and a factory given a fresh temporary folder."""

VISITOR_ID = "d0000000-0000-4000-8000-00000000000d"
ACCOUNT_ID = "ac000000-0000-4000-8000-000000000001"
EMAIL_A = "a@example.com"
PHONE = "9000000001"
PHONE_KEY = "+919000000001"
NON_UNIQUE_PHONE = schema_from_toml("[fields.Phone]\nis_unique = false").unwrap()


def engine_for(store: LeadStore, schema: Schema = DEFAULT_SCHEMA, prefix: int = 0) -> Engine:
    """An engine over `store` with a stepping clock and counting ids (distinct per `prefix`)."""
    return Engine(store=store, schema=schema, clock=SteppingClock(), ids=CountingIds(prefix=prefix))


def decide(engine: Engine, attributes: object, behavior: UpdateBehavior | None = None) -> CaptureDecision:
    """The decision the engine makes for `attributes` on the store's current data, without writing it."""
    return engine.preview(attributes, behavior).unwrap()


def decided(kind: type[D], engine: Engine, attributes: object, behavior: UpdateBehavior | None = None) -> D:
    """The engine's decision for `attributes`, which must be of `kind`."""
    decision = decide(engine, attributes, behavior)
    assert isinstance(decision, kind), decision
    return decision


def apply_ok(store: LeadStore, decision: CaptureDecision) -> None:
    """Apply a decision that the store must accept."""
    assert store.apply(decision) == Success(None)


def assert_conflict(store: LeadStore, decision: CaptureDecision) -> None:
    """Apply a decision that the store must refuse with a `StoreConflict`."""
    result = store.apply(decision)
    assert isinstance(result, Failure), result
    assert isinstance(result.failure(), StoreConflict)


def query(engine: Engine, attributes: object) -> CandidateQuery:
    """The candidate query the engine would send for `attributes`."""
    request, _ = engine.validate(attributes).unwrap()
    return candidate_query(request, engine.schema)


def assert_visitor_id_finds_the_lead(store: LeadStore, lead: Lead) -> None:
    """A capture with the converted visitor's id as ProspectId finds `lead`, and no visitor."""
    candidates = store.find_candidates(CandidateQuery(prospect_id=VISITOR_ID, keys=(), related_company_id=None))
    assert candidates.prospect == lead
    assert candidates.visitor is None


def _visitor() -> Visitor:
    visits = tuple(
        Visit(
            id=f"f0000000-0000-4000-8000-00000000000{number}",
            visited_on=START - timedelta(days=2 - number),
            page_url=f"https://example.com/page-{number}?utm_source=Google",
            referrer="https://www.google.com/" if number == 0 else None,
            source={"Source": "Google"} if number == 0 else {},
        )
        for number in range(2)
    )
    return Visitor(id=VISITOR_ID, visits=visits)


# Create, read back ---------------------------------------------------------------------------------------------


def test_applied_create_is_read_back_by_id_key_and_activities(store: LeadStore) -> None:
    """After a Create, get_lead, find_leads on each indexed key and activities all return what was written."""
    attributes = {"EmailAddress": "Ann@Example.com", "Phone": PHONE, "FirstName": "Ann"}
    decision = decided(Create, engine_for(store), attributes)
    apply_ok(store, decision)
    assert store.get_lead(decision.lead.id) == decision.lead
    assert store.find_leads("EmailAddress", "ann@example.com") == (decision.lead,)
    assert store.find_leads("Phone", PHONE_KEY) == (decision.lead,)
    assert store.activities(decision.lead.id) == (decision.activity,)


def test_reads_of_what_is_not_there_are_empty(store: LeadStore) -> None:
    """An unknown id has no lead and no activities; an unheld key finds no lead."""
    apply_ok(store, decide(engine_for(store), {"EmailAddress": EMAIL_A}))
    unknown = "e0000000-0000-4000-8000-00000000000e"
    assert store.get_lead(unknown) is None
    assert store.activities(unknown) == ()
    assert store.find_leads("EmailAddress", "b@example.com") == ()
    assert store.find_leads("Phone", PHONE_KEY) == ()


def test_create_of_an_existing_lead_id_conflicts(store: LeadStore) -> None:
    """Applying the same Create twice is refused the second time and writes no second activity."""
    decision = decided(Create, engine_for(store), {"FirstName": "Ann"})
    apply_ok(store, decision)
    assert_conflict(store, decision)
    assert store.activities(decision.lead.id) == (decision.activity,)


# Update --------------------------------------------------------------------------------------------------------


def test_applied_update_replaces_the_lead_and_adds_its_activity(store: LeadStore) -> None:
    """An Update at the current version replaces the lead and adds its activity."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A, "FirstName": "Ann"})
    apply_ok(store, created)
    update = decided(Update, engine, {"EmailAddress": EMAIL_A, "FirstName": "Anna", "City": "Pune"})
    apply_ok(store, update)
    assert store.get_lead(update.lead.id) == update.lead
    assert store.find_leads("EmailAddress", EMAIL_A) == (update.lead,)
    assert store.activities(update.lead.id) == (update.activity, created.activity)


def test_update_with_the_wrong_expected_version_conflicts_and_changes_nothing(store: LeadStore) -> None:
    """An Update whose expected version is not the stored one is refused; lead, keys and activities stay."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A, "Phone": PHONE})
    apply_ok(store, created)
    update = decided(Update, engine, {"EmailAddress": EMAIL_A, "Phone": "9000000002", "FirstName": "Ann"})
    assert_conflict(store, msgspec.structs.replace(update, expected_version=update.expected_version + 1))
    assert store.get_lead(created.lead.id) == created.lead
    assert store.find_leads("Phone", PHONE_KEY) == (created.lead,)
    assert store.find_leads("Phone", "+919000000002") == ()
    assert store.activities(created.lead.id) == (created.activity,)


def test_update_decided_on_stale_data_conflicts(store: LeadStore) -> None:
    """Of two Updates decided on one version, the second applied is refused and writes nothing."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A})
    apply_ok(store, created)
    created_ids = [activity.id for activity in store.activities(created.lead.id)]
    first = decided(Update, engine, {"EmailAddress": EMAIL_A, "FirstName": "First"})
    second = decided(Update, engine, {"EmailAddress": EMAIL_A, "FirstName": "Second"})
    apply_ok(store, first)
    assert_conflict(store, second)
    assert store.get_lead(first.lead.id) == first.lead
    assert [activity.id for activity in store.activities(first.lead.id)] == [first.activity.id, *created_ids]


def test_update_replaces_the_leads_index_entries(store: LeadStore) -> None:
    """An Update that changes or clears an indexed value moves the lead off the old key."""
    engine = engine_for(store)
    apply_ok(store, decide(engine, {"EmailAddress": EMAIL_A, "Phone": PHONE}))
    moved = decided(Update, engine, {"Phone": PHONE, "EmailAddress": "b@example.com"})
    apply_ok(store, moved)
    assert store.find_leads("EmailAddress", EMAIL_A) == ()
    assert store.find_leads("EmailAddress", "b@example.com") == (moved.lead,)
    assert store.find_leads("Phone", PHONE_KEY) == (moved.lead,)
    cleared = decided(Update, engine, {"EmailAddress": "b@example.com", "Phone": ""})
    apply_ok(store, cleared)
    assert store.find_leads("Phone", PHONE_KEY) == ()
    assert store.find_leads("EmailAddress", "b@example.com") == (cleared.lead,)


def test_a_freed_unique_value_can_be_taken_by_another_lead(store: LeadStore) -> None:
    """Once an Update moves a lead off a unique email, a new lead may take that email."""
    engine = engine_for(store)
    apply_ok(store, decide(engine, {"EmailAddress": EMAIL_A, "Phone": PHONE}))
    apply_ok(store, decide(engine, {"Phone": PHONE, "EmailAddress": "b@example.com"}))
    taken = decided(Create, engine, {"EmailAddress": EMAIL_A})
    apply_ok(store, taken)
    assert store.find_leads("EmailAddress", EMAIL_A) == (taken.lead,)


# Unique and shared entries -------------------------------------------------------------------------------------


def test_create_whose_unique_entry_is_held_conflicts_and_writes_nothing(store: LeadStore) -> None:
    """A Create whose unique email another lead took meanwhile is refused: no lead, no activity, no key."""
    first = decided(Create, engine_for(store, prefix=1), {"EmailAddress": EMAIL_A, "FirstName": "First"})
    second = decided(Create, engine_for(store, prefix=2), {"EmailAddress": "A@example.com", "FirstName": "Second"})
    apply_ok(store, first)
    assert_conflict(store, second)
    assert store.get_lead(second.lead.id) is None
    assert store.activities(second.lead.id) == ()
    assert store.find_leads("EmailAddress", EMAIL_A) == (first.lead,)


def test_refused_create_writes_none_of_its_other_entries(store: LeadStore) -> None:
    """A Create refused for its held phone leaves its new email and mobile unindexed too."""
    winner = decide(engine_for(store, prefix=1), {"Phone": PHONE})
    attributes = {"EmailAddress": "new@example.com", "Mobile": "9000000004", "Phone": PHONE}
    late = decided(Create, engine_for(store, prefix=2), attributes)
    apply_ok(store, winner)
    assert_conflict(store, late)
    assert store.find_leads("EmailAddress", "new@example.com") == ()
    assert store.find_leads("Mobile", "+919000000004") == ()
    assert store.get_lead(late.lead.id) is None


def test_non_unique_entry_may_be_shared(store: LeadStore) -> None:
    """Two leads may hold one value of a non-unique indexed field, and find_leads returns both."""
    first, second = _two_creates_sharing_a_phone(store)
    assert [entry.unique for entry in second.index if entry.field == "Phone"] == [False]
    apply_ok(store, first)
    apply_ok(store, second)
    assert {lead.id for lead in store.find_leads("Phone", PHONE_KEY)} == {first.lead.id, second.lead.id}


def _two_creates_sharing_a_phone(store: LeadStore) -> tuple[Create, Create]:
    """Two Creates, decided together, of leads with different emails and one non-unique phone."""
    first = decided(Create, engine_for(store, NON_UNIQUE_PHONE, prefix=1), {"EmailAddress": EMAIL_A, "Phone": PHONE})
    second = decided(Create, engine_for(store, NON_UNIQUE_PHONE, prefix=2), {"EmailAddress": "b@x.com", "Phone": PHONE})
    return first, second


# Convert -------------------------------------------------------------------------------------------------------


def test_convert_creates_the_lead_and_writes_visit_activities(store: LeadStore) -> None:
    """A Convert stores the lead under the visitor's id with its visits and capture activity, newest first."""
    store.save_visitor(_visitor())
    decision = decided(Convert, engine_for(store), {"ProspectId": VISITOR_ID, "EmailAddress": EMAIL_A})
    apply_ok(store, decision)
    assert store.get_lead(VISITOR_ID) == decision.lead
    assert store.find_leads("EmailAddress", EMAIL_A) == (decision.lead,)
    assert store.activities(VISITOR_ID) == (decision.activity, *reversed(decision.visit_activities))
    assert_visitor_id_finds_the_lead(store, decision.lead)


def test_convert_of_an_already_converted_visitor_conflicts(store: LeadStore) -> None:
    """A Convert decided before the visitor was converted is refused and writes nothing."""
    store.save_visitor(_visitor())
    decision = decided(Convert, engine_for(store), {"ProspectId": VISITOR_ID, "FirstName": "Vee"})
    store.save_visitor(msgspec.structs.replace(_visitor(), converted=True))
    assert_conflict(store, decision)
    assert store.get_lead(VISITOR_ID) is None
    assert store.activities(VISITOR_ID) == ()


def test_second_of_two_racing_converts_conflicts(store: LeadStore) -> None:
    """Of two Converts of one visitor decided together, the second applied is refused and adds nothing."""
    store.save_visitor(_visitor())
    first = decided(Convert, engine_for(store, prefix=1), {"ProspectId": VISITOR_ID, "FirstName": "First"})
    second = decided(Convert, engine_for(store, prefix=2), {"ProspectId": VISITOR_ID, "FirstName": "Second"})
    apply_ok(store, first)
    assert_conflict(store, second)
    assert store.get_lead(VISITOR_ID) == first.lead
    assert len(store.activities(VISITOR_ID)) == 1 + len(_visitor().visits)


# Saving visitors: a merge that takes nothing away --------------------------------------------------------------


def _later_visit(number: int) -> Visit:
    """A visit after those of `_visitor()`, the `number`th of the later ones."""
    return Visit(
        id=f"f1000000-0000-4000-8000-00000000000{number}",
        visited_on=START + timedelta(hours=number),
        page_url=f"https://example.com/later-{number}",
    )


def _saved_visitor(store: LeadStore) -> Visitor:
    """Save `_visitor()` and read it back, as a Visit request reads the visitor it then saves."""
    store.save_visitor(_visitor())
    snapshot = store.visitor(VISITOR_ID)
    assert snapshot is not None
    return snapshot


def _decided_convert(store: LeadStore) -> Convert:
    """The Convert a capture with the visitor's id and a new email decides now, not yet applied."""
    return decided(Convert, engine_for(store), {"ProspectId": VISITOR_ID, "EmailAddress": EMAIL_A})


def _with_visit(visitor: Visitor, visit: Visit) -> Visitor:
    """`visitor` with `visit` appended, as a Visit request builds the visitor it saves."""
    return msgspec.structs.replace(visitor, visits=(*visitor.visits, visit))


def test_W1_saving_a_stale_visitor_keeps_the_visit_another_writer_added(store: LeadStore) -> None:
    """Two visits decided on one read of the visitor are both kept, whichever is saved last."""
    snapshot = _saved_visitor(store)
    store.save_visitor(_with_visit(snapshot, _later_visit(2)))
    store.save_visitor(_with_visit(snapshot, _later_visit(1)))
    assert store.visitor(VISITOR_ID) == Visitor(
        id=VISITOR_ID,
        visits=(*_visitor().visits, _later_visit(1), _later_visit(2)),
    )


def test_W1_saving_a_visitor_again_keeps_one_copy_of_each_visit(store: LeadStore) -> None:
    """A visit saved twice, or a visitor saved with fewer visits than stored, neither doubles nor drops one."""
    store.save_visitor(_visitor())
    store.save_visitor(_visitor())
    store.save_visitor(Visitor(id=VISITOR_ID))
    assert store.visitor(VISITOR_ID) == _visitor()


def test_M6_saving_a_visitor_read_before_its_conversion_leaves_it_converted(store: LeadStore) -> None:
    """A visit decided before a capture converted the visitor adds its visit but does not un-convert it."""
    snapshot = _saved_visitor(store)
    convert = _decided_convert(store)
    apply_ok(store, convert)
    store.save_visitor(_with_visit(snapshot, _later_visit(1)))
    assert store.visitor(VISITOR_ID) == Visitor(
        id=VISITOR_ID,
        visits=(*_visitor().visits, _later_visit(1)),
        converted=True,
    )
    assert store.get_lead(VISITOR_ID) == convert.lead
    assert_visitor_id_finds_the_lead(store, convert.lead)


def test_M6_a_stale_unconverted_save_does_not_let_a_second_conversion_through(store: LeadStore) -> None:
    """Once converted, a visitor saved again as unconverted still refuses a Convert decided before."""
    store.save_visitor(_visitor())
    late = decided(Convert, engine_for(store), {"ProspectId": VISITOR_ID, "FirstName": "Late"})
    store.save_visitor(msgspec.structs.replace(_visitor(), converted=True))
    store.save_visitor(_with_visit(_visitor(), _later_visit(1)))
    assert_conflict(store, late)
    stored = store.visitor(VISITOR_ID)
    assert stored is not None
    assert stored.converted
    assert store.get_lead(VISITOR_ID) is None


# Visits racing a conversion: every visit of a converted visitor ends on its lead, once (adr/0028) ----------------


def _web_visit_ids(store: LeadStore) -> list[str]:
    """The ids of the web-visit activities of the lead with the visitor's id, newest first."""
    return [activity.id for activity in store.activities(VISITOR_ID) if isinstance(activity.data, WebVisitData)]


def test_M6_a_convert_posts_the_visits_saved_after_it_read_the_visitor(store: LeadStore) -> None:
    """A visit saved between a Convert's read of the visitor and its write is posted on the new lead too."""
    store.save_visitor(_visitor())
    convert = _decided_convert(store)
    snapshot = store.visitor(VISITOR_ID)
    assert snapshot is not None
    assert store.save_visitor(_with_visit(snapshot, _later_visit(1))) is False
    apply_ok(store, convert)
    missed = visit_activity(VISITOR_ID, _later_visit(1))
    assert store.activities(VISITOR_ID) == (convert.activity, missed, *reversed(convert.visit_activities))
    stored = store.visitor(VISITOR_ID)
    assert stored is not None
    assert stored.converted
    assert sorted(_web_visit_ids(store)) == sorted(visit.id for visit in stored.visits)


def test_M6_W3_a_visit_saved_onto_a_converted_visitor_is_posted_on_its_lead(store: LeadStore) -> None:
    """A visit read before a conversion and saved after it is posted on the lead, and the save says so."""
    snapshot = _saved_visitor(store)
    convert = _decided_convert(store)
    apply_ok(store, convert)
    assert store.save_visitor(_with_visit(snapshot, _later_visit(1))) is True
    late = visit_activity(VISITOR_ID, _later_visit(1))
    assert store.activities(VISITOR_ID) == (late, convert.activity, *reversed(convert.visit_activities))
    assert store.get_lead(VISITOR_ID) == convert.lead


def test_M6_W3_visits_saved_again_onto_a_converted_visitor_are_posted_once(store: LeadStore) -> None:
    """Saving the same visits onto a converted visitor again, or more of them, posts each visit once."""
    snapshot = _saved_visitor(store)
    convert = _decided_convert(store)
    store.save_visitor(_with_visit(snapshot, _later_visit(1)))
    apply_ok(store, convert)
    store.save_visitor(_with_visit(snapshot, _later_visit(1)))
    store.save_visitor(_with_visit(snapshot, _later_visit(2)))
    store.save_visitor(_with_visit(snapshot, _later_visit(2)))
    expected = [*(visit.id for visit in _visitor().visits), _later_visit(1).id, _later_visit(2).id]
    assert _web_visit_ids(store) == list(reversed(expected))


def test_W1_saving_an_unconverted_visitor_posts_no_activity(store: LeadStore) -> None:
    """A visitor that is not converted answers False and has no lead to post on."""
    assert store.save_visitor(_visitor()) is False
    assert store.save_visitor(_with_visit(_visitor(), _later_visit(1))) is False
    assert store.get_lead(VISITOR_ID) is None
    assert store.activities(VISITOR_ID) == ()


def test_M6_a_converted_visitor_without_a_lead_posts_nothing(store: LeadStore) -> None:
    """A visitor stored as converted but with no lead of its id answers True and writes no activity."""
    store.save_visitor(msgspec.structs.replace(_visitor(), converted=True))
    assert store.save_visitor(_with_visit(_visitor(), _later_visit(1))) is True
    assert store.activities(VISITOR_ID) == ()


# Reject --------------------------------------------------------------------------------------------------------


def test_reject_with_a_duplicate_activity_posts_it_on_the_holder(store: LeadStore) -> None:
    """A duplicate Reject writes only its DuplicateRejected activity, on the lead holding the value."""
    engine = engine_for(store)
    lead_a = decided(Create, engine, {"EmailAddress": EMAIL_A})
    holder = decided(Create, engine, {"Phone": PHONE})
    apply_ok(store, lead_a)
    apply_ok(store, holder)
    reject = decided(Reject, engine, {"EmailAddress": EMAIL_A, "Phone": PHONE})
    assert reject.activity is not None
    apply_ok(store, reject)
    assert reject.activity.lead_id == holder.lead.id
    assert store.activities(holder.lead.id) == (reject.activity, holder.activity)
    assert isinstance(reject.activity.data, CaptureActivityData)
    assert reject.activity.data.outcome == "DuplicateRejected"
    assert store.activities(lead_a.lead.id) == (lead_a.activity,)
    assert store.get_lead(lead_a.lead.id) == lead_a.lead
    assert store.get_lead(holder.lead.id) == holder.lead


def test_reject_without_an_activity_writes_nothing(store: LeadStore) -> None:
    """A Reject without an activity (an unknown account) is accepted and changes nothing."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A})
    apply_ok(store, created)
    reject = decided(Reject, engine, {"EmailAddress": EMAIL_A, "City": "Pune", "RelatedCompanyId": ACCOUNT_ID})
    assert reject.activity is None
    apply_ok(store, reject)
    assert store.get_lead(created.lead.id) == created.lead
    assert store.activities(created.lead.id) == (created.activity,)


# Activities ----------------------------------------------------------------------------------------------------


def test_activities_are_newest_first(store: LeadStore) -> None:
    """A lead's activities come back newest first."""
    engine = engine_for(store)
    decisions = []
    for name in ("One", "Two", "Three", "Four"):
        decision = decide(engine, {"EmailAddress": EMAIL_A, "FirstName": name})
        assert isinstance(decision, Create | Update)
        apply_ok(store, decision)
        decisions.append(decision)
    activities = store.activities(decisions[0].lead.id)
    assert [activity.id for activity in activities] == [d.activity.id for d in reversed(decisions)]
    times = [activity.created_on for activity in activities]
    assert times == sorted(times, reverse=True)


# find_candidates -----------------------------------------------------------------------------------------------


def test_find_candidates_by_prospect_id_returns_the_lead(store: LeadStore) -> None:
    """A ProspectId that is a lead's id gives that lead as the prospect and no visitor."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A})
    apply_ok(store, created)
    candidates = store.find_candidates(query(engine, {"ProspectId": created.lead.id.upper(), "FirstName": "Ann"}))
    assert candidates.prospect == created.lead
    assert candidates.visitor is None


def test_find_candidates_returns_the_visitor_when_no_lead_has_the_id(store: LeadStore) -> None:
    """A ProspectId that is an unconverted visitor's id gives that visitor, with its visits, and no prospect."""
    store.save_visitor(_visitor())
    candidates = store.find_candidates(query(engine_for(store), {"ProspectId": VISITOR_ID}))
    assert candidates.prospect is None
    assert candidates.visitor == _visitor()


def test_find_candidates_for_an_unknown_prospect_id_finds_nothing(store: LeadStore) -> None:
    """A ProspectId nobody has gives neither a prospect nor a visitor."""
    candidates = store.find_candidates(query(engine_for(store), {"ProspectId": VISITOR_ID}))
    assert candidates == Candidates(prospect=None, visitor=None, holders={}, known_account=False)


def test_find_candidates_returns_the_holders_of_each_key(store: LeadStore) -> None:
    """Each queried (field, key) maps to the leads holding it; a key nobody holds maps to none."""
    engine = engine_for(store)
    by_email = decided(Create, engine, {"EmailAddress": EMAIL_A})
    by_phone = decided(Create, engine, {"Phone": PHONE})
    apply_ok(store, by_email)
    apply_ok(store, by_phone)
    wanted = query(engine, {"EmailAddress": "A@EXAMPLE.COM", "Phone": "+91 90000 00001", "Mobile": "9000000004"})
    assert wanted.keys == (("EmailAddress", EMAIL_A), ("Phone", PHONE_KEY), ("Mobile", "+919000000004"))
    candidates = store.find_candidates(wanted)
    assert candidates.holders["EmailAddress"] == (by_email.lead,)
    assert candidates.holders["Phone"] == (by_phone.lead,)
    assert candidates.holders.get("Mobile", ()) == ()
    assert candidates.prospect is None
    assert candidates.visitor is None


def test_find_candidates_returns_every_holder_of_a_shared_key(store: LeadStore) -> None:
    """A non-unique key held by two leads gives both as holders."""
    first, second = _two_creates_sharing_a_phone(store)
    apply_ok(store, first)
    apply_ok(store, second)
    candidates = store.find_candidates(query(engine_for(store, NON_UNIQUE_PHONE), {"Phone": PHONE}))
    assert {lead.id for lead in candidates.holders["Phone"]} == {first.lead.id, second.lead.id}


def test_find_candidates_knows_existing_accounts(store: LeadStore) -> None:
    """known_account is true only for a RelatedCompanyId of an added account."""
    engine = engine_for(store)
    store.add_account(Account(id=ACCOUNT_ID, name="Acme", created_on=START))
    known = store.find_candidates(query(engine, {"FirstName": "Ann", "RelatedCompanyId": ACCOUNT_ID}))
    unknown_id = "ac000000-0000-4000-8000-0000000000ff"
    unknown = store.find_candidates(query(engine, {"FirstName": "Ann", "RelatedCompanyId": unknown_id}))
    absent = store.find_candidates(query(engine, {"FirstName": "Ann"}))
    assert (known.known_account, unknown.known_account, absent.known_account) == (True, False, False)


# Transactions --------------------------------------------------------------------------------------------------


def test_transaction_sees_its_own_writes_in_order_and_commits(store: LeadStore) -> None:
    """Decisions made inside one transaction see the ones applied before them, and all are kept afterwards."""
    engine = engine_for(store)
    with store.transaction() as tx:
        for name in ("One", "Two"):
            request, behavior = engine.validate({"EmailAddress": EMAIL_A, "FirstName": name}).unwrap()
            decision = engine.decide(request, behavior, reader=tx)
            assert isinstance(decision, Create if name == "One" else Update)
            assert tx.apply(decision) == Success(None)
    (stored,) = store.find_leads("EmailAddress", EMAIL_A)
    assert stored.fields["FirstName"] == "Two"
    assert len(store.activities(stored.id)) == 2


class _AbortError(Exception):
    """Raised inside a transaction to abandon it."""


def _apply_two_then_abort(store: LeadStore, engine: Engine) -> None:
    """Inside one transaction, update the existing lead and create another, then raise."""
    with store.transaction() as tx:
        for attributes in ({"EmailAddress": EMAIL_A, "FirstName": "Changed"}, {"EmailAddress": "b@example.com"}):
            request, behavior = engine.validate(attributes).unwrap()
            assert tx.apply(engine.decide(request, behavior, reader=tx)) == Success(None)
        raise _AbortError


def test_transaction_rolls_back_when_the_block_raises(store: LeadStore) -> None:
    """An exception inside a transaction undoes every decision applied in it."""
    engine = engine_for(store)
    created = decided(Create, engine, {"EmailAddress": EMAIL_A, "FirstName": "Ann"})
    apply_ok(store, created)
    with pytest.raises(_AbortError):
        _apply_two_then_abort(store, engine)
    assert store.get_lead(created.lead.id) == created.lead
    assert store.activities(created.lead.id) == (created.activity,)
    assert store.find_leads("EmailAddress", "b@example.com") == ()


def test_post_activity_adds_to_an_existing_lead_only(store: LeadStore) -> None:
    """A web-visit activity lands on its lead, newest first; for an unknown lead nothing is written (R-W3)."""
    engine = engine_for(store)
    lead_id = engine.capture({"EmailAddress": EMAIL_A}).unwrap().lead_id
    visit = Activity(
        id="f0000000-0000-4000-8000-000000000001",
        lead_id=lead_id,
        event_code=1,
        event_name="Web Visit",
        created_on=START + timedelta(days=1),
        data=WebVisitData(page_url="https://example.com/", referrer=None, source={}),
    )
    assert store.post_activity(visit) is True
    assert store.activities(lead_id)[0] == visit
    stray = msgspec.structs.replace(visit, id="f0000000-0000-4000-8000-000000000002", lead_id=VISITOR_ID)
    assert store.post_activity(stray) is False
    assert store.activities(VISITOR_ID) == ()
