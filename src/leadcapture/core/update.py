"""Which fields an update sets: LeadUpdateBehavior (R-B), first-touch source fields (R-S1) and the fields'
update policies (R-P1)."""

from __future__ import annotations

import msgspec

from leadcapture.core.decision import FieldLeftAlone
from leadcapture.core.names import RELATED_COMPANY_ID, DataType, EmailMatch, UpdateBehavior, UpdatePolicy
from leadcapture.core.quality import canonical_email
from leadcapture.core.records import FieldChange, Lead
from leadcapture.core.request import CaptureRequest
from leadcapture.core.schema import FieldSpec, Schema
from leadcapture.core.values import match_key

EQUAL_VALUE = "equal value (R-B5)"
FIRST_TOUCH = "first-touch source field already set (R-S1)"
READ_ONLY = "system field, never set from a request (R-B6)"
POLICY_NEVER = "update policy never (R-P1)"
POLICY_IF_EMPTY = "update policy if_empty: field not empty (R-P1)"
SAME_MAILBOX = "the same Gmail mailbox as the stored address (R-J2)"
BLOCKED_VALUE = "a blocked identifier never replaces a stored value (R-J1)"
_KEYED_TYPES = (DataType.EMAIL, DataType.PHONE)
_BEHAVIOR_REASONS = {
    UpdateBehavior.DO_NOT_UPDATE: "LeadUpdateBehavior DoNotUpdate (R-B2)",
    UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS: "LeadUpdateBehavior UpdateOnlyEmptyFields: field not empty (R-B3)",
    UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS: "LeadUpdateBehavior DoNotUpdateUniqueFields: unique field (R-B4)",
}


