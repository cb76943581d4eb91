"""LeadSquared's JSON shapes for answers: the success and error envelopes (R-H1, R-H2) and flat leads (R-H5)."""

from __future__ import annotations

from typing import Any

import msgspec

from leadcapture.core.decision import CaptureDecision, CaptureReceipt
from leadcapture.core.names import CREATED_ON, MODIFIED_ON, PROSPECT_ID_FIELD
from leadcapture.core.problems import Problem
from leadcapture.core.records import Lead


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


def success_envelope(receipt: CaptureReceipt) -> SuccessEnvelope:
    """The body a successful capture answers with."""
    return SuccessEnvelope(
        status="Success",
        message=CaptureMessage(id=receipt.lead_id, related_id=receipt.activity_id, is_created=receipt.is_created),
    )


def error_envelope(problem: Problem) -> ErrorEnvelope:
    """The body an error answers with; it never carries internals, only the problem's message."""
    return ErrorEnvelope(
        status="Error",
        exception_type=problem.exception_type.value,
        exception_message=problem.message,
    )


def preview_body(answer: SuccessEnvelope | ErrorEnvelope, decision: CaptureDecision | None) -> dict[str, Any]:
    """A dry-run answer: the real call's body plus `"Preview"`, the decision with its explanation (R-D2)."""
    body: dict[str, Any] = msgspec.to_builtins(answer)
    body["Preview"] = msgspec.to_builtins(decision) if decision is not None else None
    return body


def flat_lead(lead: Lead) -> dict[str, str]:
    """A lead as LeadSquared's look-ups answer it: string values, `ProspectID` first (R-H5)."""
    flat = {PROSPECT_ID_FIELD: lead.id}
    flat.update(lead.fields)
    flat[CREATED_ON] = lead.created_on.strftime("%Y-%m-%d %H:%M:%S")
    flat[MODIFIED_ON] = lead.modified_on.strftime("%Y-%m-%d %H:%M:%S")
    return flat
