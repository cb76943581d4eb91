"""The lead schema: LeadSquared's standard fields, plus custom `mx_` fields and flag changes from config.

`Schema` is an immutable value built once; its look-up tables are computed in the constructor so that the
per-capture hot path does dictionary look-ups only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Final, final

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.names import EMAIL, MOBILE, PHONE, DataType, EmailMatch, UpdatePolicy
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.quality import (
    BlockedIdentifiers,
    BlockedPreset,
    blocked_because,
    blocked_identifiers,
    identifier_key,
)

DEFAULT_COUNTRY_CODE: Final = 91


class FieldSpec(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One lead field, as `LeadsMetaData.Get` describes it."""

    schema_name: str
    display_name: str
    data_type: DataType
    max_length: int | None = None
    is_mandatory: bool = False
    is_unique: bool = False
    is_source_field: bool = False
    options: tuple[str, ...] = ()
    update: UpdatePolicy = UpdatePolicy.ALWAYS
    """When an Updated capture may set the field, on top of LeadUpdateBehavior (R-P1)."""


def _field(  # noqa: PLR0913 - a table row, read best with every column named
    name: str,
    display: str,
    data_type: DataType = DataType.TEXT,
    max_length: int | None = 200,
    *,
    unique: bool = False,
    source: bool = False,
    options: tuple[str, ...] = (),
) -> FieldSpec:
    return FieldSpec(
        schema_name=name,
        display_name=display,
        data_type=data_type,
        max_length=max_length,
        is_unique=unique,
        is_source_field=source,
        options=options,
    )


STANDARD_FIELDS: Final[tuple[FieldSpec, ...]] = (
    _field("FirstName", "First Name", max_length=100),
    _field("LastName", "Last Name", max_length=100),
    _field(EMAIL, "Email", DataType.EMAIL, 100, unique=True),
    _field(PHONE, "Phone Number", DataType.PHONE, 50, unique=True),
    _field(MOBILE, "Mobile Number", DataType.PHONE, 50, unique=True),
    _field("Company", "Company", max_length=200),
    _field("JobTitle", "Job Title", max_length=100),
    _field("Website", "Website", DataType.WEBSITE, 500),
    _field("City", "City", max_length=100),
    _field("State", "State", max_length=100),
    _field("Country", "Country", max_length=100),
    _field("Notes", "Notes", max_length=2000),
    _field(
        "ProspectStage",
        "Lead Stage",
        DataType.SELECT,
        50,
        options=("Prospect", "Opportunity", "Customer", "Invalid", "Not Interested"),
    ),
    _field("OwnerId", "Lead Owner", max_length=100),
    _field("DoNotEmail", "Do Not Email", DataType.BOOLEAN, None),
    _field("DoNotCall", "Do Not Call", DataType.BOOLEAN, None),
    _field("Source", "Lead Source", max_length=100, source=True),
    _field("SourceMedium", "Source Medium", max_length=100, source=True),
    _field("SourceCampaign", "Source Campaign", max_length=200, source=True),
    _field("SourceContent", "Source Content", max_length=200, source=True),
    _field("SourceReferrer", "Source Referrer", max_length=500, source=True),
    _field("SourceReferrerURL", "Source Referrer URL", DataType.WEBSITE, 1000, source=True),
    _field("SourceIPAddress", "Source IP Address", max_length=50, source=True),
)
"""LeadSquared's standard lead fields; none mandatory, EmailAddress, Phone and Mobile unique (R-U1)."""

_UNIQUE_CHECK_ORDER: Final = (EMAIL, PHONE, MOBILE)


