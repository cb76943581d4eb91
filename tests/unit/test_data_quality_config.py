"""The data-quality keys of the schema config (R-P1, R-J1, R-J2) and the pure functions behind them."""

from __future__ import annotations

import pytest

from leadcapture import DEFAULT_SCHEMA, schema_from_toml
from leadcapture.core.names import DataType, EmailMatch, UpdatePolicy
from leadcapture.core.quality import (
    COMMON_BLOCKED_PATTERNS,
    COMMON_BLOCKED_VALUES,
    BlockedIdentifiers,
    BlockedPreset,
    blocked_because,
    blocked_identifiers,
    canonical_email,
)

COMMON = blocked_identifiers(preset=BlockedPreset.COMMON)


class TestConfig:
    """What the TOML keys turn on, and the problems a bad value answers."""

    def test_P1_update_policy_per_field_defaults_to_always(self) -> None:
        """`update` sets a field's policy; every other field keeps LeadSquared's `always`."""
        schema = schema_from_toml('[fields.OwnerId]\nupdate = "never"\n[fields.City]\nupdate = "if_empty"').unwrap()
        assert schema["OwnerId"].update is UpdatePolicy.NEVER
        assert schema["City"].update is UpdatePolicy.IF_EMPTY
        assert schema["FirstName"].update is UpdatePolicy.ALWAYS
        assert all(spec.update is UpdatePolicy.ALWAYS for spec in DEFAULT_SCHEMA.fields)

    def test_P1_an_unknown_policy_is_a_config_problem(self) -> None:
        """A policy other than always, if_empty and never is refused, naming the key."""
        problem = schema_from_toml('[fields.OwnerId]\nupdate = "sometimes"').failure()
        assert problem.rule == "config"
        assert problem.message == "Invalid schema config: Invalid enum value 'sometimes' - at `$.fields[...].update`"

    def test_J1_nothing_is_blocked_without_config(self) -> None:
        """The default schema, and a config without the table, block nothing and compare emails exactly."""
        for schema in (DEFAULT_SCHEMA, schema_from_toml("default_country_code = 91").unwrap()):
            assert schema.blocked == BlockedIdentifiers()
            assert not schema.blocked.active
            assert schema.email_match is EmailMatch.EXACT
        assert schema_from_toml("default_country_code = 91").unwrap() == DEFAULT_SCHEMA

    def test_J1_the_common_preset_and_own_values_and_patterns(self) -> None:
        """`preset = "common"` adds the documented junk; `values` and `patterns` add the config's own."""
        schema = schema_from_toml(
            '[blocked_identifiers]\npreset = "common"\nvalues = ["Info@Acme.example"]\npatterns = ["*@spam.example"]',
        ).unwrap()
        assert schema.blocked.values >= {"test@test.com", "na@na.com", "info@acme.example", "1234567890"}
        assert schema.blocked.patterns == (*COMMON_BLOCKED_PATTERNS, "*@spam.example")
        assert schema.blocked.repeated_digit_phones
        assert schema != DEFAULT_SCHEMA

    @pytest.mark.parametrize(
        ("config", "message"),
        [
            ('[blocked_identifiers]\npreset = "all"', "blocked_identifiers.preset"),
            ('[blocked_identifiers]\npatterns = ["*"]', "a blocked pattern needs more than wildcards"),
            ('[blocked_identifiers]\npatterns = ["*@*"]', "a blocked pattern needs more than wildcards"),
            ('[blocked_identifiers]\nvalue = ["x"]', "value"),
        ],
    )
    def test_J1_bad_blocked_identifier_config_is_a_problem(self, config: str, message: str) -> None:
        """An unknown preset or key, or a pattern that would block everything, is refused."""
        assert message in schema_from_toml(config).failure().message

    def test_J2_canonical_email_matching_is_an_option(self) -> None:
        """`email_match = "canonical"` turns R-J2 on; any other word is refused."""
        assert schema_from_toml('email_match = "canonical"').unwrap().email_match is EmailMatch.CANONICAL
        assert "email_match" in schema_from_toml('email_match = "fuzzy"').failure().message


class TestBlocked:
    """`blocked_because` on stored values (R-J1)."""

    @pytest.mark.parametrize(
        ("data_type", "stored", "because"),
        [
            (DataType.EMAIL, "Test@Test.com", "value test@test.com"),
            (DataType.EMAIL, "NoEmail@shop.example", "pattern noemail@*"),
            (DataType.EMAIL, "none@x.example", "pattern none@*"),
            (DataType.PHONE, "+91-9999999999", "phone number of one repeated digit"),
            (DataType.PHONE, "+1-1234567890", "value 1234567890"),
            (DataType.EMAIL, "ann@example.com", None),
            (DataType.EMAIL, "noemailx@shop.example", None),
            (DataType.PHONE, "+91-9876543210", None),
            (DataType.PHONE, "+91-9999999998", None),
        ],
    )
    def test_J1_common_preset(self, data_type: DataType, stored: str, because: str | None) -> None:
        """The preset blocks the documented junk and nothing that merely resembles it."""
        assert blocked_because(COMMON, data_type, stored) == because

    def test_J1_a_phone_value_is_compared_on_its_digits_national_or_international(self) -> None:
        """`+44 20 7946 0000` and `2079460000` both block the stored `+44-2079460000`."""
        for value in ("+44 20 7946 0000", "2079460000", "(20) 7946-0000"):
            rules = blocked_identifiers(values=[value])
            assert blocked_because(rules, DataType.PHONE, "+44-2079460000") is not None, value
        assert blocked_because(blocked_identifiers(values=["2079460000"]), DataType.PHONE, "+44-2079460001") is None

    def test_J1_the_documented_defaults_are_the_preset(self) -> None:
        """Every documented value is blocked as an email or a phone."""
        for value in COMMON_BLOCKED_VALUES:
            data_type = DataType.EMAIL if "@" in value else DataType.PHONE
            stored = value if "@" in value else f"+91-{value}"
            assert blocked_because(COMMON, data_type, stored) is not None, value


class TestCanonicalEmail:
    """`canonical_email` (R-J2)."""

    @pytest.mark.parametrize(
        ("address", "canonical"),
        [
            ("John.Doe@gmail.com", "johndoe@gmail.com"),
            ("john.doe+crm@googlemail.com", "johndoe@gmail.com"),
            ("j.o.h.n.d.o.e@GMAIL.COM", "johndoe@gmail.com"),
            ("john.doe+crm@example.com", "john.doe+crm@example.com"),
            ("John.Doe@mail.gmail.com", "john.doe@mail.gmail.com"),
            ("+tag@gmail.com", "+tag@gmail.com"),
        ],
    )
    def test_J2_only_gmail_local_parts_lose_dots_and_tags(self, address: str, canonical: str) -> None:
        """Gmail and googlemail.com are one mailbox service; other domains (even subdomains) keep their address."""
        assert canonical_email(address) == canonical
