"""Request validation (R-V1..R-V8) and normalisation (R-N1..R-N3), through `Engine` and the pure functions.

Every rejected request is also checked to have written nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from returns.result import Success
from tests.support.engines import make_engine, problem_of

from leadcapture import (
    Engine,
    ExceptionType,
    InMemoryLeadStore,
    Outcome,
    Problem,
    UpdateBehavior,
    decode_body,
    parse_behavior,
    schema_from_toml,
)

MIB = 1024 * 1024


def assert_invalid_input(result: Any, rule: str) -> Problem:
    """The result is a 400 `MXInvalidInputException` decided by `rule`."""
    problem = problem_of(result)
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert problem.status == 400
    assert problem.rule == rule
    return problem


def body(*pairs: tuple[str, object]) -> list[dict[str, object]]:
    """A Lead.Capture body as a list of `{"Attribute","Value"}` objects."""
    return [{"Attribute": name, "Value": value} for name, value in pairs]


# R-V1 ----------------------------------------------------------------------------------------------------------


def test_V1_body_that_is_not_json_is_invalid_input(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-V1: a body that is not JSON is a 400 MXInvalidInputException and writes nothing."""
    assert_invalid_input(engine.capture(b"EmailAddress=a@example.com"), "R-V1")
    assert store.leads() == ()


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'{"Attribute": "FirstName", "Value": "Ann"}',
        b'"FirstName"',
        b"[1]",
        b'[{"Attribute": 5, "Value": "Ann"}]',
        b'[{"Value": "Ann"}]',
        b'[{"Attribute": "FirstName"}]',
        b'[{"Attribute": "FirstName", "Value": {"nested": 1}}]',
        b'[{"Attribute": "FirstName", "Value": ["Ann"]}]',
    ],
    ids=[
        "empty-array",
        "object-not-array",
        "string",
        "array-of-numbers",
        "attribute-not-string",
        "attribute-missing",
        "value-missing",
        "value-object",
        "value-array",
    ],
)
def test_V1_body_must_be_a_non_empty_array_of_attribute_value_objects(
    engine: Engine,
    store: InMemoryLeadStore,
    raw: bytes,
) -> None:
    """R-V1: anything but a non-empty array of {Attribute: string, Value: scalar} objects is a 400."""
    assert_invalid_input(engine.capture(raw), "R-V1")
    assert store.leads() == ()


def test_V1_values_may_be_strings_numbers_booleans_or_null(engine: Engine) -> None:
    """R-V1: string, number, boolean and null values are accepted, and null means empty."""
    raw = (
        b'[{"Attribute": "FirstName", "Value": "Ann"}, {"Attribute": "Notes", "Value": 1.5},'
        b' {"Attribute": "DoNotEmail", "Value": true}, {"Attribute": "LastName", "Value": null}]'
    )
    receipt = engine.capture(raw).unwrap()
    assert receipt.outcome is Outcome.CREATED
    assert receipt.decision.lead.fields == {"FirstName": "Ann", "Notes": "1.5", "DoNotEmail": "1"}


# R-V2 ----------------------------------------------------------------------------------------------------------


def test_V2_attribute_names_match_case_insensitively_and_take_the_schema_spelling(engine: Engine) -> None:
    """R-V2: `emailaddress` and `FIRSTNAME` name EmailAddress and FirstName, stored under the schema's spelling."""
    receipt = engine.capture(body(("emailaddress", "ann@example.com"), ("FIRSTNAME", "Ann"))).unwrap()
    assert receipt.decision.lead.fields == {"EmailAddress": "ann@example.com", "FirstName": "Ann"}


def test_V2_prospect_id_is_matched_case_insensitively(engine: Engine) -> None:
    """R-V2: `ProspectID` is the same attribute as `ProspectId` and finds the lead with that id."""
    lead_id = engine.capture({"EmailAddress": "ann@example.com"}).unwrap().lead_id
    receipt = engine.capture(body(("ProspectID", lead_id), ("FirstName", "Ann"))).unwrap()
    assert receipt.outcome is Outcome.UPDATED
    assert receipt.lead_id == lead_id


