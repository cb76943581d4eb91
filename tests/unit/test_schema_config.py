"""The TOML schema config: custom `mx_` fields, flag changes, mistakes named, the default country code."""

from __future__ import annotations

from pathlib import Path

import pytest
from returns.result import Failure
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import (
    DEFAULT_SCHEMA,
    DataType,
    Engine,
    ExceptionType,
    FieldSpec,
    InMemoryLeadStore,
    Problem,
    load_schema,
    schema_from_toml,
)

CONFIG = """
default_country_code = 44

[fields.mx_Budget]
display_name = "Budget"
data_type = "Number"
max_length = 12
is_mandatory = true

[fields.mx_Plan]
data_type = "Select"
options = ["Basic", "Pro"]

[fields.mx_CustomerNo]
data_type = "Text"
is_unique = true
is_source_field = false

[fields.Phone]
is_unique = false

[fields.lastname]
is_mandatory = true
"""


def problem_of(result: object) -> Problem:
    """The problem of a failed result."""
    assert isinstance(result, Failure), result
    problem = result.failure()
    assert isinstance(problem, Problem)
    return problem


def test_custom_mx_fields_are_added_with_their_settings() -> None:
    """Custom `mx_` tables add fields with the given display name, type, length, options and flags."""
    schema = schema_from_toml(CONFIG).unwrap()
    assert schema.get("mx_Budget") == FieldSpec(
        schema_name="mx_Budget",
        display_name="Budget",
        data_type=DataType.NUMBER,
        max_length=12,
        is_mandatory=True,
    )
    assert schema["mx_Plan"].options == ("Basic", "Pro")
    assert schema["mx_CustomerNo"].display_name == "mx_CustomerNo"
    assert schema.resolve("MX_PLAN") == schema["mx_Plan"]
    assert [spec.schema_name for spec in schema.fields][-3:] == ["mx_Budget", "mx_Plan", "mx_CustomerNo"]


def test_standard_fields_keep_their_order_and_take_flag_changes() -> None:
    """A standard field's table changes only the keys it sets, matched case-insensitively (`lastname`)."""
    schema = schema_from_toml(CONFIG).unwrap()
    standard = [spec.schema_name for spec in DEFAULT_SCHEMA.fields]
    assert [spec.schema_name for spec in schema.fields][: len(standard)] == standard
    assert schema["Phone"].is_unique is False
    assert schema["Phone"].display_name == DEFAULT_SCHEMA["Phone"].display_name
    assert schema["LastName"].is_mandatory is True
    assert schema["LastName"].max_length == DEFAULT_SCHEMA["LastName"].max_length
    assert schema.unique_fields == ("EmailAddress", "Mobile", "mx_CustomerNo")
    assert "Phone" in schema.indexed_fields


def test_configured_schema_drives_captures() -> None:
    """An engine with the configured schema enforces its mandatory fields, types and country code."""
    schema = schema_from_toml(CONFIG).unwrap()
    store = InMemoryLeadStore()
    engine = Engine(store=store, schema=schema, clock=SteppingClock(), ids=CountingIds())
    missing = problem_of(engine.capture({"EmailAddress": "a@example.com", "LastName": "Rao"}))
    assert missing.exception_type is ExceptionType.MANDATORY_MISSING
    assert "mx_Budget" in missing.message
    bad = problem_of(engine.capture({"mx_Budget": "lots", "mx_Plan": "Gold", "LastName": "Rao"}))
    assert [error.field for error in bad.field_errors] == ["mx_Budget", "mx_Plan"]
    lead = engine.capture({"mx_Budget": 5000, "mx_Plan": "pro", "LastName": "Rao", "Phone": "07700900123"}).unwrap()
    assert lead.decision.lead.fields == {
        "mx_Budget": "5000",
        "mx_Plan": "Pro",
        "LastName": "Rao",
        "Phone": "+44-7700900123",
    }


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ('[fields.mx_Budget]\ndata_typ = "Number"', "data_typ"),
        ("[fields.Phone]\nis_uniqe = false", "is_uniqe"),
        ("default_contry_code = 44", "default_contry_code"),
        ("[field.Phone]\nis_unique = false", "field"),
    ],
)
def test_a_typo_is_a_problem_naming_the_key(config: str, named: str) -> None:
    """A misspelt key is refused with a problem whose message names that key."""
    problem = problem_of(schema_from_toml(config))
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert f"`{named}`" in problem.message


def test_unknown_field_without_mx_prefix_is_a_problem_naming_it() -> None:
    """A table for a field that is neither standard nor `mx_` is refused, naming the field."""
    problem = problem_of(schema_from_toml('[fields.Budget]\ndata_type = "Number"'))
    assert "`Budget`" in problem.message
    assert "mx_" in problem.message


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("[fields.mx_Budget]\nis_unique = true", "data_type"),
        ('[fields.mx_Budget]\ndata_type = "Money"', "Money"),
        ('[fields.Phone]\nis_unique = "no"', "is_unique"),
        ("default_country_code = 0", "default_country_code"),
        ("default_country_code = 1000", "default_country_code"),
        ("default_country_code = = 44", ""),
    ],
)
def test_other_config_mistakes_are_problems(config: str, named: str) -> None:
    """A custom field without a type, an unknown type, a wrong value type, a bad country code or bad TOML fail."""
    problem = problem_of(schema_from_toml(config))
    assert problem.exception_type is ExceptionType.INVALID_INPUT
    assert problem.message.startswith("Invalid schema config")
    assert named in problem.message


def test_default_country_code_defaults_to_91_and_can_be_set() -> None:
    """Without `default_country_code` the schema uses 91; the config can set another."""
    assert DEFAULT_SCHEMA.default_country_code == 91
    assert schema_from_toml("").unwrap().default_country_code == 91
    assert schema_from_toml("").unwrap() == DEFAULT_SCHEMA
    assert schema_from_toml("default_country_code = 1").unwrap().default_country_code == 1


def test_load_schema_reads_a_config_file(tmp_path: Path) -> None:
    """`load_schema` reads a real TOML file into the same schema `schema_from_toml` gives."""
    path = tmp_path / "schema.toml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = load_schema(path).unwrap()
    assert loaded == schema_from_toml(CONFIG).unwrap()
    assert loaded.default_country_code == 44
    assert load_schema(str(path)).unwrap() == loaded


def test_load_schema_of_a_missing_file_is_a_problem_naming_it(tmp_path: Path) -> None:
    """A config path that cannot be read is a problem naming the path."""
    missing = tmp_path / "nowhere.toml"
    problem = problem_of(load_schema(missing))
    assert str(missing) in problem.message


def test_load_schema_reports_the_files_mistakes(tmp_path: Path) -> None:
    """A file with a typo fails just as its text would."""
    path = tmp_path / "schema.toml"
    path.write_text("[fields.Phone]\nunique = false\n", encoding="utf-8")
    assert "`unique`" in problem_of(load_schema(path)).message
