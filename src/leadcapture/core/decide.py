"""`decide_capture`: the whole Lead.Capture decision as one pure function.

Inputs are a validated request, the candidates a store gathered for it, the schema, the behaviour, the
current time and the ids a new lead and activity would take. The output is a `CaptureDecision`. Nothing
is read or written here: the service applies the decision, and a dry run simply does not (R-D1).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from leadcapture.core.decision import (
    CaptureDecision,
    Convert,
    Create,
    Explanation,
    FieldLeftAlone,
    Reject,
    Update,
)
from leadcapture.core.indexing import index_entries
from leadcapture.core.match import Candidates, Match, resolve_match, same_mailbox_note
from leadcapture.core.names import (
    LEAD_CAPTURE_EVENT_CODE,
    LEAD_CAPTURE_EVENT_NAME,
    RELATED_COMPANY_ID,
    Outcome,
    UpdateBehavior,
)
from leadcapture.core.plain import decide_plain_capture
from leadcapture.core.policies import (
    LEAD_CAPTURE,
    CapturePolicy,
    MatchPolicy,
    resolve_policy_match,
)
from leadcapture.core.problems import Problem, duplicate_entry, invalid_input, mandatory_missing
from leadcapture.core.records import (
    Activity,
    CaptureActivityData,
    FieldChange,
    Lead,
    Visitor,
)
from leadcapture.core.request import CaptureRequest
from leadcapture.core.schema import Schema
from leadcapture.core.update import READ_ONLY, apply_changes, plan_update
from leadcapture.core.visits import visit_activity

DUPLICATE_REJECTED = "DuplicateRejected"


class NewIds(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The ids a capture would give a new lead and its Lead Capture activity; made by the shell."""

    lead_id: str
    activity_id: str


