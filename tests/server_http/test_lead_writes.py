"""R-L1..R-L4, R-L7 and R-L10 over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any, Final

import httpx
import pytest
from tests.support.api import assert_envelope, capture_body
from tests.support.server import RunningServer

LEADS: Final = "/v2/LeadManagement.svc"
VISIT: Final = "/v2/WebTracking.svc/Visit"
UNKNOWN: Final = "e0000000-0000-4000-8000-00000000000e"
JSON: Final = {"Content-Type": "application/json"}


@pytest.fixture
def server_options() -> tuple[str, ...]:
    """The bulk limit small enough for a test to reach."""
    return ("--rate-limit", "100000/1s", "--bulk-rate-limit", "3/60s", "--no-worker")


@pytest.fixture
def server(server_on_each_database: RunningServer) -> RunningServer:
    """Every test here runs on SQLite and on PostgreSQL."""
    return server_on_each_database


def _post(server: RunningServer, path: str, body: object, **params: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with server.client() as client:
        return client.post(f"{LEADS}/{path}", content=content, params=params, headers=JSON)


def _lead(server: RunningServer, lead_id: str) -> dict[str, str]:
    with server.client() as client:
        (found,) = client.get(f"{LEADS}/Leads.GetById", params={"id": lead_id}).json()
    return dict(found)


def _activities(server: RunningServer, lead_id: str) -> list[dict[str, Any]]:
    with server.client() as client:
        page = client.post("/v2/ProspectActivity.svc/Retrieve", params={"leadId": lead_id}, json={}).json()
    return list(page["ProspectActivities"])


def test_L1_create_answers_the_new_id_never_matches_and_posts_no_activity(server: RunningServer) -> None:
    """R-L1: `{"Status":"Success","Message":{"Id"}}`; the same email again is the 409 of R-U2."""
    created = _post(server, "Lead.Create", capture_body(EmailAddress="ada@example.com", Source="Fair"))
    assert created.status_code == 200, created.text
    lead_id = created.json()["Message"]["Id"]
    assert created.json() == {"Status": "Success", "Message": {"Id": lead_id}}
    assert _lead(server, lead_id)["Source"] == "Fair"
    assert _activities(server, lead_id) == []
    again = _post(server, "Lead.Create", capture_body(EmailAddress="ADA@example.com"))
    assert again.status_code == 409
    assert_envelope(again, "MXDuplicateEntryException")


def test_L2_update_sets_the_given_fields_of_the_lead_named_in_any_casing(server: RunningServer) -> None:
    """R-L2: `leadId`, `leadid` or `LEADID`; `{"AffectedRows":1}`; unknown 404; missing 400; no activity."""
    lead_id = _post(server, "Lead.Create", capture_body(EmailAddress="ada@example.com")).json()["Message"]["Id"]
    updated = _post(server, "Lead.Update", capture_body(FirstName="Ada"), leadId=lead_id, postUpdatedLead="false")
    again = _post(server, "Lead.Update", capture_body(LastName="Lovelace"), leadid=lead_id.upper())
    unknown = _post(server, "Lead.Update", capture_body(FirstName="X"), LEADID=UNKNOWN)
    missing = _post(server, "Lead.Update", capture_body(FirstName="X"))
    assert updated.json() == again.json() == {"Status": "Success", "Message": {"AffectedRows": 1}}
    assert (_lead(server, lead_id)["FirstName"], _lead(server, lead_id)["LastName"]) == ("Ada", "Lovelace")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "Status": "Error",
        "ExceptionType": "MXInvalidInputException",
        "ExceptionMessage": f"No lead with id {UNKNOWN}",
    }
    assert missing.status_code == 400
    assert missing.json()["ExceptionType"] == "MXMandatoryAttributeMissingException"
    assert missing.json()["ExceptionMessage"] == "'leadId' is mandatory for updating lead"
    assert _activities(server, lead_id) == []


def test_L3_create_or_update_searches_search_by_else_email_then_phone(server: RunningServer) -> None:
    """R-L3: updates the match or creates; `{"Id","AffectedRows":1,"IsCreated"}`; ProspectId or no unique: 400."""
    first = _post(server, "Lead.CreateOrUpdate", capture_body(EmailAddress="ada@example.com", Phone="9000000001"))
    lead_id = first.json()["Message"]["Id"]
    by_phone = _post(server, "Lead.CreateOrUpdate", capture_body(Phone="+91 90000 00001", City="Pune"))
    by_mobile = _post(
        server,
        "Lead.CreateOrUpdate",
        capture_body(Mobile="8000000001", EmailAddress="new@example.com", SearchBy="Mobile"),
    )
    with_id = _post(server, "Lead.CreateOrUpdate", capture_body(ProspectId=lead_id, FirstName="X"))
    no_unique = _post(server, "Lead.CreateOrUpdate", capture_body(FirstName="X"))
    assert first.json() == {"Status": "Success", "Message": {"Id": lead_id, "AffectedRows": 1, "IsCreated": True}}
    assert by_phone.json() == {"Status": "Success", "Message": {"Id": lead_id, "AffectedRows": 1, "IsCreated": False}}
    assert by_mobile.json()["Message"]["IsCreated"] is True
    assert _lead(server, lead_id)["City"] == "Pune"
    assert (with_id.status_code, no_unique.status_code) == (400, 400)
    assert _activities(server, lead_id) == []


def test_L4_convert_turns_a_visitor_into_a_lead_with_its_id_and_first_touch_source(server: RunningServer) -> None:
    """R-L4: the visitor's id becomes the lead's, with the first visit's source; again, or unknown: 400."""
    with server.client() as client:
        visit = client.post(VISIT, json={"PageURL": "https://shop.example/?utm_source=Newsletter"}).json()
    visitor_id = visit["Message"]["Id"]
    converted = _post(server, "Lead.Convert", capture_body(EmailAddress="ada@example.com"), leadId=visitor_id)
    again = _post(server, "Lead.Convert", capture_body(FirstName="Ada"), leadId=visitor_id)
    unknown = _post(server, "Lead.Convert", capture_body(FirstName="Ada"), leadId=UNKNOWN)
    assert converted.json() == {"Status": "Success", "Message": {"AffectedRows": 1}}
    assert _lead(server, visitor_id)["Source"] == "Newsletter"
    assert [activity["EventName"] for activity in _activities(server, visitor_id)] == ["Web Visit"]
    assert (again.status_code, again.json()["ExceptionMessage"]) == (
        400,
        f"Visitor {visitor_id} is already converted into a lead",
    )
    assert unknown.status_code == 400


