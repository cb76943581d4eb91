"""Posted activities and activity types (R-L8), decided without I/O.

`read_activity_post` and `read_activity_type` check a decoded JSON body (R-V: unknown attribute, repeated
attribute, bad value, bad GUID) and give what the body asks for, or the problem with it. `decide_activity`
and `decide_activity_type` decide what posting or registering does, given what the store holds; the shell
reads the store, passes the current time and new ids in, and writes the decision.

A post by `EmailAddress` that no lead has captures the body's EmailAddress, FirstName, LastName and Phone
as Lead.Capture would: the shell validates and decides that capture with the engine (`decide_capture`),
and `decide_activity` takes its decision as an input, so the capture rules live in one place (adr/0055).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.decision import Applicable, CaptureDecision, Convert, Create, Reject, Update
from leadcapture.core.names import (
    EMAIL,
    LEAD_CAPTURE_EVENT_CODE,
    LEAD_CAPTURE_EVENT_NAME,
    PHONE,
    SEARCH_BY,
    WEB_VISIT_EVENT_CODE,
    WEB_VISIT_EVENT_NAME,
    ExceptionType,
)
from leadcapture.core.problems import Problem, invalid_input, unknown_attributes
from leadcapture.core.records import Activity, AttributeValue, Lead, PostedActivityData
from leadcapture.core.request import RawAttribute

RULE: Final = "R-L8"
FIRST_CUSTOM_EVENT_CODE: Final = 201
"""Custom activity types take event codes from here up, in the order they are registered (R-L8)."""
MAX_EVENT_NAME_LENGTH: Final = 100
MAX_NOTE_LENGTH: Final = 2000
MAX_ACTIVITY_FIELDS: Final = 100
MAX_FIELD_VALUE_LENGTH: Final = 2000
MIN_SCORE: Final = -1000
MAX_SCORE: Final = 1000
DATE_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
LEAD_FIELDS_OF_A_POST: Final = ("FirstName", "LastName", PHONE)
"""The body's lead fields that a post by EmailAddress captures with the email when no lead has it."""

_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_FIELD_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


class Direction(enum.IntEnum):
    """Which way an activity type goes, in LeadSquared's numbers."""

    INBOUND = 0
    OUTBOUND = 1


