"""LeadSquared's shapes for posted activities and activity types (R-L8).

The bodies here document what `ProspectActivity.svc/Create` and `CreateType` take (the OpenAPI document is
generated from them); the core reads the decoded bodies itself (`leadcapture.core.activities`), so that
every bad body gets LeadSquared's envelope naming what is wrong. The answers are encoded from these types.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from leadcapture.core.activities import (
    MAX_ACTIVITY_FIELDS,
    MAX_EVENT_NAME_LENGTH,
    MAX_FIELD_VALUE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_SCORE,
    MIN_SCORE,
    ActivityType,
    PostActivity,
)
from leadcapture.core.decision import Applicable
from leadcapture.wire.lead_queries import UTCTime

GUID_PATTERN: Final = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

EventCode = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647, description="An activity type's event code.")]
"""An event code: 1 (Web Visit), 23 (Lead Capture), or a custom type's code from 201."""
FieldName = Annotated[
    str,
    msgspec.Meta(pattern="^[A-Za-z][A-Za-z0-9_]{0,99}$", description="Letters, digits and `_`, a letter first."),
]
FieldValue = Annotated[str, msgspec.Meta(max_length=MAX_FIELD_VALUE_LENGTH)] | int | float | bool | None
LeadFieldValue = str | int | float | bool
"""A lead field's value, checked as Lead.Capture checks it (R-V4, R-V5)."""


class ActivityField(msgspec.Struct, frozen=True, rename="pascal"):
    """One `{"SchemaName", "Value"}` of an activity's `Fields`: the activity's own data, kept as text."""

    schema_name: FieldName
    value: FieldValue = None


class ActivityPostBody(msgspec.Struct, frozen=True, rename="pascal"):
    """The body of `POST ProspectActivity.svc/Create` (R-L8).

    The activity goes on the lead `RelatedProspectId`, else on the lead with `EmailAddress`; when no lead
    has that email, one is captured from `EmailAddress`, `FirstName`, `LastName` and `Phone` first (which
    needs the key's `capture` scope). Attribute names are compared case-insensitively.
    """

    activity_event: EventCode
    related_prospect_id: Annotated[str, msgspec.Meta(pattern=GUID_PATTERN)] | None = None
    email_address: Annotated[str, msgspec.Meta(extra_json_schema={"format": "email"})] | None = None
    activity_note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE_LENGTH)] | None = None
    activity_date_time: UTCTime | None = None
    fields: Annotated[list[ActivityField], msgspec.Meta(max_length=MAX_ACTIVITY_FIELDS)] = []
    first_name: LeadFieldValue | None = None
    last_name: LeadFieldValue | None = None
    phone: LeadFieldValue | None = None


class ActivityTypeBody(msgspec.Struct, frozen=True, rename="pascal"):
    """The body of `POST ProspectActivity.svc/CreateType` (R-L8): a name no type has, a score, a direction."""

    activity_event_name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_EVENT_NAME_LENGTH)]
    score: Annotated[int, msgspec.Meta(ge=MIN_SCORE, le=MAX_SCORE)] = 0
    direction: Annotated[int, msgspec.Meta(ge=0, le=1, description="0: inbound, 1: outbound.")] = 0


class ActivityTypeRecord(msgspec.Struct, frozen=True, rename="pascal"):
    """One element of `ActivityTypes.Get`'s answer."""

    activity_event: int
    activity_event_name: str
    score: int
    direction: int


class IdMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """`Message` of an answer naming what was made: an activity id, or a new type's event code."""

    id: str | int


class IdAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """`{"Status":"Success","Message":{"Id":...}}`."""

    status: str
    message: IdMessage


class ActivityPreview(msgspec.Struct, frozen=True, rename="pascal"):
    """What a dry run of `Create` would do: the activity, and the capture of its lead if there is one."""

    activity: dict[str, Any]
    capture: Applicable | None


class ActivityIdPreviewAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """A dry run of `Create`: the real answer plus `Preview` (R-D, R-L10)."""

    status: str
    message: IdMessage
    preview: ActivityPreview


class ActivityTypePreviewAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """A dry run of `CreateType`: the real answer plus `Preview`, the type it would register (R-D, R-L10)."""

    status: str
    message: IdMessage
    preview: ActivityTypeRecord


def type_record(kind: ActivityType) -> ActivityTypeRecord:
    """An activity type as `ActivityTypes.Get` lists it."""
    return ActivityTypeRecord(
        activity_event=kind.event_code,
        activity_event_name=kind.name,
        score=kind.score,
        direction=int(kind.direction),
    )


def posted_answer(post: PostActivity) -> IdAnswer:
    """The answer of a post: the activity's id."""
    return IdAnswer(status="Success", message=IdMessage(id=post.activity.id))


def post_preview(post: PostActivity) -> ActivityIdPreviewAnswer:
    """A dry run's answer of a post: the activity's id and what would be written."""
    return ActivityIdPreviewAnswer(
        status="Success",
        message=IdMessage(id=post.activity.id),
        preview=ActivityPreview(activity=msgspec.to_builtins(post.activity), capture=post.capture),
    )


def type_answer(kind: ActivityType) -> IdAnswer:
    """The answer of a registered type: its event code."""
    return IdAnswer(status="Success", message=IdMessage(id=kind.event_code))


def type_preview(kind: ActivityType) -> ActivityTypePreviewAnswer:
    """A dry run's answer of a type: its event code and the type as it would be listed."""
    return ActivityTypePreviewAnswer(status="Success", message=IdMessage(id=kind.event_code), preview=type_record(kind))
