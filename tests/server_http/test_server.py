"""Black-box tests of `leadcapture serve`: a real process on 127.0.0.1, spoken to over HTTP only."""

from __future__ import annotations

import json
import random  # noqa: TID251 - seeded random bodies, the same on every run
from pathlib import Path
from typing import Final

import httpx
import pytest
from tests.support.api import (
    CAPTURE,
    assert_envelope,
    capture,
    capture_at_once,
    capture_body,
    leads_by_email,
    table_rows,
)
from tests.support.server import RunningServer, start_server

LEADS = "/v2/LeadManagement.svc"
ACTIVITIES = "/v2/ProspectActivity.svc/Retrieve"
VISIT = "/v2/WebTracking.svc/Visit"
_BYTES = random.Random(4242)  # noqa: S311 - test data, not secrets
RANDOM_BODIES = [_BYTES.randbytes(size) for size in (1, 7, 64, 512, 4096, 65_536)]
TEN_THOUSAND_UNKNOWN = json.dumps([{"Attribute": f"mx_Field{i}", "Value": str(i)} for i in range(10_000)]).encode()
TEN_THOUSAND_REPEATED = json.dumps([{"Attribute": "FirstName", "Value": str(i)} for i in range(10_000)]).encode()


def test_H1_capture_answers_leadsquared_success_envelope(server: RunningServer) -> None:
    """R-H1: a capture answers 200 with Id, RelatedId and IsCreated; a second one updates (IsCreated false)."""
    first = capture(server, capture_body(EmailAddress="wim@example.com", FirstName="Wim"))
    assert first.status_code == 200
    message = first.json()["Message"]
    assert first.json()["Status"] == "Success"
    assert message["IsCreated"] is True
    second = capture(server, capture_body(EmailAddress="WIM@example.com", LastName="Wenders"))
    assert second.json()["Message"]["Id"] == message["Id"]
    assert second.json()["Message"]["IsCreated"] is False
    assert second.json()["Message"]["RelatedId"] != message["RelatedId"]


def test_H1_explain_adds_the_applied_decision_to_the_envelope(server: RunningServer) -> None:
    """With explain=true the success envelope also carries `Decision`; without it, exactly LeadSquared's keys."""
    plain = capture(server, capture_body(EmailAddress="explain@example.com", FirstName="Ex"))
    assert set(plain.json()) == {"Status", "Message"}
    explained = capture(server, capture_body(EmailAddress="EXPLAIN@example.com", City="Pune"), explain="true")
    assert explained.status_code == 200
    answer = explained.json()
    assert set(answer) == {"Status", "Message", "Decision"}
    decision = answer["Decision"]
    assert decision["type"] == "Update"
    assert decision["lead"]["id"] == answer["Message"]["Id"] == plain.json()["Message"]["Id"]
    assert decision["activity"]["id"] == answer["Message"]["RelatedId"]
    assert decision["explanation"]["rule"] == "R-M8"
    assert decision["explanation"]["changes"] == [{"field": "City", "old": "", "new": "Pune"}]
    refused = capture(server, capture_body(EmailAddress="not-an-email"), explain="true")
    assert refused.status_code == 400
    assert set(refused.json()) == {"Status", "ExceptionType", "ExceptionMessage"}