def test_L7_bulk_create_or_update_answers_each_row_in_order_and_a_failed_row_fails_alone(server: RunningServer) -> None:
    """R-L7: row 2 sees row 1; a bad row answers its exception; over 25 rows, or over the bulk limit: refused."""
    rows = [
        [{"Attribute": "EmailAddress", "Value": "ada@example.com"}],
        [{"Attribute": "EmailAddress", "Value": "ADA@example.com"}, {"Attribute": "FirstName", "Value": "Ada"}],
        [{"Attribute": "EmailAddress", "Value": "not-an-email"}],
        [{"Attribute": "Phone", "Value": "9000000009"}, {"Attribute": "SearchBy", "Value": "Phone"}],
    ]
    answer = _post(server, "Lead/Bulk/CreateOrUpdate", rows)
    assert answer.status_code == 200, answer.text
    first, second, bad, fourth = answer.json()
    assert first == {
        "RowNumber": 1,
        "LeadId": first["LeadId"],
        "LeadCreated": True,
        "LeadUpdated": False,
        "AffectedRows": 1,
    }
    assert second == {
        "RowNumber": 2,
        "LeadId": first["LeadId"],
        "LeadCreated": False,
        "LeadUpdated": True,
        "AffectedRows": 1,
    }
    assert bad["RowNumber"] == 3
    assert (bad["LeadId"], bad["AffectedRows"], bad["ExceptionType"]) == (None, 0, "MXInvalidInputException")
    assert fourth["LeadCreated"] is True
    assert _lead(server, first["LeadId"])["FirstName"] == "Ada"
    too_many = _post(server, "Lead/Bulk/CreateOrUpdate", [rows[0]] * 26)
    assert too_many.status_code == 400
    assert too_many.json()["ExceptionMessage"] == "A bulk call takes 1 to 25 leads, not 26"


