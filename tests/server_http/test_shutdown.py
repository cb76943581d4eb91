"""SIGTERM stops a real server gracefully: it accepts no new connection, answers and commits the requests in
flight (group commit and the async inbox included), and exits within its bound (issue 16, adr/0044).

A request is made to be in flight at the signal, whatever the machine's speed: its headers and half its body
are sent before the signal (the server has begun handling it: `leadcapture_http_requests_in_progress`
counts it), and the other half only after the server has stopped accepting connections.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path
from typing import NamedTuple

from tests.support.api import ASYNC_CAPTURE, CAPTURE, capture_body, final_status, leads_by_email
from tests.support.metrics import scrape
from tests.support.server import RunningServer, start_server

IN_FLIGHT_CAPTURES = 8
IN_FLIGHT_SUBMISSIONS = 4


class Answer(NamedTuple):
    """What came back on a raw connection."""

    status: int
    headers: dict[str, str]
    body: bytes


class HalfSentRequest:
    """A POST whose headers and first half of the body are on the wire; the rest is sent by `finish`."""

    def __init__(self, server: RunningServer, path: str, body: bytes) -> None:
        """Connect and send all but the second half of the body."""
        port = int(server.base_url.rsplit(":", 1)[1])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.body = body
        head = (
            f"POST {path}?accessKey={server.access_key}&secretKey={server.secret_key} HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body[: len(body) // 2])

    def finish(self) -> Answer:
        """Send the rest of the body; the answer's status and body (read until the server closes)."""
        self.sock.sendall(self.body[len(self.body) // 2 :])
        return self.read_answer()

    def read_answer(self) -> Answer:
        """Everything the server sends until it closes the connection (status 0 if nothing)."""
        received = b""
        try:
            while chunk := self.sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        finally:
            self.sock.close()
        if not received:
            return Answer(0, {}, b"")
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
        return Answer(int(status_line.split(" ", 2)[1]), headers, body)


def _wait_until_in_progress(server: RunningServer, count: int) -> None:
    """Wait until the server is handling `count` requests besides the scrape asking."""
    deadline = time.monotonic() + 60
    while (seen := scrape(f"{server.base_url}/metrics").value("leadcapture_http_requests_in_progress")) != count + 1:
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)


def _wait_until_refusing(server: RunningServer) -> None:
    """Wait until the server's port refuses new connections (it has begun to stop)."""
    port = int(server.base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < deadline, "the server still accepts connections"
        time.sleep(0.05)


def test_sigterm_answers_and_commits_every_request_in_flight(tmp_path: Path) -> None:
    """Eight captures and four async submissions in flight at SIGTERM are all answered 200 after the server
    stopped accepting, the process ends, and on restart every lead is there and every request applied.
    """
    server = start_server(tmp_path, "--rate-limit", "100000/1s")
    emails = [f"inflight{n}@example.com" for n in range(IN_FLIGHT_CAPTURES)]
    queued = [f"queued{n}@example.com" for n in range(IN_FLIGHT_SUBMISSIONS)]
    captures = [HalfSentRequest(server, CAPTURE, capture_body(EmailAddress=email)) for email in emails]
    submissions = [HalfSentRequest(server, ASYNC_CAPTURE, capture_body(EmailAddress=email)) for email in queued]
    _wait_until_in_progress(server, IN_FLIGHT_CAPTURES + IN_FLIGHT_SUBMISSIONS)

    server.process.send_signal(signal.SIGTERM)
    _wait_until_refusing(server)
    captured = [request.finish() for request in captures]
    accepted = [request.finish() for request in submissions]
    exit_code = server.process.wait(timeout=60)

    assert exit_code == -signal.SIGTERM  # uvicorn ends by the signal it was sent, once it has stopped
    assert [answer.status for answer in captured] == [200] * IN_FLIGHT_CAPTURES
    assert [answer.status for answer in accepted] == [200] * IN_FLIGHT_SUBMISSIONS
    server.restart()
    try:
        with server.client() as client:
            found = {email: leads_by_email(client, email) for email in emails}
            request_ids = [json.loads(answer.body)["RequestID"] for answer in accepted]
            applied = [final_status(client, request_id) for request_id in request_ids]
            queued_leads = {email: leads_by_email(client, email) for email in queued}
    finally:
        server.stop()
    assert all(len(leads) == 1 for leads in found.values()), found
    created_ids = {json.loads(answer.body)["Message"]["Id"] for answer in captured}
    assert {leads[0]["ProspectID"] for leads in found.values()} == created_ids
    assert [status["TaskStatus"]["Status"] for status in applied] == ["Success"] * IN_FLIGHT_SUBMISSIONS
    assert all(len(leads) == 1 for leads in queued_leads.values()), queued_leads


def test_sigterm_exits_within_the_shutdown_timeout_when_a_client_never_finishes(tmp_path: Path) -> None:
    """A request whose body never comes does not hold the server past `--shutdown-timeout`: it is answered
    503 `MXServerBusyException` with `Retry-After` (nothing was written: send it again), and a capture
    answered before the signal is kept.
    """
    server = start_server(tmp_path, "--shutdown-timeout", "1")
    with server.client() as client:
        kept = client.post(CAPTURE, content=capture_body(EmailAddress="kept@example.com"))
    stuck = HalfSentRequest(server, CAPTURE, capture_body(EmailAddress="never@example.com"))
    _wait_until_in_progress(server, 1)

    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=60)
    cut_off = stuck.read_answer()

    assert exit_code == -signal.SIGTERM  # uvicorn ends by the signal it was sent, once it has stopped
    assert kept.status_code == 200
    assert cut_off.status == 503
    assert json.loads(cut_off.body)["ExceptionType"] == "MXServerBusyException"
    assert cut_off.headers["retry-after"] == "1"
    request_id = cut_off.headers["x-request-id"]
    server.restart()
    try:
        with server.client() as client:
            assert len(leads_by_email(client, "kept@example.com")) == 1
            assert leads_by_email(client, "never@example.com") == []
    finally:
        server.stop()
    log = server.log.read_text()
    assert "timeout graceful shutdown exceeded" in log
    assert f"POST {CAPTURE} 503 " in log
    assert f"request_id={request_id}" in log


def test_sigterm_with_two_worker_processes_answers_every_request_in_flight(tmp_path: Path) -> None:
    """`--workers 2`: the supervisor passes SIGTERM on, and each process answers and commits its requests in
    flight before it stops; on restart every lead is there.
    """
    server = start_server(tmp_path, "--workers", "2", "--rate-limit", "100000/1s")
    try:
        _wait_for_log(server, "Application startup complete", 2)
        emails = [f"two{n}@example.com" for n in range(IN_FLIGHT_CAPTURES)]
        captures = [HalfSentRequest(server, CAPTURE, capture_body(EmailAddress=email)) for email in emails]
        _wait_until_in_progress(server, IN_FLIGHT_CAPTURES)  # summed over both processes

        server.process.send_signal(signal.SIGTERM)
        _wait_for_log(server, "Shutting down", 2)  # both processes have begun to stop
        captured = [request.finish() for request in captures]
        exit_code = server.process.wait(timeout=60)
        assert exit_code == 0  # uvicorn's supervisor exits 0 once its processes have stopped
        assert [answer.status for answer in captured] == [200] * IN_FLIGHT_CAPTURES
        server.restart()
        with server.client() as client:
            found = {email: leads_by_email(client, email) for email in emails}
    finally:
        server.stop()
    assert all(len(leads) == 1 for leads in found.values()), found


def _wait_for_log(server: RunningServer, text: str, count: int) -> None:
    """Wait until the server's log has `text` `count` times."""
    deadline = time.monotonic() + 60
    while server.log.read_text().count(text) < count:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.05)