def test_H3_keys_in_headers_work_and_bad_keys_are_401(server: RunningServer) -> None:
    """R-H3: keys work in x-LSQ headers and in any-case query names; a wrong or missing secret is a 401."""
    any_case = {"ACCESSKEY": server.access_key, "secretkey": server.secret_key}
    wrong_secret = {"accessKey": server.access_key, "secretKey": "0" * 64}
    with httpx.Client(base_url=server.base_url, timeout=30) as keyless:
        by_header = keyless.post(CAPTURE, headers=server.header_keys, content=capture_body(FirstName="A"))
        by_query = keyless.post(CAPTURE, params=any_case, content=capture_body(FirstName="B"))
        wrong = keyless.post(CAPTURE, params=wrong_secret, content=capture_body(FirstName="C"))
        missing = keyless.post(CAPTURE, content=capture_body(FirstName="D"))
    assert by_header.status_code == 200
    assert by_query.status_code == 200
    assert wrong.status_code == 401
    assert_envelope(wrong, "MXInvalidAccessDetailsException")
    assert wrong.json()["ExceptionMessage"] == "Invalid Access Details provided."
    assert missing.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "exception_type"),
    [
        (b"{not json", 400, "MXInvalidInputException"),
        (b"[]", 400, "MXInvalidInputException"),
        (b'[{"Attribute":"Colour","Value":"blue"}]', 400, "MXUnknownAttributeException"),
        (b'[{"Attribute":"EmailAddress","Value":"nope"}]', 400, "MXInvalidInputException"),
        (b'[{"Attribute":"FirstName","Value":"\\u0000"}]', 400, "MXInvalidInputException"),
        (b'[{"Attribute":"FirstName","Value":' + b"9" * 400 + b"}]", 400, "MXInvalidInputException"),
        (b"[" * 10_000 + b"]" * 10_000, 400, "MXInvalidInputException"),
        (b'[{"Attribute":"FirstName","Value":"\xc3\x28"}]', 400, "MXInvalidInputException"),
        (b" " * (2 * 1024 * 1024), 413, "MXInvalidInputException"),
        (TEN_THOUSAND_UNKNOWN, 400, "MXUnknownAttributeException"),
        (TEN_THOUSAND_REPEATED, 400, "MXInvalidInputException"),
        *[(random_bytes, 400, "MXInvalidInputException") for random_bytes in RANDOM_BODIES],
    ],
    ids=[
        "not-json",
        "empty",
        "unknown",
        "bad-email",
        "nul",
        "huge-number",
        "deep",
        "bad-utf8",
        "2MiB",
        "10k-unknown-attributes",
        "10k-repeated-attributes",
        *[f"random-{len(random_bytes)}-bytes" for random_bytes in RANDOM_BODIES],
    ],
)
def test_H2_bad_input_answers_the_envelope_and_writes_nothing(
    server: RunningServer,
    body: bytes,
    status: int,
    exception_type: str,
) -> None:
    """R-H2, R-V1, R-V8: bad bodies get a 4xx in LeadSquared's envelope, and the server keeps serving."""
    response = capture(server, body)
    assert response.status_code == status
    assert_envelope(response, exception_type)
    assert capture(server, capture_body(FirstName="still serving")).status_code == 200


def test_H2_unknown_path_and_method_answer_the_envelope(server: RunningServer) -> None:
    """R-H2: the framework's own 404 and 405 use the envelope too."""
    with server.client() as client:
        missing = client.get(f"{LEADS}/Nope")
        wrong_method = client.get(CAPTURE)
    assert missing.status_code == 404
    assert_envelope(missing, "MXNotFoundException")
    assert wrong_method.status_code == 405
    assert_envelope(wrong_method, "MXNotFoundException")


def test_U2_duplicate_over_http_is_409(server: RunningServer) -> None:
    """R-U2 over HTTP: a unique value another lead holds is a 409 MXDuplicateEntryException."""
    assert capture(server, capture_body(EmailAddress="a@example.com", Phone="9000000001")).status_code == 200
    assert capture(server, capture_body(EmailAddress="b@example.com")).status_code == 200
    clash = capture(server, capture_body(EmailAddress="b@example.com", Phone="9000000001"))
    assert clash.status_code == 409
    assert_envelope(clash, "MXDuplicateEntryException")
    assert clash.json()["ExceptionMessage"] == "A Lead with same Phone Number already exists."