def test_V2_unknown_attributes_are_all_listed(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-V2: every unknown name is listed in one 400 MXUnknownAttributeException and nothing is written."""
    result = engine.capture(body(("EmailAddress", "ann@example.com"), ("Foo", "1"), ("mx_Bar", None)))
    problem = problem_of(result)
    assert problem.exception_type is ExceptionType.UNKNOWN_ATTRIBUTE
    assert problem.status == 400
    assert problem.rule == "R-V2"
    assert problem.message == "Attribute(s) does not exist - Foo,mx_Bar"
    assert store.leads() == ()


def test_V2_thousands_of_unknown_attributes_are_named_up_to_fifty_then_counted(
    engine: Engine,
    store: InMemoryLeadStore,
) -> None:
    """R-V2 (adr/0031): 10,000 unknown names give a short answer: each name once, the first 50, then a count."""
    attributes = [{"Attribute": f"mx_Field{i}", "Value": "x"} for i in range(10_000)]
    attributes += [{"Attribute": "mx_Field0", "Value": "again"}]
    problem = problem_of(engine.capture(attributes))
    assert problem.exception_type is ExceptionType.UNKNOWN_ATTRIBUTE
    named = ",".join(f"mx_Field{i}" for i in range(50))
    assert problem.message == f"Attribute(s) does not exist - {named} and 9950 more"
    assert store.leads() == ()


def test_V2_prospect_id_search_by_and_related_company_id_are_not_unknown(engine: Engine) -> None:
    """R-V2: ProspectId, SearchBy and RelatedCompanyId are accepted although they are not schema fields."""
    validated = engine.validate(
        body(
            ("EmailAddress", "ann@example.com"),
            ("ProspectId", "0A000000-0000-4000-8000-000000000001"),
            ("SearchBy", "EmailAddress"),
            ("RelatedCompanyId", "0B000000-0000-4000-8000-000000000001"),
        ),
    )
    request, _ = validated.unwrap()
    assert request.prospect_id == "0a000000-0000-4000-8000-000000000001"
    assert request.search_by == "EmailAddress"
    assert request.related_company_id == "0b000000-0000-4000-8000-000000000001"
    assert request.values == {"EmailAddress": "ann@example.com"}


# R-V3 ----------------------------------------------------------------------------------------------------------


def test_V3_the_same_attribute_twice_is_invalid_input_naming_it(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-V3: an attribute given twice (in any casing) is a 400 MXInvalidInputException that names it."""
    result = engine.capture(body(("EmailAddress", "a@example.com"), ("FirstName", "A"), ("emailADDRESS", "b@x.com")))
    problem = assert_invalid_input(result, "R-V3")
    assert "EmailAddress" in problem.message
    assert store.leads() == ()


# R-V4 ----------------------------------------------------------------------------------------------------------

TYPED_SCHEMA = schema_from_toml(
    """
    [fields.mx_Budget]
    data_type = "Number"
    [fields.mx_Since]
    data_type = "Date"
    """,
).unwrap()


def test_V4_every_field_error_is_reported_at_once(store: InMemoryLeadStore) -> None:
    """R-V4: bad email, phone, number, date, option and length are all named in one 400, nothing written."""
    engine = make_engine(store, TYPED_SCHEMA)
    result = engine.capture(
        body(
            ("EmailAddress", "not-an-email"),
            ("Phone", "12"),
            ("mx_Budget", "lots"),
            ("mx_Since", "2024-13-45 10:00:00"),
            ("ProspectStage", "Maybe"),
            ("FirstName", "A" * 101),
            ("LastName", "Fine"),
        ),
    )
    problem = assert_invalid_input(result, "R-V4")
    fields = [error.field for error in problem.field_errors]
    assert fields == ["EmailAddress", "Phone", "mx_Budget", "mx_Since", "ProspectStage", "FirstName"]
    for field in fields:
        assert field in problem.message
    assert store.leads() == ()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("EmailAddress", "ann@@example.com", "email"),
        ("Phone", "call me", "phone"),
        ("mx_Budget", "12,5", "number"),
        ("mx_Budget", True, "number"),
        ("mx_Since", "01/02/2024", "date"),
        ("ProspectStage", "Lead", "options"),
        ("DoNotCall", "perhaps", "boolean"),
        ("FirstName", "x" * 101, "100"),
    ],
)
def test_V4_a_value_that_fails_its_field_check_names_field_and_reason(
    store: InMemoryLeadStore,
    field: str,
    value: object,
    reason: str,
) -> None:
    """R-V4: each kind of invalid value is a 400 whose field error names the field and the reason."""
    problem = assert_invalid_input(make_engine(store, TYPED_SCHEMA).capture(body((field, value))), "R-V4")
    assert [error.field for error in problem.field_errors] == [field]
    assert reason in problem.field_errors[0].reason
    assert store.leads() == ()


