"""The transport contract: the same calls through `LocalTransport` and through `HTTPTransport` against a real
`leadcapture serve` give the same receipts, decisions, errors and look-ups.

Both sides generate their own ids and timestamps, so answers are compared after replacing each id by the
order in which it first appeared on its side, and each timestamp by a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from tests.support.server import RunningServer, start_server

from leadcapture import Engine
from leadcapture.adapters import open_store
from leadcapture.client import ApiError, LeadCaptureClient
from leadcapture.core.policies import CreatePolicy, UpdateByIdPolicy
from leadcapture.transports import HTTPTransport, LocalTransport

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?")


class Normalizer:
    """Replaces ids by `#n` in order of first appearance and timestamps by `<time>`."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self(item) for item in value]
        if isinstance(value, str):
            if _TIME.fullmatch(value):
                return "<time>"
            return _GUID.sub(lambda found: self.ids.setdefault(found.group(), f"#{len(self.ids)}"), value)
        return value


Step = Callable[[LeadCaptureClient], object]

NO_LEAD = "00000000-0000-4000-8000-000000000000"
SCENARIO: list[tuple[str, Step]] = [
    ("preview a new lead", lambda c: c.preview({"EmailAddress": "ada@example.com", "FirstName": "Ada"})),
    ("create it", lambda c: c.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})),
    (
        "update it by email, any case",
        lambda c: c.capture({"EmailAddress": "ADA@example.com", "LastName": "Lovelace", "Phone": "+91-9876543210"}),
    ),
    (
        "preview an update that leaves fields alone",
        lambda c: c.preview({"EmailAddress": "ada@example.com", "FirstName": "Augusta"}, "UpdateOnlyEmptyFields"),
    ),
    ("create another lead", lambda c: c.capture({"EmailAddress": "bob@example.com", "FirstName": "Bob"})),
    ("preview a duplicate phone", lambda c: c.preview({"EmailAddress": "bob@example.com", "Phone": "+91-9876543210"})),
    (
        "capture the duplicate phone",
        lambda c: c.capture({"EmailAddress": "bob@example.com", "Phone": "+91-9876543210"}),
    ),
    ("a bad email", lambda c: c.capture({"EmailAddress": "not-an-email"})),
    ("preview a bad email", lambda c: c.preview({"EmailAddress": "not-an-email"})),
    ("an unknown attribute", lambda c: c.capture({"EmailAddress": "cy@example.com", "Shoe": "42"})),
    ("an unknown behaviour", lambda c: c.capture({"EmailAddress": "cy@example.com"}, "Sometimes")),
    ("a body that is not a list", lambda c: c.capture(b'{"EmailAddress": "cy@example.com"}')),
    ("DoNotUpdate", lambda c: c.capture({"EmailAddress": "ada@example.com", "City": "London"}, "DoNotUpdate")),
    ("look up by email", lambda c: c.leads_by_email("Ada@Example.com")),
    ("look up by phone", lambda c: c.leads_by_phone("+919876543210")),
    ("look up by id", lambda c: c.get_lead(c.leads_by_email("ada@example.com")[0]["ProspectID"])),
    ("look up a missing id", lambda c: c.get_lead("00000000-0000-0000-0000-000000000000")),
    ("the schema", lambda c: c.metadata()),
    ("quick search by name", lambda c: c.quick_search("BO")),
    ("quick search by phone digits", lambda c: c.quick_search("98765 43210")),
    ("leads by ids, in the order asked", lambda c: c.leads_by_ids(_ids_newest_first(c))),
    ("leads by a bad id", lambda c: c.leads_by_ids(["not-a-guid"])),
    (
        "recently modified",
        lambda c: c.recently_modified(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)),
    ),
    ("Lead.Create", lambda c: c.create({"EmailAddress": "dee@example.com", "FirstName": "Dee"})),
    ("Lead.Create of a held email", lambda c: c.create({"EmailAddress": "DEE@example.com"})),
    ("Lead.Update", lambda c: c.update(c.leads_by_email("dee@example.com")[0]["ProspectID"], {"City": "Oslo"})),
    ("Lead.Update of no lead", lambda c: c.update(NO_LEAD, {"City": "Oslo"})),
    ("Lead.CreateOrUpdate", lambda c: c.create_or_update({"EmailAddress": "dee@example.com", "LastName": "Dee"})),
    ("Lead.CreateOrUpdate without a unique field", lambda c: c.create_or_update({"FirstName": "Eve"})),
    ("preview Lead.Create", lambda c: c.preview({"EmailAddress": "eve@example.com"}, policy=CreatePolicy())),
    ("preview Lead.Update of no lead", lambda c: c.preview({"City": "Rome"}, policy=UpdateByIdPolicy(lead_id=NO_LEAD))),
    (
        "bulk create or update",
        lambda c: c.bulk_create_or_update(
            [
                {"EmailAddress": "fay@example.com"},
                {"EmailAddress": "FAY@example.com", "City": "Pune"},
                {"EmailAddress": "bad"},
            ]
        ),
    ),
    ("bulk create", lambda c: c.bulk_create([{"EmailAddress": "fay@example.com"}, {"FirstName": "Gus"}])),
    (
        "a backwards range",
        lambda c: c.recently_modified(datetime(2100, 1, 1, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC)),
    ),
]