def test_V6_unknown_behavior_is_400(server: RunningServer) -> None:
    """R-V6: LeadUpdateBehavior outside the three values is a 400; the values work in any case."""
    bad = capture(server, capture_body(FirstName="A"), LeadUpdateBehavior="Sometimes")
    assert bad.status_code == 400
    good = capture(server, capture_body(FirstName="A"), leadupdatebehavior="donotupdate")
    assert good.status_code == 200


def test_D2_dry_run_answers_what_the_capture_would_and_writes_nothing(server: RunningServer) -> None:
    """R-D1, R-D2: dryRun=true answers the real envelope plus Preview, and the lead does not appear."""
    preview = capture(server, capture_body(EmailAddress="new@example.com", FirstName="Nia"), dryRun="true")
    assert preview.status_code == 200
    body = preview.json()
    assert body["Status"] == "Success"
    assert body["Message"]["IsCreated"] is True
    assert body["Preview"]["type"] == "Create"
    assert body["Preview"]["explanation"]["rule"] == "R-M9"
    with server.client() as client:
        assert leads_by_email(client, "new@example.com") == []


def test_D2_dry_run_of_a_duplicate_answers_409_with_its_explanation(server: RunningServer) -> None:
    """R-D2: a dry run of a capture that would clash answers the 409 envelope plus why."""
    capture(server, capture_body(EmailAddress="a@example.com", Phone="9000000001"))
    capture(server, capture_body(EmailAddress="b@example.com"))
    preview = capture(server, capture_body(EmailAddress="b@example.com", Phone="9000000001"), dryRun="true")
    assert preview.status_code == 409
    assert preview.json()["ExceptionType"] == "MXDuplicateEntryException"
    assert preview.json()["Preview"]["type"] == "Reject"


def test_H5_lookups_answer_flat_leads(server: RunningServer) -> None:
    """R-H5: by id, by email (any case) and by phone (any written form) answer flat leads, ProspectID first."""
    asha = capture(server, capture_body(EmailAddress="Asha@Example.com", Phone="+91 90000 00007"))
    lead_id = asha.json()["Message"]["Id"]
    with server.client() as client:
        by_id = client.get(f"{LEADS}/Leads.GetById", params={"id": lead_id}).json()
        by_email = client.get(f"{LEADS}/Leads.GetByEmailaddress", params={"emailaddress": "asha@example.com"}).json()
        by_phone = client.get(f"{LEADS}/RetrieveLeadByPhoneNumber", params={"phone": "9000000007"}).json()
        nobody = client.get(f"{LEADS}/Leads.GetById", params={"id": "nobody"}).json()
    assert by_id == by_email == by_phone
    assert next(iter(by_id[0])) == "ProspectID"
    assert by_id[0]["Phone"] == "+91-9000000007"
    assert nobody == []


def test_H5_metadata_lists_the_schema(server: RunningServer) -> None:
    """R-H5: LeadsMetaData.Get lists every field with its type and flags."""
    with server.client() as client:
        fields = client.get(f"{LEADS}/LeadsMetaData.Get")
    by_name = {field["SchemaName"]: field for field in fields.json()}
    assert by_name["EmailAddress"]["IsUnique"] is True
    assert by_name["Source"]["IsSourceField"] is True


def test_H4_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    """R-H4: over the per-key limit the server answers 429 in the envelope with a Retry-After header."""
    limited = start_server(tmp_path, "--rate-limit", "3/60s")
    try:
        answers = [capture(limited, capture_body(FirstName=f"n{i}")) for i in range(4)]
    finally:
        limited.stop()
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_envelope(answers[3], "MXAPIRateLimitExceededException")
    assert answers[3].json()["ExceptionMessage"] == "API calls exceeded the limit of 3 in 60 second(s)"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60


def test_restart_keeps_the_data(tmp_path: Path) -> None:
    """A capture acknowledged before a restart is there after it, and its key still works."""
    server = start_server(tmp_path)
    try:
        lead_id = capture(server, capture_body(EmailAddress="kept@example.com")).json()["Message"]["Id"]
        server.restart()
        again = capture(server, capture_body(EmailAddress="kept@example.com"))
    finally:
        server.stop()
    assert again.json()["Message"]["Id"] == lead_id
    assert again.json()["Message"]["IsCreated"] is False