def test_V4_valid_values_of_every_checked_type_are_accepted(store: InMemoryLeadStore) -> None:
    """R-V4: well-formed numbers, dates, options, booleans and websites pass and are stored."""
    receipt = (
        make_engine(store, TYPED_SCHEMA)
        .capture(
            body(
                ("mx_Budget", 1250.5),
                ("mx_Since", "2024-02-29 10:30:00"),
                ("ProspectStage", "Opportunity"),
                ("DoNotCall", "false"),
                ("Website", "https://example.com/about"),
            ),
        )
        .unwrap()
    )
    assert receipt.decision.lead.fields == {
        "mx_Budget": "1250.5",
        "mx_Since": "2024-02-29 10:30:00",
        "ProspectStage": "Opportunity",
        "DoNotCall": "0",
        "Website": "https://example.com/about",
    }


# R-V5 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prospect_id", ["12345", "not-a-guid", "0a000000-0000-4000-8000-00000000000", 42])
def test_V5_prospect_id_must_be_a_guid(engine: Engine, store: InMemoryLeadStore, prospect_id: object) -> None:
    """R-V5: a ProspectId that is not a GUID is a 400 MXInvalidInputException naming ProspectId."""
    result = engine.capture(body(("ProspectId", prospect_id), ("FirstName", "Ann")))
    problem = assert_invalid_input(result, "R-V5")
    assert [error.field for error in problem.field_errors] == ["ProspectId"]
    assert store.leads() == ()


@pytest.mark.parametrize("search_by", ["FirstName", "Nonsense", "mx_Whatever", 3])
def test_V5_search_by_must_name_a_unique_field(engine: Engine, store: InMemoryLeadStore, search_by: object) -> None:
    """R-V5: a SearchBy that is not EmailAddress, Phone or a unique field is `Invalid SearchBy value provided`."""
    result = engine.capture(body(("SearchBy", search_by), ("FirstName", "Ann")))
    problem = assert_invalid_input(result, "R-V5")
    assert problem.message == "Invalid SearchBy value provided"
    assert store.leads() == ()


def test_V5_search_by_accepts_unique_fields_case_insensitively(store: InMemoryLeadStore) -> None:
    """R-V5: SearchBy may name EmailAddress, Phone, Mobile or a custom unique field, in any casing."""
    schema = schema_from_toml('[fields.mx_CustomerNo]\ndata_type = "Text"\nis_unique = true').unwrap()
    engine = make_engine(store, schema)
    for given, canonical in [
        ("emailaddress", "EmailAddress"),
        ("PHONE", "Phone"),
        ("Mobile", "Mobile"),
        ("MX_CUSTOMERNO", "mx_CustomerNo"),
    ]:
        request, _ = engine.validate(body(("SearchBy", given), ("FirstName", "Ann"))).unwrap()
        assert request.search_by == canonical


# R-V6 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("", None),
        ("DoNotUpdate", UpdateBehavior.DO_NOT_UPDATE),
        ("donotupdate", UpdateBehavior.DO_NOT_UPDATE),
        ("UPDATEONLYEMPTYFIELDS", UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS),
        ("DoNotUpdateUniqueFields", UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS),
    ],
)
def test_V6_lead_update_behavior_is_read_case_insensitively(given: str | None, expected: UpdateBehavior | None) -> None:
    """R-V6: the three behaviours are accepted in any casing, and absent means the default."""
    assert parse_behavior(given) == Success(expected)


@pytest.mark.parametrize("given", ["Overwrite", "DoNotUpdateFields", "0"])
def test_V6_any_other_lead_update_behavior_is_invalid_input(
    engine: Engine,
    store: InMemoryLeadStore,
    given: str,
) -> None:
    """R-V6: any other LeadUpdateBehavior is a 400 and the capture writes nothing."""
    assert_invalid_input(parse_behavior(given), "R-V6")
    assert_invalid_input(engine.capture({"EmailAddress": "ann@example.com"}, behavior=given), "R-V6")
    assert store.leads() == ()


# R-V7 ----------------------------------------------------------------------------------------------------------

MANDATORY_SCHEMA = schema_from_toml("[fields.LastName]\nis_mandatory = true").unwrap()


