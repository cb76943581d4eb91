"""The data-quality decision tables: blocked and canonical identifiers (R-J1, R-J2), update policies (R-P1).

Two literal oracles, written out by hand from the specification, rendered into `docs/decision-table.md`
beside the match table and checked cell by cell by `tests/property/test_data_quality_table.py`.

`IDENTIFIER_TABLE` has one line per combination of

- **E** (`EmailAddress`): `-` absent, `j` junk (`TEST@test.com`), `g` another spelling of G's Gmail
  mailbox (`guser@googlemail.com`), `a` A's email;
- **Ph** (`Phone`): `-` absent, `j` junk (`99999 99999`), `a` A's phone, `n` a phone nobody has;

and two cells: with no config (LeadSquared's behaviour) and with `QUALITY`, the `common` blocked preset and
canonical email matching. A cell is spelt as in the match table (`Created R-M1`, `Updated J R-M8`,
`Rejected Phone@A R-M8`), followed by `+J1` and/or `+J2` when the explanation notes that rule.

`POLICY_TABLE` has one line per update policy of a field, per state of the field on the lead (`-` empty,
`old`) and per submitted value (`new`, `-` empty), and one cell per LeadUpdateBehavior: `set`, or `kept`
with the rule that keeps it.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Final

import msgspec

from leadcapture import (
    DEFAULT_SCHEMA,
    Activity,
    CaptureActivityData,
    Create,
    Explanation,
    InMemoryLeadStore,
    Lead,
    Outcome,
    Schema,
    schema_from_toml,
)
from leadcapture.core.decide import index_entries

LEAD_A: Final = "a0000000-0000-4000-8000-00000000000a"
LEAD_G: Final = "90000000-0000-4000-8000-000000000009"
LEAD_J: Final = "f0000000-0000-4000-8000-00000000000f"
WORLD_IDS: Final = {"A": LEAD_A, "G": LEAD_G, "J": LEAD_J}
WORLD_FIELDS: Final = {
    LEAD_A: {"EmailAddress": "a@example.com", "Phone": "+91-9000000001"},
    LEAD_G: {"EmailAddress": "G.User+promo@gmail.com"},
    LEAD_J: {"EmailAddress": "test@test.com", "Phone": "+91-9999999999"},
}
"""A: an ordinary lead. G: a Gmail address with a dot and a tag. J: a lead someone made with junk identifiers."""
EMAILS: Final = {"j": "TEST@test.com", "g": "guser@googlemail.com", "a": "a@example.com"}
PHONES: Final = {"j": "99999 99999", "a": "+91-9000000001", "n": "+91-9000000009"}
EMAIL_STATES: Final = ("-", "j", "g", "a")
PHONE_STATES: Final = ("-", "j", "a", "n")

QUALITY: Final = schema_from_toml('email_match = "canonical"\n[blocked_identifiers]\npreset = "common"').unwrap()
"""The identifier rules the second column runs under."""
CONFIGS: Final[tuple[tuple[str, Schema], ...]] = (("No config", DEFAULT_SCHEMA), ("Data-quality config", QUALITY))

IDENTIFIER_TABLE: Final = """
# E  Ph | No config             | Data-quality config
  -  -  | Created R-M1          | Created R-M1
  -  j  | Updated J R-M8        | Created R-M1 +J1
  -  a  | Updated A R-M8        | Updated A R-M8
  -  n  | Created R-M9          | Created R-M9
  j  -  | Updated J R-M8        | Created R-M1 +J1
  j  j  | Updated J R-M8        | Created R-M1 +J1
  j  a  | Rejected Phone@A R-M8 | Updated A R-M8 +J1
  j  n  | Updated J R-M8        | Created R-M9 +J1
  g  -  | Created R-M9          | Updated G R-M8 +J2
  g  j  | Updated J R-M8        | Updated G R-M8 +J1+J2
  g  a  | Updated A R-M8        | Rejected Phone@A R-M8 +J2
  g  n  | Created R-M9          | Updated G R-M8 +J2
  a  -  | Updated A R-M8        | Updated A R-M8
  a  j  | Rejected Phone@J R-M8 | Updated A R-M8 +J1
  a  a  | Updated A R-M8        | Updated A R-M8
  a  n  | Updated A R-M8        | Updated A R-M8
"""

POLICY_FIELD: Final = "mx_Note"
POLICIES: Final = ("always", "if_empty", "never")
POLICY_SCHEMAS: Final = {
    policy: schema_from_toml(f'[fields.{POLICY_FIELD}]\ndata_type = "Text"\nupdate = "{policy}"').unwrap()
    for policy in POLICIES
}
POLICY_TABLE: Final = """
# policy   lead given | None     | DoNotUpdate | UpdateOnlyEmptyFields | DoNotUpdateUniqueFields
  always   -    new   | set      | kept R-B2   | set                   | set
  always   -    -     | kept R-B5| kept R-B5   | kept R-B5             | kept R-B5
  always   old  new   | set      | kept R-B2   | kept R-B3             | set
  always   old  -     | set      | kept R-B2   | kept R-B3             | set
  if_empty -    new   | set      | kept R-B2   | set                   | set
  if_empty -    -     | kept R-B5| kept R-B5   | kept R-B5             | kept R-B5
  if_empty old  new   | kept R-P1| kept R-B2   | kept R-B3             | kept R-P1
  if_empty old  -     | kept R-P1| kept R-B2   | kept R-B3             | kept R-P1
  never    -    new   | kept R-P1| kept R-B2   | kept R-P1             | kept R-P1
  never    -    -     | kept R-B5| kept R-B5   | kept R-B5             | kept R-B5
  never    old  new   | kept R-P1| kept R-B2   | kept R-B3             | kept R-P1
  never    old  -     | kept R-P1| kept R-B2   | kept R-B3             | kept R-P1