def test_M10_sixteen_threads_capturing_one_new_email_make_one_lead(server: RunningServer) -> None:
    """R-M10 over HTTP: 16 threads capturing one new email at once give one lead, every capture answered 200."""
    answers = capture_at_once(
        server, [capture_body(EmailAddress="race@example.com", FirstName=f"T{number}") for number in range(16)]
    )
    assert [a.status_code for a in answers] == [200] * 16
    assert len({a.json()["Message"]["Id"] for a in answers}) == 1
    assert sum(a.json()["Message"]["IsCreated"] for a in answers) == 1


def test_H5_activities_newest_first_filtered_and_paged(server: RunningServer) -> None:
    """R-H5, R-A1: ProspectActivity.svc/Retrieve lists a lead's Lead Capture activities newest first."""
    first = capture(server, capture_body(EmailAddress="history@example.com", Source="Google")).json()["Message"]
    second = capture(server, capture_body(EmailAddress="history@example.com", Source="Facebook")).json()["Message"]
    lead = {"leadId": first["Id"]}
    with server.client() as client:
        everything = client.post(ACTIVITIES, params=lead).json()
        paged = client.post(
            ACTIVITIES, params=lead, json={"Parameter": {"ActivityEvent": 23}, "Paging": {"Offset": 1, "RowCount": 1}}
        ).json()
        other_event = client.post(ACTIVITIES, params=lead, json={"Parameter": {"ActivityEvent": 1}}).json()
    assert everything["RecordCount"] == 2
    assert [a["Id"] for a in everything["ProspectActivities"]] == [second["RelatedId"], first["RelatedId"]]
    assert everything["ProspectActivities"][0]["EventCode"] == 23
    assert everything["ProspectActivities"][0]["Data"]["source"] == {"Source": "Facebook"}
    assert paged["RecordCount"] == 2
    assert [a["Id"] for a in paged["ProspectActivities"]] == [first["RelatedId"]]
    assert other_event == {"RecordCount": 0, "ProspectActivities": []}


@pytest.mark.parametrize(
    ("body", "params", "exception_type"),
    [
        (b'[{"Attribute":"City","Value":"A"},{"Attribute":"city","Value":"B"}]', {}, "MXInvalidInputException"),
        (b'[{"Attribute":"SearchBy","Value":"City"}]', {}, "MXInvalidInputException"),
        (b'[{"Attribute":"FirstName","Value":"A"}]', {"LeadUpdateBehavior": "Never"}, "MXInvalidInputException"),
        (
            b'[{"Attribute":"RelatedCompanyId","Value":"82a19544-ef4f-4cef-a09c-d68b939742f9"}]',
            {},
            "MXInvalidInputException",
        ),
        (b'[{"Attribute":"Colour","Value":"blue"}]', {}, "MXUnknownAttributeException"),
    ],
    ids=["repeated-R-V3", "searchby-R-V5", "behavior-R-V6", "unknown-account-R-A3", "unknown-attribute-R-V2"],
)
def test_H6_each_kind_of_input_problem_has_its_exception_type(
    server: RunningServer,
    body: bytes,
    params: dict[str, str],
    exception_type: str,
) -> None:
    """R-H6: input and reference problems are MXInvalidInputException, unknown attributes their own, all 400."""
    response = capture(server, body, **params)
    assert response.status_code == 400
    assert_envelope(response, exception_type)


