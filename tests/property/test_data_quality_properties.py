"""Properties of the data-quality rules (R-P1, R-J1, R-J2) over generated capture sequences.

Each example runs a generated sequence of captures through a real `Engine` over the in-memory reference
store (the store every other store is made to agree with), with a stepping clock and counting ids. The
identifiers come from small pools, so that matches, updates and clashes are frequent, and the pools mix
junk values, Gmail spellings of a few mailboxes and ordinary addresses and numbers.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import event, given
from hypothesis import strategies as st
from returns.result import Success
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import (
    DEFAULT_SCHEMA,
    STANDARD_NORMALIZER,
    CaptureDecision,
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Lead,
    Reject,
    Schema,
    Update,
    UpdateBehavior,
    schema_from_toml,
    summarize,
)
from leadcapture.core.names import DataType, EmailMatch
from leadcapture.core.quality import canonical_email, identifier_key
from leadcapture.core.report import data_quality_rules
from leadcapture.core.values import match_key

QUALITY: Final = schema_from_toml(
    """
    email_match = "canonical"
    [blocked_identifiers]
    preset = "common"
    [fields.OwnerId]
    update = "never"
    [fields.ProspectStage]
    update = "if_empty"
    """,
).unwrap()
IDENTIFIERS_ONLY: Final = schema_from_toml(
    'email_match = "canonical"\n[blocked_identifiers]\npreset = "common"'
).unwrap()
"""The identifier rules without update policies."""
ALWAYS_EVERYWHERE: Final = schema_from_toml(
    "\n".join(f'[fields.{spec.schema_name}]\nupdate = "always"' for spec in DEFAULT_SCHEMA.fields),
).unwrap()
"""The default schema with `update = "always"` written out for every field."""

JUNK_EMAILS: Final = ("test@test.com", "TEST@test.com", "na@na.com", "noemail@shop.example", "none@x.example")
JUNK_PHONES: Final = ("9999999999", "99999 99999", "1234567890", "+91 1111111111", "7777777777")
MAILBOXES: Final = ("johndoe", "asha", "ravi")
behaviors = st.sampled_from([None, *UpdateBehavior])


@st.composite
def gmail_spellings(draw: st.DrawFn, mailbox: str) -> str:
    """One of the many spellings of a Gmail mailbox: dots anywhere, a `+tag`, either domain, any casing."""
    local = "".join(ch + ("." if draw(st.booleans()) else "") for ch in mailbox[:-1]) + mailbox[-1]
    if draw(st.booleans()):
        local += "+" + draw(st.sampled_from(["news", "x", "a.b"]))
    domain = draw(st.sampled_from(["gmail.com", "googlemail.com", "GMail.com"]))
    address = f"{local}@{domain}"
    return address.upper() if draw(st.booleans()) else address


def emails(*, junk: bool = True, gmail: bool = True) -> st.SearchStrategy[str]:
    """Emails from small pools: ordinary addresses, and optionally junk ones and Gmail spellings."""
    pools = [st.sampled_from(["a@example.com", "b@example.com", "j.doe@example.com", "jdoe@example.com"])]
    if junk:
        pools.append(st.sampled_from(JUNK_EMAILS))
    if gmail:
        pools.append(st.sampled_from(MAILBOXES).flatmap(gmail_spellings))
    return st.one_of(pools)


def phones(*, junk: bool = True) -> st.SearchStrategy[str]:
    """Phones from a small pool of ordinary numbers, and optionally junk ones."""
    ordinary = st.sampled_from(["9000000001", "9000000002", "+91 90000 00003"])
    return st.one_of(ordinary, st.sampled_from(JUNK_PHONES)) if junk else ordinary


@st.composite
def bodies(draw: st.DrawFn, *, junk: bool = True, gmail: bool = True) -> dict[str, Any]:
    """One capture body: maybe an email, a phone and a mobile, and the policy fields with values or empty."""
    body: dict[str, Any] = {"FirstName": draw(st.sampled_from(["Asha", "Ben", "", None]))}
    if draw(st.booleans()):
        body["EmailAddress"] = draw(emails(junk=junk, gmail=gmail))
    if draw(st.booleans()):
        body["Phone"] = draw(phones(junk=junk))
    if draw(st.booleans()):
        body["Mobile"] = draw(st.sampled_from(["8000000001", "8000000002", *(JUNK_PHONES if junk else ())]))
    for field, values in (("OwnerId", ["alice", "bob", "", None]), ("ProspectStage", ["Prospect", "Customer", ""])):
        if draw(st.booleans()):
            body[field] = draw(st.sampled_from(values))
    if draw(st.integers(0, 4)) == 0:
        body["SearchBy"] = draw(st.sampled_from(["EmailAddress", "Phone", "Mobile"]))
    return body


sequences = st.lists(st.tuples(bodies(), behaviors), min_size=1, max_size=12)


def engine_with(schema: Schema) -> Engine:
    """An engine over a new in-memory store with a stepping clock and counting ids."""
    return Engine(store=InMemoryLeadStore(), schema=schema, clock=SteppingClock(), ids=CountingIds())


def leads_of(engine: Engine) -> tuple[Lead, ...]:
    """Every lead of the engine's in-memory store."""
    assert isinstance(engine.store, InMemoryLeadStore)
    return engine.store.leads()