ACTIVITY_SCENARIO: list[tuple[str, Step]] = [
    ("the built-in activity types", lambda c: c.activity_types()),
    ("register a type", lambda c: c.create_activity_type("Phone Call", score=5, direction=1)),
    ("register another", lambda c: c.create_activity_type("Demo")),
    ("a name taken, in another case", lambda c: c.create_activity_type("PHONE CALL")),
    ("a direction that is neither way", lambda c: c.create_activity_type("Email", direction=2)),
    ("every type", lambda c: c.activity_types()),
    (
        "post by a new email, capturing the lead",
        lambda c: c.post_activity(201, email="ann@example.com", note="Called", lead={"FirstName": "Ann"}),
    ),
    ("the lead it captured", lambda c: c.leads_by_email("ann@example.com")),
    (
        "post by its id",
        lambda c: c.post_activity(
            202, lead_id=c.leads_by_email("ann@example.com")[0]["ProspectID"], fields={"mx_Custom_1": "Yes"}
        ),
    ),
    ("post by an unknown id", lambda c: c.post_activity(23, lead_id="00000000-0000-0000-0000-000000000000")),
    ("an unknown event code", lambda c: c.post_activity(777, email="ann@example.com")),
    ("a bad email", lambda c: c.post_activity(23, email="not-an-email")),
    ("a bad date", lambda c: c.post_activity(23, email="ann@example.com", lead={"ActivityDateTime": "yesterday"})),
]


def _ids_newest_first(client: LeadCaptureClient) -> list[str]:
    return [lead["ProspectID"] for lead in reversed(client.quick_search("example.com"))]


