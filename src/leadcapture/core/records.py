"""The stored things the rules read and produce: leads, visitors, visits and activities.

All are frozen msgspec Structs. `fields` maps schema names to stored (normalised) values and holds only
non-empty values: an absent key is an empty field.

Every Struct of the core is declared `gc=False`: they are values that never form reference cycles, and a
store holding millions of them otherwise spends a quarter of a capture's time in the cycle collector.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from leadcapture.core.names import UpdateBehavior

AttributeValue = str | int | float | bool | None
"""A `Value` as LeadSquared's JSON body allows it (R-V1)."""


class Lead(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A lead: its id, its non-empty field values and its timestamps."""

    id: str
    fields: dict[str, str]
    created_on: datetime
    modified_on: datetime
    last_activity_on: datetime | None = None
    related_company_id: str | None = None
    version: int = 1
    """Bumped on every write; an update applies only to the version it was decided on (R-M10)."""


class Visit(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One page view of an anonymous visitor, with the source its URL and referrer give (R-W2)."""

    id: str
    visited_on: datetime
    page_url: str
    referrer: str | None = None
    source: dict[str, str] = {}


class Visitor(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An anonymous web visitor known by its tracking id; `visits` are oldest first."""

    id: str
    visits: tuple[Visit, ...] = ()
    converted: bool = False


class IndexEntry(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A (field, match key) pair a store indexes for a lead; `unique` entries may have one holder only."""

    field: str
    key: str
    unique: bool


class SubmittedAttribute(msgspec.Struct, frozen=True, kw_only=True, gc=False, rename="pascal"):
    """One attribute as the request gave it, kept on the capture's activity (R-A2)."""

    attribute: str
    value: AttributeValue


class FieldChange(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A field a capture sets: its value before (empty string when empty) and after."""

    field: str
    old: str
    new: str


class CaptureActivityData(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag="LeadCapture"):
    """What a Lead Capture activity records (R-A2, R-S2)."""

    outcome: str
    rule: str
    matched_by: str | None
    behavior: UpdateBehavior | None
    submitted: tuple[SubmittedAttribute, ...]
    changes: tuple[FieldChange, ...]
    source: dict[str, str]


class WebVisitData(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag="WebVisit"):
    """What a web-visit activity records (R-W3, and R-M6 when a visitor converts)."""

    page_url: str
    referrer: str | None
    source: dict[str, str]


class PostedActivityData(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag="Posted"):
    """What an activity posted through `ProspectActivity.svc/Create` records (R-L8): its note and fields."""

    note: str
    fields: dict[str, str]
    """`Fields` of the post, by SchemaName, in the order given."""


class Activity(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An entry in a lead's history."""

    id: str
    lead_id: str
    event_code: int
    event_name: str
    created_on: datetime
    data: CaptureActivityData | WebVisitData | PostedActivityData


class Account(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A company a lead can be linked to with `RelatedCompanyId` (R-A3)."""

    id: str
    name: str
    created_on: datetime
