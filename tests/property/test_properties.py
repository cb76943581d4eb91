"""Properties of the capture decision over generated stores and captures (R-M, R-U, R-B, R-S, R-D).

Each example builds a real `InMemoryLeadStore` from a generated `Scenario` (see `strategies.py`), with a
pinned clock and counter-based ids, then runs the captures under test through `Engine` or `decide_capture`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from hypothesis import assume, event, given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success
from tests.property.strategies import Bench, Capture, Prospect, Scenario, captures, scenarios

from leadcapture import (
    CaptureDecision,
    CaptureReceipt,
    Create,
    Lead,
    NewIds,
    Problem,
    Reject,
    Schema,
    Update,
    UpdateBehavior,
    candidate_query,
    decide_capture,
)
from leadcapture.core.values import match_key

EMAIL: Final = "EmailAddress"
PHONE: Final = "Phone"
KNOWN_LEAD: Final = st.builds(Prospect, kind=st.just("lead"), index=st.integers(0, 7), upper=st.booleans())
ANY_PROSPECT: Final = st.builds(Prospect, kind=st.sampled_from(["lead", "visitor", "unknown"]), index=st.integers(0, 7))
UPDATING: Final = st.sampled_from(
    [None, UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS, UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS],
)
"""Every behaviour that may set fields on an Updated lead."""


def with_behavior(behavior: UpdateBehavior | None) -> Callable[[Schema], st.SearchStrategy[Capture]]:
    """A `step` for `scenarios`: captures under one fixed behaviour, often naming a lead by ProspectId."""
    return lambda schema: captures(schema, behavior=st.just(behavior), prospect=st.none() | KNOWN_LEAD)


def prospect_of_a_lead(schema: Schema) -> st.SearchStrategy[Capture]:
    """Captures naming an existing lead by ProspectId, without SearchBy or RelatedCompanyId."""
    return captures(schema, prospect=KNOWN_LEAD, search_by=st.none(), company=False)


def all_identifiers_and_search_by(schema: Schema) -> st.SearchStrategy[Capture]:
    """Captures giving ProspectId, EmailAddress, Phone and a SearchBy."""
    return captures(
        schema,
        prospect=ANY_PROSPECT,
        search_by=st.sampled_from(schema.indexed_fields),
        required=(EMAIL, PHONE),
    )


def updating(schema: Schema) -> st.SearchStrategy[Capture]:
    """Captures under a behaviour other than DoNotUpdate, often naming a lead by ProspectId."""
    return captures(schema, behavior=UPDATING, prospect=st.none() | KNOWN_LEAD, company=False)


def capture_once(
    bench: Bench,
    capture: Capture,
    attributes: list[dict[str, object]] | None = None,
) -> Result[CaptureReceipt, Problem]:
    """Capture with the bench's engine after letting a second pass; `attributes` default to the capture's body."""
    bench.tick()
    return bench.engine().capture(attributes or bench.attributes(capture), capture.behavior)


def updated(result: Result[CaptureReceipt, Problem]) -> Update | None:
    """The Update decision a successful capture applied, if it was one (noted as a Hypothesis event)."""
    decision = result.unwrap().decision if isinstance(result, Success) else None
    event(f"decision: {type(decision).__name__}")
    return decision if isinstance(decision, Update) else None


def current(bench: Bench, lead_id: str) -> Lead:
    """The stored lead with this id (it must exist)."""
    lead = bench.store.get_lead(lead_id)
    assert lead is not None
    return lead


def unique_keys(schema: Schema, leads: tuple[Lead, ...]) -> dict[str, list[str]]:
    """Per unique field, the match keys the leads hold for it."""
    return {
        name: [match_key(schema[name].data_type, lead.fields[name]) for lead in leads if lead.fields.get(name)]
        for name in schema.unique_fields
    }


def applied_or_problem(result: Result[CaptureReceipt, Problem]) -> CaptureDecision | Problem:
    """What a capture answered: the applied decision, or the problem."""
    if isinstance(result, Success):
        return result.unwrap().decision
    return result.failure()


class TestDeterminism:
    """The decision is a function of its inputs."""

    @given(scenarios(steps=1))
    def test_D1_decide_capture_and_preview_are_deterministic(self, scenario: Scenario) -> None:
        """Equal inputs give equal decisions: decide_capture twice, Engine.preview twice, and the two agree."""
        bench = Bench.build(scenario)
        capture = scenario.steps[0]
        request = bench.request(capture)
        fork = bench.ids.fork()
        ids = NewIds(lead_id=fork.new_id(), activity_id=fork.new_id())
        query = candidate_query(request, bench.schema)
        first, second = (
            decide_capture(
                request,
                bench.store.find_candidates(query),
                schema=bench.schema,
                behavior=capture.behavior,
                now=bench.clock.now(),
                ids=ids,
            )
            for _ in range(2)
        )
        assert first == second
        before = bench.snapshot()
        previews = [bench.engine(bench.ids.fork()).preview(bench.attributes(capture), capture.behavior) for _ in "ab"]
        assert previews[0] == previews[1] == Success(first)
        assert bench.snapshot() == before


class TestMatching:
    """Which lead a capture acts on (R-M)."""

    @given(scenarios(min_seeds=1, steps=1, step=prospect_of_a_lead))
    def test_M2_M4_M5_prospect_id_decides_before_email_and_phone(self, scenario: Scenario) -> None:
        """Without SearchBy, a ProspectId that finds lead A updates A, unless E differs from A's email: then create."""
        bench = Bench.build(scenario)
        assume(bench.store.leads())
        capture = scenario.steps[0]
        assert capture.prospect is not None
        lead = current(bench, bench.prospect_id(capture.prospect).lower())
        email = bench.request(capture).values.get(EMAIL, "")
        stored = lead.fields.get(EMAIL, "")
        decision = bench.engine().preview(bench.attributes(capture), capture.behavior).unwrap()
        explanation = decision.explanation
        if email and stored and email.lower() != stored.lower():
            assert explanation.rule == "R-M4"
            assert isinstance(decision, Create | Reject)
            if isinstance(decision, Create):
                assert decision.lead.id != lead.id
            else:
                assert decision.problem.status == 409
        else:
            assert explanation.rule == "R-M5"
            assert explanation.matched_by == "ProspectId"
            assert isinstance(decision, Update | Reject)
            if isinstance(decision, Update):
                assert decision.lead.id == lead.id
            else:
                assert decision.problem.status == 409

    @given(scenarios(steps=1, step=all_identifiers_and_search_by))
    def test_M3_search_by_is_ignored_when_prospect_id_email_and_phone_are_given(self, scenario: Scenario) -> None:
        """With P, E and Ph all given, adding SearchBy changes neither the outcome, the rule nor the lead."""
        bench = Bench.build(scenario)
        capture = scenario.steps[0]
        answers = [
            bench.engine(bench.ids.fork()).preview(bench.attributes(capture, search_by=flag), capture.behavior).unwrap()
            for flag in (True, False)
        ]
        with_search_by, without = answers
        assert type(with_search_by) is type(without)
        for name in ("outcome", "rule", "lead_id", "matched_by", "changes"):
            assert getattr(with_search_by.explanation, name) == getattr(without.explanation, name), name
        if not isinstance(without, Reject):
            assert not isinstance(with_search_by, Reject)
            assert with_search_by.lead == without.lead


