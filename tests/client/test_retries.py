"""HTTPTransport's retries: what it asks again for, how long it waits, and what it never retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from tests.support.server import RunningServer, start_server

from leadcapture.client import (
    ConnectionFailed,
    DuplicateEntry,
    LeadCaptureClient,
    RateLimited,
    ServerBusy,
    ServerError,
)
from leadcapture.transports import ApiRequest, HTTPTransport, NoAnswer

SUCCESS = {"Status": "Success", "Message": {"Id": "lead-1", "RelatedId": "activity-1", "IsCreated": True}}
DUPLICATE = {
    "Status": "Error",
    "ExceptionType": "MXDuplicateEntryException",
    "ExceptionMessage": "A Lead with same Email already exists.",
}
BUSY = {
    "Status": "Error",
    "ExceptionType": "MXServerBusyException",
    "ExceptionMessage": "The lead kept changing under concurrent captures; retry the request.",
}
RATE_LIMITED = {
    "Status": "Error",
    "ExceptionType": "MXAPIRateLimitExceededException",
    "ExceptionMessage": "API calls exceeded the limit of 25 in 5 second(s)",
}


def _client(
    answers: list[Callable[[httpx.Request], httpx.Response]], calls: list[float], **options: float
) -> LeadCaptureClient:
    """A client whose HTTPTransport talks to an httpx MockTransport answering `answers` in turn."""

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        assert request.headers["x-LSQ-AccessKey"] == "access"
        assert request.headers["x-LSQ-SecretKey"] == "secret"
        return answers[min(len(calls), len(answers)) - 1](request)

    mock = httpx.Client(transport=httpx.MockTransport(handler))
    settings = {"wait_initial": 0.01, "wait_max": 0.05, "wait_jitter": 0.01} | options
    return LeadCaptureClient(HTTPTransport("http://leads.test", "access", "secret", client=mock, **settings))


def _json(status: int, body: object, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _: httpx.Response(status, json=body, headers=headers)


def test_429_waits_for_retry_after_then_retries() -> None:
    """A 429 with Retry-After: 1 is asked again no sooner than a second later, and its success returned."""
    calls: list[float] = []
    client = _client([_json(429, RATE_LIMITED, **{"Retry-After": "1"}), _json(200, SUCCESS)], calls)
    receipt = client.capture({"EmailAddress": "ada@example.com"})
    assert receipt.lead_id == "lead-1"
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.95


def test_retry_after_as_an_http_date_is_honoured() -> None:
    """Retry-After may be an HTTP date; the transport waits until then."""
    calls: list[float] = []
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    client = _client([_json(429, RATE_LIMITED, **{"Retry-After": when}), _json(200, SUCCESS)], calls)
    client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.5


def test_429_past_the_attempts_raises_rate_limited() -> None:
    """When every attempt is a 429, the last answer is raised as RateLimited with its Retry-After."""
    calls: list[float] = []
    client = _client([_json(429, RATE_LIMITED, **{"Retry-After": "0"})], calls, attempts=3)
    with pytest.raises(RateLimited) as caught:
        client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 3
    assert caught.value.retry_after == 0


def test_409_duplicate_is_raised_at_once_never_retried() -> None:
    """A 409 MXDuplicateEntryException is the application's answer: one call, DuplicateEntry raised."""
    calls: list[float] = []
    client = _client([_json(409, DUPLICATE), _json(200, SUCCESS)], calls)
    with pytest.raises(DuplicateEntry, match="A Lead with same Email already exists"):
        client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 1


def test_5xx_without_mx_exception_is_retried() -> None:
    """A 502 from something in front of the server (no MX envelope) is retried until the server answers."""
    calls: list[float] = []
    bad_gateway = lambda _: httpx.Response(502, text="<html>Bad Gateway</html>")  # noqa: E731
    client = _client([bad_gateway, _json(503, {"message": "busy"}), _json(200, SUCCESS)], calls)
    assert client.capture({"EmailAddress": "ada@example.com"}).lead_id == "lead-1"
    assert len(calls) == 3