@final
class Schema:
    """An immutable set of lead fields with the look-ups the rules need.

    Build it from field specs (`Schema(fields)`), take `DEFAULT_SCHEMA`, or decode a TOML config with
    `schema_from_toml`.
    """

    __slots__ = (
        "_by_folded_name",
        "_by_name",
        "blocked",
        "default_country_code",
        "email_match",
        "fields",
        "fields_by_name",
        "indexed_fields",
        "indexed_specs",
        "leadsquared_identifiers",
        "leadsquared_rules",
        "mandatory_fields",
        "source_fields",
        "text_limits",
        "unique_fields",
    )

    fields: tuple[FieldSpec, ...]
    default_country_code: int
    unique_fields: tuple[str, ...]
    """Unique fields in the order R-U2 checks them: EmailAddress, Phone, Mobile, then custom ones."""
    indexed_fields: tuple[str, ...]
    """Fields a store must index for matching: the unique ones plus EmailAddress and Phone."""
    indexed_specs: tuple[FieldSpec, ...]
    """The specs of `indexed_fields`, in the same order."""
    mandatory_fields: tuple[str, ...]
    """The fields a lead must have a value for (R-V7), in schema order."""
    source_fields: frozenset[str]
    blocked: BlockedIdentifiers
    """Identifier values that are stored but never matched nor held unique (R-J1); empty by default."""
    email_match: EmailMatch
    """How emails are compared for matching and uniqueness (R-J2); `exact` by default."""
    leadsquared_identifiers: bool
    """Whether identifiers match as in LeadSquared: nothing blocked, emails exact. The hot path's shortcut."""
    leadsquared_rules: bool
    """LeadSquared's identifiers, and every field's update policy `always`: captures decide in one pass."""

    def __init__(
        self,
        fields: Iterable[FieldSpec],
        *,
        default_country_code: int = DEFAULT_COUNTRY_CODE,
        blocked: BlockedIdentifiers = BlockedIdentifiers(),  # noqa: B008 - an immutable value, shared safely
        email_match: EmailMatch = EmailMatch.EXACT,
    ) -> None:
        """Index `fields`; names must be distinct case-insensitively."""
        self.fields = tuple(fields)
        self.default_country_code = default_country_code
        self.blocked = blocked
        self.email_match = email_match
        self.leadsquared_identifiers = not blocked.active and email_match is EmailMatch.EXACT
        by_name = {spec.schema_name: spec for spec in self.fields}
        by_folded = {spec.schema_name.casefold(): spec for spec in self.fields}
        if len(by_folded) != len(self.fields):
            msg = "schema field names must be distinct case-insensitively"
            raise ValueError(msg)
        # Plain dicts, private and never changed after this: the capture path reads them for every attribute.
        self._by_name: dict[str, FieldSpec] = by_name
        self.fields_by_name: Mapping[str, FieldSpec] = by_name
        """Every field by its exact schema name: `get` as a read-only mapping, for loops over every attribute."""
        self._by_folded_name: dict[str, FieldSpec] = by_folded
        self.text_limits: Mapping[str, int] = {
            spec.schema_name: spec.max_length if spec.max_length is not None else sys.maxsize
            for spec in self.fields
            if spec.data_type is DataType.TEXT
        }
        """Each plain-text field's most characters, by exact schema name (no limit: `sys.maxsize`)."""
        first = [name for name in _UNIQUE_CHECK_ORDER if name in by_name and by_name[name].is_unique]
        custom = [s.schema_name for s in self.fields if s.is_unique and s.schema_name not in _UNIQUE_CHECK_ORDER]
        self.unique_fields = (*first, *custom)
        lookups = [name for name in (EMAIL, PHONE) if name in by_name and name not in self.unique_fields]
        self.indexed_fields = (*self.unique_fields, *lookups)
        self.indexed_specs = tuple(by_name[name] for name in self.indexed_fields)
        self.mandatory_fields = tuple(s.schema_name for s in self.fields if s.is_mandatory)
        self.source_fields = frozenset(s.schema_name for s in self.fields if s.is_source_field)
        self.leadsquared_rules = self.leadsquared_identifiers and all(
            spec.update is UpdatePolicy.ALWAYS for spec in self.fields
        )

    def get(self, schema_name: str) -> FieldSpec | None:
        """The field with this exact schema name, if any."""
        return self._by_name.get(schema_name)

    def __getitem__(self, schema_name: str) -> FieldSpec:
        """The field with this exact schema name."""
        return self._by_name[schema_name]

    def __contains__(self, schema_name: object) -> bool:
        """Whether a field has this exact schema name."""
        return schema_name in self._by_name

    def resolve(self, attribute: str) -> FieldSpec | None:
        """The field an attribute names, matched case-insensitively (R-V2)."""
        # Names are distinct case-insensitively, so an exact match is the case-insensitive one, found sooner.
        spec = self._by_name.get(attribute)
        return spec if spec is not None else self._by_folded_name.get(attribute.casefold())

    def identifier_key(self, spec: FieldSpec, stored: str) -> str:
        """The key a stored identifier value is matched and held unique on (R-N1, R-N2, R-J2)."""
        return identifier_key(spec.data_type, stored, self.email_match)

    def blocked_because(self, spec: FieldSpec, stored: str) -> str | None:
        """What makes a stored identifier value junk (R-J1), or `None` when it may match."""
        if not self.blocked.active:
            return None
        return blocked_because(self.blocked, spec.data_type, stored)

    def _identity(self) -> tuple[object, ...]:
        return (self.fields, self.default_country_code, self.blocked, self.email_match)

    def __eq__(self, other: object) -> bool:
        """Schemas are equal when their fields, default country code and identifier rules are."""
        if not isinstance(other, Schema):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        """Hash of the fields, default country code and identifier rules."""
        return hash(self._identity())

    def __repr__(self) -> str:
        """Short form: field count and default country code."""
        return f"Schema({len(self.fields)} fields, default_country_code={self.default_country_code})"


