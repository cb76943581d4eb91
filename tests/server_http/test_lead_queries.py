"""R-L5 and R-L6 over HTTP, on SQLite and PostgreSQL: quick search, leads by ids, recently modified."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Final

import pytest
from tests.support.api import CAPTURE, assert_envelope, capture_body
from tests.support.server import RunningServer

LEADS: Final = "/v2/LeadManagement.svc"
MISSING_ID: Final = "00000000-0000-7000-8000-00000000dead"


@pytest.fixture
def server(server_on_each_database: RunningServer) -> RunningServer:
    """Every test here runs on SQLite and on PostgreSQL."""
    return server_on_each_database


def _capture(server: RunningServer, **fields: str) -> str:
    with server.client() as client:
        answer = client.post(CAPTURE, content=capture_body(**fields), headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    lead_id: str = answer.json()["Message"]["Id"]
    return lead_id


def test_L5_quick_search_answers_flat_leads_most_recent_first(server: RunningServer) -> None:
    """R-L5: text in any of the six fields, ASCII case ignored, a number among phone digits, newest change first."""
    ada = _capture(server, FirstName="Ada", EmailAddress="ada@example.com", Phone="9000000001")
    adam = _capture(server, FirstName="Adam", Company="Acme")
    _capture(server, FirstName="Grace", City="Ada")
    with server.client() as client:
        by_name = client.get(f"{LEADS}/Leads.GetByQuickSearch", params={"key": "ADA"}).json()
        by_digits = client.get(f"{LEADS}/Leads.GetByQuickSearch", params={"Key": "+91 90000 00001"}).json()
        blank = client.get(f"{LEADS}/Leads.GetByQuickSearch", params={"key": "  "}).json()
        nothing = client.get(f"{LEADS}/Leads.GetByQuickSearch").json()
    assert [lead["ProspectID"] for lead in by_name] == [adam, ada]
    assert by_name[1] == {
        "ProspectID": ada,
        "FirstName": "Ada",
        "EmailAddress": "ada@example.com",
        "Phone": "+91-9000000001",
        "CreatedOn": by_name[1]["CreatedOn"],
        "ModifiedOn": by_name[1]["ModifiedOn"],
    }
    assert [lead["ProspectID"] for lead in by_digits] == [ada]
    assert blank == nothing == []


def test_L6_leads_by_ids_answers_the_found_leads_in_the_order_asked(server: RunningServer) -> None:
    """R-L6: `{"SearchParameters":{"LeadIds":[...]}}` answers the found leads in the order asked."""
    first = _capture(server, EmailAddress="first@example.com")
    second = _capture(server, EmailAddress="second@example.com")
    body = {"SearchParameters": {"LeadIds": [second.upper(), MISSING_ID, first]}}
    with server.client() as client:
        found = client.post(f"{LEADS}/Leads/Retrieve/ByIds", json=body).json()
    assert [(lead["ProspectID"], lead["EmailAddress"]) for lead in found] == [
        (second, "second@example.com"),
        (first, "first@example.com"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"SearchParameters": {"LeadIds": ["not-a-guid"]}}, "LeadIds: not a valid GUID: not-a-guid"),
        ({"SearchParameters": {"LeadIds": [MISSING_ID] * 10_001}}, "LeadIds: at most 10000 ids, not 10001"),
        ({"LeadIds": [MISSING_ID]}, "Invalid request body: Object missing required field `SearchParameters`"),
    ],
    ids=["bad-guid", "too-many", "no-search-parameters"],
)
def test_L6_leads_by_ids_refuses_what_is_not_a_list_of_ids(
    server: RunningServer, body: dict[str, object], message: str
) -> None:
    """R-L6: a bad GUID, more than 10,000 ids or another shape is a 400 MXInvalidInputException."""
    with server.client() as client:
        answer = client.post(f"{LEADS}/Leads/Retrieve/ByIds", json=body)
    assert answer.status_code == 400
    assert_envelope(answer, "MXInvalidInputException")
    assert answer.json()["ExceptionMessage"] == message


def _window(start: datetime, end: datetime, page: int = 1, size: int = 100) -> bytes:
    text = "%Y-%m-%d %H:%M:%S"
    parameter = {"FromDate": start.strftime(text), "ToDate": end.strftime(text)}
    return json.dumps({"Parameter": parameter, "Paging": {"PageIndex": page, "PageSize": size}}).encode()


def test_L6_recently_modified_counts_and_pages_the_leads_changed_in_the_range(server: RunningServer) -> None:
    """R-L6: RecordCount of the range, and the asked page as LeadPropertyList attribute lists, oldest first."""
    ids = [_capture(server, EmailAddress=f"m{number}@example.com") for number in range(3)]
    _capture(server, EmailAddress="m0@example.com", FirstName="Again")  # the first lead is now the newest change
    now = datetime.now(UTC)
    with server.client() as client:
        everything = client.post(
            f"{LEADS}/Leads.RecentlyModified", content=_window(now - timedelta(hours=1), now + timedelta(hours=1))
        )
        second_page = client.post(
            f"{LEADS}/Leads.RecentlyModified",
            content=_window(now - timedelta(hours=1), now + timedelta(hours=1), page=2, size=2),
        )
        before = client.post(
            f"{LEADS}/Leads.RecentlyModified", content=_window(now - timedelta(days=2), now - timedelta(days=1))
        )
    assert everything.status_code == 200, everything.text
    answer = everything.json()
    assert answer["RecordCount"] == 3
    listed = [{pair["Attribute"]: pair["Value"] for pair in lead["LeadPropertyList"]} for lead in answer["Leads"]]
    assert [lead["ProspectID"] for lead in listed] == [ids[1], ids[2], ids[0]]
    assert listed[2]["FirstName"] == "Again"
    assert list(answer["Leads"][0]["LeadPropertyList"][0]) == ["Attribute", "Value"]
    assert second_page.json()["RecordCount"] == 3
    assert [lead["LeadPropertyList"][0]["Value"] for lead in second_page.json()["Leads"]] == [ids[0]]
    assert before.json() == {"RecordCount": 0, "Leads": []}


@pytest.mark.parametrize(
    ("parameter", "paging", "message"),
    [
        (
            {"FromDate": "2026-02-30 00:00:00", "ToDate": "2026-03-01 00:00:00"},
            {},
            "Parameter.FromDate: expected yyyy-mm-dd hh:mm:ss, not '2026-02-30 00:00:00'",
        ),
        (
            {"FromDate": "2026-03-02 00:00:00", "ToDate": "2026-03-01 00:00:00"},
            {},
            "Parameter.FromDate is after Parameter.ToDate",
        ),
        (
            {"FromDate": "2026-03-01", "ToDate": "2026-03-02 00:00:00"},
            {},
            "Invalid request body: Expected `str` matching regex",
        ),
        (
            {"FromDate": "2026-03-01 00:00:00", "ToDate": "2026-03-02 00:00:00"},
            {"PageSize": 5001},
            "Invalid request body: Expected `int` <= 5000",
        ),
        (
            {"FromDate": "2026-03-01 00:00:00", "ToDate": "2026-03-02 00:00:00"},
            {"PageIndex": 0},
            "Invalid request body: Expected `int` >= 1",
        ),
    ],
    ids=["no-such-day", "from-after-to", "no-time", "page-too-large", "page-index-zero"],
)
def test_L6_recently_modified_refuses_bad_dates_and_pages(
    server: RunningServer, parameter: dict[str, str], paging: dict[str, int], message: str
) -> None:
    """R-L6: dates not written yyyy-mm-dd hh:mm:ss, a backwards range or a page out of range: a 400."""
    with server.client() as client:
        answer = client.post(f"{LEADS}/Leads.RecentlyModified", json={"Parameter": parameter, "Paging": paging})
    assert answer.status_code == 400
    assert_envelope(answer, "MXInvalidInputException")
    assert answer.json()["ExceptionMessage"].startswith(message)