class TestBehaviors:
    """What an Updated capture sets under each LeadUpdateBehavior (R-B) and for source fields (R-S1)."""

    @given(scenarios(min_seeds=2, steps=1, step=with_behavior(UpdateBehavior.DO_NOT_UPDATE)))
    def test_B2_do_not_update_changes_no_field_but_posts_the_activity(self, scenario: Scenario) -> None:
        """Under DoNotUpdate no existing lead changes a field, and an Updated lead still gets its activity."""
        bench = Bench.build(scenario)
        before = bench.snapshot()
        result = capture_once(bench, scenario.steps[0])
        for lead_id, (old, _) in before.items():
            now = current(bench, lead_id)
            assert (now.fields, now.related_company_id) == (old.fields, old.related_company_id)
        decision = updated(result)
        if decision is not None:
            assert decision.explanation.changes == ()
            assert not result.unwrap().is_created
            assert len(bench.store.activities(decision.lead.id)) == before[decision.lead.id][1] + 1

    @given(scenarios(min_seeds=2, steps=1, step=with_behavior(UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS)))
    def test_B3_update_only_empty_fields_fills_only_empty_fields(self, scenario: Scenario) -> None:
        """Under UpdateOnlyEmptyFields every change was an empty field, and no non-empty stored value changes."""
        bench = Bench.build(scenario)
        before = bench.snapshot()
        result = capture_once(bench, scenario.steps[0])
        for lead_id, (old, _) in before.items():
            now = current(bench, lead_id)
            assert {name: now.fields.get(name) for name in old.fields} == old.fields
            if old.related_company_id:
                assert now.related_company_id == old.related_company_id
        decision = updated(result)
        if decision is not None:
            assert all(change.old == "" for change in decision.explanation.changes), decision.explanation.changes

    @given(scenarios(min_seeds=2, steps=1, step=with_behavior(UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS)))
    def test_B4_do_not_update_unique_fields_never_changes_a_unique_field(self, scenario: Scenario) -> None:
        """Under DoNotUpdateUniqueFields no change touches a unique field, and no stored unique value changes."""
        bench = Bench.build(scenario)
        unique = bench.schema.unique_fields
        before = bench.snapshot()
        result = capture_once(bench, scenario.steps[0])
        for lead_id, (old, _) in before.items():
            now = current(bench, lead_id)
            assert {name: now.fields.get(name) for name in unique} == {name: old.fields.get(name) for name in unique}
        decision = updated(result)
        if decision is not None:
            assert not [change for change in decision.explanation.changes if change.field in unique]

    @given(scenarios(steps=1))
    def test_B5_the_same_capture_twice_changes_nothing_the_second_time(self, scenario: Scenario) -> None:
        """A repeated capture sets no field, creates no lead, and posts one more activity on the first's lead."""
        bench = Bench.build(scenario)
        capture = scenario.steps[0]
        attributes = bench.attributes(capture)  # once: the ProspectId must name the same lead both times
        request = bench.request(capture)
        known = capture.prospect is not None and (
            bench.store.get_lead(bench.prospect_id(capture.prospect)) is not None
            or bench.prospect_id(capture.prospect).lower() in bench.visitor_ids
        )
        searched = request.values.get(EMAIL) or request.values.get(PHONE)
        by_search = request.search_by is not None and request.values.get(request.search_by)
        assume(known or searched or by_search)
        first = capture_once(bench, capture, attributes)
        assume(isinstance(first, Success))
        receipt = first.unwrap()
        between = bench.snapshot()
        second = capture_once(bench, capture, attributes)
        after = bench.snapshot()
        assert after.keys() == between.keys()
        assert {i: lead.fields for i, (lead, _) in after.items()} == {i: old.fields for i, (old, _) in between.items()}
        assert after[receipt.lead_id][1] == between[receipt.lead_id][1] + 1
        assert sum(n for _, n in after.values()) == sum(n for _, n in between.values()) + 1
        if isinstance(second, Success):
            decision = second.unwrap().decision
            assert isinstance(decision, Update)
            assert decision.lead.id == receipt.lead_id
            assert decision.explanation.changes == ()
        else:
            # R-M4 decides to create again, and the new lead's email is now the first capture's (R-U2).
            assert second.failure().status == 409
            assert receipt.decision.explanation.rule == "R-M4"

    @given(scenarios(min_seeds=2, steps=1, step=updating))
    def test_S1_source_fields_are_first_touch_on_update(self, scenario: Scenario) -> None:
        """An Updated capture keeps every non-empty source field and fills the empty ones it is given."""
        bench = Bench.build(scenario)
        capture = scenario.steps[0]
        submitted = bench.request(capture).values
        before = bench.snapshot()
        decision = updated(capture_once(bench, capture))
        event(f"updated: {decision is not None}")
        if decision is None:
            return
        old = before[decision.lead.id][0]
        now = current(bench, decision.lead.id)
        for name in sorted(bench.schema.source_fields):
            if old.fields.get(name):
                assert now.fields.get(name) == old.fields[name], name
            elif submitted.get(name):
                assert now.fields.get(name) == submitted[name], name