def is_blocked(schema: Schema, field: str, value: str) -> bool:
    """Whether `value`, as the capture would store it, is a blocked identifier of `schema`."""
    spec = schema[field]
    stored = (
        STANDARD_NORMALIZER.phone(value, schema.default_country_code)
        if spec.data_type is DataType.PHONE
        else STANDARD_NORMALIZER.email(value)
    )
    return stored is not None and schema.blocked_because(spec, stored) is not None


# R-J2: canonical emails ---------------------------------------------------------------------------------------


@given(st.sampled_from(MAILBOXES).flatmap(gmail_spellings), st.sampled_from(MAILBOXES).flatmap(gmail_spellings))
def test_J2_two_gmail_spellings_are_one_address_exactly_when_their_mailbox_is(first: str, second: str) -> None:
    """Dots, `+tag`, casing and googlemail.com never matter; the mailbox always does."""
    mailbox = {canonical_email(address).partition("@")[0] for address in (first, second)}
    assert mailbox <= set(MAILBOXES)
    same = canonical_email(first) == canonical_email(second)
    assert same == (len(mailbox) == 1)


@given(emails(), emails(), emails())
def test_J2_canonical_matching_is_an_equivalence_relation(a: str, b: str, c: str) -> None:
    """Reflexive, symmetric and transitive, and a canonical key is its own key (idempotent)."""

    def same(x: str, y: str) -> bool:
        return identifier_key(DataType.EMAIL, x, EmailMatch.CANONICAL) == identifier_key(
            DataType.EMAIL, y, EmailMatch.CANONICAL
        )

    assert same(a, a)
    assert same(a, b) == same(b, a)
    if same(a, b) and same(b, c):
        event("transitive chain")
        assert same(a, c)
    assert canonical_email(canonical_email(a)) == canonical_email(a)


@given(emails(), st.text(max_size=30))
def test_J2_canonical_matching_only_ever_joins_what_exact_matching_joins_or_gmail(address: str, other: str) -> None:
    """Outside Gmail the canonical key is LeadSquared's key, so no other domain is ever merged."""
    for value in (address, other):
        domain = value.lower().rpartition("@")[2]
        if domain not in {"gmail.com", "googlemail.com"}:
            assert canonical_email(value) == match_key(DataType.EMAIL, value)


@given(st.sampled_from(list(DataType)), st.text(max_size=30))
def test_J2_exact_email_match_keys_are_leadsquared_match_keys(data_type: DataType, value: str) -> None:
    """With `email_match = "exact"` (the default) every identifier key is the key LeadSquared compares on."""
    assert identifier_key(data_type, value, EmailMatch.EXACT) == match_key(data_type, value)


# R-J1: blocked identifiers ------------------------------------------------------------------------------------


@given(st.lists(bodies(), min_size=1, max_size=12))
def test_J1_a_blocked_value_never_causes_an_updated_outcome_or_a_duplicate_error(rows: list[dict[str, Any]]) -> None:
    """Captures whose identifiers are all blocked values always create a lead, however often they repeat."""
    engine = engine_with(QUALITY)
    for body in rows:
        junk = {name: value for name, value in body.items() if name in {"EmailAddress", "Phone", "Mobile"}}
        if not junk or not all(is_blocked(QUALITY, name, value) for name, value in junk.items()):
            continue
        event("only blocked identifiers")
        receipt = engine.capture(body).unwrap()
        assert receipt.decision.explanation.rule == "R-M1"
        assert receipt.is_created


def _without_blocked(body: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in body.items()
        if name not in {"EmailAddress", "Phone", "Mobile"} or not is_blocked(QUALITY, name, value)
    }


def _outcome(decision: CaptureDecision) -> tuple[object, ...]:
    if isinstance(decision, Reject):
        return ("Rejected", decision.problem.message, decision.explanation.lead_id)
    lead_id = decision.lead.id if isinstance(decision, Update) else None
    return (decision.explanation.outcome, decision.explanation.rule, lead_id)


@given(sequences, bodies(), behaviors)
def test_J1_a_capture_proceeds_as_if_its_blocked_identifiers_were_absent(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
    body: dict[str, Any],
    behavior: UpdateBehavior | None,
) -> None:
    """Same outcome, rule and lead with or without the blocked identifiers, on any store (R-J1)."""
    engine = engine_with(QUALITY)
    for earlier, earlier_behavior in history:
        engine.capture(earlier, earlier_behavior)
    stripped = _without_blocked(body)
    if stripped != body:
        event("the capture has a blocked identifier")
    with_junk, without = engine.preview(body, behavior), engine.preview(stripped, behavior)
    assert isinstance(with_junk, Success) == isinstance(without, Success)
    if isinstance(with_junk, Success) and isinstance(without, Success):
        assert _outcome(with_junk.unwrap()) == _outcome(without.unwrap())


