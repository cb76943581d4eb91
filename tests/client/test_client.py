"""The client's requests and its reading of answers, driven by `MockTransport`; decisions equal the engine's."""

from __future__ import annotations

import time

import msgspec
import pytest
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import CaptureDecision, Engine, ExceptionType, InMemoryLeadStore, Outcome, Reject, Update
from leadcapture.client import (
    ApiError,
    CallLimiter,
    CallRate,
    ClientReceipt,
    DuplicateEntry,
    InvalidAccessDetails,
    InvalidInput,
    LeadCaptureClient,
    MandatoryAttributeMissing,
    NotFound,
    RateLimited,
    ServerBusy,
    ServerError,
    UnexpectedAnswer,
    UnknownAttribute,
)
from leadcapture.transports import ApiRequest, ApiResponse, LocalTransport, MockTransport, Transport, json_response

SUCCESS = {"Status": "Success", "Message": {"Id": "lead-1", "RelatedId": "activity-1", "IsCreated": True}}


class Recorder:
    """A MockTransport handler that records each request and answers a fixed response."""

    def __init__(self, response: ApiResponse) -> None:
        self.response = response
        self.requests: list[ApiRequest] = []

    def __call__(self, request: ApiRequest) -> ApiResponse:
        self.requests.append(request)
        return self.response


def _envelope(exception_type: str, message: str, status: int, **headers: str) -> ApiResponse:
    body = {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}
    return json_response(body, status, headers)


@pytest.mark.parametrize(
    ("exception_type", "status", "raised"),
    [
        (ExceptionType.INVALID_INPUT, 400, InvalidInput),
        (ExceptionType.UNKNOWN_ATTRIBUTE, 400, UnknownAttribute),
        (ExceptionType.MANDATORY_MISSING, 400, MandatoryAttributeMissing),
        (ExceptionType.DUPLICATE_ENTRY, 409, DuplicateEntry),
        (ExceptionType.INVALID_ACCESS, 401, InvalidAccessDetails),
        (ExceptionType.RATE_LIMITED, 429, RateLimited),
        (ExceptionType.NOT_FOUND, 404, NotFound),
        (ExceptionType.BUSY, 503, ServerBusy),
        (ExceptionType.SERVER_ERROR, 500, ServerError),
        ("MXSomethingNewException", 400, ApiError),
    ],
)
def test_error_envelopes_raise_the_exception_named_after_their_type(
    exception_type: str, status: int, raised: type[ApiError]
) -> None:
    """Each ExceptionType raises its own exception, carrying the server's message and status word for word."""
    client = LeadCaptureClient(MockTransport(Recorder(_envelope(exception_type, "the server's words", status))))
    with pytest.raises(raised) as caught:
        client.capture({"EmailAddress": "ada@example.com"})
    assert type(caught.value) is raised
    assert caught.value.message == "the server's words"
    assert str(caught.value) == "the server's words"
    assert caught.value.exception_type == exception_type
    assert caught.value.status == status


def test_rate_limited_carries_retry_after() -> None:
    """A 429 that the transport gave up on raises RateLimited with the seconds Retry-After asked for."""
    answer = _envelope(ExceptionType.RATE_LIMITED, "API calls exceeded the limit of 25 in 5 second(s)", 429)
    answer = ApiResponse(status=429, headers={**answer.headers, "retry-after": "3"}, body=answer.body)
    client = LeadCaptureClient(MockTransport(Recorder(answer)))
    with pytest.raises(RateLimited) as caught:
        client.capture({"EmailAddress": "ada@example.com"})
    assert caught.value.retry_after == 3


@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b'{"Status":"Error"}', b"[]"])
def test_answers_outside_leadsquared_format_raise_unexpected_answer(body: bytes) -> None:
    """A body that is neither a success nor an error envelope raises UnexpectedAnswer with the status."""
    client = LeadCaptureClient(MockTransport(Recorder(ApiResponse(status=502, body=body))))
    with pytest.raises(UnexpectedAnswer) as caught:
        client.capture({"EmailAddress": "ada@example.com"})
    assert caught.value.status == 502