def test_5xx_with_an_mx_exception_is_not_retried() -> None:
    """A 500 carrying MXInternalServerErrorException is the server's verdict: raised at once."""
    calls: list[float] = []
    fault = {"Status": "Error", "ExceptionType": "MXInternalServerErrorException", "ExceptionMessage": "id 7"}
    client = _client([_json(500, fault), _json(200, SUCCESS)], calls)
    with pytest.raises(ServerError, match="id 7"):
        client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 1


def test_503_server_busy_is_retried() -> None:
    """R-M10's 503 MXServerBusyException wrote nothing and says to retry: the transport asks again."""
    calls: list[float] = []
    client = _client([_json(503, BUSY), _json(503, BUSY, **{"Retry-After": "0"}), _json(200, SUCCESS)], calls)
    assert client.capture({"EmailAddress": "ada@example.com"}).lead_id == "lead-1"
    assert len(calls) == 3


def test_503_server_busy_past_the_attempts_raises_server_busy() -> None:
    """When the server stays busy for every attempt, the last answer is raised with the server's message."""
    calls: list[float] = []
    client = _client([_json(503, BUSY)], calls, attempts=2)
    with pytest.raises(ServerBusy, match="kept changing"):
        client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 2


def test_connection_errors_are_retried() -> None:
    """A refused connection is retried; the next attempt's answer is returned."""
    calls: list[float] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = _client([refuse, refuse, _json(200, SUCCESS)], calls)
    assert client.capture({"EmailAddress": "ada@example.com"}).is_created is True
    assert len(calls) == 3


def test_connection_errors_past_the_attempts_raise_connection_failed() -> None:
    """When no attempt connects, ConnectionFailed is raised after exactly `attempts` tries."""
    calls: list[float] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = _client([refuse], calls, attempts=4)
    with pytest.raises(ConnectionFailed, match="connection refused"):
        client.capture({"EmailAddress": "ada@example.com"})
    assert len(calls) == 4


def test_no_server_listening_is_connection_failed() -> None:
    """A real refused connection (nothing on the port) ends in ConnectionFailed."""
    from tests.support.postgres import free_port

    transport = HTTPTransport(f"http://127.0.0.1:{free_port()}", "a", "b", attempts=2, wait_initial=0.01, wait_jitter=0)
    with LeadCaptureClient(transport) as client, pytest.raises(ConnectionFailed):
        client.capture({"EmailAddress": "ada@example.com"})


def test_attempts_must_be_positive() -> None:
    """A transport with fewer than one attempt is refused when built."""
    with pytest.raises(ValueError, match="attempts"):
        HTTPTransport("http://leads.test", "a", "b", attempts=0)


@pytest.fixture
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server that allows one request per second per key."""
    running = start_server(tmp_path_factory.mktemp("strict"), "--rate-limit", "1/1s")
    yield running
    running.stop()


def test_real_server_429_is_waited_out(strict_server: RunningServer) -> None:
    """Against `leadcapture serve --rate-limit 1/1s`, a second capture at once is throttled, waited out, applied."""
    transport = HTTPTransport(strict_server.base_url, strict_server.access_key, strict_server.secret_key)
    with LeadCaptureClient(transport) as client:
        first = client.capture({"EmailAddress": "ada@example.com"})
        started = time.monotonic()
        second = client.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})
        waited = time.monotonic() - started
    assert first.is_created is True
    assert second.lead_id == first.lead_id
    assert second.is_created is False
    assert waited >= 0.5


def test_the_transport_raises_its_own_no_answer_which_the_client_translates() -> None:
    """HTTPTransport alone raises `NoAnswer` (it needs nothing of the client's); the client says ConnectionFailed."""
    from tests.support.postgres import free_port

    transport = HTTPTransport(f"http://127.0.0.1:{free_port()}", "a", "b", attempts=1, wait_initial=0.01, wait_jitter=0)
    request = ApiRequest(method="GET", path="/health")
    with pytest.raises(NoAnswer) as raised:
        transport.handle_request(request)
    assert not isinstance(raised.value, ConnectionFailed)
    with LeadCaptureClient(transport) as client, pytest.raises(ConnectionFailed) as translated:
        client.get_lead("00000000-0000-0000-0000-000000000000")
    assert isinstance(translated.value.__cause__, NoAnswer)
