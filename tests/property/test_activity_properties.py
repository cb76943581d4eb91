"""Properties of the activity decisions of R-L8 (`leadcapture.core.activities`), over generated inputs."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from leadcapture import Engine, InMemoryLeadStore
from leadcapture.core.activities import (
    BUILT_IN_ACTIVITY_TYPES,
    DATE_TIME_FORMAT,
    FIRST_CUSTOM_EVENT_CODE,
    ActivityIds,
    ActivityPost,
    ActivityType,
    ActivityTypeRequest,
    Direction,
    decide_activity,
    decide_activity_type,
    parse_date_time,
    read_activity_post,
)
from leadcapture.core.decision import Create, Reject, Update
from leadcapture.core.names import ExceptionType
from leadcapture.core.records import Lead, PostedActivityData

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
LEAD = Lead(
    id="0190a000-0000-7000-8000-000000000001", fields={"EmailAddress": "a@example.com"}, created_on=NOW, modified_on=NOW
)
IDS = ActivityIds(activity_id="0190a000-0000-7000-8000-0000000000aa")

names = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)
custom_types = st.lists(st.integers(min_value=FIRST_CUSTOM_EVENT_CODE, max_value=100_000), unique=True).map(
    lambda codes: [ActivityType(event_code=code, name=f"type {code}") for code in codes]
)
moments = st.datetimes(
    min_value=datetime(1000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; the values are made UTC
    max_value=datetime(9999, 12, 31, 23, 59, 59),  # noqa: DTZ001
).map(lambda moment: moment.replace(microsecond=0, tzinfo=UTC))
"""Times LeadSquared's `yyyy-mm-dd hh:mm:ss` can write: four-digit years, whole seconds."""


@given(st.lists(names, unique_by=str.casefold, max_size=20))
def test_L8_types_registered_in_turn_take_codes_201_202_and_so_on(registered: list[str]) -> None:
    """R-L8: each new type takes the code after the last one, starting at 201."""
    custom: list[ActivityType] = []
    for name in registered:
        if name.casefold() in {"web visit", "lead capture"}:
            continue
        asked = ActivityTypeRequest(name=name, score=0, direction=Direction.INBOUND)
        custom.append(decide_activity_type(asked, custom).unwrap())
    assert [kind.event_code for kind in custom] == list(range(201, 201 + len(custom)))


@given(custom_types)
def test_L8_a_new_code_is_after_every_registered_one_and_never_below_201(custom: list[ActivityType]) -> None:
    """R-L8: the next code is one more than the highest registered, 201 when none is."""
    asked = ActivityTypeRequest(name="A fresh name", score=1, direction=Direction.OUTBOUND)
    made = decide_activity_type(asked, custom).unwrap()
    assert made.event_code == max([kind.event_code + 1 for kind in custom], default=FIRST_CUSTOM_EVENT_CODE)
    assert made == ActivityType(event_code=made.event_code, name="A fresh name", score=1, direction=Direction.OUTBOUND)


@given(custom_types.filter(bool), st.data())
def test_L8_a_name_any_type_has_in_any_casing_is_a_duplicate(custom: list[ActivityType], data: st.DataObject) -> None:
    """R-L8: registering a taken name (built-in or custom, any casing) is a 400 MXDuplicateEntryException."""
    taken = data.draw(st.sampled_from([*BUILT_IN_ACTIVITY_TYPES, *custom])).name
    cased = "".join(data.draw(st.sampled_from([char.lower(), char.upper()])) for char in taken)
    refused = decide_activity_type(ActivityTypeRequest(name=cased, score=0, direction=Direction.INBOUND), custom)
    assert isinstance(refused, Failure)
    assert (refused.failure().exception_type, refused.failure().status) == (ExceptionType.DUPLICATE_ENTRY, 400)


@given(st.data())
def test_L8_attribute_names_are_read_in_any_casing(data: st.DataObject) -> None:
    """R-V2: a Create body's attribute names compare case-insensitively."""
    body = {
        "EmailAddress": "ann@example.com",
        "ActivityEvent": 23,
        "ActivityNote": "note",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": "x"}],
    }
    recased = {"".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in name): v for name, v in body.items()}
    assert read_activity_post(recased) == read_activity_post(body)
    assert isinstance(read_activity_post(body), Success)


