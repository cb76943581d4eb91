"""The HTTP face of the lead queries beyond single look-ups: quick search, by ids, recently modified (R-L5, R-L6)."""

from __future__ import annotations

from typing import Any, Final

import anyio.to_thread
from litestar import Request, Response, get, post
from returns.result import Failure

from leadcapture.entrypoints.http import BASE, READ_ACCESS, ApiError, _admit, _engine, _json, _query, json_body
from leadcapture.queries import leads_by_ids_answer, quick_search_answer, recently_modified_answer

QUICK_SEARCH_PATH: Final = f"{BASE}/Leads.GetByQuickSearch"
BY_IDS_PATH: Final = f"{BASE}/Leads/Retrieve/ByIds"
RECENTLY_MODIFIED_PATH: Final = f"{BASE}/Leads.RecentlyModified"


@get(QUICK_SEARCH_PATH)
async def quick_search(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Leads whose name, email, phone, mobile or company holds `key`, most recently modified first (R-L5)."""
    await _admit(request, READ_ACCESS)
    key = _query(request).get("key", "")
    return _json(await anyio.to_thread.run_sync(quick_search_answer, _engine(request).store, key))


@post(BY_IDS_PATH, status_code=200)
async def leads_by_ids(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with the ids in `SearchParameters.LeadIds`, in the order asked (R-L6)."""
    await _admit(request, READ_ACCESS)
    body = await json_body(request, rule="R-L6")
    answer = await anyio.to_thread.run_sync(leads_by_ids_answer, _engine(request).store, body)
    if isinstance(answer, Failure):
        raise ApiError(answer.failure())
    return _json(answer.unwrap())


@post(RECENTLY_MODIFIED_PATH, status_code=200)
async def recently_modified(request: Request[Any, Any, Any]) -> Response[bytes]:
    """How many leads were modified in the range, and a page of them, oldest change first (R-L6)."""
    await _admit(request, READ_ACCESS)
    body = await json_body(request, rule="R-L6")
    answer = await anyio.to_thread.run_sync(recently_modified_answer, _engine(request).store, body)
    if isinstance(answer, Failure):
        raise ApiError(answer.failure())
    return _json(answer.unwrap())


LEAD_QUERY_ROUTES: Final = [quick_search, leads_by_ids, recently_modified]
