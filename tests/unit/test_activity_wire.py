"""The documented activity bodies (`leadcapture.wire.activities`) name exactly what the core reads (R-L8)."""

from __future__ import annotations

import msgspec

from leadcapture.core.activities import read_activity_post, read_activity_type
from leadcapture.wire.activities import ActivityPostBody, ActivityTypeBody


def _documented(body: type[msgspec.Struct]) -> set[str]:
    return {field.encode_name for field in msgspec.structs.fields(body)}


def test_L8_every_documented_create_attribute_is_read_and_no_other() -> None:
    """R-L8, R-V2: a body with every documented attribute is read; the document names nothing the core refuses."""
    assert _documented(ActivityPostBody) == {
        "RelatedProspectId",
        "EmailAddress",
        "ActivityEvent",
        "ActivityNote",
        "ActivityDateTime",
        "Fields",
        "FirstName",
        "LastName",
        "Phone",
    }
    body = {
        "RelatedProspectId": "0190A000-0000-7000-8000-000000000001",
        "EmailAddress": "ann@example.com",
        "ActivityEvent": 23,
        "ActivityNote": " Called ",
        "ActivityDateTime": "2026-01-02 03:04:05",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": True}],
        "FirstName": "Ann",
        "LastName": "Lee",
        "Phone": "9876543210",
    }
    post = read_activity_post(body).unwrap()
    assert (post.lead_id, post.email, post.event_code, post.note) == (
        "0190a000-0000-7000-8000-000000000001",
        "ann@example.com",
        23,
        "Called",
    )
    assert post.fields == (("mx_Custom_1", "true"),)
    assert post.lead_attributes == ()  # RelatedProspectId wins: no lead would be captured


def test_L8_every_documented_create_type_attribute_is_read() -> None:
    """R-L8: ActivityEventName, Score and Direction, as documented."""
    assert _documented(ActivityTypeBody) == {"ActivityEventName", "Score", "Direction"}
    asked = read_activity_type({"ActivityEventName": "Call", "Score": -7, "Direction": 1}).unwrap()
    assert (asked.name, asked.score, int(asked.direction)) == ("Call", -7, 1)
