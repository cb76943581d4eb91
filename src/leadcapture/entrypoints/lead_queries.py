"""The HTTP face of the lead queries beyond single look-ups: quick search, by ids, recently modified (R-L5, R-L6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import anyio.to_thread
from litestar import Request, Response, get, post
from returns.result import Failure, Result

from leadcapture.core.problems import Problem
from leadcapture.entrypoints.gate import READ_ACCESS, admit
from leadcapture.entrypoints.web import ApiError, engine_of, json_answer, json_body, query_of
from leadcapture.ports import LeadStore
from leadcapture.queries import leads_by_ids_answer, quick_search_answer, recently_modified_answer
from leadcapture.transports.base import BY_IDS_PATH, QUICK_SEARCH_PATH, RECENTLY_MODIFIED_PATH


@get(QUICK_SEARCH_PATH)
async def quick_search(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Leads whose name, email, phone, mobile or company holds `key`, most recently modified first (R-L5)."""
    await admit(request, READ_ACCESS)
    key = query_of(request).get("key", "")
    return json_answer(await anyio.to_thread.run_sync(quick_search_answer, engine_of(request).store, key))


async def _read_with_body(
    request: Request[Any, Any, Any], answer_for: Callable[[LeadStore, bytes], Result[Any, Problem]]
) -> Response[bytes]:
    """A read whose question is a JSON body: the keys checked, the body read, the store asked off the loop."""
    await admit(request, READ_ACCESS)
    body = await json_body(request, rule="R-L6")
    answer = await anyio.to_thread.run_sync(answer_for, engine_of(request).store, body)
    if isinstance(answer, Failure):
        raise ApiError(answer.failure())
    return json_answer(answer.unwrap())


@post(BY_IDS_PATH, status_code=200)
async def leads_by_ids(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with the ids in `SearchParameters.LeadIds`, in the order asked (R-L6)."""
    return await _read_with_body(request, leads_by_ids_answer)


@post(RECENTLY_MODIFIED_PATH, status_code=200)
async def recently_modified(request: Request[Any, Any, Any]) -> Response[bytes]:
    """How many leads were modified in the range, and a page of them, oldest change first (R-L6)."""
    return await _read_with_body(request, recently_modified_answer)


LEAD_QUERY_ROUTES: Final = [quick_search, leads_by_ids, recently_modified]