def test_L7_bulk_create_takes_fifty_rows_and_a_duplicate_row_fails_alone(server: RunningServer) -> None:
    """R-L7: Lead/Bulk/Create never matches: a second row with the first's email answers the 409's exception."""
    rows = [[{"Attribute": "EmailAddress", "Value": f"p{n}@example.com"}] for n in range(49)]
    rows.append([{"Attribute": "EmailAddress", "Value": "P0@example.com"}])
    answer = _post(server, "Lead/Bulk/Create", rows).json()
    assert [row["RowNumber"] for row in answer] == list(range(1, 51))
    assert all(row["LeadCreated"] for row in answer[:49])
    assert (answer[49]["ExceptionType"], answer[49]["LeadCreated"]) == ("MXDuplicateEntryException", False)
    assert _post(server, "Lead/Bulk/Create", [rows[0]] * 51).status_code == 400


def test_L7_bulk_calls_have_their_own_lower_rate_limit(server: RunningServer) -> None:
    """R-L7: past the bulk limit (3/60s here) a bulk call is a 429 and writes nothing; single calls go on."""
    answers = [_post(server, "Lead/Bulk/Create", [[{"Attribute": "FirstName", "Value": f"B{n}"}]]) for n in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert_envelope(answers[3], "MXAPIRateLimitExceededException")
    with server.client() as client:
        written = client.get(f"{LEADS}/Leads.GetByQuickSearch", params={"key": "B"}).json()
    assert sorted(lead["FirstName"] for lead in written) == ["B0", "B1", "B2"]
    assert _post(server, "Lead.Create", capture_body(FirstName="single")).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "params", "status", "kind"),
    [
        ("Lead.Create", capture_body(EmailAddress="dry@example.com"), {}, 200, "Create"),
        ("Lead.CreateOrUpdate", capture_body(EmailAddress="dry@example.com"), {}, 200, "Create"),
        ("Lead.Update", capture_body(FirstName="Dry"), {"leadId": UNKNOWN}, 404, "Reject"),
        ("Lead.Convert", capture_body(FirstName="Dry"), {"leadId": UNKNOWN}, 400, "Reject"),
    ],
    ids=["create", "create-or-update", "update-unknown", "convert-unknown"],
)
def test_L10_a_dry_run_answers_the_real_status_and_shape_plus_the_decision_and_writes_nothing(
    server: RunningServer, path: str, body: bytes, params: dict[str, str], status: int, kind: str
) -> None:
    """R-L10: `dryRun=true` answers what the call would, with `"Preview"` (its decision explained); nothing written."""
    answer = _post(server, path, body, dryRun="true", **params)
    assert answer.status_code == status, answer.text
    assert answer.json()["Preview"]["type"] == kind
    with server.client() as client:
        assert client.get(f"{LEADS}/Leads.GetByEmailaddress", params={"emailaddress": "dry@example.com"}).json() == []


def test_L10_a_bulk_dry_run_previews_each_row_seeing_the_rows_before_it(server: RunningServer) -> None:
    """R-L10 with R-L7: row 2 of a dry run is previewed as an update of row 1's lead; nothing is written."""
    rows = [[{"Attribute": "EmailAddress", "Value": "dry@example.com"}]] * 2
    first, second = _post(server, "Lead/Bulk/CreateOrUpdate", rows, dryRun="true").json()
    assert (first["Preview"]["type"], second["Preview"]["type"]) == ("Create", "Update")
    assert second["LeadId"] == first["LeadId"]
    with server.client() as client:
        assert client.get(f"{LEADS}/Leads.GetByEmailaddress", params={"emailaddress": "dry@example.com"}).json() == []


def test_L10_an_idempotency_key_replays_the_first_answer(server: RunningServer) -> None:
    """R-L10 with R-Q5: a retry of Lead.Create with the same key and body replays; another body is a 400."""
    with server.client() as client:
        headers = {**JSON, "Idempotency-Key": "create-ada-1"}
        first = client.post(
            f"{LEADS}/Lead.Create", content=capture_body(EmailAddress="ada@example.com"), headers=headers
        )
        again = client.post(
            f"{LEADS}/Lead.Create", content=capture_body(EmailAddress="ada@example.com"), headers=headers
        )
        other = client.post(
            f"{LEADS}/Lead.Create", content=capture_body(EmailAddress="bob@example.com"), headers=headers
        )
        found = client.get(f"{LEADS}/Leads.GetByEmailaddress", params={"emailaddress": "ada@example.com"}).json()
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert other.status_code == 400
    assert [lead["ProspectID"] for lead in found] == [first.json()["Message"]["Id"]]