def test_W1_visits_make_a_visitor_that_converts_with_its_first_source(server: RunningServer) -> None:
    """R-W1, R-W2, R-M6, R-W3: a visitor's first visit is its source; once a lead, visits go on the lead."""
    with server.client() as client:
        first = client.post(VISIT, json={"PageURL": "https://example.com/?utm_source=newsletter&utm_campaign=diwali"})
        tracking_id = first.json()["Message"]["Id"]
        again = client.post(
            VISIT, json={"ProspectId": tracking_id, "PageURL": "https://example.com/pricing?utm_source=google"}
        )
        converted = client.post(
            CAPTURE, content=capture_body(ProspectId=tracking_id, EmailAddress="visitor@example.com")
        )
        lead = client.get(f"{LEADS}/Leads.GetById", params={"id": tracking_id}).json()[0]
        as_lead = client.post(VISIT, json={"ProspectId": tracking_id, "PageURL": "https://example.com/thanks"})
        history = client.post(ACTIVITIES, params={"leadId": tracking_id}).json()
    assert first.json()["Status"] == "Success"
    assert first.json()["Message"]["IsLead"] is False
    assert again.json()["Message"] == {"Id": tracking_id, "IsLead": False}
    assert converted.json()["Message"]["Id"] == tracking_id
    assert converted.json()["Message"]["IsCreated"] is True
    assert lead["Source"] == "newsletter"
    assert lead["SourceCampaign"] == "diwali"
    assert as_lead.json()["Message"] == {"Id": tracking_id, "IsLead": True}
    codes = [activity["EventCode"] for activity in history["ProspectActivities"]]
    assert codes[0] != 23
    assert codes.count(23) == 1
    assert len(codes) == 4


def test_W1_visit_with_a_bad_prospect_id_is_400(server: RunningServer) -> None:
    """R-W1: a ProspectId that is not a GUID is refused in the envelope."""
    with server.client() as client:
        response = client.post(VISIT, json={"ProspectId": "not-a-guid", "PageURL": "https://example.com/"})
    assert response.status_code == 400
    assert_envelope(response, "MXInvalidInputException")


NOT_JSON_CONTENT_TYPES: Final = (
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
)


@pytest.mark.parametrize("content_type", NOT_JSON_CONTENT_TYPES)
@pytest.mark.parametrize("path", [CAPTURE, f"{CAPTURE}?dryRun=true", "/lead/capture", VISIT])
def test_V1_a_body_whose_content_type_is_not_json_is_400_and_writes_nothing(
    server: RunningServer, path: str, content_type: str
) -> None:
    """R-V1: a well-formed JSON body sent as another media type is a 400 MXInvalidInputException, nothing written."""
    email = "plain@example.com"
    body = capture_body(EmailAddress=email) if path != VISIT else json.dumps({"PageURL": "https://a.example/"}).encode()
    before = {table: table_rows(server, table) for table in ("leads", "visitors", "visits", "capture_inbox")}
    with server.client() as client:
        answer = client.post(path, content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 400
        assert_envelope(answer, "MXInvalidInputException")
        shown = content_type.split(";", maxsplit=1)[0] or "(empty)"
        assert answer.json()["ExceptionMessage"] == f"Content-Type must be application/json, not {shown}"
        assert leads_by_email(client, email) == []
    assert {table: table_rows(server, table) for table in before} == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", None]
)
def test_V1_json_with_or_without_charset_and_a_body_without_content_type_are_accepted(
    server: RunningServer, content_type: str | None
) -> None:
    """R-V1: JSON in any casing, with parameters, is JSON; a raw body naming no type is read as JSON (adr/0046)."""
    email = f"typed-{content_type or 'none'}@example.com".replace(" ", "").replace(";", "").replace("/", "-")
    headers = {"Content-Type": content_type} if content_type is not None else {}
    with server.client() as client:
        request = client.build_request("POST", CAPTURE, content=capture_body(EmailAddress=email), headers=headers)
        assert request.headers.get("Content-Type") == content_type
        answer = client.send(request)
        assert answer.status_code == 200, answer.text
        assert [lead["EmailAddress"] for lead in leads_by_email(client, email)] == [email.lower()]