DEFAULT_SCHEMA: Final = Schema(STANDARD_FIELDS)
"""The standard fields with the default country code 91."""


class FieldConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False, forbid_unknown_fields=True):
    """One `[fields.<SchemaName>]` table of the config file. Unset keys keep the standard value."""

    display_name: str | msgspec.UnsetType = msgspec.UNSET
    data_type: DataType | msgspec.UnsetType = msgspec.UNSET
    max_length: int | msgspec.UnsetType | None = msgspec.UNSET
    is_mandatory: bool | msgspec.UnsetType = msgspec.UNSET
    is_unique: bool | msgspec.UnsetType = msgspec.UNSET
    is_source_field: bool | msgspec.UnsetType = msgspec.UNSET
    options: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET
    update: UpdatePolicy | msgspec.UnsetType = msgspec.UNSET


class BlockedIdentifiersConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False, forbid_unknown_fields=True):
    """The `[blocked_identifiers]` table (R-J1): a preset, plus values and patterns of the config's own."""

    preset: BlockedPreset = BlockedPreset.NONE
    values: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


class SchemaConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False, forbid_unknown_fields=True):
    """The config file: a default country code, identifier rules and per-field tables."""

    default_country_code: int = DEFAULT_COUNTRY_CODE
    email_match: EmailMatch = EmailMatch.EXACT
    blocked_identifiers: BlockedIdentifiersConfig = BlockedIdentifiersConfig()
    fields: dict[str, FieldConfig] = {}


CUSTOM_PREFIX: Final = "mx_"


def schema_from_toml(text: str | bytes) -> Result[Schema, Problem]:
    """Decode a TOML config into a schema; a typo or an unknown standard field is a Problem naming it.

    >>> schema_from_toml('[fields.mx_Budget]\\ndata_type = "Number"').unwrap().get("mx_Budget").data_type
    <DataType.NUMBER: 'Number'>
    """
    try:
        config = msgspec.toml.decode(text, type=SchemaConfig)
    except msgspec.DecodeError as exc:
        return Failure(invalid_input(f"Invalid schema config: {exc}", rule="config"))
    return schema_from_config(config)


def schema_from_config(config: SchemaConfig) -> Result[Schema, Problem]:
    """Apply config tables to the standard fields: flag changes for standard fields, new `mx_` fields."""
    specs = {spec.schema_name: spec for spec in STANDARD_FIELDS}
    folded = {name.casefold(): name for name in specs}
    for name, change in config.fields.items():
        standard = folded.get(name.casefold())
        if standard is not None:
            specs[standard] = _apply(specs[standard], change)
        elif not name.startswith(CUSTOM_PREFIX):
            return Failure(
                invalid_input(
                    f"Invalid schema config: unknown field `{name}` - custom fields start with {CUSTOM_PREFIX}",
                    rule="config",
                ),
            )
        elif isinstance(change.data_type, msgspec.UnsetType):
            return Failure(
                invalid_input(f"Invalid schema config: `fields.{name}.data_type` is required", rule="config")
            )
        else:
            base = FieldSpec(schema_name=name, display_name=name, data_type=change.data_type)
            specs[name] = _apply(base, change)
    if not 1 <= config.default_country_code <= 999:  # noqa: PLR2004 - ITU country codes have 1-3 digits
        return Failure(invalid_input("Invalid schema config: `default_country_code` must be 1-999", rule="config"))
    blocked = config.blocked_identifiers
    if any(not any(ch.isalnum() for ch in pattern) for pattern in blocked.patterns):
        # A pattern of wildcards and punctuation (`*`, `*@*`) would block every identifier: nothing would match.
        return Failure(
            invalid_input("Invalid schema config: a blocked pattern needs more than wildcards", rule="config")
        )
    return Success(
        Schema(
            specs.values(),
            default_country_code=config.default_country_code,
            blocked=blocked_identifiers(preset=blocked.preset, values=blocked.values, patterns=blocked.patterns),
            email_match=config.email_match,
        )
    )


def _apply(spec: FieldSpec, change: FieldConfig) -> FieldSpec:
    updates = {
        name: getattr(change, name)
        for name in FieldConfig.__struct_fields__
        if not isinstance(getattr(change, name), msgspec.UnsetType)
    }
    return msgspec.structs.replace(spec, **updates)
