"""Lead.Capture over HTTP (R-M, R-B, R-U, R-D; adr/0036): the capture, its dry run, its idempotency key, and
the CORS preflight of site keys (R-K3)."""

from __future__ import annotations

import functools
from typing import Any, Final

import anyio.to_thread
from litestar import HttpMethod, Request, Response, post, route
from returns.result import Failure, Result, Success

from leadcapture.core.decision import CaptureDecision, CaptureReceipt
from leadcapture.core.names import UpdateBehavior
from leadcapture.core.problems import Problem
from leadcapture.entrypoints.cors import preflight_headers
from leadcapture.entrypoints.gate import (
    CAPTURE_ACCESS,
    Gate,
    admit,
    unauthorized,
)
from leadcapture.entrypoints.group_commit import GroupCommitWriter
from leadcapture.entrypoints.logs import note_capture
from leadcapture.entrypoints.visits import VISIT_PATH
from leadcapture.entrypoints.web import (
    BASE,
    encode_json,
    engine_of,
    error_answer,
    header_of,
    idempotent_response,
    json_answer,
    json_body,
    query_of,
)
from leadcapture.keys import ApiKey
from leadcapture.service import Engine, StoredAnswer, answer_for
from leadcapture.wire.leadsquared import (
    capture_answer,
    error_envelope,
    preview_body,
    success_envelope,
)


@post(f"{BASE}/Lead.Capture", status_code=200)
async def lead_capture(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create or update a lead (R-M, R-B, R-U); `dryRun=true` previews instead (R-D1, R-D2).

    With an `Idempotency-Key` header, a retry with the same key and body within 24 hours replays the first
    answer without capturing again; the same key with another body is a 400. With `explain=true` a
    successful answer also carries the decision it applied (adr/0036).
    """
    caller = await admit(request, CAPTURE_ACCESS)
    engine = engine_of(request)
    query = query_of(request)
    body = await json_body(request)
    behavior = query.get("leadupdatebehavior")
    if caller.site:
        behavior = site_key_behavior(behavior)
    if query.get("dryrun", "").casefold() == "true":
        preview = await anyio.to_thread.run_sync(engine.preview, body, behavior)
        return _preview_response(preview)
    explain = query.get("explain", "").casefold() == "true"
    idempotency_key = header_of(request, b"idempotency-key")
    if idempotency_key is not None:
        return await _capture_once(engine, caller, idempotency_key, body, behavior, explain=explain)
    writer: GroupCommitWriter | None = request.app.state.writer
    if writer is not None:
        captured = await writer.capture(body, behavior)
    else:
        captured = await anyio.to_thread.run_sync(engine.capture, body, behavior)
    note_capture(captured)
    if isinstance(captured, Success):
        return json_answer(capture_answer(captured.unwrap(), explain=explain))
    return error_answer(captured.failure())


def site_key_behavior(asked: str | None) -> str | None:
    """A site key's LeadUpdateBehavior (R-K3): at most UpdateOnlyEmptyFields, DoNotUpdate when asked.

    A stranger who knows someone's email must not overwrite that lead from a public page, so a behaviour
    that would change filled fields becomes UpdateOnlyEmptyFields. A value that is no behaviour is passed
    on unchanged, to be refused as for any key (R-V6).
    """
    if asked is None:
        return UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS.value
    known = {behavior.value.casefold(): behavior for behavior in UpdateBehavior}
    chosen = known.get(asked.strip().casefold())
    if chosen is None:
        return asked
    if chosen is UpdateBehavior.DO_NOT_UPDATE:
        return chosen.value
    return UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS.value


@route([f"{BASE}/Lead.Capture", VISIT_PATH], http_method=[HttpMethod.OPTIONS], include_in_schema=False)
async def site_key_preflight(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A browser's CORS preflight: 204 with the CORS headers for an origin the site key lists, else 403 (R-K3)."""
    origin = header_of(request, b"origin")
    access_key = query_of(request).get("accesskey")
    gate: Gate = request.app.state.gate
    if origin and access_key and await gate.site_key_allows(access_key, origin):
        return Response(b"", status_code=204, headers=preflight_headers(origin))
    raise unauthorized(f"Origin {origin or '(none)'} is not allowed for this site key", "R-K3")


def rendered_capture(captured: Result[CaptureReceipt, Problem], *, explain: bool = False) -> StoredAnswer:
    """A capture's answer as it is sent and recorded for an idempotency key (with `Decision` if `explain`)."""
    note_capture(captured)
    if isinstance(captured, Success):
        return StoredAnswer(status=200, body=encode_json(capture_answer(captured.unwrap(), explain=explain)))
    problem = captured.failure()
    return StoredAnswer(status=problem.status, body=encode_json(error_envelope(problem)))


async def _capture_once(  # noqa: PLR0913 - the request's parts, passed on unchanged
    engine: Engine, caller: ApiKey, idempotency_key: str, body: bytes, behavior: str | None, *, explain: bool
) -> Response[bytes]:
    """Lead.Capture with an `Idempotency-Key`: the capture and the record of its answer commit together.

    A replay answers what was recorded, `Decision` included or not as the first request asked.
    """
    answered = await anyio.to_thread.run_sync(
        lambda: engine.capture_idempotently(
            body,
            behavior,
            scope=f"Lead.Capture:{caller.access_key}",
            key=idempotency_key,
            render=functools.partial(rendered_capture, explain=explain),
        ),
    )
    return idempotent_response(answered)


def _preview_response(preview: Result[CaptureDecision, Problem]) -> Response[bytes]:
    """The real call's answer (same status and envelope) plus `"Preview"` (R-D2)."""
    if isinstance(preview, Failure):
        problem = preview.failure()
        return json_answer(preview_body(error_envelope(problem), None), problem.status)
    decision = preview.unwrap()
    answer = answer_for(decision)
    if isinstance(answer, Success):
        return json_answer(preview_body(success_envelope(answer.unwrap()), decision))
    problem = answer.failure()
    return json_answer(preview_body(error_envelope(problem), decision), problem.status)


CAPTURE_ROUTES: Final = [site_key_preflight, lead_capture]
"""Lead.Capture, its CORS preflight first (it replaces the framework's OPTIONS answer for the path)."""
