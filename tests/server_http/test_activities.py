"""R-L8 over HTTP, on SQLite and PostgreSQL: activity types, posted activities, their dry runs and replays."""

from __future__ import annotations

import json
from typing import Any, Final

import httpx
import pytest
from tests.support.api import assert_envelope, capture_body, leads_by_email
from tests.support.server import RunningServer

ACTIVITIES: Final = "/v2/ProspectActivity.svc"
CREATE: Final = f"{ACTIVITIES}/Create"
CREATE_TYPE: Final = f"{ACTIVITIES}/CreateType"
TYPES: Final = f"{ACTIVITIES}/ActivityTypes.Get"
RETRIEVE: Final = f"{ACTIVITIES}/Retrieve"
CAPTURE: Final = "/v2/LeadManagement.svc/Lead.Capture"
MISSING_ID: Final = "00000000-0000-7000-8000-00000000dead"
BUILT_IN: Final = [
    {"ActivityEvent": 1, "ActivityEventName": "Web Visit", "Score": 0, "Direction": 0},
    {"ActivityEvent": 23, "ActivityEventName": "Lead Capture", "Score": 0, "Direction": 0},
]


@pytest.fixture
def server(server_on_each_database: RunningServer) -> RunningServer:
    """Every test here runs on SQLite and on PostgreSQL."""
    return server_on_each_database


def _capture(client: httpx.Client, **fields: str) -> str:
    answer = client.post(CAPTURE, content=capture_body(**fields))
    assert answer.status_code == 200, answer.text
    lead_id: str = answer.json()["Message"]["Id"]
    return lead_id


def _activities(client: httpx.Client, lead_id: str) -> list[dict[str, Any]]:
    answer = client.post(RETRIEVE, params={"leadId": lead_id})
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["ProspectActivities"]
    return records


def test_L8_types_are_listed_with_the_built_in_ones_and_registered_from_201(server: RunningServer) -> None:
    """R-L8: ActivityTypes.Get lists Web Visit and Lead Capture; CreateType answers each new type's code."""
    with server.client() as client:
        before = client.get(TYPES)
        call = client.post(CREATE_TYPE, json={"ActivityEventName": "Phone Call", "Score": 5, "Direction": 1})
        demo = client.post(CREATE_TYPE, json={"activityeventname": " Product   Demo "})
        after = client.get(TYPES)
    assert before.status_code == 200
    assert before.json() == BUILT_IN
    assert (call.status_code, call.json()) == (200, {"Status": "Success", "Message": {"Id": 201}})
    assert (demo.status_code, demo.json()) == (200, {"Status": "Success", "Message": {"Id": 202}})
    assert after.json() == [
        *BUILT_IN,
        {"ActivityEvent": 201, "ActivityEventName": "Phone Call", "Score": 5, "Direction": 1},
        {"ActivityEvent": 202, "ActivityEventName": "Product Demo", "Score": 0, "Direction": 0},
    ]


@pytest.mark.parametrize(
    ("body", "exception_type", "message"),
    [
        ({"ActivityEventName": "lead capture"}, "MXDuplicateEntryException", "named 'lead capture' already exists"),
        ({"ActivityEventName": "Call", "Colour": "red"}, "MXUnknownAttributeException", "does not exist - Colour"),
        ({"ActivityEventName": "Call", "Score": "high"}, "MXInvalidInputException", "Expected `int`, got `str`"),
        ({"ActivityEventName": "Call", "Score": 1001}, "MXInvalidInputException", "Score: from -1000 to 1000, not"),
        ({"ActivityEventName": "   "}, "MXInvalidInputException", "ActivityEventName: 1 to 100 printable"),
        ({"Score": 3}, "MXMandatoryAttributeMissingException", "'ActivityEventName' is mandatory"),
    ],
    ids=["taken-name", "unknown-attribute", "bad-score", "score-too-high", "blank-name", "no-name"],
)
def test_L8_a_bad_type_is_400_and_registers_nothing(
    server: RunningServer, body: dict[str, object], exception_type: str, message: str
) -> None:
    """R-L8, R-V: a taken name, an unknown attribute or a bad value answers a 400 envelope; no type is added."""
    with server.client() as client:
        answer = client.post(CREATE_TYPE, json=body)
        types = client.get(TYPES).json()
    assert answer.status_code == 400
    assert_envelope(answer, exception_type)
    assert message in answer.json()["ExceptionMessage"]
    assert types == BUILT_IN


