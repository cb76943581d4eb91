"""Web visits (R-W1..R-W3): what recording one page view does, decided without I/O.

A visit by an id that is already a lead is a web-visit activity on that lead (R-W3); otherwise it is a visit
of an anonymous visitor, new or known, whose first visit is its source when it converts (R-W2, R-M6).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from urllib.parse import parse_qs, urlsplit

import msgspec

from leadcapture.core.names import WEB_VISIT_EVENT_CODE, WEB_VISIT_EVENT_NAME
from leadcapture.core.records import Activity, Lead, Visit, Visitor, WebVisitData

UTM_FIELDS: Final = (
    ("utm_source", "Source"),
    ("utm_medium", "SourceMedium"),
    ("utm_campaign", "SourceCampaign"),
    ("utm_content", "SourceContent"),
)
"""Which page-URL parameter fills which source field (R-W2)."""


def visit_source(page_url: str, referrer: str | None) -> dict[str, str]:
    """The source fields a visit gives: the page URL's `utm_*` parameters and the referrer (R-W2)."""
    parameters = parse_qs(urlsplit(page_url).query)
    source = {
        field: values[0].strip() for name, field in UTM_FIELDS if (values := parameters.get(name)) and values[0].strip()
    }
    if referrer:
        source["SourceReferrerURL"] = referrer
        source["SourceReferrer"] = urlsplit(referrer).hostname or referrer
    return source


def visit_activity(lead_id: str, visit: Visit) -> Activity:
    """A visitor's visit as a web-visit activity of lead `lead_id`, under the visit's own id (R-M6, R-W3).

    The activity id is the visit id, so a store that posts a visit from more than one place posts it once.
    """
    return Activity(
        id=visit.id,
        lead_id=lead_id,
        event_code=WEB_VISIT_EVENT_CODE,
        event_name=WEB_VISIT_EVENT_NAME,
        created_on=visit.visited_on,
        data=WebVisitData(page_url=visit.page_url, referrer=visit.referrer, source=visit.source),
    )


class VisitedLead(msgspec.Struct, frozen=True, kw_only=True, tag=True, gc=False):
    """The id is a lead's: post `activity` on it (R-W3)."""

    activity: Activity


class VisitedAsVisitor(msgspec.Struct, frozen=True, kw_only=True, tag=True, gc=False):
    """Store `visitor` (new, or known with the visit appended)."""

    visitor: Visitor
    is_new: bool


VisitDecision = VisitedLead | VisitedAsVisitor
"""Everything recording a visit can decide."""


def decide_visit(  # noqa: PLR0913 - the visit's inputs, all keyword-only
    *,
    tracking_id: str,
    lead: Lead | None,
    visitor: Visitor | None,
    page_url: str,
    referrer: str | None,
    now: datetime,
    visit_id: str,
) -> VisitDecision:
    """What a visit by `tracking_id` does, given the lead and visitor with that id (either may be None)."""
    source = visit_source(page_url, referrer)
    if lead is not None:
        activity = Activity(
            id=visit_id,
            lead_id=lead.id,
            event_code=WEB_VISIT_EVENT_CODE,
            event_name=WEB_VISIT_EVENT_NAME,
            created_on=now,
            data=WebVisitData(page_url=page_url, referrer=referrer, source=source),
        )
        return VisitedLead(activity=activity)
    visit = Visit(id=visit_id, visited_on=now, page_url=page_url, referrer=referrer, source=source)
    if visitor is None:
        return VisitedAsVisitor(visitor=Visitor(id=tracking_id, visits=(visit,)), is_new=True)
    return VisitedAsVisitor(visitor=msgspec.structs.replace(visitor, visits=(*visitor.visits, visit)), is_new=False)
