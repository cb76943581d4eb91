"""WebTracking.svc/Visit over HTTP: page views on leads and anonymous visitors (R-W1..R-W3)."""

from __future__ import annotations

import re
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Request, Response, post

from leadcapture.core.problems import invalid_input
from leadcapture.core.visits import VisitDecision, VisitedLead, decide_visit
from leadcapture.entrypoints.gate import (
    VISIT_ACCESS,
    admit,
)
from leadcapture.entrypoints.web import (
    ApiError,
    engine_of,
    json_answer,
    json_body,
)
from leadcapture.service import Engine
from leadcapture.wire.leadsquared import (
    VisitAnswer,
    VisitBody,
    VisitMessage,
)

VISIT_PATH: Final = "/v2/WebTracking.svc/Visit"

_VISIT_BODY: Final = msgspec.json.Decoder(VisitBody)
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@post(VISIT_PATH, status_code=200)
async def record_visit(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Record a page view: on the lead with this id (R-W3), else on its anonymous visitor (R-W1, R-W2)."""
    await admit(request, VISIT_ACCESS)
    try:
        body = _VISIT_BODY.decode(await json_body(request, rule="R-W1"))
    except msgspec.DecodeError as exc:
        raise ApiError(invalid_input(f"Invalid request body: {exc}", rule="R-W1")) from exc
    if body.prospect_id is not None and not _GUID.fullmatch(body.prospect_id.strip()):
        raise ApiError(invalid_input("ProspectId: not a valid GUID", rule="R-W1"))
    engine = engine_of(request)
    decision, is_lead = await anyio.to_thread.run_sync(_record_visit, engine, body)
    tracking_id = decision.activity.lead_id if isinstance(decision, VisitedLead) else decision.visitor.id
    return json_answer(VisitAnswer(status="Success", message=VisitMessage(id=tracking_id, is_lead=is_lead)))


def _record_visit(engine: Engine, body: VisitBody) -> tuple[VisitDecision, bool]:
    """Record the visit; the decision, and whether the visit went on a lead (R-W3).

    A visit decided for a visitor but saved after a capture converted it is posted on the new lead by the
    save (adr/0028), so it is answered as a lead's visit.
    """
    tracking_id = body.prospect_id.strip().lower() if body.prospect_id else engine.new_id()
    store = engine.store
    decision = decide_visit(
        tracking_id=tracking_id,
        lead=store.get_lead(tracking_id),
        visitor=store.visitor(tracking_id),
        page_url=body.page_url,
        referrer=body.referrer,
        now=engine.now(),
        visit_id=engine.new_id(),
    )
    if isinstance(decision, VisitedLead):
        store.post_activity(decision.activity)
        return decision, True
    return decision, store.save_visitor(decision.visitor)


VISIT_ROUTES: Final = [record_visit]