def _run(client: LeadCaptureClient, scenario: list[tuple[str, Step]] = SCENARIO) -> list[Any]:
    """Every step's answer as plain data, an error as its class, type, message and status."""
    normalize = Normalizer()
    answers = []
    for _, step in scenario:
        try:
            answer: Any = msgspec.to_builtins(step(client))
        except ApiError as exc:
            answer = {
                "raised": type(exc).__name__,
                "type": exc.exception_type,
                "message": exc.message,
                "status": exc.status,
            }
        answers.append(normalize(answer))
    return answers


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server with a rate limit that stays out of the way."""
    running = start_server(tmp_path_factory.mktemp("contract"), "--rate-limit", "100000/1s")
    yield running
    running.stop()


def test_local_and_http_transports_answer_alike(server: RunningServer, tmp_path: Path) -> None:
    """Every step of the scenario answers the same through LocalTransport and through HTTPTransport."""
    store = open_store(f"sqlite:///{tmp_path / 'local.db'}")
    with LeadCaptureClient(LocalTransport(Engine(store=store))) as local:
        local_answers = _run(local)
    store.close()
    with LeadCaptureClient(HTTPTransport(server.base_url, server.access_key, server.secret_key)) as remote:
        remote_answers = _run(remote)
    for (name, _), mine, theirs in zip(SCENARIO, local_answers, remote_answers, strict=True):
        assert mine == theirs, name
    kinds = [a.get("raised") or a.get("type") if isinstance(a, dict) else None for a in local_answers]
    assert kinds[:13] == [
        "Create",
        None,
        None,
        "Update",
        None,
        "Reject",
        "DuplicateEntry",
        "InvalidInput",
        "InvalidInput",
        "UnknownAttribute",
        "InvalidInput",
        "InvalidInput",
        None,
    ]
    # A capture's receipt carries the applied decision on both sides, as `Engine.capture`'s does.
    created, updated = local_answers[1], local_answers[2]
    assert (created["outcome"], created["decision"]["type"]) == ("Created", "Create")
    assert (updated["outcome"], updated["decision"]["explanation"]["rule"]) == ("Updated", "R-M8")
    assert [change["field"] for change in updated["decision"]["explanation"]["changes"]] == ["LastName", "Phone"]

    # The queries of R-L5 and R-L6 found what the scenario made, on both sides alike.
    answered = dict(zip([name for name, _ in SCENARIO], local_answers, strict=True))
    searched, by_digits, by_ids, bad_id, modified, backwards = (
        answered[name]
        for name in (
            "quick search by name",
            "quick search by phone digits",
            "leads by ids, in the order asked",
            "leads by a bad id",
            "recently modified",
            "a backwards range",
        )
    )
    assert [lead["EmailAddress"] for lead in searched] == ["bob@example.com"]
    assert [lead["EmailAddress"] for lead in by_digits] == ["ada@example.com"]
    assert [lead["EmailAddress"] for lead in by_ids] == ["ada@example.com", "bob@example.com"]
    assert (bad_id["raised"], bad_id["message"]) == ("InvalidInput", "LeadIds: not a valid GUID: not-a-guid")
    assert modified["record_count"] == 2
    assert [lead["EmailAddress"] for lead in modified["leads"]] == ["ada@example.com", "bob@example.com"]
    assert (backwards["raised"], backwards["status"]) == ("InvalidInput", 400)
    # The lead-management writes (R-L1..R-L4, R-L7, R-L10) answered alike on both sides, and did what they say.
    created, held, updated, no_lead, upserted, no_unique, previewed, previewed_no_lead, bulk, bulk_create = (
        local_answers[-11:-1]
    )
    assert created.startswith("#")
    assert (held["raised"], no_lead["raised"], no_lead["status"]) == ("DuplicateEntry", "InvalidInput", 404)
    assert updated is None
    assert upserted == {"lead_id": created, "is_created": False}
    assert (no_unique["raised"], no_unique["status"]) == ("InvalidInput", 400)
    assert (previewed["type"], previewed["activity"]) == ("Create", None)
    assert previewed_no_lead["type"] == "Reject"
    assert [(row["created"], row["updated"], row["exception_type"]) for row in bulk] == [
        (True, False, None),
        (False, True, None),
        (False, False, "MXInvalidInputException"),
    ]
    assert [row["exception_type"] for row in bulk_create] == ["MXDuplicateEntryException", None]


def test_L8_activity_calls_answer_alike_on_both_transports(tmp_path: Path) -> None:
    """R-L8: types, posts and their errors answer the same through LocalTransport and HTTPTransport."""
    store = open_store(f"sqlite:///{tmp_path / 'local.db'}")
    with LeadCaptureClient(LocalTransport(Engine(store=store))) as local:
        local_answers = _run(local, ACTIVITY_SCENARIO)
    store.close()
    (tmp_path / "served").mkdir()
    server = start_server(tmp_path / "served", "--rate-limit", "100000/1s")
    try:
        with LeadCaptureClient(HTTPTransport(server.base_url, server.access_key, server.secret_key)) as remote:
            remote_answers = _run(remote, ACTIVITY_SCENARIO)
    finally:
        server.stop()
    for (name, _), mine, theirs in zip(ACTIVITY_SCENARIO, local_answers, remote_answers, strict=True):
        assert mine == theirs, name
    built_in = [
        {"ActivityEvent": 1, "ActivityEventName": "Web Visit", "Score": 0, "Direction": 0},
        {"ActivityEvent": 23, "ActivityEventName": "Lead Capture", "Score": 0, "Direction": 0},
    ]
    call = {"ActivityEvent": 201, "ActivityEventName": "Phone Call", "Score": 5, "Direction": 1}
    demo = {"ActivityEvent": 202, "ActivityEventName": "Demo", "Score": 0, "Direction": 0}
    assert local_answers[:6] == [
        built_in,
        201,
        202,
        {
            "raised": "DuplicateEntry",
            "type": "MXDuplicateEntryException",
            "message": "An activity type named 'PHONE CALL' already exists.",
            "status": 400,
        },
        {
            "raised": "InvalidInput",
            "type": "MXInvalidInputException",
            "message": "Direction: 0 (inbound) or 1 (outbound), not 2",
            "status": 400,
        },
        [built_in[0], built_in[1], call, demo],
    ]
    posted, [lead], by_id, unknown_id, unknown_code, bad_email, bad_date = local_answers[6:]
    assert (posted, lead["EmailAddress"], lead["FirstName"], by_id) == ("#0", "ann@example.com", "Ann", "#2")
    assert unknown_id["message"] == "RelatedProspectId: no lead has id #3"
    assert unknown_code["message"] == "ActivityEvent: no activity type has event code 777"
    assert (bad_email["raised"], bad_email["status"]) == ("InvalidInput", 400)
    assert (bad_date["raised"], bad_date["message"]) == (
        "InvalidInput",
        "ActivityDateTime: expected yyyy-mm-dd hh:mm:ss, not 'yesterday'",
    )


def test_unknown_path_is_not_found_on_both(server: RunningServer, tmp_path: Path) -> None:
    """A path neither implements is a 404 MXNotFoundException envelope through either transport."""
    from leadcapture.transports import ApiRequest

    request = ApiRequest(method="GET", path="/v2/LeadManagement.svc/NoSuchThing")
    store = open_store(f"sqlite:///{tmp_path / 'local.db'}")
    local = LocalTransport(Engine(store=store)).handle_request(request)
    store.close()
    with HTTPTransport(server.base_url, server.access_key, server.secret_key) as transport:
        remote = transport.handle_request(request)
    assert local.status == remote.status == 404
    assert msgspec.json.decode(local.body) == msgspec.json.decode(remote.body)
