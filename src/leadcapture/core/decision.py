"""What a capture does, as data: the `CaptureDecision` union and the explanation every decision carries.

The four outcomes are a closed set of tagged, frozen Structs. Consumers `match` on them with keyword
patterns and close with `assert_never`, so a new outcome is a type error everywhere it is not handled.
Encoded to JSON, a decision is the dry-run report (R-D2): `{"type": "Update", "explanation": {...}, ...}`.
"""

from __future__ import annotations

import msgspec

from leadcapture.core.names import Outcome, UpdateBehavior
from leadcapture.core.problems import Problem
from leadcapture.core.records import Activity, FieldChange, IndexEntry, Lead


class IdentifierLookup(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What one identifier found when the match was resolved (R-D2)."""

    identifier: str
    value: str
    found: str
    """`lead`, `visitor`, `nothing`, or `not searched` (an earlier identifier decided)."""
    lead_ids: tuple[str, ...] = ()


class FieldLeftAlone(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A submitted field the capture does not set, and why (R-D2)."""

    field: str
    value: str
    reason: str


class Explanation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Why a decision came out as it did: the rule, the search, the changes and what was left alone."""

    outcome: Outcome
    rule: str
    search_order: tuple[str, ...]
    lookups: tuple[IdentifierLookup, ...]
    matched_by: str | None
    lead_id: str | None
    behavior: UpdateBehavior | None
    changes: tuple[FieldChange, ...] = ()
    unchanged: tuple[FieldLeftAlone, ...] = ()
    notes: tuple[str, ...] = ()


class Create(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """Create `lead` and post `activity` on it (R-M1, R-M4, R-M7, R-M9); Lead.Create posts none (R-L1)."""

    lead: Lead
    index: tuple[IndexEntry, ...]
    activity: Activity | None
    explanation: Explanation


class Update(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """Replace the lead at `expected_version` by `lead` and post `activity` (R-M5, R-M8)."""

    lead: Lead
    expected_version: int
    index: tuple[IndexEntry, ...]
    previous_index: tuple[IndexEntry, ...]
    """The entries the lead had when it was read; a store rewrites only the difference."""
    activity: Activity | None
    """The Lead Capture activity; None for the lead-management calls, which post none (R-L2, R-L3)."""
    explanation: Explanation


class Convert(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """Turn visitor `lead.id` into `lead`, posting the capture activity and its visits (R-M6)."""

    lead: Lead
    index: tuple[IndexEntry, ...]
    activity: Activity | None
    """The Lead Capture activity; None for Lead.Convert, which posts only the visits (R-L4)."""
    visit_activities: tuple[Activity, ...]
    explanation: Explanation


class Reject(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """Change no lead; answer `problem`. A duplicate still posts `activity` on the lead holding the value (R-U3)."""

    problem: Problem
    activity: Activity | None
    explanation: Explanation


CaptureDecision = Create | Update | Convert | Reject
"""Everything a capture can decide."""

Applicable = Create | Update | Convert
"""The decisions that write a lead."""


class CaptureReceipt(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A capture that was applied: the lead, its Lead Capture activity, and the decision behind it (R-H1)."""

    lead_id: str
    activity_id: str | None
    """The Lead Capture activity posted; None for the lead-management calls, which post none."""
    is_created: bool
    outcome: Outcome
    decision: Create | Update | Convert


def receipt_for(decision: Applicable) -> CaptureReceipt:
    """The receipt an applied decision answers with; `IsCreated` is true for Created and Converted."""
    outcome = decision.explanation.outcome
    return CaptureReceipt(
        lead_id=decision.lead.id,
        activity_id=decision.activity.id if decision.activity is not None else None,
        is_created=outcome is not Outcome.UPDATED,
        outcome=outcome,
        decision=decision,
    )


def posted(activity: Activity | None) -> tuple[Activity, ...]:
    """A decision's own activity as the activities a store writes: none when the call posts none."""
    return (activity,) if activity is not None else ()
