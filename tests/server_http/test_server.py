"""Black-box tests of `leadcapture serve`: a real process on 127.0.0.1, spoken to over HTTP only."""

from __future__ import annotations

import json
import random  # noqa: TID251 - seeded random bodies, the same on every run
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.server import RunningServer, start_server

CAPTURE = "/v2/LeadManagement.svc/Lead.Capture"
_BYTES = random.Random(4242)  # noqa: S311 - test data, not secrets
RANDOM_BODIES = [_BYTES.randbytes(size) for size in (1, 7, 64, 512, 4096, 65_536)]
TEN_THOUSAND_UNKNOWN = json.dumps([{"Attribute": f"mx_Field{i}", "Value": str(i)} for i in range(10_000)]).encode()
TEN_THOUSAND_REPEATED = json.dumps([{"Attribute": "FirstName", "Value": str(i)} for i in range(10_000)]).encode()


def _body(**fields: object) -> list[dict[str, object]]:
    return [{"Attribute": name, "Value": value} for name, value in fields.items()]


def _capture(server: RunningServer, body: Any, **params: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}{CAPTURE}", params=server.keys | params, json=body, timeout=30)


def _is_envelope(response: httpx.Response, exception_type: str) -> None:
    body = response.json()
    assert body["Status"] == "Error"
    assert body["ExceptionType"] == exception_type
    assert body["ExceptionMessage"]


def test_H1_capture_answers_leadsquared_success_envelope(server: RunningServer) -> None:
    """R-H1: a capture answers 200 with Id, RelatedId and IsCreated; a second one updates (IsCreated false)."""
    first = _capture(server, _body(EmailAddress="wim@example.com", FirstName="Wim"))
    assert first.status_code == 200
    message = first.json()["Message"]
    assert first.json()["Status"] == "Success"
    assert message["IsCreated"] is True
    second = _capture(server, _body(EmailAddress="WIM@example.com", LastName="Wenders"))
    assert second.json()["Message"]["Id"] == message["Id"]
    assert second.json()["Message"]["IsCreated"] is False
    assert second.json()["Message"]["RelatedId"] != message["RelatedId"]


def test_H3_keys_in_headers_work_and_bad_keys_are_401(server: RunningServer) -> None:
    """R-H3: keys work in x-LSQ headers and in any-case query names; a wrong or missing secret is a 401."""
    headers = {"x-LSQ-AccessKey": server.access_key, "x-LSQ-SecretKey": server.secret_key}
    by_header = httpx.post(f"{server.base_url}{CAPTURE}", headers=headers, json=_body(FirstName="A"), timeout=30)
    assert by_header.status_code == 200
    any_case = {"ACCESSKEY": server.access_key, "secretkey": server.secret_key}
    by_query = httpx.post(f"{server.base_url}{CAPTURE}", params=any_case, json=_body(FirstName="B"), timeout=30)
    assert by_query.status_code == 200
    wrong = httpx.post(
        f"{server.base_url}{CAPTURE}",
        params={"accessKey": server.access_key, "secretKey": "0" * 64},
        json=_body(FirstName="C"),
        timeout=30,
    )
    assert wrong.status_code == 401
    _is_envelope(wrong, "MXInvalidAccessDetailsException")
    assert wrong.json()["ExceptionMessage"] == "Invalid Access Details provided."
    missing = httpx.post(f"{server.base_url}{CAPTURE}", json=_body(FirstName="D"), timeout=30)
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
    response = httpx.post(f"{server.base_url}{CAPTURE}", params=server.keys, content=body, timeout=30)
    assert response.status_code == status
    _is_envelope(response, exception_type)
    assert _capture(server, _body(FirstName="still serving")).status_code == 200


def test_H2_unknown_path_and_method_answer_the_envelope(server: RunningServer) -> None:
    """R-H2: the framework's own 404 and 405 use the envelope too."""
    missing = httpx.get(f"{server.base_url}/v2/LeadManagement.svc/Nope", params=server.keys, timeout=30)
    assert missing.status_code == 404
    _is_envelope(missing, "MXNotFoundException")
    wrong_method = httpx.get(f"{server.base_url}{CAPTURE}", params=server.keys, timeout=30)
    assert wrong_method.status_code == 405
    _is_envelope(wrong_method, "MXNotFoundException")


def test_U2_duplicate_over_http_is_409(server: RunningServer) -> None:
    """R-U2 over HTTP: a unique value another lead holds is a 409 MXDuplicateEntryException."""
    assert _capture(server, _body(EmailAddress="a@example.com", Phone="9000000001")).status_code == 200
    assert _capture(server, _body(EmailAddress="b@example.com")).status_code == 200
    clash = _capture(server, _body(EmailAddress="b@example.com", Phone="9000000001"))
    assert clash.status_code == 409
    _is_envelope(clash, "MXDuplicateEntryException")
    assert clash.json()["ExceptionMessage"] == "A Lead with same Phone Number already exists."


