"""The lead-management writes as LeadSquared answers them, for the HTTP app and `LocalTransport` alike (R-L1..R-L7).

Each call is one match policy of the capture decision (`leadcapture.core.policies`); here it is chosen from
the request, run (or previewed, R-L10) through the `Engine`, and its result given LeadSquared's shape.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Final

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.decision import CaptureDecision, CaptureReceipt
from leadcapture.core.names import ExceptionType, Outcome
from leadcapture.core.policies import ConvertPolicy, CreateOrUpdatePolicy, CreatePolicy, MatchPolicy, UpdateByIdPolicy
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.service import Engine, answer_for
from leadcapture.wire.lead_writes import (
    AffectedAnswer,
    AffectedMessage,
    BulkRow,
    CreateAnswer,
    CreatedMessage,
    UpsertAnswer,
    UpsertMessage,
)
from leadcapture.wire.leadsquared import error_envelope, preview_body

_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ROWS: Final = msgspec.json.Decoder(list[msgspec.Raw])


class LeadCall(enum.StrEnum):
    """The lead-management calls, by their LeadSquared names."""

    CREATE = "Lead.Create"
    UPDATE = "Lead.Update"
    CREATE_OR_UPDATE = "Lead.CreateOrUpdate"
    CONVERT = "Lead.Convert"


BULK_LIMITS: Final = {LeadCall.CREATE: 50, LeadCall.CREATE_OR_UPDATE: 25}
"""The most rows one bulk call takes (R-L7)."""

Answer = tuple[int, object]
"""An HTTP status and the body to encode as JSON."""


def policy_for(call: LeadCall, query: Mapping[str, str]) -> Result[MatchPolicy, Problem]:
    """The match policy of `call`, with the lead id it names in `leadId` (query names case-folded)."""
    match call:
        case LeadCall.CREATE:
            return Success(CreatePolicy())
        case LeadCall.CREATE_OR_UPDATE:
            return Success(CreateOrUpdatePolicy())
        case LeadCall.UPDATE:
            return _lead_id(query, "'leadId' is mandatory for updating lead", rule="R-L2").map(
                lambda lead_id: UpdateByIdPolicy(lead_id=lead_id),
            )
        case LeadCall.CONVERT:
            return _lead_id(query, "'leadId' is mandatory for converting a visitor", rule="R-L4").map(
                lambda visitor_id: ConvertPolicy(visitor_id=visitor_id),
            )


def _lead_id(query: Mapping[str, str], missing: str, *, rule: str) -> Result[str, Problem]:
    value = query.get("leadid", "").strip()
    if not value:
        problem = Problem(exception_type=ExceptionType.MANDATORY_MISSING, message=missing, status=400, rule=rule)
        return Failure(problem)
    if not _GUID.fullmatch(value):
        return Failure(invalid_input("leadId: not a valid GUID", rule=rule))
    return Success(value.lower())


def success_body(call: LeadCall, receipt: CaptureReceipt, preview: CaptureDecision | None = None) -> object:
    """What a successful call answers (R-L1..R-L4), with the decision as `"Preview"` in a dry run."""
    match call:
        case LeadCall.CREATE:
            return CreateAnswer(status="Success", message=CreatedMessage(id=receipt.lead_id), preview=preview)
        case LeadCall.CREATE_OR_UPDATE:
            message = UpsertMessage(id=receipt.lead_id, affected_rows=1, is_created=receipt.is_created)
            return UpsertAnswer(status="Success", message=message, preview=preview)
        case LeadCall.UPDATE | LeadCall.CONVERT:
            return AffectedAnswer(status="Success", message=AffectedMessage(affected_rows=1), preview=preview)


def written_answer(call: LeadCall, result: Result[CaptureReceipt, Problem]) -> Answer:
    """A call's answer once applied: its success shape, or the error envelope with the problem's status."""
    if isinstance(result, Success):
        return 200, success_body(call, result.unwrap())
    problem = result.failure()
    return problem.status, error_envelope(problem)


def previewed_answer(call: LeadCall, preview: Result[CaptureDecision, Problem]) -> Answer:
    """A dry run's answer: the real call's status and body, plus `"Preview"` (R-L10, as R-D2)."""
    if isinstance(preview, Failure):
        problem = preview.failure()
        return problem.status, preview_body(error_envelope(problem), None)
    decision = preview.unwrap()
    answer = answer_for(decision)
    if isinstance(answer, Success):
        return 200, success_body(call, answer.unwrap(), decision)
    problem = answer.failure()
    return problem.status, preview_body(error_envelope(problem), decision)


def lead_write(engine: Engine, call: LeadCall, body: bytes, query: Mapping[str, str]) -> Answer:
    """Run `call` on `body` (or preview it with `dryRun=true`) and answer as LeadSquared does."""
    chosen = policy_for(call, query)
    if isinstance(chosen, Failure):
        problem = chosen.failure()
        return problem.status, error_envelope(problem)
    policy = chosen.unwrap()
    if query.get("dryrun", "").casefold() == "true":
        return previewed_answer(call, engine.preview(body, policy=policy))
    return written_answer(call, engine.capture(body, policy=policy))


def bulk_write(engine: Engine, call: LeadCall, body: bytes, *, dry_run: bool = False) -> Answer:
    """Lead/Bulk/Create or Lead/Bulk/CreateOrUpdate (R-L7): rows decided in order, one answer per row.

    The rows are written in one transaction, each seeing the rows before it; a row that fails writes nothing
    and is answered with its ExceptionType and message instead of failing the call. A dry run decides the
    rows the same way in a transaction that is rolled back (R-L10).
    """
    limit = BULK_LIMITS[call]
    try:
        rows = _ROWS.decode(body)
    except msgspec.DecodeError as exc:
        problem = invalid_input(f"Invalid request body: {exc}", rule="R-L7")
        return problem.status, error_envelope(problem)
    if not rows or len(rows) > limit:
        problem = invalid_input(f"A bulk call takes 1 to {limit} leads, not {len(rows)}", rule="R-L7")
        return problem.status, error_envelope(problem)
    policy = policy_for(call, {}).unwrap()
    if dry_run:
        with engine.dry_run() as run:
            results = [run.capture(bytes(row), policy=policy) for row in rows]
    else:
        with engine.store.transaction() as tx:
            results = [engine.capture_in(tx, bytes(row), policy=policy) for row in rows]
    return 200, [_bulk_row(number, result, dry_run=dry_run) for number, result in enumerate(results, start=1)]


def _bulk_row(number: int, result: Result[CaptureReceipt, Problem], *, dry_run: bool) -> BulkRow:
    if isinstance(result, Failure):
        problem: Problem = result.failure()
        return BulkRow(
            row_number=number,
            lead_id=None,
            lead_created=False,
            lead_updated=False,
            affected_rows=0,
            exception_type=problem.exception_type.value,
            exception_message=problem.message,
        )
    receipt = result.unwrap()
    return BulkRow(
        row_number=number,
        lead_id=receipt.lead_id,
        lead_created=receipt.is_created,
        lead_updated=receipt.outcome is Outcome.UPDATED,
        affected_rows=1,
        preview=receipt.decision if dry_run else None,
    )