@given(st.text(min_size=1, max_size=20).filter(lambda name: name.casefold() not in _KNOWN))
def test_L8_an_unknown_attribute_is_named_in_the_answer(unknown: str) -> None:
    """R-V2: an attribute a Create body cannot have is a 400 MXUnknownAttributeException naming it."""
    refused = read_activity_post({"EmailAddress": "ann@example.com", "ActivityEvent": 23, unknown: 1})
    assert isinstance(refused, Failure)
    problem = refused.failure()
    assert (problem.exception_type, problem.status) == (ExceptionType.UNKNOWN_ATTRIBUTE, 400)
    assert problem.message.startswith("Attribute(s) does not exist - ")


_KNOWN = {
    name.casefold()
    for name in (
        "RelatedProspectId",
        "EmailAddress",
        "ActivityEvent",
        "ActivityNote",
        "ActivityDateTime",
        "Fields",
        "FirstName",
        "LastName",
        "Phone",
    )
}


@given(moments)
def test_L8_activity_date_times_read_back_as_written(moment: datetime) -> None:
    """R-L8: any `yyyy-mm-dd hh:mm:ss` time reads back as the UTC moment it names."""
    assert parse_date_time(moment.strftime(DATE_TIME_FORMAT)) == moment


@given(custom_types, st.integers(min_value=-5, max_value=100_500), st.one_of(st.none(), moments), st.text(max_size=50))
def test_L8_a_post_on_a_lead_is_of_its_type_at_its_time_or_an_unknown_code_is_400(
    custom: list[ActivityType], code: int, occurred_on: datetime | None, note: str
) -> None:
    """R-L8: a known code gives the activity of that type on the lead, at ActivityDateTime or now; else a 400."""
    types = [*BUILT_IN_ACTIVITY_TYPES, *custom]
    post = ActivityPost(lead_id=LEAD.id, email=None, event_code=code, note=note, occurred_on=occurred_on, fields=())
    decided = decide_activity(post, lead=LEAD, capture=None, types=types, now=NOW, ids=IDS)
    kind = next((kind for kind in types if kind.event_code == code), None)
    if kind is None:
        assert isinstance(decided, Failure)
        assert decided.failure().message == f"ActivityEvent: no activity type has event code {code}"
        return
    posting = decided.unwrap()
    assert posting.capture is None
    activity = posting.activity
    assert (activity.id, activity.lead_id, activity.event_code, activity.event_name) == (
        IDS.activity_id,
        LEAD.id,
        code,
        kind.name,
    )
    assert activity.created_on == (occurred_on or NOW)
    assert activity.data == PostedActivityData(note=note, fields={})


CAPTURES_OF_A_POST = {
    "creates": {"EmailAddress": "new@example.com", "FirstName": "New"},
    "updates the phone's holder": {"EmailAddress": "new@example.com", "Phone": "9876543210"},
    "is refused, the mobile held by another": {
        "EmailAddress": "new@example.com",
        "Phone": "9876543210",
        "Mobile": "9123456780",
    },
}


@given(st.sampled_from(sorted(CAPTURES_OF_A_POST)))
def test_L8_a_post_by_email_goes_on_the_lead_its_capture_writes_or_answers_the_captures_problem(case: str) -> None:
    """R-L8, adr/0055: the engine's capture is applied with the post, on its lead; a Reject answers its problem."""
    engine = Engine(store=InMemoryLeadStore())
    engine.capture({"EmailAddress": "phone@example.com", "Phone": "9876543210"}).unwrap()
    engine.capture({"EmailAddress": "mobile@example.com", "Mobile": "9123456780"}).unwrap()
    capture = engine.preview({**CAPTURES_OF_A_POST[case], "SearchBy": "EmailAddress"}).unwrap()
    post = read_activity_post({"EmailAddress": "new@example.com", "ActivityEvent": 23}).unwrap()
    decided = decide_activity(post, lead=None, capture=capture, types=BUILT_IN_ACTIVITY_TYPES, now=NOW, ids=IDS)
    expected_type = {"creates": Create, "updates the phone's holder": Update}.get(case, Reject)
    assert type(capture) is expected_type
    match capture:
        case Create() | Update():
            assert decided.unwrap().capture == capture
            assert decided.unwrap().activity.lead_id == capture.lead.id
        case Reject(problem=problem):
            assert problem.exception_type is ExceptionType.DUPLICATE_ENTRY
            assert decided == Failure(problem)
        case _:
            raise AssertionError(capture)