"""

_IDENTIFIER_CELL = re.compile(
    r"(?:Created (?P<created>R-M\d)|Updated (?P<lead>[AGJ]) (?P<updated>R-M\d)"
    r"|Rejected (?P<field>Email|Phone)@(?P<holder>[AGJ]) (?P<rejected>R-M\d))(?P<rules>(?: \+J\d(?:\+J\d)*)?)",
)


class IdentifierRow(msgspec.Struct, frozen=True, kw_only=True):
    """One combination of email and phone, with the cell under each config (in `CONFIGS` order)."""

    email: str
    phone: str
    cells: tuple[str, ...]

    @property
    def label(self) -> str:
        """A readable name: `E=j,Ph=a`."""
        return f"E={self.email},Ph={self.phone}"

    def attributes(self) -> dict[str, str]:
        """The row's request: its identifiers and a FirstName, so that no request is empty."""
        body = {"FirstName": "Row"}
        if self.email != "-":
            body["EmailAddress"] = EMAILS[self.email]
        if self.phone != "-":
            body["Phone"] = PHONES[self.phone]
        return body


class PolicyRow(msgspec.Struct, frozen=True, kw_only=True):
    """One policy, stored state and submitted value, with the cell under each behaviour."""

    policy: str
    lead: str
    given: str
    cells: tuple[str, ...]

    @property
    def label(self) -> str:
        """A readable name: `never,lead=old,given=-`."""
        return f"{self.policy},lead={self.lead},given={self.given}"


def parse_identifier_table(text: str) -> tuple[IdentifierRow, ...]:
    """Every row of the identifier table; a malformed line or cell is a ValueError."""
    rows = []
    for line in _lines(text):
        identifiers, *cells = (part.strip() for part in line.split("|"))
        email, phone = identifiers.split()
        bad_cell = any(_IDENTIFIER_CELL.fullmatch(cell) is None for cell in cells)
        if email not in EMAIL_STATES or phone not in PHONE_STATES or len(cells) != len(CONFIGS) or bad_cell:
            msg = f"not a row: {line!r}"
            raise ValueError(msg)
        rows.append(IdentifierRow(email=email, phone=phone, cells=tuple(cells)))
    return tuple(rows)


def parse_policy_table(text: str) -> tuple[PolicyRow, ...]:
    """Every row of the policy table; a malformed line or cell is a ValueError."""
    rows = []
    for line in _lines(text):
        head, *cells = (part.strip() for part in line.split("|"))
        policy, lead, given = head.split()
        bad_cell = any(re.fullmatch(r"set|kept R-[BP]\d", cell) is None for cell in cells)
        if (
            policy not in POLICIES
            or lead not in {"-", "old"}
            or given not in {"-", "new"}
            or len(cells) != 4
            or bad_cell
        ):
            msg = f"not a row: {line!r}"
            raise ValueError(msg)
        rows.append(PolicyRow(policy=policy, lead=lead, given=given, cells=tuple(cells)))
    return tuple(rows)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


IDENTIFIER_ROWS: Final = parse_identifier_table(IDENTIFIER_TABLE)
POLICY_ROWS: Final = parse_policy_table(POLICY_TABLE)
IDENTIFIER_COMBINATIONS: Final = tuple(itertools.product(EMAIL_STATES, PHONE_STATES))
POLICY_COMBINATIONS: Final = tuple(itertools.product(POLICIES, ("-", "old"), ("-", "new")))

WORLD_TIME: Final = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def _seed(schema: Schema, lead: Lead) -> Create:
    """A Create that puts `lead` in a store as it is, indexed as `schema` indexes it."""
    activity = Activity(
        id=lead.id[:-2] + "ee",
        lead_id=lead.id,
        event_code=23,
        event_name="Lead Capture",
        created_on=lead.created_on,
        data=CaptureActivityData(
            outcome="Created",
            rule="R-M9",
            matched_by=None,
            behavior=None,
            submitted=(),
            changes=(),
            source={},
        ),
    )
    explanation = Explanation(
        outcome=Outcome.CREATED,
        rule="R-M9",
        search_order=(),
        lookups=(),
        matched_by=None,
        lead_id=lead.id,
        behavior=None,
    )
    return Create(lead=lead, index=index_entries(schema, lead.fields), activity=activity, explanation=explanation)


def _lead(lead_id: str, fields: dict[str, str], day: int) -> Lead:
    moment = WORLD_TIME.replace(day=day)
    return Lead(id=lead_id, fields=fields, created_on=moment, modified_on=moment, last_activity_on=moment)


def build_identifier_world(schema: Schema) -> InMemoryLeadStore:
    """A new store holding leads A, G and J, indexed as `schema` would have indexed them."""
    store = InMemoryLeadStore()
    for day, (lead_id, fields) in enumerate(WORLD_FIELDS.items(), start=1):
        store.apply(_seed(schema, _lead(lead_id, fields, day))).unwrap()
    return store


def build_policy_world(row: PolicyRow) -> InMemoryLeadStore:
    """A new store holding lead A with the row's stored value of the policy field."""
    schema = POLICY_SCHEMAS[row.policy]
    fields = {"EmailAddress": "a@example.com"}
    if row.lead == "old":
        fields[POLICY_FIELD] = "old"
    store = InMemoryLeadStore()
    store.apply(_seed(schema, _lead(LEAD_A, fields, 1))).unwrap()
    return store
