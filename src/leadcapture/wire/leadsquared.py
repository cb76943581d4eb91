"""LeadSquared's JSON shapes: the success and error envelopes (R-H1, R-H2), flat leads and the other answers and
bodies of the HTTP API (R-H5, R-W1; the async capture routes' R-Q1, R-Q2, R-Q6). The OpenAPI document is
generated from these same types.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from leadcapture.core.decision import CaptureDecision, CaptureReceipt, Convert, Create, Update
from leadcapture.core.names import CREATED_ON, MODIFIED_ON, PROSPECT_ID_FIELD
from leadcapture.core.problems import Problem
from leadcapture.core.records import Lead

ACCEPTED_STATUS: Final = "Request accepted. Please use below request id to check the status"
"""The `Status` of async `/lead/capture`'s answer (R-Q1)."""
TASK_TYPE: Final = "Lead Capture"
"""The `TaskType` of every request `/lead/status` reports on."""


class CaptureMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """The `Message` of a successful capture."""

    id: str
    related_id: str
    is_created: bool


class SuccessEnvelope(msgspec.Struct, frozen=True, rename="pascal"):
    """`{"Status":"Success","Message":{"Id","RelatedId","IsCreated"}}` (R-H1)."""

    status: str
    message: CaptureMessage


class ErrorEnvelope(msgspec.Struct, frozen=True, rename="pascal"):
    """`{"Status":"Error","ExceptionType":"MX…Exception","ExceptionMessage":"…"}` (R-H2)."""

    status: str
    exception_type: str
    exception_message: str


class CaptureAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """A successful Lead.Capture answer; a dry run adds `Preview`, the decision with its explanation (R-D2).

    With `explain=true` a real capture adds `Decision`, the decision it applied (adr/0036).
    """

    status: str
    message: CaptureMessage
    preview: CaptureDecision | msgspec.UnsetType | None = msgspec.UNSET
    decision: Create | Update | Convert | msgspec.UnsetType = msgspec.UNSET


class CaptureErrorAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """A failed Lead.Capture answer: the error envelope, plus `Preview` on a dry run (R-D2)."""

    status: str
    exception_type: str
    exception_message: str
    preview: CaptureDecision | msgspec.UnsetType | None = msgspec.UNSET


class FieldMetadata(msgspec.Struct, frozen=True, rename="pascal"):
    """One field of the lead schema, as `LeadsMetaData.Get` answers it."""

    schema_name: str
    display_name: str
    data_type: str
    is_mandatory: bool
    max_length: int | None
    is_unique: bool
    is_source_field: bool
    options: list[str]


class ActivityFilter(msgspec.Struct, frozen=True, rename="pascal"):
    """Which activities `ProspectActivity.svc/Retrieve` answers: all, or one event code."""

    activity_event: int | None = None


class Paging(msgspec.Struct, frozen=True, rename="pascal"):
    """Which page of a lead's activities to answer."""

    offset: Annotated[int, msgspec.Meta(ge=0)] = 0
    row_count: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class ActivityQuery(msgspec.Struct, frozen=True, rename="pascal"):
    """The optional body of `ProspectActivity.svc/Retrieve`."""

    parameter: ActivityFilter = ActivityFilter()
    paging: Paging = Paging()


class ActivityRecord(msgspec.Struct, frozen=True, rename="pascal"):
    """One activity as `ProspectActivity.svc/Retrieve` answers it."""

    id: str
    event_code: int
    event_name: str
    created_on: str
    data: dict[str, Any]


class ActivityPage(msgspec.Struct, frozen=True, rename="pascal"):
    """A page of a lead's activities, newest first, with the count of all that matched."""

    record_count: int
    prospect_activities: list[ActivityRecord]


class VisitBody(
    msgspec.Struct,
    frozen=True,
    rename={"page_url": "PageURL", "prospect_id": "ProspectId", "referrer": "Referrer"},
):
    """The body of `WebTracking.svc/Visit` (R-W1)."""

    page_url: str
    prospect_id: str | None = None
    referrer: str | None = None


class VisitMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """Who a visit was recorded on: a lead, or an anonymous visitor's tracking id."""

    id: str
    is_lead: bool


class VisitAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """The answer of `WebTracking.svc/Visit`."""

    status: str
    message: VisitMessage


class HealthAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """The answer of `/health` once the database answers."""

    status: str


class AcceptedAnswer(msgspec.Struct, frozen=True, rename={"status": "Status", "request_id": "RequestID"}):
    """The answer of async `/lead/capture` once the request is stored (R-Q1): the id to ask its status with."""

    status: str
    request_id: str


class TaskStatus(msgspec.Struct, frozen=True, rename="pascal"):
    """Where an accepted request stands (R-Q2); `StatusReason` names the last fault or the MX error, if any."""

    task_type: str
    status: str
    status_reason: str | None


class RequestStatusAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """The answer of `/lead/status` (R-Q2); `Message` is the applied request's recorded answer, sent unchanged."""

    request_id: str
    task_status: TaskStatus
    message: msgspec.Raw | None


class InboxMetricsAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """The answer of `/lead/capture/metrics` (R-Q6): the inbox's backlog and how fast it is applied."""

    pending_messages: Annotated[int, msgspec.Meta(ge=0)]
    max_delay_in_seconds: Annotated[int, msgspec.Meta(ge=0)]
    processing_rate_per_minute: Annotated[int, msgspec.Meta(ge=0)]


def success_envelope(receipt: CaptureReceipt) -> SuccessEnvelope:
    """The body a successful capture answers with."""
    return SuccessEnvelope(
        status="Success",
        message=CaptureMessage(id=receipt.lead_id, related_id=receipt.activity_id or "", is_created=receipt.is_created),
    )


def capture_answer(receipt: CaptureReceipt, *, explain: bool) -> SuccessEnvelope | CaptureAnswer:
    """A successful capture's body: LeadSquared's envelope, plus the applied decision when `explain` is asked."""
    envelope = success_envelope(receipt)
    if not explain:
        return envelope
    return CaptureAnswer(status=envelope.status, message=envelope.message, decision=receipt.decision)


def error_envelope(problem: Problem) -> ErrorEnvelope:
    """The body an error answers with; it never carries internals, only the problem's message."""
    return ErrorEnvelope(
        status="Error",
        exception_type=problem.exception_type.value,
        exception_message=problem.message,
    )


def preview_body(answer: SuccessEnvelope | ErrorEnvelope, decision: CaptureDecision | None) -> dict[str, Any]:
    """A dry-run answer: the real call's body plus `"Preview"`, the decision with its explanation (R-D2)."""
    shaped: CaptureAnswer | CaptureErrorAnswer
    if isinstance(answer, SuccessEnvelope):
        shaped = CaptureAnswer(status=answer.status, message=answer.message, preview=decision)
    else:
        shaped = CaptureErrorAnswer(
            status=answer.status,
            exception_type=answer.exception_type,
            exception_message=answer.exception_message,
            preview=decision,
        )
    body: dict[str, Any] = msgspec.to_builtins(shaped)
    return body


def flat_lead(lead: Lead) -> dict[str, str]:
    """A lead as LeadSquared's look-ups answer it: string values, `ProspectID` first (R-H5)."""
    flat = {PROSPECT_ID_FIELD: lead.id}
    flat.update(lead.fields)
    flat[CREATED_ON] = lead.created_on.strftime("%Y-%m-%d %H:%M:%S")
    flat[MODIFIED_ON] = lead.modified_on.strftime("%Y-%m-%d %H:%M:%S")
    return flat