@given(sequences)
def test_J1_no_duplicate_error_ever_names_a_blocked_value(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """Whenever a capture is refused as a duplicate, the clashing value is one that is not blocked (R-U2)."""
    engine = engine_with(QUALITY)
    names = {"Email": "EmailAddress", "Phone Number": "Phone", "Mobile Number": "Mobile"}
    for body, behavior in history:
        result = engine.capture(body, behavior)
        problem = result.failure() if not isinstance(result, Success) else None
        if problem is not None and problem.exception_type is ExceptionType.DUPLICATE_ENTRY:
            event("a duplicate")
            display = problem.message.removeprefix("A Lead with same ").removesuffix(" already exists.")
            field = names[display]
            assert not is_blocked(QUALITY, field, body[field])


@given(sequences)
def test_J1_a_blocked_value_never_replaces_a_stored_identifier(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """Once a lead holds a real email, phone or mobile, no capture turns it into a blocked value."""
    engine = engine_with(QUALITY)
    for body, behavior in history:
        before = {lead.id: lead.fields for lead in leads_of(engine)}
        engine.capture(body, behavior)
        for lead in leads_of(engine):
            for field in ("EmailAddress", "Phone", "Mobile"):
                old, new = before.get(lead.id, {}).get(field), lead.fields.get(field)
                if old and new and old != new and not QUALITY.blocked_because(QUALITY[field], old):
                    event("a real identifier changed")
                    assert QUALITY.blocked_because(QUALITY[field], new) is None


@given(st.lists(st.tuples(bodies(junk=False, gmail=False), behaviors), min_size=1, max_size=12))
def test_J1_J2_clean_identifiers_decide_exactly_as_without_the_rules(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """On data with no junk and no Gmail, the identifier rules change no decision: LeadSquared's matching."""
    plain, checked = engine_with(DEFAULT_SCHEMA), engine_with(IDENTIFIERS_ONLY)
    for body, behavior in history:
        assert checked.capture(body, behavior) == plain.capture(body, behavior)


# R-P1: per-field update policies ------------------------------------------------------------------------------


@given(sequences)
def test_P1_never_fields_are_unchanged_by_any_sequence_of_captures(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """A `never` field keeps the value its lead was created with, whatever the captures and behaviours."""
    engine = engine_with(QUALITY)
    created_with: dict[str, str | None] = {}
    for body, behavior in history:
        result = engine.capture(body, behavior)
        if isinstance(result, Success) and result.unwrap().is_created:
            created_with[result.unwrap().lead_id] = result.unwrap().decision.lead.fields.get("OwnerId")
        for lead_id, owner in created_with.items():
            lead = engine.store.get_lead(lead_id)
            assert lead is not None
            assert lead.fields.get("OwnerId") == owner


@given(sequences)
def test_P1_if_empty_fields_never_change_once_set(history: list[tuple[dict[str, Any], UpdateBehavior | None]]) -> None:
    """An `if_empty` field, once it has a value, keeps it through any later captures."""
    engine = engine_with(QUALITY)
    first_value: dict[str, str] = {}
    for body, behavior in history:
        engine.capture(body, behavior)
        for lead in leads_of(engine):
            stage = lead.fields.get("ProspectStage")
            if lead.id in first_value:
                assert stage == first_value[lead.id]
            elif stage:
                first_value[lead.id] = stage


@given(sequences)
def test_P1_always_is_leadsquared_behaviour(history: list[tuple[dict[str, Any], UpdateBehavior | None]]) -> None:
    """`update = "always"` written out for every field decides exactly as the default schema does."""
    plain, explicit = engine_with(DEFAULT_SCHEMA), engine_with(ALWAYS_EVERYWHERE)
    for body, behavior in history:
        assert explicit.capture(body, behavior) == plain.capture(body, behavior)


# R-J3: reports ------------------------------------------------------------------------------------------------


@given(sequences)
def test_J3_without_config_no_decision_cites_a_data_quality_rule(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """With the default schema every row reports no data-quality rule: exactly LeadSquared's decisions."""
    engine = engine_with(DEFAULT_SCHEMA)
    previews = [engine.preview(body, behavior) for body, behavior in history]
    assert summarize(previews).by_data_quality == {}
    for result in previews:
        if isinstance(result, Success):
            assert data_quality_rules(result.unwrap().explanation) == ()


@given(sequences)
def test_J3_a_row_cites_R_J1_exactly_when_it_gives_a_blocked_identifier(
    history: list[tuple[dict[str, Any], UpdateBehavior | None]],
) -> None:
    """R-J1 in a row's report means the row gave a blocked EmailAddress, Phone or Mobile, and only then."""
    engine = engine_with(QUALITY)
    for body, behavior in history:
        result = engine.preview(body, behavior)
        if isinstance(result, Success):
            gave_junk = any(
                is_blocked(QUALITY, name, value)
                for name, value in body.items()
                if name in {"EmailAddress", "Phone", "Mobile"} and value
            )
            assert ("R-J1" in data_quality_rules(result.unwrap().explanation)) == gave_junk
        engine.capture(body, behavior)