def test_V6_unknown_behavior_is_400(server: RunningServer) -> None:
    """R-V6: LeadUpdateBehavior outside the three values is a 400; the values work in any case."""
    bad = _capture(server, _body(FirstName="A"), LeadUpdateBehavior="Sometimes")
    assert bad.status_code == 400
    good = _capture(server, _body(FirstName="A"), leadupdatebehavior="donotupdate")
    assert good.status_code == 200


def test_D2_dry_run_answers_what_the_capture_would_and_writes_nothing(server: RunningServer) -> None:
    """R-D1, R-D2: dryRun=true answers the real envelope plus Preview, and the lead does not appear."""
    preview = _capture(server, _body(EmailAddress="new@example.com", FirstName="Nia"), dryRun="true")
    assert preview.status_code == 200
    body = preview.json()
    assert body["Status"] == "Success"
    assert body["Message"]["IsCreated"] is True
    assert body["Preview"]["type"] == "Create"
    assert body["Preview"]["explanation"]["rule"] == "R-M9"
    lookup = httpx.get(
        f"{server.base_url}/v2/LeadManagement.svc/Leads.GetByEmailaddress",
        params=server.keys | {"emailaddress": "new@example.com"},
        timeout=30,
    )
    assert lookup.json() == []


def test_D2_dry_run_of_a_duplicate_answers_409_with_its_explanation(server: RunningServer) -> None:
    """R-D2: a dry run of a capture that would clash answers the 409 envelope plus why."""
    _capture(server, _body(EmailAddress="a@example.com", Phone="9000000001"))
    _capture(server, _body(EmailAddress="b@example.com"))
    preview = _capture(server, _body(EmailAddress="b@example.com", Phone="9000000001"), dryRun="true")
    assert preview.status_code == 409
    assert preview.json()["ExceptionType"] == "MXDuplicateEntryException"
    assert preview.json()["Preview"]["type"] == "Reject"


def test_H5_lookups_answer_flat_leads(server: RunningServer) -> None:
    """R-H5: by id, by email (any case) and by phone (any written form) answer flat leads, ProspectID first."""
    lead_id = _capture(server, _body(EmailAddress="Asha@Example.com", Phone="+91 90000 00007")).json()["Message"]["Id"]
    base = f"{server.base_url}/v2/LeadManagement.svc"
    by_id = httpx.get(f"{base}/Leads.GetById", params=server.keys | {"id": lead_id}, timeout=30).json()
    by_email = httpx.get(
        f"{base}/Leads.GetByEmailaddress",
        params=server.keys | {"emailaddress": "asha@example.com"},
        timeout=30,
    ).json()
    by_phone = httpx.get(
        f"{base}/RetrieveLeadByPhoneNumber",
        params=server.keys | {"phone": "9000000007"},
        timeout=30,
    ).json()
    assert by_id == by_email == by_phone
    assert next(iter(by_id[0])) == "ProspectID"
    assert by_id[0]["Phone"] == "+91-9000000007"
    nobody = httpx.get(f"{base}/Leads.GetById", params=server.keys | {"id": "nobody"}, timeout=30)
    assert nobody.json() == []


def test_H5_metadata_lists_the_schema(server: RunningServer) -> None:
    """R-H5: LeadsMetaData.Get lists every field with its type and flags."""
    fields = httpx.get(f"{server.base_url}/v2/LeadManagement.svc/LeadsMetaData.Get", params=server.keys, timeout=30)
    by_name = {field["SchemaName"]: field for field in fields.json()}
    assert by_name["EmailAddress"]["IsUnique"] is True
    assert by_name["Source"]["IsSourceField"] is True


def test_H4_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    """R-H4: over the per-key limit the server answers 429 in the envelope with a Retry-After header."""
    limited = start_server(tmp_path, "--rate-limit", "3/60s")
    try:
        answers = [_capture(limited, _body(FirstName=f"n{i}")) for i in range(4)]
    finally:
        limited.stop()
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    _is_envelope(answers[3], "MXAPIRateLimitExceededException")
    assert answers[3].json()["ExceptionMessage"] == "API calls exceeded the limit of 3 in 60 second(s)"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60


def test_restart_keeps_the_data(tmp_path: Path) -> None:
    """A capture acknowledged before a restart is there after it, and its key still works."""
    server = start_server(tmp_path)
    try:
        lead_id = _capture(server, _body(EmailAddress="kept@example.com")).json()["Message"]["Id"]
        server.restart()
        again = _capture(server, _body(EmailAddress="kept@example.com"))
    finally:
        server.stop()
    assert again.json()["Message"]["Id"] == lead_id
    assert again.json()["Message"]["IsCreated"] is False


