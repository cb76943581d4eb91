"""The capture path's shortcuts give the answers of the general code they stand in front of.

- Plain text values are checked inline by `check_request`, and plain ASCII emails and phones go straight to
  the normaliser; every other value goes through `normalize_value`. For any string and any text, email or
  phone field, both must store the same value or refuse it for the same reason (R-V4).
- `Schema.resolve` tries the exact spelling before case folding; it must name the field case folding names
  (R-V2).
- A `{name: value}` mapping of plain strings becomes its attributes without `msgspec.convert`; any mapping
  must read as `msgspec.convert` reads it (R-V1).
- `index_entries` reads the schema's precomputed indexed specs; it must give the entries the field names,
  their data types and the unique flags give.
"""

from __future__ import annotations

from typing import Final

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from leadcapture import DEFAULT_SCHEMA, STANDARD_NORMALIZER, FieldSpec, Problem, Schema, validate_request
from leadcapture.core.decide import index_entries
from leadcapture.core.names import DataType
from leadcapture.core.records import IndexEntry
from leadcapture.core.request import RawAttribute, read_attributes
from leadcapture.core.values import match_key, normalize_value

CUSTOM_SCHEMA: Final = Schema(
    (
        *DEFAULT_SCHEMA.fields,
        FieldSpec(schema_name="mx_Unbounded", display_name="Unbounded", data_type=DataType.TEXT, max_length=None),
        FieldSpec(schema_name="mx_Short", display_name="Short", data_type=DataType.TEXT, max_length=3),
        FieldSpec(schema_name="mx_Ref", display_name="Ref", data_type=DataType.TEXT, is_unique=True),
    ),
)
TEXT_FIELDS: Final = tuple(spec for spec in CUSTOM_SCHEMA.fields if spec.data_type is DataType.TEXT)
CONTACT_FIELDS: Final = (
    *(spec for spec in CUSTOM_SCHEMA.fields if spec.data_type in (DataType.EMAIL, DataType.PHONE)),
    FieldSpec(schema_name="mx_ShortMail", display_name="Short mail", data_type=DataType.EMAIL, max_length=12),
    FieldSpec(schema_name="mx_ShortPhone", display_name="Short phone", data_type=DataType.PHONE, max_length=13),
)

text_values: Final = st.one_of(
    st.text(),
    st.text(alphabet=" \t\n\x00abcAZ09é", max_size=8),
    st.text(alphabet="ab", min_size=95, max_size=2100),
    st.sampled_from(["", " ", "  padded  ", "\x00", "a\x00b", "\ud800", "é", " é ", "abc", "abcd"]),
)


contact_values: Final = st.one_of(
    text_values,
    st.emails(),
    st.sampled_from(["a@b.co", " A@Example.COM ", "a@b", "é@b.co", "a\x00@b.co", "averyveryverylong@example.com"]),
    st.text(alphabet="0123456789 +-()", max_size=16),
    st.sampled_from(["9876543210", " +91 98765 43210 ", "(+91) 98765-43210", "+1 202 555 0123", "12", "+91\x00"]),
)


@given(spec=st.sampled_from(TEXT_FIELDS), value=text_values)
def test_R_V4_inline_text_check_agrees_with_normalize_value(spec: FieldSpec, value: str) -> None:
    """R-V4: a text field's value is stored, or refused with its reason, exactly as `normalize_value` says."""
    _assert_checked_as_normalize_value(spec, value)


@given(spec=st.sampled_from(CONTACT_FIELDS), value=contact_values)
def test_R_V4_R_N1_R_N2_direct_contact_check_agrees_with_normalize_value(spec: FieldSpec, value: str) -> None:
    """R-V4, R-N1, R-N2: an email or phone is stored, or refused with its reason, as `normalize_value` says."""
    _assert_checked_as_normalize_value(spec, value)


def _assert_checked_as_normalize_value(spec: FieldSpec, value: str) -> None:
    schema = Schema((*CUSTOM_SCHEMA.fields, spec)) if spec.schema_name not in CUSTOM_SCHEMA else CUSTOM_SCHEMA
    expected = normalize_value(
        spec,
        value,
        contacts=STANDARD_NORMALIZER,
        default_country_code=schema.default_country_code,
    )
    result = validate_request(
        [RawAttribute(attribute=spec.schema_name, value=value)],
        schema,
        STANDARD_NORMALIZER,
    )
    if isinstance(expected, str):
        assert isinstance(result, Success)
        assert result.unwrap().values == {spec.schema_name: expected}
    else:
        assert isinstance(result, Failure)
        problem = result.failure()
        assert problem.rule == "R-V4"
        assert [error.reason for error in problem.field_errors] == [f"{spec.schema_name}: {expected.reason}"]


field_names: Final = st.sampled_from([spec.schema_name for spec in CUSTOM_SCHEMA.fields])
spellings: Final = st.one_of(
    field_names,
    field_names.map(str.lower),
    field_names.map(str.upper),
    field_names.map(str.swapcase),
    st.text(max_size=15),
    st.sampled_from(["emailaddress", "EMAILADDRESS", "mx_ref", "MX_REF", "ProspectID", "ſtate", "K"]),
)


@given(attribute=spellings)
def test_R_V2_exact_name_lookup_agrees_with_case_folding(attribute: str) -> None:
    """R-V2: whichever spelling, `resolve` finds the field whose name folds to the attribute's folded form."""
    folded = {spec.schema_name.casefold(): spec for spec in CUSTOM_SCHEMA.fields}
    assert CUSTOM_SCHEMA.resolve(attribute) == folded.get(attribute.casefold())


stored_values: Final = st.dictionaries(
    st.sampled_from(["EmailAddress", "Phone", "Mobile", "mx_Ref", "FirstName", "City"]),
    st.sampled_from(["", "Wim@Example.com", "+91-9876543210", "R1", "x"]),
)


@given(fields=stored_values)
def test_R_U1_index_entries_agree_with_the_schema_lookups(fields: dict[str, str]) -> None:
    """R-U1: the entries are the indexed fields with a value, keyed by match key, unique where the field is."""
    for schema in (DEFAULT_SCHEMA, CUSTOM_SCHEMA):
        expected = tuple(
            IndexEntry(
                field=name,
                key=match_key(schema[name].data_type, fields[name]),
                unique=name in schema.unique_fields,
            )
            for name in schema.indexed_fields
            if fields.get(name)
        )
        assert index_entries(schema, fields) == expected


mappings: Final = st.dictionaries(
    st.one_of(st.text(max_size=12), st.sampled_from(["EmailAddress", "Phone", "FirstName"])),
    st.one_of(st.text(max_size=12), st.none(), st.integers(), st.floats(allow_nan=False), st.booleans()),
    max_size=6,
)


@given(attributes=mappings)
def test_R_V1_plain_text_mapping_reads_as_msgspec_converts_it(attributes: dict[str, object]) -> None:
    """R-V1: a `{name: value}` mapping reads as the pairs `msgspec.convert` makes of it, or fails as it does."""
    pairs = [{"Attribute": name, "Value": value} for name, value in attributes.items()]
    try:
        expected: object = msgspec.convert(pairs, list[RawAttribute], strict=True)
    except msgspec.ValidationError:
        expected = None
    read = read_attributes(attributes)
    if expected is None:
        assert isinstance(read, Problem)
        assert read.rule == "R-V1"
    elif expected == []:
        assert isinstance(read, Problem)
        assert read.message == "Request body must be a non-empty array of attributes"
    else:
        assert read == expected