def test_L8_a_post_by_id_is_answered_with_its_id_and_retrieved_on_the_lead(server: RunningServer) -> None:
    """R-L8: Create by RelatedProspectId answers the activity id; Retrieve shows it, newest first, with its data."""
    with server.client() as client:
        lead_id = _capture(client, EmailAddress="ada@example.com")
        code = client.post(CREATE_TYPE, json={"ActivityEventName": "Phone Call"}).json()["Message"]["Id"]
        body = {
            "RelatedProspectId": lead_id.upper(),
            "ActivityEvent": code,
            "ActivityNote": "Asked for a quote",
            "ActivityDateTime": "2026-03-04 05:06:07",
            "Fields": [{"SchemaName": "mx_Custom_1", "Value": "Gold"}, {"SchemaName": "mx_Custom_2", "Value": 3}],
        }
        answer = client.post(CREATE, json=body)
        history = _activities(client, lead_id)
    assert answer.status_code == 200, answer.text
    activity_id = answer.json()["Message"]["Id"]
    assert answer.json() == {"Status": "Success", "Message": {"Id": activity_id}}
    assert [(record["Id"], record["EventCode"]) for record in history] == [
        (activity_id, 201),
        (history[1]["Id"], 23),
    ]
    assert history[0]["EventName"] == "Phone Call"
    assert history[0]["CreatedOn"] == "2026-03-04 05:06:07"
    assert history[0]["Data"] == {
        "type": "Posted",
        "note": "Asked for a quote",
        "fields": {"mx_Custom_1": "Gold", "mx_Custom_2": "3"},
    }


def test_L8_a_post_by_a_new_email_creates_the_lead_from_the_body(server: RunningServer) -> None:
    """R-L8: no lead has the email: one is created from EmailAddress, FirstName, LastName and Phone."""
    body = {
        "EmailAddress": "Grace@Example.com",
        "FirstName": "Grace",
        "LastName": "Hopper",
        "Phone": "9876543210",
        "ActivityEvent": 23,
    }
    with server.client() as client:
        answer = client.post(CREATE, json=body)
        [lead] = leads_by_email(client, "grace@example.com")
        again = client.post(CREATE, json={"EmailAddress": "grace@example.com", "FirstName": "G", "ActivityEvent": 1})
        history = _activities(client, lead["ProspectID"])
        [same] = leads_by_email(client, "grace@example.com")
    assert answer.status_code == again.status_code == 200
    assert {name: lead[name] for name in ("EmailAddress", "FirstName", "LastName", "Phone")} == {
        "EmailAddress": "Grace@Example.com",
        "FirstName": "Grace",
        "LastName": "Hopper",
        "Phone": "+91-9876543210",
    }
    assert same == lead  # the second post found the lead and changed nothing of it
    assert [(record["Id"], record["EventCode"]) for record in history] == [
        (again.json()["Message"]["Id"], 1),
        (answer.json()["Message"]["Id"], 23),
        (history[2]["Id"], 23),
    ]
    assert history[2]["Data"]["type"] == "LeadCapture"