class ActivityType(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A kind of activity: its event code, name, score and direction."""

    event_code: int
    name: str
    score: int = 0
    direction: Direction = Direction.INBOUND


BUILT_IN_ACTIVITY_TYPES: Final = (
    ActivityType(event_code=WEB_VISIT_EVENT_CODE, name=WEB_VISIT_EVENT_NAME),
    ActivityType(event_code=LEAD_CAPTURE_EVENT_CODE, name=LEAD_CAPTURE_EVENT_NAME),
)
"""The types every store has without registering them; stores keep only the custom ones."""


def all_activity_types(custom: Sequence[ActivityType]) -> tuple[ActivityType, ...]:
    """The built-in types, then the custom ones, by event code: what `ActivityTypes.Get` lists."""
    return tuple(sorted((*BUILT_IN_ACTIVITY_TYPES, *custom), key=lambda kind: kind.event_code))


# Reading the bodies (R-V).

_POST_ATTRIBUTES: Final = (
    "RelatedProspectId",
    EMAIL,
    "ActivityEvent",
    "ActivityNote",
    "ActivityDateTime",
    "Fields",
    *LEAD_FIELDS_OF_A_POST,
)
_TYPE_ATTRIBUTES: Final = ("ActivityEventName", "Score", "Direction")


class _FieldBody(msgspec.Struct, frozen=True, rename="pascal", forbid_unknown_fields=True):
    schema_name: str
    value: AttributeValue = None


class _PostBody(msgspec.Struct, frozen=True, rename="pascal"):
    activity_event: int
    related_prospect_id: str | None = None
    email_address: str | None = None
    activity_note: str | None = None
    activity_date_time: str | None = None
    fields: list[_FieldBody] = []
    first_name: AttributeValue = None
    last_name: AttributeValue = None
    phone: AttributeValue = None


class _TypeBody(msgspec.Struct, frozen=True, rename="pascal"):
    activity_event_name: str
    score: int = 0
    direction: int = Direction.INBOUND.value


_Body = TypeVar("_Body", _PostBody, _TypeBody)


class ActivityPost(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A checked `ProspectActivity.svc/Create` body.

    The activity goes on the lead `lead_id` when given, else on the lead holding `email`; when none holds
    it, `lead_attributes` (a Lead.Capture body) are captured first and the activity goes on that lead.
    """

    lead_id: str | None
    email: str | None
    event_code: int
    note: str
    occurred_on: datetime | None
    """`ActivityDateTime`, UTC; None: when it is posted."""
    fields: tuple[tuple[str, str], ...]
    lead_attributes: tuple[RawAttribute, ...] = ()


class ActivityTypeRequest(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A checked `ProspectActivity.svc/CreateType` body."""

    name: str
    score: int
    direction: Direction


def read_activity_post(body: object) -> Result[ActivityPost, Problem]:
    """Check a decoded `Create` body: known attributes, each once, with values of the right kind (R-V, R-L8).

    Attribute names are compared case-insensitively, as in a capture. `RelatedProspectId` wins over
    `EmailAddress` when both are given; the email is then not used (adr/0055).
    """
    named = _named(body, _POST_ATTRIBUTES, mandatory="ActivityEvent")
    post = named if isinstance(named, Problem) else _convert(named, _PostBody)
    checked = post if isinstance(post, Problem) else _checked_post(post)
    return Failure(checked) if isinstance(checked, Problem) else Success(checked)


def _checked_post(post: _PostBody) -> ActivityPost | Problem:
    lead_id = (post.related_prospect_id or "").strip()
    email = (post.email_address or "").strip()
    note = (post.activity_note or "").strip()
    if not lead_id and not email:
        return _mandatory("RelatedProspectId or EmailAddress")
    if lead_id and not _GUID.fullmatch(lead_id):
        return invalid_input("RelatedProspectId: not a valid GUID", rule=RULE)
    if len(note) > MAX_NOTE_LENGTH:
        return invalid_input(f"ActivityNote: longer than {MAX_NOTE_LENGTH} characters", rule=RULE)
    occurred_on = _occurred_on(post.activity_date_time)
    fields = occurred_on if isinstance(occurred_on, Problem) else _activity_fields(post.fields)
    if isinstance(fields, Problem):
        return fields
    lead_attributes: tuple[RawAttribute, ...] = ()
    if not lead_id:
        given = zip(LEAD_FIELDS_OF_A_POST, (post.first_name, post.last_name, post.phone), strict=True)
        lead_attributes = (
            RawAttribute(EMAIL, email),
            *(RawAttribute(name, value) for name, value in given if value is not None),
            RawAttribute(SEARCH_BY, EMAIL),
        )
    return ActivityPost(
        lead_id=lead_id.lower() or None,
        email=email or None,
        event_code=post.activity_event,
        note=note,
        occurred_on=occurred_on if isinstance(occurred_on, datetime) else None,
        fields=fields,
        lead_attributes=lead_attributes,
    )


def _occurred_on(text: str | None) -> datetime | Problem | None:
    if text is None or not text.strip():
        return None
    parsed = parse_date_time(text)
    if parsed is None:
        return invalid_input(f"ActivityDateTime: expected yyyy-mm-dd hh:mm:ss, not {text[:40]!r}", rule=RULE)
    return parsed


def read_activity_type(body: object) -> Result[ActivityTypeRequest, Problem]:
    """Check a decoded `CreateType` body: a name of 1 to 100 characters, a score, a direction (R-V, R-L8)."""
    named = _named(body, _TYPE_ATTRIBUTES, mandatory="ActivityEventName")
    asked = named if isinstance(named, Problem) else _convert(named, _TypeBody)
    if isinstance(asked, Problem):
        return Failure(asked)
    name = " ".join(asked.activity_event_name.split())
    problem = None
    if not name or len(name) > MAX_EVENT_NAME_LENGTH or not name.isprintable():
        problem = invalid_input(f"ActivityEventName: 1 to {MAX_EVENT_NAME_LENGTH} printable characters", rule=RULE)
    elif not MIN_SCORE <= asked.score <= MAX_SCORE:
        problem = invalid_input(f"Score: from {MIN_SCORE} to {MAX_SCORE}, not {asked.score}", rule=RULE)
    elif asked.direction not in tuple(Direction):
        problem = invalid_input(f"Direction: 0 (inbound) or 1 (outbound), not {asked.direction}", rule=RULE)
    if problem is not None:
        return Failure(problem)
    return Success(ActivityTypeRequest(name=name, score=asked.score, direction=Direction(asked.direction)))


def parse_date_time(text: str) -> datetime | None:
    """A `yyyy-mm-dd hh:mm:ss` UTC time, or None when the text is not one."""
    try:
        return datetime.strptime(text.strip(), DATE_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _named(body: object, known: Sequence[str], *, mandatory: str) -> dict[str, object] | Problem:
    """The body's attributes under their canonical names; unknown, repeated or missing names are problems.

    Unknown names are listed (R-V2), a name given twice (in any case) is refused (R-V3), and `mandatory`
    must be among them.
    """
    if not isinstance(body, Mapping):
        return invalid_input("Invalid request body: expected a JSON object", rule="R-V1")
    canonical = {name.casefold(): name for name in known}
    named: dict[str, object] = {}
    unknown: list[str] = []
    for raw_name, value in body.items():
        name = canonical.get(str(raw_name).casefold())
        if name is None:
            unknown.append(str(raw_name))
        elif name in named:
            return invalid_input(f"Attribute {name} is given more than once", rule="R-V3")
        else:
            named[name] = value
    if unknown:
        return unknown_attributes(unknown)
    if mandatory not in named:
        return _mandatory(mandatory)
    return named


def _convert(named: dict[str, object], kind: type[_Body]) -> _Body | Problem:
    """The attributes as `kind`, or the problem with a value of the wrong kind (R-V4)."""
    try:
        return msgspec.convert(named, kind, strict=True)
    except msgspec.ValidationError as exc:
        return invalid_input(f"Invalid request body: {exc}", rule=RULE)


def _activity_fields(given: Sequence[_FieldBody]) -> tuple[tuple[str, str], ...] | Problem:
    """`Fields` as (SchemaName, text) pairs: at most 100, names of letters, digits and `_`, each once."""
    if len(given) > MAX_ACTIVITY_FIELDS:
        return invalid_input(f"Fields: at most {MAX_ACTIVITY_FIELDS}, not {len(given)}", rule=RULE)
    pairs: dict[str, tuple[str, str]] = {}
    for field in given:
        name = field.schema_name.strip()
        if not _FIELD_NAME.fullmatch(name):
            return invalid_input(f"Fields: {name[:100]!r} is not a valid SchemaName", rule=RULE)
        if name.casefold() in pairs:
            return invalid_input(f"Fields: {name} is given more than once", rule="R-V3")
        text = _as_text(field.value)
        if len(text) > MAX_FIELD_VALUE_LENGTH:
            return invalid_input(f"Fields: {name} is longer than {MAX_FIELD_VALUE_LENGTH} characters", rule=RULE)
        pairs[name.casefold()] = (name, text)
    return tuple(pairs.values())


def _as_text(value: AttributeValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _mandatory(name: str) -> Problem:
    return Problem(
        exception_type=ExceptionType.MANDATORY_MISSING,
        message=f"'{name}' is mandatory for posting an activity",
        status=400,
        rule=RULE,
    )


# The decisions.


class ActivityIds(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The id a posted activity takes; made by the shell."""

    activity_id: str


class PostActivity(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Post `activity`; first apply `capture`, the capture of the lead it goes on, when there is one."""

    activity: Activity
    capture: Applicable | None = None


def decide_activity(  # noqa: PLR0913 - the decision's inputs, all keyword-only
    post: ActivityPost,
    *,
    lead: Lead | None,
    capture: CaptureDecision | None,
    types: Sequence[ActivityType],
    now: datetime,
    ids: ActivityIds,
) -> Result[PostActivity, Problem]:
    """What posting `post` does (R-L8).

    `lead` is the lead `post` names (by id, or the one holding its email); `capture` is the engine's
    decision on `post.lead_attributes` when the post is by email and no lead holds it. An unknown event
    code or lead is a 400; a rejected capture answers its own problem.
    """
    kind = next((kind for kind in types if kind.event_code == post.event_code), None)
    if kind is None:
        return Failure(invalid_input(f"ActivityEvent: no activity type has event code {post.event_code}", rule=RULE))
    target: Applicable | None = None
    if lead is None:
        if post.lead_id is not None:
            return Failure(invalid_input(f"RelatedProspectId: no lead has id {post.lead_id}", rule=RULE))
        match capture:
            case Create() | Update() | Convert():
                target = capture
            case Reject(problem=problem):
                return Failure(problem)
            case None:
                return Failure(invalid_input(f"EmailAddress: no lead has email {post.email}", rule=RULE))
    lead_id = lead.id if lead is not None else target.lead.id if target is not None else ""
    activity = Activity(
        id=ids.activity_id,
        lead_id=lead_id,
        event_code=kind.event_code,
        event_name=kind.name,
        created_on=post.occurred_on if post.occurred_on is not None else now,
        data=PostedActivityData(note=post.note, fields=dict(post.fields)),
    )
    return Success(PostActivity(activity=activity, capture=target))


def decide_activity_type(asked: ActivityTypeRequest, custom: Sequence[ActivityType]) -> Result[ActivityType, Problem]:
    """Register `asked` after the `custom` types: the next free code from 201, a name no type has (R-L8)."""
    folded = asked.name.casefold()
    if any(kind.name.casefold() == folded for kind in (*BUILT_IN_ACTIVITY_TYPES, *custom)):
        return Failure(
            Problem(
                exception_type=ExceptionType.DUPLICATE_ENTRY,
                message=f"An activity type named {asked.name!r} already exists.",
                status=400,
                rule=RULE,
            ),
        )
    code = max((kind.event_code + 1 for kind in custom), default=FIRST_CUSTOM_EVENT_CODE)
    return Success(
        ActivityType(
            event_code=max(code, FIRST_CUSTOM_EVENT_CODE),
            name=asked.name,
            score=asked.score,
            direction=asked.direction,
        ),
    )
