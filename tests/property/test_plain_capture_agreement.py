"""The one-pass decision of the common capture (`core.plain`) is the decision of every rule (R-D1).

`decide_capture` hands a capture under the default behaviour to `decide_plain_capture` first; whatever that
decides must be what `decide_by_all_rules`, the separate rule functions, decide on the same inputs, and
whatever it declines (None) they decide. The stores, captures and schemas are generated: LeadSquared's
rules (the default and custom schemas, one with a mandatory field), and schemas with update policies,
canonical emails and blocked identifiers, under which the one-pass decision must step aside.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.property.strategies import SCHEMAS, START, Bench, Capture, CountingIds, Scenario, captures

from leadcapture import DEFAULT_SCHEMA, Create, Engine, InMemoryLeadStore, Schema, Update, schema_from_toml
from leadcapture.core.decide import NewIds, decide_by_all_rules, decide_capture
from leadcapture.core.match import candidate_query
from leadcapture.core.plain import decide_plain_capture

RULE_SCHEMAS: Final[dict[str, Schema]] = {
    **SCHEMAS,
    "mandatory": schema_from_toml(b"[fields.FirstName]\nis_mandatory = true\n").unwrap(),
    "policies": schema_from_toml(b'[fields.City]\nupdate = "never"\n\n[fields.Source]\nupdate = "if_empty"\n').unwrap(),
    "canonical": schema_from_toml(b'email_match = "canonical"\n').unwrap(),
    "blocked": schema_from_toml(b'[blocked_identifiers]\npreset = "common"\n').unwrap(),
}


@dataclass(frozen=True)
class _OnSchema(Scenario):
    """A scenario on a schema of this module's own."""

    rules: Schema = DEFAULT_SCHEMA

    @property
    def schema(self) -> Schema:
        """The schema the scenario runs with."""
        return self.rules


def _plain(schema: Schema, *, required: tuple[str, ...] = ()) -> st.SearchStrategy[Capture]:
    """Captures the one-pass decision may take: no behaviour, ProspectId, SearchBy, RelatedCompanyId or system field."""
    chosen = captures(
        schema, behavior=st.none(), prospect=st.none(), search_by=st.none(), company=False, required=required
    )
    return chosen.map(
        lambda capture: replace(
            capture,
            values=tuple(pair for pair in capture.values if pair[0] != "CreatedOn") or (("FirstName", "Ana"),),
        )
    )


def _filled(schema: Schema) -> st.SearchStrategy[Capture]:
    """Plain captures with an email or a phone, clearing no field: most find a lead and update it (R-M8)."""
    return st.sampled_from([("EmailAddress",), ("Phone",)]).flatmap(
        lambda required: _plain(schema, required=required).map(
            lambda capture: replace(capture, values=tuple(pair for pair in capture.values if pair[1]))
        )
    )


@st.composite
def scenarios_on_every_schema(draw: st.DrawFn) -> _OnSchema:
    """A store of up to six captures on any of `RULE_SCHEMAS`, and one capture under test, mostly plain."""
    name = draw(st.sampled_from(sorted(RULE_SCHEMAS)))
    schema = RULE_SCHEMAS[name]
    step = draw(st.one_of(_plain(schema), _filled(schema), _filled(schema), captures(schema)))
    return _OnSchema(
        schema_name=name,
        visitors=draw(st.integers(0, 2)),
        seeds=tuple(draw(st.lists(st.one_of(captures(schema), _filled(schema)), max_size=6))),
        steps=(step,),
        rules=schema,
    )


@settings(max_examples=300, deadline=None)
@given(scenarios_on_every_schema())
def test_D1_plain_decision_is_the_decision_of_every_rule(scenario: _OnSchema) -> None:
    """R-D1, R-M2, R-M8, R-M9, R-B1, R-B5, R-S1: one pass or every rule, one decision for the same inputs."""
    bench = Bench.build(scenario)
    capture = scenario.steps[0]
    request = bench.request(capture)
    candidates = bench.store.find_candidates(candidate_query(request, bench.schema))
    ids = NewIds(lead_id=bench.ids.new_id(), activity_id=bench.ids.new_id())
    now = bench.clock.now()
    inputs = {"schema": bench.schema, "behavior": capture.behavior, "now": now, "ids": ids}
    expected = decide_by_all_rules(request, candidates, **inputs)  # type: ignore[arg-type]
    assert decide_capture(request, candidates, **inputs) == expected  # type: ignore[arg-type]
    plain = decide_plain_capture(
        request, candidates, schema=bench.schema, now=now, lead_id=ids.lead_id, activity_id=ids.activity_id
    )
    if capture.behavior is None and plain is not None:
        assert plain == expected
        event(f"decided in one pass: {type(plain).__name__}")
    else:
        event("decided by every rule")


