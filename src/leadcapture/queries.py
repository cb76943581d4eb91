"""The lead queries of R-L5 and R-L6 as LeadSquared answers them, for the HTTP app and `LocalTransport` alike.

Each function takes the store and the request's raw parts and gives the wire answer, or the Problem that
the envelope reports; the two faces only carry bytes in and out.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.records import Lead
from leadcapture.core.search import (
    LEADS_BY_IDS_LIMIT,
    QUICK_SEARCH_LIMIT,
    ModifiedWindow,
    quick_search,
)
from leadcapture.ports import LeadStore
from leadcapture.wire.lead_queries import (
    LeadsByIdsBody,
    RecentlyModifiedAnswer,
    RecentlyModifiedBody,
    ServiceUrls,
    UserAnswer,
    lead_properties,
)
from leadcapture.wire.leadsquared import flat_lead

FlatLeads = list[dict[str, str]]
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_ONE_SECOND: Final = timedelta(seconds=1)
_BY_IDS: Final = msgspec.json.Decoder(LeadsByIdsBody)
_RECENTLY_MODIFIED: Final = msgspec.json.Decoder(RecentlyModifiedBody)


def quick_search_answer(store: LeadStore, key: str) -> FlatLeads:
    """Leads.GetByQuickSearch (R-L5): the leads whose name, email, phone, mobile or company holds `key`."""
    search = quick_search(key)
    if search is None:
        return []
    return [flat_lead(lead) for lead in store.quick_search(search, QUICK_SEARCH_LIMIT)]


def leads_by_ids_answer(store: LeadStore, body: bytes) -> Result[FlatLeads, Problem]:
    """Leads/Retrieve/ByIds (R-L6): the found leads, in the order asked."""
    try:
        asked = _BY_IDS.decode(body).search_parameters.lead_ids
    except msgspec.DecodeError as exc:
        return Failure(invalid_input(f"Invalid request body: {exc}", rule="R-L6"))
    if len(asked) > LEADS_BY_IDS_LIMIT:
        return Failure(invalid_input(f"LeadIds: at most {LEADS_BY_IDS_LIMIT} ids, not {len(asked)}", rule="R-L6"))
    wrong = next((lead_id for lead_id in asked if not _GUID.fullmatch(lead_id.strip())), None)
    if wrong is not None:
        return Failure(invalid_input(f"LeadIds: not a valid GUID: {wrong[:64]}", rule="R-L6"))
    return Success([flat_lead(lead) for lead in store.leads_by_ids([lead_id.strip() for lead_id in asked])])


def recently_modified_answer(store: LeadStore, body: bytes) -> Result[RecentlyModifiedAnswer, Problem]:
    """Leads.RecentlyModified (R-L6): how many leads changed in the range, and the asked page of them."""
    try:
        asked = _RECENTLY_MODIFIED.decode(body)
    except msgspec.DecodeError as exc:
        return Failure(invalid_input(f"Invalid request body: {exc}", rule="R-L6"))
    return _window(asked).map(
        lambda window: _page_answer(*store.modified_leads(window)),
    )


def _page_answer(count: int, leads: tuple[Lead, ...]) -> RecentlyModifiedAnswer:
    return RecentlyModifiedAnswer(record_count=count, leads=[lead_properties(lead) for lead in leads])


def _window(asked: RecentlyModifiedBody) -> Result[ModifiedWindow, Problem]:
    paging = asked.paging
    dates = []
    for name, text in (("FromDate", asked.parameter.from_date), ("ToDate", asked.parameter.to_date)):
        try:
            dates.append(datetime.strptime(text.strip(), _DATE_FORMAT).replace(tzinfo=UTC))
        except ValueError:
            return Failure(
                invalid_input(f"Parameter.{name}: expected yyyy-mm-dd hh:mm:ss, not {text[:40]!r}", rule="R-L6")
            )
    start, end = dates
    if start > end:
        return Failure(invalid_input("Parameter.FromDate is after Parameter.ToDate", rule="R-L6"))
    last = datetime.max.replace(tzinfo=UTC)
    return Success(
        ModifiedWindow(
            start=start,
            end=end + _ONE_SECOND if end < last - _ONE_SECOND else last,
            offset=(paging.page_index - 1) * paging.page_size,
            limit=paging.page_size,
        )
    )


_USERS: Final = uuid.UUID("6c1f3e0a-2d7b-4c59-9a43-6f0f5c2d8e11")
"""The namespace of the users' ids: each caller's user has a fixed id made from what identifies it."""


def user_answer(*, name: str, identity: str, administrator: bool, host: str) -> UserAnswer:
    """UserByAccessKey.Get's answer (R-L9) for the caller `identity` (an access key) named `name`, served at `host`."""
    return UserAnswer(
        id=str(uuid.uuid5(_USERS, identity)),
        first_name=name,
        last_name="",
        email_address="",
        role="Administrator" if administrator else "API",
        timezone="UTC",
        lsq_common_service_urls=ServiceUrls(api=host, app=host),
    )