@pytest.mark.parametrize(
    ("body", "exception_type", "message"),
    [
        ({"EmailAddress": "new@example.com", "ActivityEvent": 205}, "MXInvalidInputException", "event code 205"),
        (
            {"RelatedProspectId": MISSING_ID, "ActivityEvent": 23},
            "MXInvalidInputException",
            f"no lead has id {MISSING_ID}",
        ),
        ({"RelatedProspectId": "not-a-guid", "ActivityEvent": 23}, "MXInvalidInputException", "not a valid GUID"),
        ({"EmailAddress": "new@example.com", "ActivityEvent": 23, "Shoe": 42}, "MXUnknownAttributeException", "Shoe"),
        ({"EmailAddress": "new@example.com", "ActivityEvent": 23, "Phone": "12"}, "MXInvalidInputException", "Phone"),
        ({"EmailAddress": "new@example.com"}, "MXMandatoryAttributeMissingException", "'ActivityEvent' is mandatory"),
        ({"ActivityEvent": 23}, "MXMandatoryAttributeMissingException", "RelatedProspectId or EmailAddress"),
        (
            {"EmailAddress": "new@example.com", "ActivityEvent": 23, "ActivityDateTime": "2026-13-01 00:00:00"},
            "MXInvalidInputException",
            "ActivityDateTime: expected yyyy-mm-dd hh:mm:ss",
        ),
        (
            {"EmailAddress": "new@example.com", "ActivityEvent": 23, "Fields": [{"SchemaName": "a b", "Value": 1}]},
            "MXInvalidInputException",
            "'a b' is not a valid SchemaName",
        ),
    ],
    ids=[
        "unknown-event",
        "unknown-lead",
        "bad-guid",
        "unknown-attribute",
        "bad-phone",
        "no-event",
        "no-lead",
        "bad-date",
        "bad-field-name",
    ],
)
def test_L8_an_unknown_event_code_or_lead_or_a_bad_body_is_400_and_writes_nothing(
    server: RunningServer, body: dict[str, object], exception_type: str, message: str
) -> None:
    """R-L8, R-V: the 400 envelope names what is wrong; no lead is created and no activity posted."""
    with server.client() as client:
        answer = client.post(CREATE, json=body)
        created = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": "new@example.com"}
        )
    assert answer.status_code == 400
    assert_envelope(answer, exception_type)
    assert message in answer.json()["ExceptionMessage"]
    assert created.json() == []


def test_L8_a_body_over_1_mib_or_not_json_is_refused(server: RunningServer) -> None:
    """R-V: more than 1 MiB is a 413, a Content-Type other than JSON or a body that is not an object a 400."""
    with server.client() as client:
        large = client.post(CREATE, content=b'{"ActivityNote":"' + b"x" * (1024 * 1024) + b'"}')
        form = client.post(CREATE, content=b"ActivityEvent=23", headers={"Content-Type": "text/plain"})
        listed = client.post(CREATE_TYPE, json=[{"ActivityEventName": "Call"}])
    assert (large.status_code, form.status_code, listed.status_code) == (413, 400, 400)
    assert_envelope(form, "MXInvalidInputException")
    assert listed.json()["ExceptionMessage"] == "Invalid request body: expected a JSON object"


def test_L10_dry_runs_answer_what_would_happen_and_write_nothing(server: RunningServer) -> None:
    """R-L10: dryRun=true on Create and CreateType answers the real answer plus `Preview`; nothing is written."""
    with server.client() as client:
        new_type = client.post(CREATE_TYPE, params={"dryRun": "true"}, json={"ActivityEventName": "Webinar"})
        post = client.post(
            CREATE, params={"dryrun": "TRUE"}, json={"EmailAddress": "dry@example.com", "ActivityEvent": 1}
        )
        failed = client.post(
            CREATE, params={"dryRun": "true"}, json={"EmailAddress": "dry@example.com", "ActivityEvent": 7}
        )
        types = client.get(TYPES).json()
        leads = client.get("/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": "dry@example.com"})
    assert new_type.status_code == post.status_code == 200
    assert new_type.json() == {
        "Status": "Success",
        "Message": {"Id": 201},
        "Preview": {"ActivityEvent": 201, "ActivityEventName": "Webinar", "Score": 0, "Direction": 0},
    }
    preview = post.json()["Preview"]
    assert post.json()["Message"]["Id"] == preview["Activity"]["id"]
    assert (preview["Activity"]["event_code"], preview["Activity"]["event_name"]) == (1, "Web Visit")
    assert preview["Capture"]["type"] == "Create"
    assert preview["Capture"]["lead"]["fields"] == {"EmailAddress": "dry@example.com"}
    assert failed.status_code == 400
    assert failed.json() == {
        "Status": "Error",
        "ExceptionType": "MXInvalidInputException",
        "ExceptionMessage": "ActivityEvent: no activity type has event code 7",
        "Preview": None,
    }
    assert types == BUILT_IN
    assert leads.json() == []