def _decide_plain(engine: Engine, body: dict[str, str], *, now: datetime = START) -> Create | Update | None:
    request, _ = engine.validate(body).unwrap()
    candidates = engine.store.find_candidates(candidate_query(request, engine.schema))
    return decide_plain_capture(request, candidates, schema=engine.schema, now=now, lead_id="new", activity_id="act")


def test_M9_M8_B5_S1_common_captures_are_decided_in_one_pass() -> None:
    """R-M9, R-M8, R-B5, R-S1: a new email creates, the same email in other casing or the phone updates."""
    engine = Engine(store=InMemoryLeadStore(), ids=CountingIds())
    first = {"EmailAddress": "Wim@Example.com", "Phone": "9876543210", "Source": "google", "FirstName": "Wim"}
    created = _decide_plain(engine, first)
    assert isinstance(created, Create)
    assert created.explanation.rule == "R-M9"
    engine.capture(first).unwrap()
    by_email = _decide_plain(engine, {"EmailAddress": "wim@example.COM", "Source": "bing", "City": "Pune"})
    assert isinstance(by_email, Update)
    assert by_email.explanation.matched_by == "EmailAddress"
    assert [change.field for change in by_email.explanation.changes] == ["City"]
    assert [(alone.field, alone.reason[-6:]) for alone in by_email.explanation.unchanged] == [
        ("EmailAddress", "(R-B5)"),
        ("Source", "(R-S1)"),
    ]
    by_phone = _decide_plain(engine, {"Phone": "+91 98765 43210", "LastName": "Dijk"})
    assert isinstance(by_phone, Update)
    assert by_phone.explanation.matched_by == "Phone"
    assert [change.field for change in by_phone.explanation.changes] == ["LastName"]


def test_M1_V7_U2_captures_beyond_the_plain_rules_are_declined() -> None:
    """R-M1, R-V7, R-U2, R-B1: no identifier, a missing mandatory field, a held value or a cleared field."""
    mandatory = RULE_SCHEMAS["mandatory"]
    engine = Engine(store=InMemoryLeadStore(), schema=mandatory, ids=CountingIds())
    assert _decide_plain(engine, {"FirstName": "Wim"}) is None  # R-M1: nothing to search by
    assert _decide_plain(engine, {"EmailAddress": "wim@example.com"}) is None  # R-V7: FirstName missing
    engine.capture({"EmailAddress": "wim@example.com", "Phone": "9876543210", "FirstName": "Wim"}).unwrap()
    engine.capture({"EmailAddress": "ana@example.com", "FirstName": "Ana"}).unwrap()
    held = _decide_plain(engine, {"EmailAddress": "ana@example.com", "Phone": "9876543210"})
    assert held is None  # R-U2: Wim's lead holds the phone
    assert _decide_plain(engine, {"EmailAddress": "wim@example.com", "FirstName": ""}) is None  # R-B1, R-V7


def test_P1_J1_J2_schemas_beyond_leadsquared_rules_are_decided_by_every_rule() -> None:
    """R-P1, R-J1, R-J2: update policies, blocked identifiers or canonical emails leave no capture to one pass."""
    assert DEFAULT_SCHEMA.leadsquared_rules
    assert RULE_SCHEMAS["custom"].leadsquared_rules
    assert RULE_SCHEMAS["mandatory"].leadsquared_rules
    for name in ("policies", "canonical", "blocked"):
        schema = RULE_SCHEMAS[name]
        assert not schema.leadsquared_rules, name
        engine = Engine(store=InMemoryLeadStore(), schema=schema, ids=CountingIds())
        assert _decide_plain(engine, {"EmailAddress": "wim@example.com"}) is None, name