@pytest.mark.parametrize("last_name", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_V7_creating_without_a_mandatory_field_is_refused(store: InMemoryLeadStore, last_name: str | None) -> None:
    """R-V7: a lead that would be created without a mandatory field is a 400 MXMandatoryAttributeMissingException."""
    attributes: dict[str, object] = {"EmailAddress": "ann@example.com"}
    if last_name is not None:
        attributes["LastName"] = last_name
    problem = problem_of(make_engine(store, MANDATORY_SCHEMA).capture(attributes))
    assert problem.exception_type is ExceptionType.MANDATORY_MISSING
    assert problem.status == 400
    assert problem.rule == "R-V7"
    assert "LastName" in problem.message
    assert store.leads() == ()


def test_V7_creating_with_the_mandatory_fields_succeeds(store: InMemoryLeadStore) -> None:
    """R-V7: the same capture with the mandatory field given creates the lead."""
    receipt = make_engine(store, MANDATORY_SCHEMA).capture({"EmailAddress": "a@example.com", "LastName": "Rao"})
    assert receipt.unwrap().outcome is Outcome.CREATED
    assert len(store.leads()) == 1


def test_V7_update_may_not_clear_a_mandatory_field(store: InMemoryLeadStore) -> None:
    """R-V7: an update that would empty a mandatory field is refused and changes nothing; DoNotUpdate is fine."""
    engine = make_engine(store, MANDATORY_SCHEMA)
    lead_id = engine.capture({"EmailAddress": "a@example.com", "LastName": "Rao"}).unwrap().lead_id
    problem = problem_of(engine.capture({"EmailAddress": "a@example.com", "LastName": ""}))
    assert problem.exception_type is ExceptionType.MANDATORY_MISSING
    assert problem.message == "Mandatory attribute(s) missing - LastName"
    lead = store.get_lead(lead_id)
    assert lead is not None
    assert lead.fields["LastName"] == "Rao"
    assert len(store.activities(lead_id)) == 1
    kept = engine.capture({"EmailAddress": "a@example.com", "LastName": ""}, "DoNotUpdate").unwrap()
    assert kept.outcome is Outcome.UPDATED


# R-V8 ----------------------------------------------------------------------------------------------------------


def _padded_body(size: int) -> bytes:
    """A valid one-attribute body padded with white space to exactly `size` bytes."""
    core = b'[{"Attribute": "FirstName", "Value": "Ann"}]'
    return core + b" " * (size - len(core))


def test_V8_body_over_one_mebibyte_is_refused(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-V8: a body one byte over 1 MiB is a Failure by rule R-V8, from decode_body and from a capture alike."""
    too_big = _padded_body(MIB + 1)
    problem = problem_of(decode_body(too_big))
    assert problem.rule == "R-V8"
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert problem_of(engine.capture(too_big)).rule == "R-V8"
    assert store.leads() == ()


def test_V8_body_of_exactly_one_mebibyte_is_decoded(engine: Engine) -> None:
    """R-V8: the limit is inclusive: a body of exactly 1 MiB is decoded and captured."""
    assert isinstance(decode_body(_padded_body(MIB)), Success)
    assert engine.capture(_padded_body(MIB)).unwrap().outcome is Outcome.CREATED


def test_V8_text_body_is_measured_in_utf8_bytes() -> None:
    """R-V8: a str body whose UTF-8 encoding exceeds 1 MiB is refused even though it has fewer characters."""
    text = '[{"Attribute": "Notes", "Value": "' + "é" * (MIB // 2 + 16) + '"}]'
    assert len(text) < MIB < len(text.encode())
    assert problem_of(decode_body(text)).rule == "R-V8"


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"Attribute": "FirstName", "Value": "\xc3\x28"}]',
        b'[{"Attribute": "FirstName", "Value": "\xff\xfe"}]',
        b'[{"Attribute": "First\xe9Name", "Value": "Ann"}]',
    ],
    ids=["bad-continuation", "invalid-start", "latin1-in-name"],
)
def test_V8_malformed_utf8_is_invalid_input(engine: Engine, store: InMemoryLeadStore, raw: bytes) -> None:
    """R-V8: a body that is not valid UTF-8 is a 400 MXInvalidInputException, never an exception."""
    for result in (decode_body(raw), engine.capture(raw)):
        problem = problem_of(result)
        assert problem.status == 400
        assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert store.leads() == ()


def test_V8_deep_nesting_is_invalid_input(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-V8: ten thousand nested arrays are a 400 MXInvalidInputException, not a crash."""
    raw = b"[" * 10_000 + b"]" * 10_000
    problem = problem_of(engine.capture(raw))
    assert problem.status == 400
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert store.leads() == ()


@pytest.mark.parametrize(
    "number",
    [b"1e999", b"-1e999", b"1" + b"0" * 400, b"-1" + b"0" * 400],
    ids=["float-overflow", "negative-float-overflow", "400-digit-integer", "negative-400-digit-integer"],
)
def test_V8_huge_numbers_are_invalid_input(engine: Engine, store: InMemoryLeadStore, number: bytes) -> None:
    """R-V8: a number far outside any numeric range, even for a text field, is a 400 MXInvalidInputException."""
    raw = b'[{"Attribute": "Notes", "Value": ' + number + b"}]"
    problem = problem_of(engine.capture(raw))
    assert problem.status == 400
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert store.leads() == ()


# R-N1 ----------------------------------------------------------------------------------------------------------


def test_N1_emails_are_trimmed_and_stored_as_given(engine: Engine) -> None:
    """R-N1: an email is trimmed and otherwise stored exactly as given, casing included."""
    lead = engine.capture({"EmailAddress": "  Ann.Rao@Example.COM \t"}).unwrap().decision.lead
    assert lead.fields["EmailAddress"] == "Ann.Rao@Example.COM"


def test_N1_emails_are_compared_case_insensitively(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-N1: the same address in another casing finds the lead, and the stored spelling is kept."""
    first = engine.capture({"EmailAddress": "Ann.Rao@Example.COM"}).unwrap()
    second = engine.capture({"EmailAddress": "ann.rao@example.com", "FirstName": "Ann"}).unwrap()
    assert second.outcome is Outcome.UPDATED
    assert second.lead_id == first.lead_id
    assert store.find_leads("EmailAddress", "ann.rao@example.com") == (store.get_lead(first.lead_id),)
    lead = store.get_lead(first.lead_id)
    assert lead is not None
    assert lead.fields["EmailAddress"] == "Ann.Rao@Example.COM"


# R-N2 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    ["7777777777", " 77777 77777 ", "+91 77777 77777", "+91-7777777777", "+917777777777", "07777777777"],
)
def test_N2_phones_are_stored_in_cc_national_form(engine: Engine, given: str) -> None:
    """R-N2: a phone in any common shape is stored as `+91-7777777777` with the default country code 91."""
    lead = engine.capture({"Phone": given}).unwrap().decision.lead
    assert lead.fields["Phone"] == "+91-7777777777"


def test_N2_phones_are_compared_on_e164(engine: Engine, store: InMemoryLeadStore) -> None:
    """R-N2: differently written forms of one number find the same lead through its E.164 key."""
    first = engine.capture({"Phone": "7777777777"}).unwrap()
    second = engine.capture({"Phone": "+91 77777-77777", "FirstName": "Ann"}).unwrap()
    assert second.outcome is Outcome.UPDATED
    assert second.lead_id == first.lead_id
    assert [lead.id for lead in store.find_leads("Phone", "+917777777777")] == [first.lead_id]


def test_N2_default_country_code_is_configurable(store: InMemoryLeadStore) -> None:
    """R-N2: with default country code 44, a UK national number is stored as `+44-7700900123`."""
    schema = schema_from_toml("default_country_code = 44").unwrap()
    engine = make_engine(store, schema)
    lead = engine.capture({"Mobile": "07700 900123"}).unwrap().decision.lead
    assert lead.fields["Mobile"] == "+44-7700900123"
    other = engine.capture({"Phone": "+91 7777777777"}).unwrap().decision.lead
    assert other.fields["Phone"] == "+91-7777777777"


# R-N3 ----------------------------------------------------------------------------------------------------------


def test_N3_text_is_trimmed_and_otherwise_kept_verbatim(engine: Engine) -> None:
    """R-N3: surrounding white space is removed; inner spacing, line breaks and casing are kept."""
    lead = (
        engine.capture({"FirstName": "  McDonald\t", "Notes": "\n line one\n  line  two  ", "City": "  "})
        .unwrap()
        .decision.lead
    )
    assert lead.fields == {"FirstName": "McDonald", "Notes": "line one\n  line  two"}