class UpdatePlan(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The fields an update sets and the submitted fields it leaves alone, with the reason for each."""

    changes: tuple[FieldChange, ...]
    unchanged: tuple[FieldLeftAlone, ...]


def plan_update(
    lead: Lead,
    request: CaptureRequest,
    behavior: UpdateBehavior | None,
    schema: Schema,
    *,
    first_touch: bool = True,
) -> UpdatePlan:
    """Decide field by field what an Updated capture sets on `lead` (R-B1..R-B6, R-S1).

    Absent behaviour sets every given field, an empty value clearing it (R-B1); a value equal to the stored
    one after normalisation is no change (R-B5); a source field is only filled where empty (R-S1). A field
    the behaviour would set is set only if its update policy allows it too (R-P1); under canonical email
    matching another spelling of the stored Gmail mailbox is no change (R-J2), and a blocked identifier
    never replaces a stored one (R-J1). Without `first_touch` (the lead-management calls, R-L1..R-L3)
    source fields are ordinary fields.
    """
    changes: list[FieldChange] = []
    unchanged: list[FieldLeftAlone] = []
    stored = lead.fields
    spec_of = schema.fields_by_name.get
    for name, new in request.values.items():
        spec = spec_of(name)
        if spec is None:  # not a field of this schema: kept as RelatedCompanyId is, below
            _plan_company(name, lead.related_company_id or "", new, behavior, changes=changes, unchanged=unchanged)
            continue
        old = stored.get(name, "")
        if old == new:  # the most common answer on a repeated capture: no call for it
            unchanged.append(FieldLeftAlone(field=name, value=new, reason=EQUAL_VALUE))
            continue
        reason = _field_reason(spec, old, new, behavior, schema, first_touch=first_touch)
        if reason is None:
            changes.append(FieldChange(field=name, old=old, new=new))
        else:
            unchanged.append(FieldLeftAlone(field=name, value=new, reason=reason))
    if request.related_company_id is not None:
        # RelatedCompanyId, the one submitted name that is not a field, comes after the fields.
        old_company, company = lead.related_company_id or "", request.related_company_id
        _plan_company(RELATED_COMPANY_ID, old_company, company, behavior, changes=changes, unchanged=unchanged)
    if request.read_only:
        unchanged.extend([FieldLeftAlone(field=name, value="", reason=READ_ONLY) for name in request.read_only])
    return UpdatePlan(changes=tuple(changes), unchanged=tuple(unchanged))


def _plan_company(  # noqa: PLR0913 - the submitted value and the two lists it lands in
    name: str,
    old: str,
    new: str,
    behavior: UpdateBehavior | None,
    *,
    changes: list[FieldChange],
    unchanged: list[FieldLeftAlone],
) -> None:
    """RelatedCompanyId has no field spec: it is kept on an equal value or by the behaviour alone."""
    reason = EQUAL_VALUE if old == new else _reason_to_keep(old=old, equal=False, behavior=behavior)
    if reason is None:
        changes.append(FieldChange(field=name, old=old, new=new))
    else:
        unchanged.append(FieldLeftAlone(field=name, value=new, reason=reason))


def _field_reason(  # noqa: PLR0913 - the field, its two values, and the rules that choose between them
    spec: FieldSpec,
    old: str,
    new: str,
    behavior: UpdateBehavior | None,
    schema: Schema,
    *,
    first_touch: bool = True,
) -> str | None:
    """`_reason_to_keep` for a field, with the two common answers first: equal (R-B5), and set (R-B1)."""
    # Only emails and phones have a match key other than the value itself (`match_key`).
    data_type = spec.data_type
    if old == new or (
        old and new and data_type in _KEYED_TYPES and match_key(data_type, old) == match_key(data_type, new)
    ):
        return EQUAL_VALUE
    checks_identity = bool(old and new) and not schema.leadsquared_identifiers
    if (
        checks_identity
        and schema.email_match is EmailMatch.CANONICAL
        and data_type is DataType.EMAIL
        and canonical_email(old) == canonical_email(new)
    ):
        return SAME_MAILBOX
    reason = _behavior_or_policy(spec, old, behavior, source=spec.is_source_field and first_touch)
    # A junk value never replaces a stored identifier: it would make a reachable lead unreachable.
    if (
        reason is None
        and checks_identity
        and spec.schema_name in schema.indexed_fields
        and schema.blocked_because(spec, new) is not None
    ):
        return BLOCKED_VALUE
    return reason


def _behavior_or_policy(spec: FieldSpec, old: str, behavior: UpdateBehavior | None, *, source: bool) -> str | None:
    """Why the behaviour (R-B, R-S1 for a first-touch `source` field) or else the update policy (R-P1) keeps it."""
    policy = spec.update
    if behavior is None and policy is UpdatePolicy.ALWAYS and not (old and source):
        return None  # what `_reason_to_keep` answers for the default behaviour and policy
    reason = _reason_to_keep(old=old, equal=False, behavior=behavior, unique=spec.is_unique, source=source)
    if reason is not None or policy is UpdatePolicy.ALWAYS:
        return reason
    if policy is UpdatePolicy.NEVER:
        return POLICY_NEVER
    return POLICY_IF_EMPTY if old else None


def _reason_to_keep(
    *,
    old: str,
    equal: bool,
    behavior: UpdateBehavior | None,
    unique: bool = False,
    source: bool = False,
) -> str | None:
    """Why a submitted field is not set, or `None` when it is; the checks run in precedence order."""
    if equal:
        return EQUAL_VALUE
    if behavior is UpdateBehavior.DO_NOT_UPDATE:
        return _BEHAVIOR_REASONS[behavior]
    if source and old:
        return FIRST_TOUCH
    if behavior is UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS and old:
        return _BEHAVIOR_REASONS[behavior]
    if behavior is UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS and unique:
        return _BEHAVIOR_REASONS[behavior]
    return None


def apply_changes(fields: dict[str, str], changes: tuple[FieldChange, ...]) -> dict[str, str]:
    """A new field map with `changes` applied; an empty new value removes the field."""
    updated = dict(fields)
    for change in changes:
        if change.field == RELATED_COMPANY_ID:
            continue
        if change.new:
            updated[change.field] = change.new
        else:
            updated.pop(change.field, None)
    return updated