def test_M10_sixteen_threads_capturing_one_new_email_make_one_lead(server: RunningServer) -> None:
    """R-M10 over HTTP: 16 threads capturing one new email at once give one lead, every capture answered 200."""
    answers: list[httpx.Response] = []
    start = threading.Barrier(16)

    def capture_once(number: int) -> None:
        start.wait()
        answers.append(_capture(server, _body(EmailAddress="race@example.com", FirstName=f"T{number}")))

    threads = [threading.Thread(target=capture_once, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 16
    assert len({a.json()["Message"]["Id"] for a in answers}) == 1
    assert sum(a.json()["Message"]["IsCreated"] for a in answers) == 1


def test_H5_activities_newest_first_filtered_and_paged(server: RunningServer) -> None:
    """R-H5, R-A1: ProspectActivity.svc/Retrieve lists a lead's Lead Capture activities newest first."""
    first = _capture(server, _body(EmailAddress="history@example.com", Source="Google")).json()["Message"]
    second = _capture(server, _body(EmailAddress="history@example.com", Source="Facebook")).json()["Message"]
    url = f"{server.base_url}/v2/ProspectActivity.svc/Retrieve"
    params = server.keys | {"leadId": first["Id"]}
    everything = httpx.post(url, params=params, timeout=30).json()
    assert everything["RecordCount"] == 2
    assert [a["Id"] for a in everything["ProspectActivities"]] == [second["RelatedId"], first["RelatedId"]]
    assert everything["ProspectActivities"][0]["EventCode"] == 23
    assert everything["ProspectActivities"][0]["Data"]["source"] == {"Source": "Facebook"}
    paged = httpx.post(
        url,
        params=params,
        json={"Parameter": {"ActivityEvent": 23}, "Paging": {"Offset": 1, "RowCount": 1}},
        timeout=30,
    ).json()
    assert paged["RecordCount"] == 2
    assert [a["Id"] for a in paged["ProspectActivities"]] == [first["RelatedId"]]
    other_event = httpx.post(url, params=params, json={"Parameter": {"ActivityEvent": 1}}, timeout=30).json()
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
    response = httpx.post(f"{server.base_url}{CAPTURE}", params=server.keys | params, content=body, timeout=30)
    assert response.status_code == 400
    _is_envelope(response, exception_type)


def test_W1_visits_make_a_visitor_that_converts_with_its_first_source(server: RunningServer) -> None:
    """R-W1, R-W2, R-M6, R-W3: a visitor's first visit is its source; once a lead, visits go on the lead."""
    visit_url = f"{server.base_url}/v2/WebTracking.svc/Visit"
    first = httpx.post(
        visit_url,
        params=server.keys,
        json={"PageURL": "https://example.com/?utm_source=newsletter&utm_campaign=diwali"},
        timeout=30,
    ).json()
    assert first["Status"] == "Success"
    assert first["Message"]["IsLead"] is False
    tracking_id = first["Message"]["Id"]
    again = httpx.post(
        visit_url,
        params=server.keys,
        json={"ProspectId": tracking_id, "PageURL": "https://example.com/pricing?utm_source=google"},
        timeout=30,
    ).json()
    assert again["Message"] == {"Id": tracking_id, "IsLead": False}
    converted = _capture(server, _body(ProspectId=tracking_id, EmailAddress="visitor@example.com")).json()
    assert converted["Message"]["Id"] == tracking_id
    assert converted["Message"]["IsCreated"] is True
    lead = httpx.get(
        f"{server.base_url}/v2/LeadManagement.svc/Leads.GetById",
        params=server.keys | {"id": tracking_id},
        timeout=30,
    ).json()[0]
    assert lead["Source"] == "newsletter"
    assert lead["SourceCampaign"] == "diwali"
    as_lead = httpx.post(
        visit_url,
        params=server.keys,
        json={"ProspectId": tracking_id, "PageURL": "https://example.com/thanks"},
        timeout=30,
    ).json()
    assert as_lead["Message"] == {"Id": tracking_id, "IsLead": True}
    history = httpx.post(
        f"{server.base_url}/v2/ProspectActivity.svc/Retrieve",
        params=server.keys | {"leadId": tracking_id},
        timeout=30,
    ).json()
    codes = [activity["EventCode"] for activity in history["ProspectActivities"]]
    assert codes[0] != 23
    assert codes.count(23) == 1
    assert len(codes) == 4


def test_W1_visit_with_a_bad_prospect_id_is_400(server: RunningServer) -> None:
    """R-W1: a ProspectId that is not a GUID is refused in the envelope."""
    response = httpx.post(
        f"{server.base_url}/v2/WebTracking.svc/Visit",
        params=server.keys,
        json={"ProspectId": "not-a-guid", "PageURL": "https://example.com/"},
        timeout=30,
    )
    assert response.status_code == 400
    _is_envelope(response, "MXInvalidInputException")