class _Context(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    request: CaptureRequest
    candidates: Candidates
    schema: Schema
    behavior: UpdateBehavior | None
    now: datetime
    ids: NewIds
    posts_activity: bool
    """Whether the call posts a Lead Capture activity and keeps first-touch sources (Lead.Capture does)."""


def decide_capture(  # noqa: PLR0913 - the decision's inputs, all keyword-only
    request: CaptureRequest,
    candidates: Candidates,
    *,
    schema: Schema,
    behavior: UpdateBehavior | None,
    now: datetime,
    ids: NewIds,
    policy: MatchPolicy = LEAD_CAPTURE,
) -> CaptureDecision:
    """Decide what capturing `request` does, given what the store holds (R-M, R-U, R-B, R-S, R-A, R-V7).

    `policy` says how the lead is found: Lead.Capture's search by default, or one of the lead-management
    calls (R-L1..R-L4), which decide the same way once they know the lead but post no activity. The
    common capture (`core.plain`) is decided in one pass; everything else, and whatever that pass leaves,
    by every rule (`decide_by_all_rules`).
    """
    if behavior is None and type(policy) is CapturePolicy:
        plain = decide_plain_capture(
            request, candidates, schema=schema, now=now, lead_id=ids.lead_id, activity_id=ids.activity_id
        )
        if plain is not None:
            return plain
    return decide_by_all_rules(request, candidates, schema=schema, behavior=behavior, now=now, ids=ids, policy=policy)


def decide_by_all_rules(  # noqa: PLR0913 - the decision's inputs, all keyword-only
    request: CaptureRequest,
    candidates: Candidates,
    *,
    schema: Schema,
    behavior: UpdateBehavior | None,
    now: datetime,
    ids: NewIds,
    policy: MatchPolicy = LEAD_CAPTURE,
) -> CaptureDecision:
    """`decide_capture` through the separate rule functions, whatever the request: what the one-pass path
    (`core.plain`) must agree with."""
    ctx = _Context(
        request=request,
        candidates=candidates,
        schema=schema,
        behavior=behavior,
        now=now,
        ids=ids,
        posts_activity=isinstance(policy, CapturePolicy),  # Lead.Capture alone posts one (R-L1..R-L4)
    )
    if isinstance(policy, CapturePolicy):
        match = resolve_match(request, candidates, schema=schema)
    else:
        found = resolve_policy_match(policy, request, candidates, schema)
        if isinstance(found, Problem):
            return _reject(ctx, Match(rule=found.rule), found)
        match = found
    if request.related_company_id is not None and not candidates.known_account:
        problem = invalid_input(
            f"RelatedCompanyId: no account with id {request.related_company_id}",
            rule="R-A3",
        )
        return _reject(ctx, match, problem)
    if match.lead is not None:
        return _update(ctx, match, match.lead)
    if match.visitor is not None:
        return _create(ctx, match, visitor=match.visitor)
    return _create(ctx, match, visitor=None)


def _explain(  # noqa: PLR0913 - the parts that differ between outcomes, all keyword-only
    ctx: _Context,
    match: Match,
    outcome: Outcome,
    *,
    lead_id: str | None = None,
    changes: tuple[FieldChange, ...] = (),
    unchanged: tuple[FieldLeftAlone, ...] = (),
    notes: tuple[str, ...] | None = None,
) -> Explanation:
    return Explanation(
        outcome=outcome,
        rule=match.rule,
        search_order=match.search_order,
        lookups=match.lookups,
        matched_by=match.matched_by,
        lead_id=lead_id,
        behavior=ctx.behavior,
        changes=changes,
        unchanged=unchanged,
        notes=match.notes if notes is None else notes,
    )


def _create(ctx: _Context, match: Match, *, visitor: Visitor | None) -> CaptureDecision:
    request = ctx.request
    fields = {name: value for name, value in request.values.items() if value}
    lead_id = ctx.ids.lead_id
    filled: list[FieldChange] = []
    if visitor is not None:
        lead_id = visitor.id
        first_source = visitor.visits[0].source if visitor.visits else {}
        for name, value in first_source.items():
            if name in ctx.schema.source_fields and not fields.get(name):
                fields[name] = value
                filled.append(FieldChange(field=name, old="", new=value))
    missing = [name for name in ctx.schema.mandatory_fields if not fields.get(name)]
    if missing:
        return _reject(ctx, match, mandatory_missing(missing))
    clash = _unique_clash(ctx, match, fields, lead_id=lead_id)
    if clash is not None:
        return clash
    changes = tuple([FieldChange(field=name, old="", new=value) for name, value in fields.items()])
    if request.related_company_id is not None:
        changes = (*changes, FieldChange(field=RELATED_COMPANY_ID, old="", new=request.related_company_id))
    outcome = Outcome.CONVERTED if visitor is not None else Outcome.CREATED
    lead = Lead(
        id=lead_id,
        fields=fields,
        created_on=ctx.now,
        modified_on=ctx.now,
        last_activity_on=ctx.now if ctx.posts_activity else None,
        related_company_id=request.related_company_id,
    )
    unchanged = _read_only_left_alone(request)
    explanation = _explain(ctx, match, outcome, lead_id=lead_id, changes=changes, unchanged=unchanged)
    activity = _capture_activity(ctx, lead_id, outcome.value, match, changes)
    index = index_entries(ctx.schema, fields)
    if visitor is None:
        return Create(lead=lead, index=index, activity=activity, explanation=explanation)
    visits = tuple(visit_activity(lead_id, visit) for visit in visitor.visits)
    return Convert(lead=lead, index=index, activity=activity, visit_activities=visits, explanation=explanation)


def _read_only_left_alone(request: CaptureRequest) -> tuple[FieldLeftAlone, ...]:
    """The system fields a request named, each left alone (R-B6); most requests name none."""
    if not request.read_only:
        return ()
    return tuple([FieldLeftAlone(field=name, value="", reason=READ_ONLY) for name in request.read_only])


def _update(ctx: _Context, match: Match, lead: Lead) -> CaptureDecision:
    schema = ctx.schema
    plan = plan_update(lead, ctx.request, ctx.behavior, schema, first_touch=ctx.posts_activity)
    # One pass over the changes gathers what the checks below need.
    cleared: list[str] = []
    changed_unique: dict[str, str] = {}
    company = lead.related_company_id
    reindex = False
    unique_fields, indexed = schema.unique_fields, schema.indexed_fields
    for change in plan.changes:
        name, new = change.field, change.new
        if name == RELATED_COMPANY_ID:
            company = new
            continue
        if not new:
            spec = schema.get(name)
            if spec is not None and spec.is_mandatory:
                cleared.append(name)
        elif name in unique_fields:
            changed_unique[name] = new
        reindex = reindex or name in indexed
    if cleared:
        return _reject(ctx, match, mandatory_missing(cleared))
    clash = _unique_clash(ctx, match, changed_unique, lead_id=lead.id)
    if clash is not None:
        return clash
    fields = apply_changes(lead.fields, plan.changes)
    previous = index_entries(schema, lead.fields)
    index = index_entries(schema, fields) if reindex else previous
    updated = msgspec.structs.replace(
        lead,
        fields=fields,
        modified_on=ctx.now if plan.changes else lead.modified_on,
        last_activity_on=ctx.now if ctx.posts_activity else lead.last_activity_on,
        related_company_id=company,
        version=lead.version + 1,
    )
    explanation = _explain(
        ctx,
        match,
        Outcome.UPDATED,
        lead_id=lead.id,
        changes=plan.changes,
        unchanged=plan.unchanged,
    )
    return Update(
        lead=updated,
        expected_version=lead.version,
        index=index,
        previous_index=previous,
        activity=_capture_activity(ctx, lead.id, Outcome.UPDATED.value, match, plan.changes),
        explanation=explanation,
    )


def _unique_clash(ctx: _Context, match: Match, fields: dict[str, str], *, lead_id: str) -> Reject | None:
    """The first unique value another lead holds, in R-U2's order, as a Reject posting R-U3's activity."""
    if not fields:  # an update that sets no unique field, the common case
        return None
    for name in ctx.schema.unique_fields:
        if not fields.get(name):
            continue
        holders = [lead for lead in ctx.candidates.holders.get(name, ()) if lead.id != lead_id]
        if holders:
            spec = ctx.schema[name]
            holder = holders[0]
            problem = duplicate_entry(spec.schema_name, spec.display_name)
            activity = _capture_activity(ctx, holder.id, DUPLICATE_REJECTED, match, (), rule="R-U3")
            explanation = _explain(
                ctx,
                match,
                Outcome.REJECTED,
                lead_id=holder.id,
                notes=(
                    *match.notes,
                    *same_mailbox_note(ctx.schema, name, fields[name], holder),
                    f"{name} already belongs to lead {holder.id} (R-U2); nothing changes (R-U3)",
                ),
            )
            return Reject(problem=problem, activity=activity, explanation=explanation)
    return None


def _reject(ctx: _Context, match: Match, problem: Problem) -> Reject:
    explanation = _explain(ctx, match, Outcome.REJECTED, notes=(*match.notes, f"{problem.rule}: {problem.message}"))
    return Reject(problem=problem, activity=None, explanation=explanation)


def _capture_activity(  # noqa: PLR0913 - the activity's parts, the last one keyword-only
    ctx: _Context,
    lead_id: str,
    outcome: str,
    match: Match,
    changes: tuple[FieldChange, ...],
    *,
    rule: str | None = None,
) -> Activity | None:
    if not ctx.posts_activity:
        return None
    source_fields = ctx.schema.source_fields
    source = {name: value for name, value in ctx.request.values.items() if value and name in source_fields}
    return Activity(
        id=ctx.ids.activity_id,
        lead_id=lead_id,
        event_code=LEAD_CAPTURE_EVENT_CODE,
        event_name=LEAD_CAPTURE_EVENT_NAME,
        created_on=ctx.now,
        data=CaptureActivityData(
            outcome=outcome,
            rule=rule or match.rule,
            matched_by=match.matched_by,
            behavior=ctx.behavior,
            submitted=ctx.request.submitted,
            changes=changes,
            source=source,
        ),
    )