def test_capture_sends_leadsquared_request_and_reads_the_receipt() -> None:
    """A capture is a POST of the [{Attribute, Value}] body with the behaviour as LeadUpdateBehavior."""
    recorder = Recorder(json_response(SUCCESS))
    client = LeadCaptureClient(MockTransport(recorder))
    receipt = client.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"}, "DoNotUpdate")
    # LeadSquared's own answer has no Decision: the receipt holds what it says, outcome and decision None.
    assert receipt == ClientReceipt(lead_id="lead-1", activity_id="activity-1", is_created=True)
    assert (receipt.outcome, receipt.decision) == (None, None)
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.path == "/v2/LeadManagement.svc/Lead.Capture"
    assert request.query_value("leadupdatebehavior") == "DoNotUpdate"
    assert request.query_value("explain") == "true"
    assert request.query_value("dryRun") is None
    assert msgspec.json.decode(request.body) == [
        {"Attribute": "EmailAddress", "Value": "ada@example.com"},
        {"Attribute": "FirstName", "Value": "Ada"},
    ]


def test_idempotency_key_is_sent_as_a_header_only_when_given() -> None:
    """`idempotency_key` travels as the Idempotency-Key header; without it no such header is sent."""
    recorder = Recorder(json_response(SUCCESS))
    client = LeadCaptureClient(MockTransport(recorder))
    client.capture({"EmailAddress": "ada@example.com"}, idempotency_key="order-42")
    client.capture({"EmailAddress": "ada@example.com"})
    assert recorder.requests[0].header("idempotency-key") == "order-42"
    assert recorder.requests[1].header("Idempotency-Key") is None


def test_preview_sends_dry_run_and_returns_the_engines_decision_type() -> None:
    """A preview asks with dryRun=true and decodes `Preview` back into the engine's own decision Struct."""
    engine = Engine(store=InMemoryLeadStore(), clock=SteppingClock(), ids=CountingIds())
    engine.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})
    twin = Engine(store=InMemoryLeadStore(), clock=SteppingClock(), ids=CountingIds())
    twin.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})
    seen: list[ApiRequest] = []
    local = LocalTransport(engine)

    def handler(request: ApiRequest) -> ApiResponse:
        seen.append(request)
        return local.handle_request(request)

    client = LeadCaptureClient(MockTransport(handler))
    decision = client.preview({"EmailAddress": "ADA@example.com", "FirstName": "Augusta"})
    expected = twin.preview({"EmailAddress": "ADA@example.com", "FirstName": "Augusta"}).unwrap()
    assert isinstance(decision, Update)
    assert decision == expected
    assert seen[0].query_value("dryrun") == "true"


def test_preview_of_a_refused_capture_is_a_reject_decision_not_an_exception() -> None:
    """A duplicate previews as a Reject carrying the 409 problem, as Engine.preview answers it."""
    engine = Engine(store=InMemoryLeadStore())
    engine.capture({"EmailAddress": "ada@example.com", "Phone": "+91-9876543210"})
    engine.capture({"EmailAddress": "bob@example.com"})
    client = LeadCaptureClient(LocalTransport(engine))
    decision: CaptureDecision = client.preview({"EmailAddress": "bob@example.com", "Phone": "+91-9876543210"})
    assert isinstance(decision, Reject)
    assert decision.problem.exception_type is ExceptionType.DUPLICATE_ENTRY
    with pytest.raises(DuplicateEntry, match="A Lead with same Phone Number already exists"):
        client.capture({"EmailAddress": "bob@example.com", "Phone": "+91-9876543210"})


def test_lookups_ask_leadsquared_paths_and_read_flat_leads() -> None:
    """Look-ups are GETs of LeadSquared's paths; an empty array is None for an id and [] otherwise."""
    flat = {"ProspectID": "lead-1", "EmailAddress": "ada@example.com"}
    recorder = Recorder(json_response([flat]))
    client = LeadCaptureClient(MockTransport(recorder))
    assert client.get_lead("lead-1") == flat
    assert client.leads_by_email("ada@example.com") == [flat]
    assert client.leads_by_phone("+91-9876543210") == [flat]
    assert [(r.method, r.path.rsplit("/", 1)[1], r.query) for r in recorder.requests] == [
        ("GET", "Leads.GetById", (("id", "lead-1"),)),
        ("GET", "Leads.GetByEmailaddress", (("emailaddress", "ada@example.com"),)),
        ("GET", "RetrieveLeadByPhoneNumber", (("phone", "+91-9876543210"),)),
    ]
    assert LeadCaptureClient(MockTransport(Recorder(json_response([])))).get_lead("nobody") is None
    refused = _envelope(ExceptionType.INVALID_ACCESS, "Invalid Access Details provided.", 401)
    with pytest.raises(InvalidAccessDetails):
        LeadCaptureClient(MockTransport(Recorder(refused))).leads_by_email("ada@example.com")


