"""LeadSquared's shapes for the lead-management writes: Create, Update, CreateOrUpdate, Convert, bulk (R-L1..R-L7)."""

from __future__ import annotations

import msgspec

from leadcapture.core.decision import CaptureDecision


class CreatedMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """`Message` of Lead.Create: the new lead's id."""

    id: str


class AffectedMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """`Message` of Lead.Update and Lead.Convert: one lead written."""

    affected_rows: int


class UpsertMessage(msgspec.Struct, frozen=True, rename="pascal"):
    """`Message` of Lead.CreateOrUpdate: the lead, and whether it was created."""

    id: str
    affected_rows: int
    is_created: bool


class CreateAnswer(msgspec.Struct, frozen=True, rename="pascal", omit_defaults=True):
    """`{"Status":"Success","Message":{"Id"}}` (R-L1); with `dryRun=true` also `"Preview"`."""

    status: str
    message: CreatedMessage
    preview: CaptureDecision | None = None


class AffectedAnswer(msgspec.Struct, frozen=True, rename="pascal", omit_defaults=True):
    """`{"Status":"Success","Message":{"AffectedRows":1}}` (R-L2, R-L4); with `dryRun=true` also `"Preview"`."""

    status: str
    message: AffectedMessage
    preview: CaptureDecision | None = None


class UpsertAnswer(msgspec.Struct, frozen=True, rename="pascal", omit_defaults=True):
    """`{"Status":"Success","Message":{"Id","AffectedRows","IsCreated"}}` (R-L3); a dry run adds `"Preview"`."""

    status: str
    message: UpsertMessage
    preview: CaptureDecision | None = None


class BulkRow(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    rename={
        "row_number": "RowNumber",
        "lead_id": "LeadId",
        "lead_created": "LeadCreated",
        "lead_updated": "LeadUpdated",
        "affected_rows": "AffectedRows",
        "exception_type": "ExceptionType",
        "exception_message": "ExceptionMessage",
        "preview": "Preview",
    },
):
    """One row's answer in a bulk call (R-L7): what it did, or why it failed (`ExceptionType`, `ExceptionMessage`)."""

    row_number: int
    lead_id: str | None
    lead_created: bool
    lead_updated: bool
    affected_rows: int
    exception_type: str | None = None
    exception_message: str | None = None
    preview: CaptureDecision | None = None
    """With `dryRun=true`: the row's decision, explained (R-L10)."""
