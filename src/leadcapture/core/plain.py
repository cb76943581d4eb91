"""The common Lead.Capture decided in one pass: an email or phone, the default behaviour, LeadSquared's rules.

Most captures a web form or an ad webhook sends name their lead by EmailAddress or Phone only, with no
LeadUpdateBehavior, against a schema that matches identifiers as LeadSquared does and sets fields as the
behaviour says (every update policy `always`). For those, `decide_plain_capture` reaches the decision
`decide_capture` reaches through its separate rule functions (match, update plan, checks, explanation),
without the records and calls that carry the other rules between them, in about two thirds of the
time (adr/0062).

It answers None as soon as a capture may need a rule it does not take (no identifier, a mandatory field
missing, a unique value another lead holds, a field cleared), and `decide_capture` then decides by every
rule. `tests/property/test_plain_capture_agreement.py` holds the two to the same decisions on generated
stores, captures and schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from leadcapture.core.decision import Create, Explanation, FieldLeftAlone, IdentifierLookup, Update
from leadcapture.core.indexing import index_entries
from leadcapture.core.match import Candidates, most_recently_active
from leadcapture.core.names import EMAIL, LEAD_CAPTURE_EVENT_CODE, LEAD_CAPTURE_EVENT_NAME, PHONE, DataType, Outcome
from leadcapture.core.records import Activity, CaptureActivityData, FieldChange, IndexEntry, Lead
from leadcapture.core.request import CaptureRequest
from leadcapture.core.schema import Schema
from leadcapture.core.update import EQUAL_VALUE, FIRST_TOUCH

_CREATED: Final = Outcome.CREATED
_UPDATED: Final = Outcome.UPDATED
_CREATED_VALUE: Final = _CREATED.value  # read once: `Enum.value` is a Python-level property
_UPDATED_VALUE: Final = _UPDATED.value
_EMAIL_TYPE: Final = DataType.EMAIL
_PHONE_TYPE: Final = DataType.PHONE
_EMAIL_ONLY: Final[tuple[str, ...]] = (EMAIL,)
_PHONE_ONLY: Final[tuple[str, ...]] = (PHONE,)
_EMAIL_THEN_PHONE: Final[tuple[str, ...]] = (EMAIL, PHONE)
_SKIPPED: Final = "not searched"


def decide_plain_capture(  # noqa: C901, PLR0911, PLR0912, PLR0913, PLR0915 - one pass on purpose (module docstring)
    request: CaptureRequest,
    candidates: Candidates,
    *,
    schema: Schema,
    now: datetime,
    lead_id: str,
    activity_id: str,
) -> Create | Update | None:
    """`decide_capture` of a plain capture under the default behaviour and Lead.Capture's policy, or None.

    A plain capture names no ProspectId, SearchBy, RelatedCompanyId or system field, under a schema with
    `leadsquared_rules`. R-M2 (EmailAddress, then Phone), R-M8 and R-M9 choose the lead; R-B1, R-B5 and
    R-S1 choose the fields. None means the capture is not plain or another rule may apply (R-M1, R-V7,
    R-U2, a cleared field): the caller then decides by every rule.
    """
    if (
        not schema.leadsquared_rules
        or request.prospect_id is not None
        or request.search_by is not None
        or request.related_company_id is not None
        or request.read_only
    ):
        return None
    values, holders = request.values, candidates.holders
    email, phone = values.get(EMAIL), values.get(PHONE)
    # The search (R-M2), unrolled: EmailAddress, then Phone, each only if given; the first that finds decides.
    lead: Lead | None = None
    matched_by: str | None = None
    lookups: tuple[IdentifierLookup, ...]
    if email:
        found = holders.get(EMAIL, ())
        first = _lookup(EMAIL, email, found)
        if found:
            lead, matched_by = most_recently_active(found), EMAIL
        if not phone:
            order, lookups = _EMAIL_ONLY, (first,)
        elif lead is not None:
            order, lookups = _EMAIL_THEN_PHONE, (first, IdentifierLookup(identifier=PHONE, value=phone, found=_SKIPPED))
        else:
            found = holders.get(PHONE, ())
            if found:
                lead, matched_by = most_recently_active(found), PHONE
            order, lookups = _EMAIL_THEN_PHONE, (first, _lookup(PHONE, phone, found))
    elif phone:
        found = holders.get(PHONE, ())
        if found:
            lead, matched_by = most_recently_active(found), PHONE
        order, lookups = _PHONE_ONLY, (_lookup(PHONE, phone, found),)
    else:
        return None  # no identifier: R-M1
    previous: tuple[IndexEntry, ...] | None = None
    unchanged: tuple[FieldLeftAlone, ...]
    if lead is None:  # R-M9: every non-empty value, unless a mandatory one is missing (R-V7) or held (R-U2)
        fields = {name: value for name, value in values.items() if value}
        for name in schema.mandatory_fields:
            if not fields.get(name):
                return None
        for name in schema.unique_fields:
            if name in fields and holders.get(name):
                return None
        outcome, rule, unchanged = _CREATED, "R-M9", ()
        changes = tuple([FieldChange(field=name, old="", new=value) for name, value in fields.items()])
        written = Lead(id=lead_id, fields=fields, created_on=now, modified_on=now, last_activity_on=now)
        index = index_entries(schema, fields)
    else:  # R-M8: the fields the default behaviour sets (R-B1, R-B5, R-S1)
        plan = _plan(lead, values, holders, schema)
        if plan is None:
            return None
        outcome, rule = _UPDATED, "R-M8"
        changes, unchanged, reindex = plan
        lead_id, stored = lead.id, lead.fields
        fields = dict(stored)
        for change in changes:
            fields[change.field] = change.new
        written = msgspec.structs.replace(
            lead,
            fields=fields,
            modified_on=now if changes else lead.modified_on,
            last_activity_on=now,
            version=lead.version + 1,
        )
        previous = index_entries(schema, stored)
        index = index_entries(schema, fields) if reindex else previous
    source_fields = schema.source_fields
    activity = Activity(
        id=activity_id,
        lead_id=lead_id,
        event_code=LEAD_CAPTURE_EVENT_CODE,
        event_name=LEAD_CAPTURE_EVENT_NAME,
        created_on=now,
        data=CaptureActivityData(
            outcome=_CREATED_VALUE if outcome is _CREATED else _UPDATED_VALUE,
            rule=rule,
            matched_by=matched_by,
            behavior=None,
            submitted=request.submitted,
            changes=changes,
            source={name: value for name, value in values.items() if value and name in source_fields},
        ),
    )
    explanation = Explanation(
        outcome=outcome,
        rule=rule,
        search_order=order,
        lookups=lookups,
        matched_by=matched_by,
        lead_id=lead_id,
        behavior=None,
        changes=changes,
        unchanged=unchanged,
    )
    if lead is None or previous is None:  # the two are None together: a new lead
        return Create(lead=written, index=index, activity=activity, explanation=explanation)
    return Update(
        lead=written,
        expected_version=lead.version,
        index=index,
        previous_index=previous,
        activity=activity,
        explanation=explanation,
    )


def _lookup(name: str, value: str, found: tuple[Lead, ...]) -> IdentifierLookup:
    """What searching `name` found (R-D2)."""
    if not found:
        return IdentifierLookup(identifier=name, value=value, found="nothing")
    lead_ids = (found[0].id,) if len(found) == 1 else tuple([lead.id for lead in found])
    return IdentifierLookup(identifier=name, value=value, found="lead", lead_ids=lead_ids)


def _plan(
    lead: Lead,
    values: dict[str, str],
    holders: dict[str, tuple[Lead, ...]],
    schema: Schema,
) -> tuple[tuple[FieldChange, ...], tuple[FieldLeftAlone, ...], bool] | None:
    """The fields set and left alone, and whether an indexed one changes; None on a cleared or held value."""
    stored = lead.fields
    spec_of = schema.fields_by_name.get
    unique_fields, indexed = schema.unique_fields, schema.indexed_fields
    changes: list[FieldChange] = []
    unchanged: list[FieldLeftAlone] = []
    reindex = False
    for name, new in values.items():
        old = stored.get(name, "")
        if old == new:
            unchanged.append(FieldLeftAlone(field=name, value=new, reason=EQUAL_VALUE))  # R-B5
            continue
        spec = spec_of(name)
        if spec is None or not new:
            return None  # a cleared field may be mandatory (R-V7)
        if old:
            data_type = spec.data_type
            if (data_type is _EMAIL_TYPE and old.lower() == new.lower()) or (
                data_type is _PHONE_TYPE and old.replace("-", "") == new.replace("-", "")
            ):
                unchanged.append(FieldLeftAlone(field=name, value=new, reason=EQUAL_VALUE))  # R-B5
                continue
            if spec.is_source_field:
                unchanged.append(FieldLeftAlone(field=name, value=new, reason=FIRST_TOUCH))  # R-S1
                continue
        if name in indexed:
            if name in unique_fields and any(holder.id != lead.id for holder in holders.get(name, ())):
                return None  # another lead holds the value (R-U2)
            reindex = True
        changes.append(FieldChange(field=name, old=old, new=new))
    return tuple(changes), tuple(unchanged), reindex
