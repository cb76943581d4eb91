"""Match resolution: which lead (or visitor) a capture acts on (R-M1..R-M9).

The shell gathers `Candidates` for the request's identifiers (the store's answer to `candidate_query`);
`resolve_match` walks the search order over them and never looks anything up itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

import msgspec

from leadcapture.core.decision import IdentifierLookup
from leadcapture.core.names import EMAIL, PHONE, PROSPECT_ID, DataType, EmailMatch
from leadcapture.core.quality import blocked_note
from leadcapture.core.records import Lead, Visitor
from leadcapture.core.request import CaptureRequest
from leadcapture.core.schema import Schema
from leadcapture.core.values import match_key


class CandidateQuery(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What a store must look up for one request."""

    prospect_id: str | None
    keys: tuple[tuple[str, str], ...]
    """(field, match key) pairs: every indexed field the request gives a value for."""
    related_company_id: str | None


class Candidates(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A store's answer to a `CandidateQuery`: everything the decision may need to read."""

    prospect: Lead | None = None
    """The lead whose id is the request's ProspectId."""
    visitor: Visitor | None = None
    """The visitor whose tracking id is the request's ProspectId, when no lead has that id."""
    holders: dict[str, tuple[Lead, ...]] = {}
    """Per queried field, the leads holding the request's value for it."""
    known_account: bool = False
    """Whether the request's RelatedCompanyId names an existing account."""


def candidate_query(request: CaptureRequest, schema: Schema) -> CandidateQuery:
    """The look-ups a store must answer so that the request can be decided; blocked values are not (R-J1)."""
    values = request.values
    if schema.leadsquared_identifiers:
        keys = tuple(
            [
                (spec.schema_name, match_key(spec.data_type, values[spec.schema_name]))
                for spec in schema.indexed_specs
                if values.get(spec.schema_name)
            ]
        )
        return CandidateQuery(prospect_id=request.prospect_id, keys=keys, related_company_id=request.related_company_id)
    keys = tuple(
        [
            (spec.schema_name, schema.identifier_key(spec, values[spec.schema_name]))
            for spec in schema.indexed_specs
            if values.get(spec.schema_name) and schema.blocked_because(spec, values[spec.schema_name]) is None
        ]
    )
    return CandidateQuery(
        prospect_id=request.prospect_id,
        keys=keys,
        related_company_id=request.related_company_id,
    )


class Match(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The result of the search: a lead to update, a visitor to convert, or neither (create)."""

    rule: str
    lead: Lead | None = None
    visitor: Visitor | None = None
    matched_by: str | None = None
    search_order: tuple[str, ...] = ()
    lookups: tuple[IdentifierLookup, ...] = ()
    notes: tuple[str, ...] = ()


_IDENTIFIERS: Final = (PROSPECT_ID, EMAIL, PHONE)
_EPOCH: Final = datetime.min.replace(tzinfo=UTC)


def blocked_fields(request: CaptureRequest, schema: Schema) -> dict[str, str]:
    """The request's identifier values that are blocked (R-J1): field name to the explanation's note."""
    if not schema.blocked.active:
        return {}
    values = request.values
    blocked = {}
    for spec in schema.indexed_specs:
        name = spec.schema_name
        value = values.get(name)
        because = schema.blocked_because(spec, value) if value else None
        if value and because is not None:
            blocked[name] = blocked_note(name, value, because)
    return blocked


def search_order(
    request: CaptureRequest,
    *,
    blocked: Mapping[str, str] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The identifiers to search, in order, and notes on a SearchBy that is ignored (R-M2, R-M3).

    A `blocked` identifier (R-J1) is searched as if the request did not give it.
    """
    values = request.values
    blocked = blocked or {}
    given: list[str] = []
    if request.prospect_id:
        given.append(PROSPECT_ID)
    if values.get(EMAIL) and EMAIL not in blocked:
        given.append(EMAIL)
    if values.get(PHONE) and PHONE not in blocked:
        given.append(PHONE)
    search_by = request.search_by
    if search_by is None:
        return tuple(given), ()
    notes: list[str] = []
    if search_by in blocked:
        notes.append(f"SearchBy {search_by} ignored: its value is a blocked identifier (R-M3, R-J1)")
    elif not values.get(search_by):
        notes.append(f"SearchBy {search_by} ignored: the request has no value for it (R-M3)")
    elif len(given) == len(_IDENTIFIERS):
        notes.append("SearchBy ignored: ProspectId, EmailAddress and Phone are all given (R-M3)")
    else:
        given = [search_by, *(name for name in given if name != search_by)]
    return tuple(given), tuple(notes)


def resolve_match(request: CaptureRequest, candidates: Candidates, *, schema: Schema | None = None) -> Match:
    """Walk the search order; the first identifier that finds something decides (R-M2..R-M9).

    With a `schema`, its identifier rules apply: blocked values are not searched (R-J1), and emails are
    compared as it says (R-J2). Without one, matching is LeadSquared's.
    """
    # Under LeadSquared's identifier rules nothing is blocked and no mailbox note is made: neither is asked.
    checks_identity = schema is not None and not schema.leadsquared_identifiers
    if schema is not None and checks_identity:
        blocked = blocked_fields(request, schema)
        order, notes = search_order(request, blocked=blocked)
        notes = (*blocked.values(), *notes)
    else:
        order, notes = search_order(request)
    if not order:
        return Match(rule="R-M1", notes=notes)
    lookups: list[IdentifierLookup] = []
    rule = ""
    lead: Lead | None = None
    visitor: Visitor | None = None
    matched_by: str | None = None
    values = request.values
    holders = candidates.holders
    for name in order:
        value = (request.prospect_id or "") if name == PROSPECT_ID else values.get(name, "")
        if rule:
            lookups.append(IdentifierLookup(identifier=name, value=value, found="not searched"))
            continue
        if name == PROSPECT_ID:
            found, lookup, note = _by_prospect_id(request, candidates, value, schema)
            if found is not None:
                rule, lead, visitor, matched_by = found.rule, found.lead, found.visitor, found.matched_by
            notes = (*notes, *note)
        else:
            leads = holders.get(name, ())
            if leads:
                lead_ids = (leads[0].id,) if len(leads) == 1 else tuple([held.id for held in leads])
                lookup = IdentifierLookup(identifier=name, value=value, found="lead", lead_ids=lead_ids)
                rule, lead, matched_by = "R-M8", most_recently_active(leads), name
                if checks_identity:
                    notes = (*notes, *same_mailbox_note(schema, name, value, lead))
            else:
                lookup = IdentifierLookup(identifier=name, value=value, found="nothing")
        lookups.append(lookup)
    return Match(
        rule=rule or "R-M9",
        lead=lead,
        visitor=visitor,
        matched_by=matched_by,
        search_order=order,
        lookups=tuple(lookups),
        notes=notes,
    )


def same_mailbox_note(schema: Schema | None, name: str, value: str, lead: Lead | None) -> tuple[str, ...]:
    """R-J2's note when a canonical email found a lead whose address is spelt otherwise; else nothing."""
    if schema is None or schema.email_match is EmailMatch.EXACT or lead is None:
        return ()
    spec = schema.get(name)
    stored = lead.fields.get(name, "")
    if spec is None or spec.data_type is not DataType.EMAIL or stored.lower() == value.lower():
        return ()
    return (f"{name} {value} found {stored}: the same Gmail mailbox (R-J2)",)


def _comparable_email(schema: Schema | None, email: str) -> str:
    """An email as R-M4 compares it; a blocked one (R-J1) counts as no email."""
    spec = schema.get(EMAIL) if schema is not None else None
    if not email or schema is None or spec is None:
        return email.lower()
    return "" if schema.blocked_because(spec, email) is not None else schema.identifier_key(spec, email)


def _by_prospect_id(
    request: CaptureRequest,
    candidates: Candidates,
    value: str,
    schema: Schema | None,
) -> tuple[Match | None, IdentifierLookup, tuple[str, ...]]:
    lead = candidates.prospect
    if lead is not None:
        lookup = IdentifierLookup(identifier=PROSPECT_ID, value=value, found="lead", lead_ids=(lead.id,))
        email = _comparable_email(schema, request.values.get(EMAIL, ""))
        stored = _comparable_email(schema, lead.fields.get(EMAIL, ""))
        if email and stored and email != stored:
            note = f"ProspectId found lead {lead.id} whose email differs from EmailAddress: a new lead (R-M4)"
            return Match(rule="R-M4"), lookup, (note,)
        return Match(rule="R-M5", lead=lead, matched_by=PROSPECT_ID), lookup, ()
    visitor = candidates.visitor
    if visitor is not None and not visitor.converted:
        lookup = IdentifierLookup(identifier=PROSPECT_ID, value=value, found="visitor")
        return Match(rule="R-M6", visitor=visitor, matched_by=PROSPECT_ID), lookup, ()
    lookup = IdentifierLookup(identifier=PROSPECT_ID, value=value, found="nothing")
    return None, lookup, ("ProspectId matches no lead or visitor: ignored, not used as the new id (R-M7)",)


def most_recently_active(leads: tuple[Lead, ...]) -> Lead:
    """Of several leads sharing a non-unique value: most recent activity, then modified, then oldest (R-M8)."""
    if len(leads) == 1:
        return leads[0]
    return min(
        leads,
        key=lambda lead: (
            -(lead.last_activity_on or _EPOCH).timestamp(),
            -lead.modified_on.timestamp(),
            lead.created_on.timestamp(),
            lead.id,
        ),
    )
