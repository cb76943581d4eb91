"""Activity types and posted activities (R-L8) on every store alike: memory, SQLite and PostgreSQL.

Types are registered through the `LeadStore` protocol; posts go through `leadcapture.activities`, which
decides them with the real engine and writes them in one store transaction of the store under test.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from tests.conformance.test_lead_store_contract import engine_for

from leadcapture import LeadStore
from leadcapture.activities import post_activity_answer
from leadcapture.core.activities import ActivityType, Direction
from leadcapture.core.names import EMAIL, DataType
from leadcapture.core.records import PostedActivityData
from leadcapture.core.values import match_key
from leadcapture.ports import ActivityTransaction

CALL = ActivityType(event_code=201, name="Phone Call", score=5, direction=Direction.OUTBOUND)
DEMO = ActivityType(event_code=202, name="Demo", score=-3, direction=Direction.INBOUND)


def _leads_with_email(store: LeadStore, email: str) -> list[str]:
    return [lead.id for lead in store.find_leads(EMAIL, match_key(DataType.EMAIL, email))]


def test_L8_a_new_store_has_no_custom_activity_types(store: LeadStore) -> None:
    """R-L8: the built-in types are not stored; a new store lists no custom type."""
    assert store.activity_types() == ()


def test_L8_registered_types_are_listed_by_code_as_registered(store: LeadStore) -> None:
    """R-L8: a registered type comes back with its code, name, score and direction, ordered by code."""
    assert store.add_activity_type(DEMO) is True
    assert store.add_activity_type(CALL) is True
    assert store.activity_types() == (CALL, DEMO)


def test_L8_a_taken_code_or_a_name_differing_only_in_case_is_refused_writing_nothing(store: LeadStore) -> None:
    """R-L8: one type per code and per case-folded name; a refused type is not written."""
    assert store.add_activity_type(CALL) is True
    same_code = ActivityType(event_code=201, name="Meeting")
    same_name = ActivityType(event_code=202, name="PHONE call")
    assert store.add_activity_type(same_code) is False
    assert store.add_activity_type(same_name) is False
    assert store.activity_types() == (CALL,)


def test_L8_a_type_registered_in_a_rolled_back_transaction_is_gone(store: LeadStore) -> None:
    """R-L8: registering is part of the store transaction: an exception in it undoes the type."""
    seen_inside: list[tuple[ActivityType, ...]] = []

    def register_then_fail() -> None:
        with store.transaction() as tx:
            assert isinstance(tx, ActivityTransaction)
            assert tx.add_activity_type(CALL) is True
            seen_inside.append(tx.activity_types())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert seen_inside == [(CALL,)]
    assert store.activity_types() == ()


def test_L8_a_post_by_a_new_email_captures_the_lead_and_posts_the_activity_on_it(store: LeadStore) -> None:
    """R-L8: no lead has the email: one is captured (with its Lead Capture activity), then the post goes on it."""
    engine = engine_for(store)
    store.add_activity_type(CALL)
    body = {
        "EmailAddress": "Ann@Example.com",
        "FirstName": "Ann",
        "ActivityEvent": 201,
        "ActivityNote": "Called back",
        "ActivityDateTime": "2026-01-02 03:04:05",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": 42}],
    }
    answer = post_activity_answer(engine, json.dumps(body).encode())
    assert answer.status == 200
    [lead_id] = _leads_with_email(store, "ann@example.com")
    lead = store.get_lead(lead_id)
    assert lead is not None
    assert lead.fields == {"EmailAddress": "Ann@Example.com", "FirstName": "Ann"}
    posted, captured = store.activities(lead_id)
    assert _plain(answer.body) == {"Status": "Success", "Message": {"Id": posted.id}}
    assert (posted.event_code, posted.event_name) == (201, "Phone Call")
    assert posted.created_on.isoformat() == "2026-01-02T03:04:05+00:00"
    assert posted.data == PostedActivityData(note="Called back", fields={"mx_Custom_1": "42"})
    assert (captured.event_code, captured.event_name) == (23, "Lead Capture")


def test_L8_a_post_by_an_email_a_lead_has_changes_nothing_of_the_lead(store: LeadStore) -> None:
    """R-L8: the lead with the email gets the activity; the body's FirstName does not update it."""
    engine = engine_for(store)
    lead_id = engine.capture({"EmailAddress": "bo@example.com", "FirstName": "Bo"}).unwrap().lead_id
    body = {"EmailAddress": "BO@example.com", "FirstName": "Other", "ActivityEvent": 1}
    answer = post_activity_answer(engine, json.dumps(body).encode(), may_capture=False)
    assert answer.status == 200
    lead = store.get_lead(lead_id)
    assert lead is not None
    assert lead.fields == {"EmailAddress": "bo@example.com", "FirstName": "Bo"}
    assert [activity.event_code for activity in store.activities(lead_id)] == [1, 23]


@pytest.mark.parametrize(
    ("body", "may_capture", "status"),
    [
        ({"EmailAddress": "new@example.com", "ActivityEvent": 999}, True, 400),
        ({"EmailAddress": "new@example.com", "ActivityEvent": 23}, False, 403),
    ],
    ids=["unknown-event-code", "key-without-capture"],
)
def test_L8_a_post_that_fails_captures_no_lead(
    store: LeadStore, body: dict[str, object], *, may_capture: bool, status: int
) -> None:
    """R-L8: an unknown event code, or a key that may not capture, answers an error and leaves no lead."""
    answer = post_activity_answer(engine_for(store), json.dumps(body).encode(), may_capture=may_capture)
    assert answer.status == status
    assert _leads_with_email(store, "new@example.com") == []


def test_L8_a_dry_run_post_writes_neither_lead_nor_activity(store: LeadStore) -> None:
    """R-L10: a dry run decides the capture and the activity and writes nothing."""
    body = {"EmailAddress": "dry@example.com", "ActivityEvent": 23}
    answer = post_activity_answer(engine_for(store), json.dumps(body).encode(), dry_run=True)
    assert answer.status == 200
    preview = _plain(answer.body)["Preview"]
    assert preview["Capture"]["type"] == "Create"
    assert preview["Activity"]["lead_id"] == preview["Capture"]["lead"]["id"]
    assert _leads_with_email(store, "dry@example.com") == []


def _plain(body: object) -> dict[str, Any]:
    """An answer's wire body as plain JSON values."""
    decoded: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(body))
    return decoded
