"""Match resolution (R-M1..R-M10): which lead a capture acts on, checked through `Engine` over the in-memory store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from returns.result import Failure, Result, Success
from tests.support.determinism import CountingIds, SteppingClock
from tests.support.engines import captured, lead, make_engine

from leadcapture import (
    CandidateQuery,
    CaptureDecision,
    CaptureReceipt,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Outcome,
    Problem,
    StoreConflict,
    UpdateBehavior,
    Visit,
    Visitor,
    WebVisitData,
    schema_from_toml,
)

UNKNOWN_GUID = "e0000000-0000-4000-8000-00000000000e"
VISITOR_GUID = "d0000000-0000-4000-8000-00000000000d"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class ManualClock:
    """A clock that stays where a test puts it."""

    def __init__(self) -> None:
        """A clock at `START`."""
        self.at = START

    def now(self) -> datetime:
        """The time the test set."""
        return self.at


# R-M1 ----------------------------------------------------------------------------------------------------------


def test_M1_no_identifier_creates_a_new_lead_every_time(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M1: a capture without ProspectId, EmailAddress or Phone creates a new lead with a new id each time."""
    first = captured(engine, {"FirstName": "Ann", "City": "Pune"})
    second = captured(engine, {"FirstName": "Ann", "City": "Pune"})
    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.CREATED)
    assert first.decision.explanation.rule == "R-M1"
    assert second.decision.explanation.rule == "R-M1"
    assert first.lead_id != second.lead_id
    assert len(store.leads()) == 2


