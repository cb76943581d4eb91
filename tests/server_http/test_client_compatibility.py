"""The wire as LeadSquared's own clients speak it, on every LeadSquared endpoint the server answers.

The Ruby, TypeScript, PHP, Python and Java clients measured send their keys in the query (`accessKey`,
`secretKey`) or in `x-LSQ-AccessKey`/`x-LSQ-SecretKey` headers, send `null` as the body of a GET, label JSON
with or without `; charset=utf-8`, and spell `leadId` as `leadId` or `leadid`. Each endpoint is called every
way and must answer the same success shape.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import httpx
import pytest
from tests.support.server import RunningServer, start_server

LEADS: Final = "/v2/LeadManagement.svc"
_WORLDS: Final = itertools.count(1)
"""Each call's own lead: a number for its email and phone."""


@dataclass(frozen=True)
class World:
    """What the calls name: a lead, its email and phone, and a visitor (made afresh for each call)."""

    lead_id: str
    email: str
    phone: str
    new_visitor: Callable[[], str]


@dataclass(frozen=True)
class Call:
    """One endpoint: how to call it in a world, and what its success looks like."""

    method: str
    path: str
    query: Callable[[World], dict[str, str]]
    body: Callable[[World], object | None]
    shape: Callable[[Any], bool]


def _attributes(**fields: str) -> list[dict[str, str]]:
    return [{"Attribute": name, "Value": value} for name, value in fields.items()]


def _is_lead_list(answer: Any) -> bool:
    return isinstance(answer, list) and all("ProspectID" in lead for lead in answer)


CALLS: Final = {
    "Lead.Capture": Call(
        "POST",
        f"{LEADS}/Lead.Capture",
        lambda w: {},
        lambda w: _attributes(EmailAddress=w.email, City="Pune"),
        lambda a: a["Message"]["Id"],
    ),
    "Leads.GetById": Call(
        "GET",
        f"{LEADS}/Leads.GetById",
        lambda w: {"id": w.lead_id},
        lambda w: None,
        lambda a: _is_lead_list(a) and len(a) == 1,
    ),
    "Leads.GetByEmailaddress": Call(
        "GET",
        f"{LEADS}/Leads.GetByEmailaddress",
        lambda w: {"emailaddress": w.email},
        lambda w: None,
        lambda a: _is_lead_list(a) and len(a) == 1,
    ),
    "RetrieveLeadByPhoneNumber": Call(
        "GET",
        f"{LEADS}/RetrieveLeadByPhoneNumber",
        lambda w: {"phone": w.phone},
        lambda w: None,
        lambda a: _is_lead_list(a) and len(a) == 1,
    ),
    "LeadsMetaData.Get": Call(
        "GET",
        f"{LEADS}/LeadsMetaData.Get",
        lambda w: {},
        lambda w: None,
        lambda a: any(f["SchemaName"] == "EmailAddress" for f in a),
    ),
    "Leads.GetByQuickSearch": Call(
        "GET",
        f"{LEADS}/Leads.GetByQuickSearch",
        lambda w: {"key": w.email},
        lambda w: None,
        lambda a: _is_lead_list(a) and len(a) == 1,
    ),
    "Leads/Retrieve/ByIds": Call(
        "POST",
        f"{LEADS}/Leads/Retrieve/ByIds",
        lambda w: {},
        lambda w: {"SearchParameters": {"LeadIds": [w.lead_id]}},
        lambda a: _is_lead_list(a) and len(a) == 1,
    ),
    "Leads.RecentlyModified": Call(
        "POST",
        f"{LEADS}/Leads.RecentlyModified",
        lambda w: {},
        lambda w: {
            "Parameter": {"FromDate": "2000-01-01 00:00:00", "ToDate": "2100-01-01 00:00:00"},
            "Paging": {"PageIndex": 1, "PageSize": 10},
        },
        lambda a: a["RecordCount"] >= 1 and "LeadPropertyList" in a["Leads"][0],
    ),
    "ProspectActivity.svc/Retrieve": Call(
        "POST",
        "/v2/ProspectActivity.svc/Retrieve",
        lambda w: {"leadId": w.lead_id},
        lambda w: {},
        lambda a: a["RecordCount"] >= 1,
    ),
    "WebTracking.svc/Visit": Call(
        "POST",
        "/v2/WebTracking.svc/Visit",
        lambda w: {},
        lambda w: {"PageURL": "https://shop.example/?utm_source=Ads"},
        lambda a: a["Status"] == "Success",
    ),
    "UserByAccessKey.Get": Call(
        "GET",
        "/v2/Authentication.svc/UserByAccessKey.Get",
        lambda w: {},
        lambda w: None,
        lambda a: "api" in a["LSQCommonServiceURLs"],
    ),
    "Lead.Create": Call(
        "POST",
        f"{LEADS}/Lead.Create",
        lambda w: {},
        lambda w: _attributes(FirstName="Made"),
        lambda a: set(a["Message"]) == {"Id"},
    ),
    "Lead.Update": Call(
        "POST",
        f"{LEADS}/Lead.Update",
        lambda w: {"leadId": w.lead_id},
        lambda w: _attributes(City="Oslo"),
        lambda a: a["Message"] == {"AffectedRows": 1},
    ),
    "Lead.CreateOrUpdate": Call(
        "POST",
        f"{LEADS}/Lead.CreateOrUpdate",
        lambda w: {},
        lambda w: _attributes(EmailAddress=w.email, City="Rome"),
        lambda a: a["Message"]["IsCreated"] is False,
    ),
    "Lead.Convert": Call(
        "POST",
        f"{LEADS}/Lead.Convert",
        lambda w: {"leadId": w.new_visitor()},
        lambda w: _attributes(FirstName="Converted"),
        lambda a: a["Message"] == {"AffectedRows": 1},
    ),
    "Lead/Bulk/Create": Call(
        "POST",
        f"{LEADS}/Lead/Bulk/Create",
        lambda w: {},
        lambda w: [_attributes(FirstName="Bulk")],
        lambda a: a[0]["LeadCreated"] is True,
    ),
    "ProspectActivity.svc/Create": Call(
        "POST",
        "/v2/ProspectActivity.svc/Create",
        lambda w: {},
        lambda w: {"RelatedProspectId": w.lead_id, "ActivityEvent": 23, "ActivityNote": "Called back"},
        lambda a: a["Message"]["Id"],
    ),
    "ProspectActivity.svc/CreateType": Call(
        "POST",
        "/v2/ProspectActivity.svc/CreateType",
        lambda w: {},
        lambda w: {"ActivityEventName": f"Webinar {w.email}", "Score": 5, "Direction": 0},
        lambda a: a["Message"]["Id"] >= 201,
    ),
    "ProspectActivity.svc/ActivityTypes.Get": Call(
        "GET",
        "/v2/ProspectActivity.svc/ActivityTypes.Get",
        lambda w: {},
        lambda w: None,
        lambda a: any(t["ActivityEvent"] == 23 for t in a),
    ),
    "Lead/Bulk/CreateOrUpdate": Call(
        "POST",
        f"{LEADS}/Lead/Bulk/CreateOrUpdate",
        lambda w: {},
        lambda w: [_attributes(EmailAddress=w.email)],
        lambda a: a[0]["LeadUpdated"] is True,
    ),
}