class TestStore:
    """What any sequence of captures leaves in the store (R-U2, R-A1) and what a preview promises (R-D1)."""

    @given(scenarios(steps=1, max_steps=6))
    def test_U2_no_two_leads_share_a_unique_value_and_every_lead_has_an_activity(self, scenario: Scenario) -> None:
        """After any capture sequence, each unique field's match keys are distinct and each lead has an activity."""
        bench = Bench.build(scenario)
        for capture in scenario.steps:
            capture_once(bench, capture)
            leads = bench.store.leads()
            for name, keys in unique_keys(bench.schema, leads).items():
                assert len(keys) == len(set(keys)), (name, keys)
            assert all(bench.store.activities(lead.id) for lead in leads)

    @given(scenarios(steps=1, max_steps=6))
    def test_D1_preview_and_capture_agree(self, scenario: Scenario) -> None:
        """Preview then capture on the same store: same decision, and capture fails iff preview fails or rejects."""
        bench = Bench.build(scenario)
        for capture in scenario.steps:
            bench.tick()
            attributes = bench.attributes(capture)
            before = bench.snapshot()
            preview = bench.engine(bench.ids.fork()).preview(attributes, capture.behavior)
            assert bench.snapshot() == before
            answer = applied_or_problem(bench.engine().capture(attributes, capture.behavior))
            match preview:
                case Success(Reject(problem=problem)) | Failure(problem):
                    assert answer == problem
                case Success(decision):
                    assert answer == decision
                case _:  # pragma: no cover - a Result is a Success or a Failure
                    raise AssertionError(preview)
