"""Properties of the lead-management policies: each agrees with Lead.Capture where the two coincide (R-L1..R-L4).

LeadSquared's Lead.Capture, given no ProspectId and no SearchBy, searches EmailAddress then Phone as
Lead.CreateOrUpdate does; given a lead's id as ProspectId (and no other email) it updates that lead as
Lead.Update does; given a visitor's id it converts it as Lead.Convert does; and when nothing matches it
creates as Lead.Create does. There the decisions must be the same but for the Lead Capture activity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import CaptureDecision, Convert, Create, Engine, InMemoryLeadStore, Reject, Update, Visit, Visitor
from leadcapture.core.policies import ConvertPolicy, CreateOrUpdatePolicy, CreatePolicy, MatchPolicy, UpdateByIdPolicy

VISITOR = "d0000000-0000-4000-8000-00000000000d"
emails = st.sampled_from(["a@example.com", "B@example.com", "c@example.com", ""])
phones = st.sampled_from(["9000000001", "+91 90000 00002", "9000000003", ""])
names = st.sampled_from(["Ada", "Ben", "", "Chen"])


@st.composite
def bodies(draw: st.DrawFn, *, identifiers: bool = True) -> dict[str, Any]:
    """A body without source fields, over a few emails and phones so that matches and clashes happen."""
    body: dict[str, Any] = {"FirstName": draw(names), "City": draw(st.sampled_from(["Pune", "", "Oslo"]))}
    if identifiers:
        body["EmailAddress"] = draw(emails)
        body["Phone"] = draw(phones)
    # FirstName always: an empty body is a 400 before any policy is looked at.
    return {name: value for name, value in body.items() if value or name == "FirstName" or draw(st.booleans())}


def _engines(existing: list[dict[str, Any]]) -> tuple[Engine, Engine]:
    """Two engines over equal stores holding `existing` (and one visitor), in step with each other."""
    engines = []
    for _ in range(2):
        store = InMemoryLeadStore()
        visit = Visit(
            id="f0000000-0000-4000-8000-000000000001",
            visited_on=datetime(2026, 1, 1, tzinfo=UTC),
            page_url="https://example.com/?utm_source=Google",
            source={"Source": "Google"},
        )
        store.save_visitor(Visitor(id=VISITOR, visits=(visit,)))
        engine = Engine(store=store, clock=SteppingClock(), ids=CountingIds())
        for body in existing:
            engine.capture(body)
        engines.append(engine)
    return engines[0], engines[1]


def _same_but_the_activity(managed: CaptureDecision, captured: CaptureDecision) -> None:
    """Two decisions alike in kind, lead fields, changes and problem; only Lead.Capture posts an activity."""
    assert type(managed) is type(captured)
    match managed, captured:
        case (Create() | Update() | Convert()) as mine, (Create() | Update() | Convert()) as theirs:
            assert mine.activity is None
            assert theirs.activity is not None
            assert (mine.lead.id, mine.lead.fields) == (theirs.lead.id, theirs.lead.fields)
            assert mine.explanation.changes == theirs.explanation.changes
            assert mine.explanation.outcome == theirs.explanation.outcome
        case Reject() as mine, Reject() as theirs:
            assert mine.problem == theirs.problem
        case _:
            raise AssertionError((managed, captured))


def _decide_both(
    existing: list[dict[str, Any]], body: dict[str, Any], policy: MatchPolicy, capture_body: dict[str, Any]
) -> tuple[CaptureDecision, CaptureDecision]:
    managing, capturing = _engines(existing)
    managed = managing.preview(body, policy=policy).unwrap()
    captured = capturing.preview(capture_body).unwrap()
    return managed, captured


@settings(max_examples=300, deadline=None)
@given(existing=st.lists(bodies(), max_size=4), body=bodies())
def test_L3_create_or_update_decides_as_lead_capture_without_prospect_id_or_search_by(
    existing: list[dict[str, Any]], body: dict[str, Any]
) -> None:
    """R-L3 = R-M2/R-M8/R-M9 where both search EmailAddress then Phone (a body with a unique value)."""
    if not body.get("EmailAddress") and not body.get("Phone"):
        return
    managed, captured = _decide_both(existing, body, CreateOrUpdatePolicy(), body)
    _same_but_the_activity(managed, captured)


@settings(max_examples=300, deadline=None)
@given(existing=st.lists(bodies(), min_size=1, max_size=4), pick=st.integers(0, 3), body=bodies(identifiers=False))
def test_L2_update_decides_as_lead_capture_with_the_lead_as_prospect_id(
    existing: list[dict[str, Any]], pick: int, body: dict[str, Any]
) -> None:
    """R-L2 = R-M5 where a capture names the lead by ProspectId and no other email."""
    engine, _ = _engines(existing)
    leads = engine.store.leads()  # type: ignore[attr-defined]
    if not leads:
        return
    lead_id = leads[pick % len(leads)].id
    managed, captured = _decide_both(existing, body, UpdateByIdPolicy(lead_id=lead_id), {**body, "ProspectId": lead_id})
    _same_but_the_activity(managed, captured)


@settings(max_examples=200, deadline=None)
@given(body=bodies())
def test_L1_create_decides_as_lead_capture_when_nothing_matches(body: dict[str, Any]) -> None:
    """R-L1 = R-M1/R-M9 on a store where no lead holds the request's identifiers."""
    managed, captured = _decide_both([], body, CreatePolicy(), body)
    _same_but_the_activity(managed, captured)


@settings(max_examples=200, deadline=None)
@given(existing=st.lists(bodies(), max_size=3), body=bodies())
def test_L4_convert_decides_as_lead_capture_with_the_visitor_as_prospect_id(
    existing: list[dict[str, Any]], body: dict[str, Any]
) -> None:
    """R-L4 = R-M6 where a capture names the unconverted visitor by ProspectId."""
    managed, captured = _decide_both(existing, body, ConvertPolicy(visitor_id=VISITOR), {**body, "ProspectId": VISITOR})
    _same_but_the_activity(managed, captured)


@settings(max_examples=200, deadline=None)
@given(
    existing=st.lists(bodies(), max_size=4),
    body=bodies(),
    policy=st.sampled_from([CreatePolicy(), CreateOrUpdatePolicy()]),
)
def test_L1_L3_the_managed_calls_never_post_an_activity(
    existing: list[dict[str, Any]], body: dict[str, Any], policy: MatchPolicy
) -> None:
    """No lead-management call posts an activity, whatever it decides (a rejection's R-U3 activity included)."""
    engine, _ = _engines(existing)
    before = {lead.id: engine.store.activities(lead.id) for lead in engine.store.leads()}  # type: ignore[attr-defined]
    engine.capture(body, policy=policy)
    after = {lead.id: engine.store.activities(lead.id) for lead in engine.store.leads()}  # type: ignore[attr-defined]
    assert {lead_id: after[lead_id] for lead_id in before} == before
    assert all(after[lead_id] == () for lead_id in after.keys() - before.keys())