def test_M1_search_by_without_a_value_still_creates(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M1: a SearchBy whose field has no value in the request is no identifier: the capture creates."""
    captured(engine, {"Mobile": "9000000001", "FirstName": "Existing"})
    receipt = captured(engine, {"FirstName": "Ann", "SearchBy": "Mobile"})
    assert receipt.outcome is Outcome.CREATED
    assert receipt.decision.explanation.rule == "R-M1"
    assert len(store.leads()) == 2


# R-M2 ----------------------------------------------------------------------------------------------------------


def test_M2_email_is_searched_before_phone(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M2: when EmailAddress finds lead B and Phone finds lead C, B is the lead acted on and C is not searched."""
    lead_b = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    lead_c = captured(engine, {"Phone": "9000000003"}).lead_id
    receipt = captured(
        engine,
        {"Phone": "9000000003", "EmailAddress": "b@example.com", "FirstName": "Bea"},
        UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
    )
    explanation = receipt.decision.explanation
    assert receipt.lead_id == lead_b
    assert explanation.search_order == ("EmailAddress", "Phone")
    assert explanation.matched_by == "EmailAddress"
    assert [(look.identifier, look.found) for look in explanation.lookups] == [
        ("EmailAddress", "lead"),
        ("Phone", "not searched"),
    ]
    assert lead(store, lead_b).fields["FirstName"] == "Bea"
    assert "FirstName" not in lead(store, lead_c).fields


def test_M2_prospect_id_is_searched_first(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M2: ProspectId decides before EmailAddress and Phone when it finds a lead."""
    lead_a = captured(engine, {"FirstName": "Ann"}).lead_id
    captured(engine, {"Phone": "9000000003"})
    receipt = captured(
        engine,
        {"Phone": "9000000003", "ProspectId": lead_a, "LastName": "Rao"},
        UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
    )
    assert receipt.lead_id == lead_a
    assert receipt.decision.explanation.search_order == ("ProspectId", "Phone")
    assert receipt.decision.explanation.matched_by == "ProspectId"
    assert lead(store, lead_a).fields == {"FirstName": "Ann", "LastName": "Rao"}


def test_M2_identifiers_not_given_are_skipped(engine: Engine) -> None:
    """R-M2: with only Phone given, Phone is the whole search order and it decides."""
    lead_c = captured(engine, {"Phone": "9000000003"}).lead_id
    receipt = captured(engine, {"Phone": "9000000003", "FirstName": "Chen"})
    assert receipt.lead_id == lead_c
    assert receipt.decision.explanation.search_order == ("Phone",)
    assert receipt.decision.explanation.matched_by == "Phone"


def test_M2_a_later_identifier_decides_when_earlier_ones_find_nothing(engine: Engine) -> None:
    """R-M2: an EmailAddress that finds nothing passes the search on to Phone."""
    lead_c = captured(engine, {"Phone": "9000000003"}).lead_id
    receipt = captured(engine, {"EmailAddress": "new@example.com", "Phone": "9000000003"})
    assert receipt.lead_id == lead_c
    assert [(look.identifier, look.found) for look in receipt.decision.explanation.lookups] == [
        ("EmailAddress", "nothing"),
        ("Phone", "lead"),
    ]


# R-M3 ----------------------------------------------------------------------------------------------------------


def test_M3_search_by_field_is_searched_first(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M3: SearchBy=Phone puts Phone before EmailAddress, so the phone's lead is acted on."""
    lead_b = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    lead_c = captured(engine, {"Phone": "9000000003"}).lead_id
    receipt = captured(
        engine,
        {"EmailAddress": "b@example.com", "Phone": "9000000003", "SearchBy": "Phone", "FirstName": "Chen"},
        UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
    )
    assert receipt.lead_id == lead_c
    assert receipt.decision.explanation.search_order == ("Phone", "EmailAddress")
    assert "FirstName" not in lead(store, lead_b).fields


def test_M3_search_by_a_field_outside_the_identifiers_is_searched_first(engine: Engine) -> None:
    """R-M3: SearchBy=Mobile searches Mobile first, then the usual identifiers."""
    captured(engine, {"EmailAddress": "b@example.com"})
    lead_d = captured(engine, {"Mobile": "9000000004"}).lead_id
    receipt = captured(
        engine,
        {"EmailAddress": "b@example.com", "Mobile": "9000000004", "SearchBy": "Mobile"},
        UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
    )
    assert receipt.lead_id == lead_d
    assert receipt.decision.explanation.search_order == ("Mobile", "EmailAddress")
    assert receipt.decision.explanation.matched_by == "Mobile"


def test_M3_search_by_is_ignored_when_prospect_id_email_and_phone_are_all_given(engine: Engine) -> None:
    """R-M3: with ProspectId, EmailAddress and Phone all given, SearchBy changes nothing and a note says so."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "Phone": "9000000001"}).lead_id
    receipt = captured(
        engine,
        {"ProspectId": lead_a, "EmailAddress": "a@example.com", "Phone": "9000000001", "SearchBy": "Phone"},
    )
    explanation = receipt.decision.explanation
    assert receipt.lead_id == lead_a
    assert explanation.search_order == ("ProspectId", "EmailAddress", "Phone")
    assert explanation.matched_by == "ProspectId"
    assert any("R-M3" in note for note in explanation.notes)


def test_M3_search_by_without_a_value_is_ignored(engine: Engine) -> None:
    """R-M3: SearchBy=Phone with no Phone in the request leaves the search order as EmailAddress alone."""
    lead_b = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    receipt = captured(engine, {"EmailAddress": "b@example.com", "SearchBy": "Phone"})
    assert receipt.lead_id == lead_b
    assert receipt.decision.explanation.search_order == ("EmailAddress",)
    assert any("R-M3" in note for note in receipt.decision.explanation.notes)


# R-M4 ----------------------------------------------------------------------------------------------------------


def test_M4_prospect_match_with_other_email_creates_new_lead(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M4: ProspectId finds A, whose email differs from the given EmailAddress: a new lead is created, A is kept."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com", "FirstName": "Ann"})
    receipt = captured(engine, {"ProspectId": lead_a.lead_id, "EmailAddress": "other@example.com", "FirstName": "X"})
    assert receipt.outcome is Outcome.CREATED
    assert receipt.decision.explanation.rule == "R-M4"
    assert receipt.lead_id not in (lead_a.lead_id, UNKNOWN_GUID)
    assert lead(store, receipt.lead_id).fields == {"EmailAddress": "other@example.com", "FirstName": "X"}
    assert lead(store, lead_a.lead_id) == lead_a.decision.lead


def test_M4_new_lead_with_an_email_another_lead_holds_is_a_duplicate(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M4: when the other email belongs to lead B, the capture fails as a duplicate and nothing is created."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    captured(engine, {"EmailAddress": "b@example.com"})
    result = engine.capture({"ProspectId": lead_a, "EmailAddress": "B@example.com", "FirstName": "X"})
    assert isinstance(result, Failure)
    problem = result.failure()
    assert problem.exception_type is ExceptionType.DUPLICATE_ENTRY
    assert problem.status == 409
    assert len(store.leads()) == 2


# R-M5 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [None, "a@example.com", "A@EXAMPLE.COM"],
    ids=["email-absent", "email-equal", "email-equal-other-case"],
)
def test_M5_prospect_match_with_no_or_the_same_email_updates_it(
    engine: Engine,
    store: InMemoryLeadStore,
    email: str | None,
) -> None:
    """R-M5: ProspectId finds A and EmailAddress is absent or equal to A's (any casing): A is Updated."""
    lead_a = captured(engine, {"EmailAddress": "a@example.com"}).lead_id
    attributes = {"ProspectId": lead_a, "FirstName": "Ann"}
    if email is not None:
        attributes["EmailAddress"] = email
    receipt = captured(engine, attributes)
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.is_created is False
    assert receipt.lead_id == lead_a
    assert receipt.decision.explanation.rule == "R-M5"
    assert lead(store, lead_a).fields["FirstName"] == "Ann"
    assert len(store.leads()) == 1


def test_M5_prospect_match_without_stored_email_updates_and_sets_it(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M5: ProspectId finds A, which has no email: A is Updated and takes the given EmailAddress."""
    lead_a = captured(engine, {"FirstName": "Ann"}).lead_id
    receipt = captured(engine, {"ProspectId": lead_a, "EmailAddress": "ann@example.com"})
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.decision.explanation.rule == "R-M5"
    assert lead(store, lead_a).fields == {"FirstName": "Ann", "EmailAddress": "ann@example.com"}


# R-M6 ----------------------------------------------------------------------------------------------------------


def _visitor() -> Visitor:
    first = Visit(
        id="f0000000-0000-4000-8000-000000000001",
        visited_on=START,
        page_url="https://example.com/?utm_source=Google",
        referrer="https://www.google.com/",
        source={"Source": "Google", "SourceMedium": "cpc"},
    )
    second = Visit(
        id="f0000000-0000-4000-8000-000000000002",
        visited_on=START + timedelta(minutes=5),
        page_url="https://example.com/pricing?utm_source=Bing",
        source={"Source": "Bing", "SourceCampaign": "spring"},
    )
    return Visitor(id=VISITOR_GUID, visits=(first, second))


def test_M6_prospect_id_of_a_visitor_converts_it(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M6: ProspectId of an unconverted visitor gives a Converted lead with the visitor's id and its visits."""
    store.save_visitor(_visitor())
    receipt = captured(engine, {"ProspectId": VISITOR_GUID.upper(), "EmailAddress": "v@example.com"})
    assert receipt.outcome is Outcome.CONVERTED
    assert receipt.is_created is True
    assert receipt.lead_id == VISITOR_GUID
    assert receipt.decision.explanation.rule == "R-M6"
    converted = lead(store, VISITOR_GUID)
    assert converted.fields == {"EmailAddress": "v@example.com", "Source": "Google", "SourceMedium": "cpc"}
    visits = [a for a in store.activities(VISITOR_GUID) if isinstance(a.data, WebVisitData)]
    assert sorted(a.id for a in visits) == [visit.id for visit in _visitor().visits]
    assert {a.data.page_url for a in visits if isinstance(a.data, WebVisitData)} == {
        visit.page_url for visit in _visitor().visits
    }
    converted_visitor = store.visitor(VISITOR_GUID)
    assert converted_visitor is not None
    assert converted_visitor.converted is True


def test_M6_request_source_fields_win_over_the_first_visit(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M6: the first visit fills only the source fields the request leaves empty."""
    store.save_visitor(_visitor())
    receipt = captured(engine, {"ProspectId": VISITOR_GUID, "Source": "Newsletter", "SourceCampaign": ""})
    assert lead(store, receipt.lead_id).fields == {"Source": "Newsletter", "SourceMedium": "cpc"}


def test_M6_a_converted_visitor_is_not_converted_again(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M6: once converted, the same ProspectId finds the lead and updates it."""
    store.save_visitor(_visitor())
    captured(engine, {"ProspectId": VISITOR_GUID, "FirstName": "Vee"})
    receipt = captured(engine, {"ProspectId": VISITOR_GUID, "LastName": "Sen"})
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.lead_id == VISITOR_GUID
    assert len(store.leads()) == 1


# R-M7 ----------------------------------------------------------------------------------------------------------


def test_M7_unknown_prospect_id_is_ignored_and_not_used_as_the_id(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M7: a ProspectId that is neither lead nor visitor is ignored; the new lead gets a new id (rule R-M9)."""
    receipt = captured(engine, {"ProspectId": UNKNOWN_GUID, "FirstName": "Ann"})
    assert receipt.outcome is Outcome.CREATED
    assert receipt.lead_id != UNKNOWN_GUID
    assert store.get_lead(UNKNOWN_GUID) is None
    assert receipt.decision.explanation.rule == "R-M9"
    assert any("R-M7" in note for note in receipt.decision.explanation.notes)


def test_M7_unknown_prospect_id_lets_email_decide(engine: Engine) -> None:
    """R-M7: after an unknown ProspectId, EmailAddress still finds its lead, which is Updated."""
    lead_b = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    receipt = captured(engine, {"ProspectId": UNKNOWN_GUID, "EmailAddress": "b@example.com", "FirstName": "Bea"})
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.lead_id == lead_b
    assert receipt.decision.explanation.rule == "R-M8"


def test_M7_converted_visitor_id_without_a_lead_is_ignored(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M7: a ProspectId naming an already converted visitor with no lead is treated as unknown."""
    store.save_visitor(Visitor(id=VISITOR_GUID, converted=True))
    receipt = captured(engine, {"ProspectId": VISITOR_GUID, "FirstName": "Ann"})
    assert receipt.outcome is Outcome.CREATED
    assert receipt.lead_id != VISITOR_GUID


# R-M8 ----------------------------------------------------------------------------------------------------------


def test_M8_email_match_updates_that_lead(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M8: EmailAddress finds lead B: B is Updated, matched by EmailAddress."""
    lead_b = captured(engine, {"EmailAddress": "b@example.com"}).lead_id
    receipt = captured(engine, {"EmailAddress": "b@example.com", "City": "Pune"})
    assert (receipt.outcome, receipt.lead_id) == (Outcome.UPDATED, lead_b)
    assert receipt.decision.explanation.rule == "R-M8"
    assert receipt.decision.explanation.matched_by == "EmailAddress"
    assert lead(store, lead_b).fields["City"] == "Pune"


def test_M8_phone_match_updates_that_lead(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M8: Phone finds lead C: C is Updated, matched by Phone."""
    lead_c = captured(engine, {"Phone": "9000000003"}).lead_id
    receipt = captured(engine, {"Phone": "+91 90000 00003", "City": "Pune"})
    assert (receipt.outcome, receipt.lead_id) == (Outcome.UPDATED, lead_c)
    assert receipt.decision.explanation.rule == "R-M8"
    assert receipt.decision.explanation.matched_by == "Phone"
    assert lead(store, lead_c).fields["City"] == "Pune"


def test_M8_custom_unique_search_by_field_updates_its_lead(store: InMemoryLeadStore) -> None:
    """R-M8: SearchBy naming a custom unique field finds lead C by it, and C is Updated."""
    schema = schema_from_toml('[fields.mx_CustomerNo]\ndata_type = "Text"\nis_unique = true').unwrap()
    engine = make_engine(store, schema)
    lead_c = captured(engine, {"mx_CustomerNo": "C-17", "FirstName": "Chen"}).lead_id
    receipt = captured(engine, {"mx_CustomerNo": "C-17", "SearchBy": "mx_CustomerNo", "City": "Pune"})
    assert (receipt.outcome, receipt.lead_id) == (Outcome.UPDATED, lead_c)
    assert receipt.decision.explanation.matched_by == "mx_CustomerNo"
    assert lead(store, lead_c).fields == {"mx_CustomerNo": "C-17", "FirstName": "Chen", "City": "Pune"}


NON_UNIQUE_PHONE = schema_from_toml("[fields.Phone]\nis_unique = false").unwrap()
SHARED_PHONE = "9000000005"


def _two_leads_sharing_a_phone(store: InMemoryLeadStore, clock: ManualClock) -> tuple[Engine, str, str]:
    """Leads `first` (created at START) and `second` (created a minute later) holding one phone number."""
    engine = make_engine(store, NON_UNIQUE_PHONE, clock=clock)
    clock.at = START
    first = captured(engine, {"EmailAddress": "first@example.com", "Phone": SHARED_PHONE}).lead_id
    clock.at = START + timedelta(minutes=1)
    second = captured(engine, {"EmailAddress": "second@example.com"}).lead_id
    captured(engine, {"EmailAddress": "second@example.com", "Phone": SHARED_PHONE})
    assert [holder.id for holder in store.find_leads("Phone", "+91" + SHARED_PHONE)] == sorted([first, second])
    return engine, first, second


def _phone_capture(engine: Engine) -> CaptureReceipt:
    return captured(engine, {"Phone": SHARED_PHONE, "City": "Pune"})


def test_M8_shared_non_unique_phone_goes_to_the_most_recently_active_lead(store: InMemoryLeadStore) -> None:
    """R-M8: of leads sharing a non-unique phone, the one with the most recent activity is Updated."""
    clock = ManualClock()
    engine, first, second = _two_leads_sharing_a_phone(store, clock)
    clock.at = START + timedelta(minutes=2)
    captured(engine, {"EmailAddress": "first@example.com"}, UpdateBehavior.DO_NOT_UPDATE)
    assert lead(store, first).modified_on < lead(store, second).modified_on
    clock.at = START + timedelta(minutes=3)
    assert _phone_capture(engine).lead_id == first


def test_M8_activity_tie_goes_to_the_most_recently_modified_lead(store: InMemoryLeadStore) -> None:
    """R-M8: with equal last activity, the most recently modified lead wins, even if it is the newer one."""
    clock = ManualClock()
    engine, first, second = _two_leads_sharing_a_phone(store, clock)
    clock.at = START + timedelta(minutes=2)
    captured(engine, {"EmailAddress": "second@example.com", "FirstName": "Sam"})
    captured(engine, {"EmailAddress": "first@example.com", "FirstName": "Fay"}, UpdateBehavior.DO_NOT_UPDATE)
    assert lead(store, first).last_activity_on == lead(store, second).last_activity_on
    clock.at = START + timedelta(minutes=3)
    assert _phone_capture(engine).lead_id == second


def test_M8_activity_and_modified_tie_goes_to_the_oldest_lead(store: InMemoryLeadStore) -> None:
    """R-M8: with equal last activity and modification times, the lead created first wins."""
    clock = ManualClock()
    engine, first, second = _two_leads_sharing_a_phone(store, clock)
    clock.at = START + timedelta(minutes=2)
    captured(engine, {"EmailAddress": "second@example.com", "FirstName": "Sam"})
    captured(engine, {"EmailAddress": "first@example.com", "FirstName": "Fay"})
    assert lead(store, first).modified_on == lead(store, second).modified_on
    clock.at = START + timedelta(minutes=3)
    assert _phone_capture(engine).lead_id == first


# R-M9 ----------------------------------------------------------------------------------------------------------


def test_M9_nothing_found_creates_a_new_lead(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-M9: EmailAddress and Phone that no lead holds give a Created lead with a new id."""
    existing = captured(engine, {"EmailAddress": "old@example.com", "Phone": "9000000001"}).lead_id
    receipt = captured(engine, {"EmailAddress": "new@example.com", "Phone": "9000000002"})
    assert receipt.outcome is Outcome.CREATED
    assert receipt.is_created is True
    assert receipt.lead_id != existing
    assert receipt.decision.explanation.rule == "R-M9"
    assert [(look.identifier, look.found) for look in receipt.decision.explanation.lookups] == [
        ("EmailAddress", "nothing"),
        ("Phone", "nothing"),
    ]
    assert len(store.leads()) == 2


# R-M10 ---------------------------------------------------------------------------------------------------------


def test_M10_racing_captures_of_one_new_email_create_one_lead(store: InMemoryLeadStore) -> None:
    """R-M10: 8 threads capturing the same new email at once give one lead, 8 successes and 8 activities."""
    threads = 8
    barrier = threading.Barrier(threads)
    results: list[Result[CaptureReceipt, Problem]] = []
    results_lock = threading.Lock()

    def capture(number: int) -> None:
        engine = Engine(store=store, clock=SteppingClock(), ids=CountingIds(prefix=number + 1))
        barrier.wait()
        result = engine.capture({"EmailAddress": "race@example.com", "FirstName": f"Racer {number}"})
        with results_lock:
            results.append(result)

    workers = [threading.Thread(target=capture, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert len(results) == threads
    assert all(isinstance(result, Success) for result in results)
    receipts = [result.unwrap() for result in results]
    assert len(store.leads()) == 1
    only = store.leads()[0]
    assert {receipt.lead_id for receipt in receipts} == {only.id}
    assert sum(receipt.is_created for receipt in receipts) == 1
    assert len(store.activities(only.id)) == threads


class InterleavingStore:
    """An in-memory store where another capture lands between the first look-up and its apply."""

    def __init__(self, inner: InMemoryLeadStore, interloper: Engine, attributes: object) -> None:
        """Wrap `inner`; `interloper` captures `attributes` right after the first look-up."""
        self.inner = inner
        self._interloper = interloper
        self._attributes = attributes
        self.lookups = 0

    @contextmanager
    def transaction(self) -> Iterator[InterleavingStore]:
        """The inner store's transaction, with this wrapper as the reader and writer."""
        with self.inner.transaction():
            yield self

    def find_candidates(self, query: CandidateQuery) -> Any:
        """The inner answer; the first time, the interloper's capture is applied just after reading it."""
        candidates = self.inner.find_candidates(query)
        self.lookups += 1
        if self.lookups == 1:
            assert isinstance(self._interloper.capture(self._attributes), Success)
        return candidates

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Apply on the inner store."""
        return self.inner.apply(decision)

    def __getattr__(self, name: str) -> Any:
        """Every other store method is the inner store's."""
        return getattr(self.inner, name)


def test_M10_a_capture_that_loses_a_race_is_decided_again(store: InMemoryLeadStore) -> None:
    """R-M10: a Create refused because the email was taken meanwhile is decided again and updates the winner."""
    interloper = Engine(store=store, clock=SteppingClock(), ids=CountingIds(prefix=2))
    racing = InterleavingStore(store, interloper, {"EmailAddress": "race@example.com", "FirstName": "First"})
    engine = Engine(store=racing, clock=SteppingClock(), ids=CountingIds(prefix=1))
    receipt = captured(engine, {"EmailAddress": "race@example.com", "City": "Pune"})
    assert racing.lookups == 2
    assert receipt.outcome is Outcome.UPDATED
    assert len(store.leads()) == 1
    assert lead(store, receipt.lead_id).fields == {
        "EmailAddress": "race@example.com",
        "FirstName": "First",
        "City": "Pune",
    }
    assert len(store.activities(receipt.lead_id)) == 2