def test_Q5_an_idempotency_key_replays_a_post_and_a_type_without_writing_again(server: RunningServer) -> None:
    """R-L10, R-Q5: the same key and body replay the first answer; the same key with another body is a 400."""
    body = {"EmailAddress": "once@example.com", "ActivityEvent": 23}
    key = {"Idempotency-Key": "post-1"}
    with server.client() as client:
        first = client.post(CREATE, json=body, headers=key)
        replay = client.post(CREATE, json=body, headers=key)
        other = client.post(CREATE, json={**body, "ActivityNote": "different"}, headers=key)
        made = client.post(CREATE_TYPE, json={"ActivityEventName": "Call"}, headers=key)
        made_again = client.post(CREATE_TYPE, json={"ActivityEventName": "Call"}, headers=key)
        [lead] = leads_by_email(client, "once@example.com")
        history = _activities(client, lead["ProspectID"])
        types = client.get(TYPES).json()
    assert first.status_code == replay.status_code == 200
    assert replay.content == first.content
    assert replay.headers["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first.headers
    assert other.status_code == 400
    assert "post-1" in other.json()["ExceptionMessage"]
    assert [record["Id"] for record in history] == [first.json()["Message"]["Id"], history[1]["Id"]]
    assert made.json() == made_again.json() == {"Status": "Success", "Message": {"Id": 201}}
    assert made_again.headers["Idempotency-Replayed"] == "true"
    assert [kind["ActivityEvent"] for kind in types] == [1, 23, 201]


def test_K1_activity_writes_need_the_activity_scope_and_a_post_creating_a_lead_also_capture(
    server: RunningServer,
) -> None:
    """R-K1, R-K2: `activity` posts on existing leads and registers types; creating the lead also needs
    `capture`, else a 403 naming it and nothing written; listing types needs `read`.
    """
    activity_only = server.issue_key("activity only", "--scope", "activity")
    no_activity = server.issue_key("no activity", "--scope", "capture,read,visit")
    with server.client() as client:
        lead_id = _capture(client, EmailAddress="known@example.com")
    with server.client(activity_only) as client:
        on_known = client.post(CREATE, json={"EmailAddress": "KNOWN@example.com", "ActivityEvent": 1})
        creating = client.post(CREATE, json={"EmailAddress": "stranger@example.com", "ActivityEvent": 1})
        new_type = client.post(CREATE_TYPE, json={"ActivityEventName": "Call"})
        listing = client.get(TYPES)
    with server.client(no_activity) as client:
        refused_post = client.post(CREATE, json={"RelatedProspectId": lead_id, "ActivityEvent": 1})
        refused_type = client.post(CREATE_TYPE, json={"ActivityEventName": "Meeting"})
        listed = client.get(TYPES)
        strangers = leads_by_email(client, "stranger@example.com")
        history = _activities(client, lead_id)
    assert (on_known.status_code, new_type.status_code) == (200, 200)
    assert creating.status_code == 403
    assert_envelope(creating, "MXUnAuthorizedAccessException")
    assert "'capture' scope" in creating.json()["ExceptionMessage"]
    assert strangers == []
    assert listing.status_code == refused_post.status_code == refused_type.status_code == 403
    assert "'read' scope" in listing.json()["ExceptionMessage"]
    assert "'activity' scope" in refused_post.json()["ExceptionMessage"]
    assert [kind["ActivityEventName"] for kind in listed.json()] == ["Web Visit", "Lead Capture", "Call"]
    assert [record["Id"] for record in history] == [on_known.json()["Message"]["Id"], history[1]["Id"]]


def test_L8_site_keys_may_not_post_activities(server: RunningServer) -> None:
    """R-K3: a site key only captures and records visits; an activity post from it is a 403."""
    site = server.issue_key("site", "--site", "--origin", "https://shop.example")
    with server.client(site) as client:
        answer = client.post(
            CREATE,
            content=json.dumps({"EmailAddress": "s@example.com", "ActivityEvent": 1}),
            headers={"Origin": "https://shop.example"},
        )
    assert answer.status_code == 403
    assert_envelope(answer, "MXUnAuthorizedAccessException")