def test_the_shipped_transports_satisfy_the_protocol_and_close_with_the_client() -> None:
    """Local and Mock transports are Transports; leaving the client's `with` block closes its transport."""
    closed: list[str] = []

    class Closing(MockTransport):
        def close(self) -> None:
            closed.append("closed")

    assert isinstance(LocalTransport(Engine(store=InMemoryLeadStore())), Transport)
    assert isinstance(MockTransport(Recorder(json_response(SUCCESS))), Transport)
    with LeadCaptureClient(Closing(Recorder(json_response(SUCCESS)))) as client:
        client.capture({"EmailAddress": "ada@example.com"})
    assert closed == ["closed"]


def test_call_limiter_waits_instead_of_exceeding_the_rate() -> None:
    """With 2 calls per second, the third call waits until the first leaves the window."""
    limiter = CallLimiter(CallRate(amount=2, seconds=1))
    assert limiter.wait() == 0
    assert limiter.wait() == 0
    started = time.monotonic()
    slept = limiter.wait()
    assert slept > 0.5
    assert time.monotonic() - started > 0.5


def test_client_with_a_rate_spaces_its_calls() -> None:
    """A client built with `rate` keeps its calls under it: 3 calls at 2/s take over half a second."""
    recorder = Recorder(json_response(SUCCESS))
    client = LeadCaptureClient(MockTransport(recorder), rate=CallRate(amount=2, seconds=1))
    started = time.monotonic()
    for _ in range(3):
        client.capture({"EmailAddress": "ada@example.com"})
    assert time.monotonic() - started > 0.5
    assert len(recorder.requests) == 3


def test_call_rate_must_allow_a_call() -> None:
    """A rate of zero calls, or of a zero-second window, is refused when the limiter is built."""
    with pytest.raises(ValueError, match="amount >= 1"):
        CallLimiter(CallRate(amount=0, seconds=1))
    with pytest.raises(ValueError, match="seconds >= 1"):
        CallLimiter(CallRate(amount=1, seconds=0))


def test_capture_reads_the_applied_decision_when_the_answer_carries_one() -> None:
    """An answer with `Decision` (leadcapture's explain=true) gives a receipt equal to the engine's fields."""
    engine = Engine(store=InMemoryLeadStore())
    client = LeadCaptureClient(LocalTransport(engine))
    receipt = client.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})
    stored = engine.store.leads()[0]
    assert receipt.decision is not None
    assert receipt.decision.lead == stored
    assert receipt.outcome is Outcome.CREATED
    assert receipt.decision.activity.id == receipt.activity_id


def test_a_decision_about_another_lead_is_an_unexpected_answer() -> None:
    """The client refuses an answer whose decision and message name different leads."""
    decision = Engine(store=InMemoryLeadStore()).preview({"EmailAddress": "ada@example.com"}).unwrap()
    body = {**SUCCESS, "Decision": msgspec.to_builtins(decision)}
    client = LeadCaptureClient(MockTransport(Recorder(json_response(body))))
    with pytest.raises(UnexpectedAnswer):
        client.capture({"EmailAddress": "ada@example.com"})


def test_L9_the_client_asks_who_its_key_is_through_any_transport() -> None:
    """R-L9: `user()` answers the caller's user; in-process the caller is the process itself, on localhost."""
    with LeadCaptureClient(LocalTransport(Engine(store=InMemoryLeadStore()))) as client:
        user = client.user()
    assert (user["FirstName"], user["Role"], user["LSQCommonServiceURLs"]) == (
        "local",
        "Administrator",
        {"api": "localhost", "app": "localhost"},
    )