def _query_keys(
    server: RunningServer, query: dict[str, str], headers: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return {**query, "accessKey": server.access_key, "secretKey": server.secret_key}, headers


def _header_keys(
    server: RunningServer, query: dict[str, str], headers: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return query, {**headers, **server.header_keys}


def _lower_case_names(
    server: RunningServer, query: dict[str, str], headers: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    lowered = {name.lower(): value for name, value in query.items()}
    return {**lowered, "accesskey": server.access_key, "secretkey": server.secret_key}, headers


WAYS: Final = {
    "query keys, plain JSON": (_query_keys, "application/json"),
    "header keys, JSON with charset": (_header_keys, "application/json; charset=utf-8"),
    "lower-case names (leadid, accesskey), JSON with charset": (_lower_case_names, "application/json; charset=UTF-8"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for every call; its limits out of the way."""
    running = start_server(
        tmp_path_factory.mktemp("compatibility"),
        "--rate-limit",
        "100000/1s",
        "--bulk-rate-limit",
        "100000/1s",
        "--no-worker",
    )
    yield running
    running.stop()


@pytest.fixture
def world(server: RunningServer) -> World:
    """A lead made by Lead.Capture with its own email and phone, and a way to make visitors."""
    number = next(_WORLDS)
    email, phone = f"compat{number}@example.com", f"70{number:08d}"
    with server.client() as client:
        made = client.post(f"{LEADS}/Lead.Capture", json=_attributes(EmailAddress=email, Phone=phone)).json()

    def new_visitor() -> str:
        with server.client() as client:
            visit = client.post("/v2/WebTracking.svc/Visit", json={"PageURL": "https://shop.example/"}).json()
        return str(visit["Message"]["Id"])

    return World(lead_id=made["Message"]["Id"], email=email, phone=phone, new_visitor=new_visitor)


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("endpoint", list(CALLS))
def test_every_endpoint_answers_leadsquareds_clients_whichever_way_they_call(
    server: RunningServer, world: World, endpoint: str, way: str
) -> None:
    """Keys in the query or in headers, JSON with or without charset, names in any casing, GET bodies of null."""
    call = CALLS[endpoint]
    with_keys, content_type = WAYS[way]
    query, headers = with_keys(server, call.query(world), {"Content-Type": content_type})
    body = call.body(world)
    content = b"null" if body is None else json.dumps(body).encode()  # a GET carries `null`, as several clients send
    answer = httpx.request(
        call.method, f"{server.base_url}{call.path}", params=query, headers=headers, content=content, timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert call.shape(answer.json()), answer.json()
