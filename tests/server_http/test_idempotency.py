"""`Idempotency-Key` over HTTP against a real `leadcapture serve`: Lead.Capture and async /lead/capture (R-Q5)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.api import activity_count, capture_body
from tests.support.server import RunningServer

CAPTURE = "/v2/LeadManagement.svc/Lead.Capture"


def _body(email: str, first_name: str = "Ann") -> bytes:
    return capture_body(EmailAddress=email, FirstName=first_name)


def test_R_Q5_lead_capture_retry_with_the_same_key_replays_the_first_answer(server: RunningServer) -> None:
    """The retry answers the same status and body, marked as a replay, and captures nothing more."""
    with server.client() as client:
        first = client.post(CAPTURE, content=_body("replay@example.com"), headers={"Idempotency-Key": "sync-1"})
        retry = client.post(CAPTURE, content=_body("replay@example.com"), headers={"Idempotency-Key": "sync-1"})
        activities = activity_count(client, "replay@example.com")
    assert first.status_code == retry.status_code == 200
    assert retry.content == first.content
    assert "Idempotency-Replayed" not in first.headers
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert activities == 1


def test_R_Q5_a_replay_answers_the_recorded_decision_too(server: RunningServer) -> None:
    """With explain=true the recorded answer holds the applied decision; its replay gives it back unchanged."""
    with server.client() as client:
        params = {"explain": "true"}
        headers = {"Idempotency-Key": "sync-explain"}
        first = client.post(CAPTURE, content=_body("explained@example.com"), params=params, headers=headers)
        retry = client.post(CAPTURE, content=_body("explained@example.com"), params=params, headers=headers)
    assert first.json()["Decision"]["type"] == "Create"
    assert retry.content == first.content
    assert retry.headers["Idempotency-Replayed"] == "true"


def test_R_Q5_lead_capture_same_key_with_another_body_is_a_400(server: RunningServer) -> None:
    """Reusing a key for a different request is refused with the envelope naming the key; nothing changes."""
    with server.client() as client:
        client.post(CAPTURE, content=_body("conflict@example.com"), headers={"Idempotency-Key": "sync-2"})
        other = client.post(
            CAPTURE, content=_body("conflict@example.com", "Bob"), headers={"Idempotency-Key": "sync-2"}
        )
        lead = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "conflict@example.com"}
        ).json()
    assert other.status_code == 400
    envelope = other.json()
    assert envelope["Status"] == "Error"
    assert envelope["ExceptionType"] == "MXInvalidInputException"
    assert "sync-2" in envelope["ExceptionMessage"]
    assert lead[0]["FirstName"] == "Ann"


def test_R_Q5_lead_capture_error_answers_are_replayed_too(server: RunningServer) -> None:
    """A 400 is the request's answer: the retry gets the same 400 without deciding again."""
    with server.client() as client:
        first = client.post(CAPTURE, content=_body("not-an-email"), headers={"Idempotency-Key": "sync-3"})
        retry = client.post(CAPTURE, content=_body("not-an-email"), headers={"Idempotency-Key": "sync-3"})
    assert first.status_code == retry.status_code == 400
    assert retry.content == first.content
    assert retry.headers["Idempotency-Replayed"] == "true"


def test_R_Q5_lead_capture_racing_retries_capture_once(server: RunningServer) -> None:
    """Eight clients sending one keyed request at once get one answer between them and make one activity."""
    payload = _body("race@example.com")

    def send(_: int) -> bytes:
        with server.client() as client:
            answer = client.post(CAPTURE, content=payload, headers={"Idempotency-Key": "sync-race"})
            assert answer.status_code == 200
            return answer.content

    with ThreadPoolExecutor(8) as pool:
        answers = set(pool.map(send, range(8)))
    with server.client() as client:
        activities = activity_count(client, "race@example.com")
    assert len(answers) == 1
    assert activities == 1


def test_R_Q5_keys_belong_to_one_access_key(server: RunningServer) -> None:
    """Another access key using the same Idempotency-Key gets its own capture, not the first caller's answer."""
    second_keys = server.issue_key("second")
    with server.client() as client, server.client(second_keys) as other:
        mine = client.post(CAPTURE, content=_body("shared-key@example.com"), headers={"Idempotency-Key": "same"})
        theirs = other.post(CAPTURE, content=_body("shared-key@example.com"), headers={"Idempotency-Key": "same"})
        activities = activity_count(client, "shared-key@example.com")
    assert mine.status_code == theirs.status_code == 200
    assert "Idempotency-Replayed" not in theirs.headers
    assert activities == 2


def test_R_Q5_bad_idempotency_keys_are_400(server: RunningServer) -> None:
    """An empty key or one over 255 characters is refused with the envelope on both endpoints."""
    with server.client() as client:
        answers = [
            client.post(path, content=_body("badkey@example.com"), headers={"Idempotency-Key": key})
            for path in (CAPTURE, "/lead/capture")
            for key in ("", "k" * 256)
        ]
        missing = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": "badkey@example.com"}
        )
    assert [answer.status_code for answer in answers] == [400] * 4
    assert all(answer.json()["Status"] == "Error" for answer in answers)
    assert missing.json() == []


def test_R_Q5_async_capture_retry_returns_the_first_request_id(server: RunningServer) -> None:
    """/lead/capture with a used key and the same body answers the first RequestID; another body is a 400."""
    with server.client() as client:
        first = client.post("/lead/capture", content=_body("async-key@example.com"), headers={"Idempotency-Key": "a-1"})
        retry = client.post("/lead/capture", content=_body("async-key@example.com"), headers={"Idempotency-Key": "a-1"})
        other = client.post(
            "/lead/capture", content=_body("async-key@example.com", "Bob"), headers={"Idempotency-Key": "a-1"}
        )
    assert first.status_code == retry.status_code == 200
    assert retry.json()["RequestID"] == first.json()["RequestID"]
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert other.status_code == 400
    assert "a-1" in other.json()["ExceptionMessage"]
