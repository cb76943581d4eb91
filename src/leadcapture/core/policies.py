"""Match policies: how each lead-writing call finds the lead it acts on, as one decision (R-M, R-L1..R-L4).

Lead.Capture, Lead.Create, Lead.Update, Lead.CreateOrUpdate and Lead.Convert decide alike once they know
which lead (or visitor) they act on: the same field rules (R-B, R-P), uniqueness (R-U), mandatory fields
and data-quality rules (R-J). They differ only in how they search, and in what they post: Lead.Capture
alone posts a Lead Capture activity and keeps first-touch source fields (R-S1). A `MatchPolicy` says which,
and `decide_capture` takes one; `resolve_policy_match` is the search of the four lead-management calls.
"""

from __future__ import annotations

from typing import Final

import msgspec

from leadcapture.core.decision import IdentifierLookup
from leadcapture.core.match import Candidates, Match, blocked_fields, most_recently_active, same_mailbox_note
from leadcapture.core.names import EMAIL, PHONE, ExceptionType
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.request import CaptureRequest
from leadcapture.core.schema import Schema


class CapturePolicy(msgspec.Struct, frozen=True, tag="Capture"):
    """Lead.Capture: search ProspectId, EmailAddress, Phone or SearchBy; convert visitors; post an activity."""


class CreatePolicy(msgspec.Struct, frozen=True, tag="Create"):
    """Lead.Create (R-L1): never matches; creates, or answers the duplicate of R-U2."""


class UpdateByIdPolicy(msgspec.Struct, frozen=True, kw_only=True, tag="UpdateById"):
    """Lead.Update (R-L2): updates the lead `lead_id`, which must exist."""

    lead_id: str


class CreateOrUpdatePolicy(msgspec.Struct, frozen=True, tag="CreateOrUpdate"):
    """Lead.CreateOrUpdate (R-L3): searches SearchBy's field, else EmailAddress then Phone; updates or creates."""


class ConvertPolicy(msgspec.Struct, frozen=True, kw_only=True, tag="Convert"):
    """Lead.Convert (R-L4): turns the unconverted visitor `visitor_id` into a lead with that id."""

    visitor_id: str


MatchPolicy = CapturePolicy | CreatePolicy | UpdateByIdPolicy | CreateOrUpdatePolicy | ConvertPolicy
"""How a lead-writing call finds the lead it acts on."""

LEAD_CAPTURE: Final = CapturePolicy()
"""Lead.Capture's policy, the default of every decision."""

DEFAULT_SEARCH: Final = (EMAIL, PHONE)
"""Lead.CreateOrUpdate's search without SearchBy (R-L3)."""


def looked_up_id(policy: MatchPolicy, request: CaptureRequest) -> str | None:
    """The lead or visitor id the store must look up for `policy` (the request's ProspectId for Lead.Capture)."""
    match policy:
        case UpdateByIdPolicy(lead_id=lead_id):
            return lead_id
        case ConvertPolicy(visitor_id=visitor_id):
            return visitor_id
        case CapturePolicy():
            return request.prospect_id
        case _:
            return None


def posts_capture_activity(policy: MatchPolicy) -> bool:
    """Whether the call posts a Lead Capture activity and keeps first-touch sources: Lead.Capture alone does."""
    return isinstance(policy, CapturePolicy)


def resolve_policy_match(
    policy: CreatePolicy | UpdateByIdPolicy | CreateOrUpdatePolicy | ConvertPolicy,
    request: CaptureRequest,
    candidates: Candidates,
    schema: Schema,
) -> Match | Problem:
    """The lead (or visitor) a lead-management call acts on, or why it cannot go ahead (R-L1..R-L4)."""
    match policy:
        case CreatePolicy():
            notes = ("ProspectId is not searched by Lead.Create (R-L1)",) if request.prospect_id else ()
            return Match(rule="R-L1", notes=notes)
        case UpdateByIdPolicy(lead_id=lead_id):
            return _by_id(lead_id, candidates)
        case CreateOrUpdatePolicy():
            return _search_unique(request, candidates, schema)
        case ConvertPolicy(visitor_id=visitor_id):
            return _visitor(visitor_id, candidates)


def _by_id(lead_id: str, candidates: Candidates) -> Match | Problem:
    lead = candidates.prospect
    if lead is None:
        return Problem(
            exception_type=ExceptionType.INVALID_INPUT,
            message=f"No lead with id {lead_id}",
            status=404,
            rule="R-L2",
        )
    lookup = IdentifierLookup(identifier="leadId", value=lead_id, found="lead", lead_ids=(lead.id,))
    return Match(rule="R-L2", lead=lead, matched_by="leadId", search_order=("leadId",), lookups=(lookup,))


def _visitor(visitor_id: str, candidates: Candidates) -> Match | Problem:
    if candidates.prospect is not None:
        return invalid_input(f"Visitor {visitor_id} is already converted into a lead", rule="R-L4")
    visitor = candidates.visitor
    if visitor is None or visitor.converted:
        return invalid_input(f"No visitor with id {visitor_id} to convert", rule="R-L4")
    lookup = IdentifierLookup(identifier="leadId", value=visitor_id, found="visitor")
    return Match(rule="R-L4", visitor=visitor, matched_by="leadId", search_order=("leadId",), lookups=(lookup,))


def _search_unique(request: CaptureRequest, candidates: Candidates, schema: Schema) -> Match | Problem:
    """SearchBy's field, else EmailAddress then Phone; blocked values count as absent (R-L3, R-J1)."""
    if request.prospect_id is not None:
        return invalid_input("ProspectId is not accepted by Lead.CreateOrUpdate: use Lead.Update", rule="R-L3")
    values = request.values
    blocked = blocked_fields(request, schema)
    given = [name for name in schema.unique_fields if values.get(name) and name not in blocked]
    if not given:
        names = ", ".join(schema.unique_fields)
        return invalid_input(f"Lead.CreateOrUpdate needs a value for a unique field: {names}", rule="R-L3")
    search_by = request.search_by
    if search_by is not None and (not values.get(search_by) or search_by in blocked):
        return invalid_input(f"SearchBy {search_by}: the request has no usable value for it", rule="R-L3")
    order = (search_by,) if search_by is not None else tuple(name for name in DEFAULT_SEARCH if name in given)
    lookups: list[IdentifierLookup] = []
    notes: tuple[str, ...] = tuple(blocked.values())
    for name in order:
        value = values[name]
        if lookups and lookups[-1].found == "lead":
            lookups.append(IdentifierLookup(identifier=name, value=value, found="not searched"))
            continue
        leads = candidates.holders.get(name, ())
        if not leads:
            lookups.append(IdentifierLookup(identifier=name, value=value, found="nothing"))
            continue
        lookups.append(
            IdentifierLookup(identifier=name, value=value, found="lead", lead_ids=tuple([lead.id for lead in leads]))
        )
    for lookup in lookups:
        if lookup.found == "lead":
            lead = most_recently_active(candidates.holders[lookup.identifier])
            notes = (*notes, *same_mailbox_note(schema, lookup.identifier, lookup.value, lead))
            return Match(
                rule="R-L3",
                lead=lead,
                matched_by=lookup.identifier,
                search_order=order,
                lookups=tuple(lookups),
                notes=notes,
            )
    return Match(rule="R-L3", search_order=order, lookups=tuple(lookups), notes=notes)
