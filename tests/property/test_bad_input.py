"""Whatever arrives, decoding and capturing answer a `Result`, never an exception (R-V1, R-V8, R-H2).

Hypothesis feeds arbitrary bytes, arbitrary JSON and arbitrary attribute lists to `decode_body`,
`Engine.capture` and `Engine.preview`; explicit cases cover what R-V8 names: NUL characters, deep nesting,
very many attributes, huge numbers, bodies over 1 MiB and malformed UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success
from tests.property.strategies import EMAILS, PHONES, CountingIds, FixedClock, emails, phones

from leadcapture import DEFAULT_SCHEMA, Engine, InMemoryLeadStore, Problem, decode_body

MIB: Final = 1024 * 1024
STATUSES: Final = frozenset({400, 409, 413})
NAMES: Final = (
    *(spec.schema_name for spec in DEFAULT_SCHEMA.fields),
    "ProspectId",
    "SearchBy",
    "RelatedCompanyId",
    "CreatedOn",
    "ModifiedOn",
    "prospectid",
    "EMAILADDRESS",
)

Answer = Result[object, Problem]
EntryPoint = Callable[[object], Answer]


def seeded_engine() -> Engine:
    """An engine over a store holding two leads with pool identities, so that duplicates (409) can happen."""
    engine = Engine(store=InMemoryLeadStore(), clock=FixedClock(), ids=CountingIds())
    for n in range(2):
        engine.capture({"EmailAddress": EMAILS[n], "Phone": PHONES[n], "FirstName": "Seed"}).unwrap()
    return engine


def check(answer: object) -> None:
    """The answer is a Result; a Failure holds a Problem with status 400, 409 or 413 and a message."""
    assert isinstance(answer, Success | Failure), answer
    if isinstance(answer, Failure):
        problem = answer.failure()
        assert isinstance(problem, Problem), problem
        assert problem.status in STATUSES, problem
        assert problem.message.strip(), problem


ENTRY_POINTS: Final[dict[str, EntryPoint]] = {
    "decode_body": decode_body,  # type: ignore[dict-item] - it takes only bytes or str, which is all it gets
    "capture": lambda body: seeded_engine().capture(body),
    "preview": lambda body: seeded_engine().preview(body),
}
ENGINE_ENTRY_POINTS: Final = {name: ENTRY_POINTS[name] for name in ("capture", "preview")}

json_values: Final = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
"""Any JSON value msgspec can encode."""
values: Final = st.one_of(
    json_values,
    emails,
    phones,
    st.sampled_from(["", " ", "00000000-0000-4000-8000-000000000001", "2020-01-01 00:00:00", "EmailAddress", "1e5"]),
)
attribute_lists: Final = st.lists(
    st.fixed_dictionaries({"Attribute": st.text(max_size=12) | st.sampled_from(NAMES), "Value": values}),
    max_size=6,
)
mutated_bodies: Final = st.builds(
    lambda body, at, junk: body[: at % (len(body) + 1)] + junk + body[at % (len(body) + 1) :],
    attribute_lists.map(msgspec.json.encode),
    st.integers(min_value=0),
    st.binary(min_size=1, max_size=4),
)
"""A JSON attribute list with a few arbitrary bytes spliced in, often inside a string."""
SURROGATES: Final = st.characters(categories=["Cs"])
text_bodies: Final = st.builds(
    lambda body, at, junk: body[: at % (len(body) + 1)] + junk + body[at % (len(body) + 1) :],
    attribute_lists.map(lambda attributes: msgspec.json.encode(attributes).decode()),
    st.integers(min_value=0),
    st.text(SURROGATES | st.characters(categories=["Cc", "Lu", "Nd", "Po"]), min_size=1, max_size=3),
)
"""A JSON attribute list as `str`, with a few characters (surrogates included) spliced in."""
behaviors: Final = st.none() | st.text(max_size=24) | st.sampled_from(["DoNotUpdate", "updateonlyemptyfields", " "])


@given(st.binary())
def test_V1_arbitrary_bytes_never_raise(body: bytes) -> None:
    """Arbitrary bytes given to decode_body, capture and preview answer a Result, never an exception."""
    for entry in ENTRY_POINTS.values():
        check(entry(body))


@given(mutated_bodies)
def test_V8_bodies_with_spliced_bytes_never_raise(body: bytes) -> None:
    """A JSON body with arbitrary bytes spliced in (malformed UTF-8 included) answers a Result, never an exception."""
    for entry in ENTRY_POINTS.values():
        check(entry(body))


@given(text_bodies)
def test_V8_text_bodies_with_spliced_characters_never_raise(body: str) -> None:
    """A str body with arbitrary characters spliced in (lone surrogates included) answers a Result."""
    for entry in ENTRY_POINTS.values():
        check(entry(body))


@given(json_values.map(msgspec.json.encode))
def test_V1_arbitrary_json_never_raises(body: bytes) -> None:
    """Any JSON document given to decode_body, capture and preview answers a Result, never an exception."""
    for entry in ENTRY_POINTS.values():
        check(entry(body))


@given(attribute_lists, behaviors)
def test_V1_arbitrary_attribute_lists_never_raise(attributes: list[dict[str, object]], behavior: str | None) -> None:
    """Arbitrary {"Attribute", "Value"} lists, as Python lists or JSON bodies, answer a Result whatever they hold."""
    body = msgspec.json.encode(attributes)
    check(decode_body(body))
    for form in (attributes, body):
        check(seeded_engine().capture(form, behavior))
        check(seeded_engine().preview(form, behavior))


def body_of(*pairs: tuple[str, object]) -> bytes:
    """A Lead.Capture JSON body of (attribute, value) pairs."""
    return msgspec.json.encode([{"Attribute": name, "Value": value} for name, value in pairs])


def nested(depth: int) -> list[object]:
    """A list nested `depth` levels deep, built without recursion."""
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def refused(answer: Answer, status: int = 400) -> None:
    """The answer is a Failure with `status` and a message."""
    check(answer)
    assert isinstance(answer, Failure), answer
    assert answer.failure().status == status, answer.failure()


def refused_after_decoding(entry: EntryPoint, answer: Answer) -> None:
    """A 400 from capture and preview; decode_body, which checks only the body's shape, must merely not raise."""
    if entry is ENTRY_POINTS["decode_body"]:
        check(answer)
    else:
        refused(answer)


@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
class TestExplicitBodies:
    """Hostile JSON bodies, given to decode_body (after which the value checks never run), capture and preview."""

    @pytest.mark.parametrize(
        "body",
        [
            body_of(("First\x00Name", "Ana")),
            body_of(("\x00", "Ana")),
            b'[{"Attribute":"FirstName\\u0000","Value":"Ana"}]',
        ],
    )
    def test_V2_nul_in_a_name_is_refused(self, entry: EntryPoint, body: bytes) -> None:
        """An attribute name with a NUL character names no field: a 400 (decode_body may still accept it)."""
        refused_after_decoding(entry, entry(body))

    @pytest.mark.parametrize("name", ["FirstName", "EmailAddress", "Phone", "ProspectId", "SearchBy", "Notes"])
    def test_V4_nul_in_a_value_is_refused(self, entry: EntryPoint, name: str) -> None:
        """A value with a NUL character is a 400, whatever field it is for."""
        refused_after_decoding(entry, entry(body_of((name, "ab\x00c"))))

    @pytest.mark.parametrize(
        "body",
        [
            b"[" * 10_000 + b"]" * 10_000,
            b'[{"Attribute":"FirstName","Value":' + b"[" * 10_000 + b"]" * 10_000 + b"}]",
            b'[{"Attribute":"FirstName","Value":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}]",
        ],
        ids=["body", "value", "objects"],
    )
    def test_V8_deep_nesting_is_refused(self, entry: EntryPoint, body: bytes) -> None:
        """10,000 nested arrays or objects are a 400."""
        refused(entry(body))

    @pytest.mark.parametrize(
        "pairs",
        [
            [(f"mx_Unknown{n}", "x") for n in range(10_000)],
            [("FirstName", f"Ana{n}") for n in range(10_000)],
        ],
        ids=["distinct-unknown", "repeated"],
    )
    def test_V2_V3_ten_thousand_attributes_are_refused(self, entry: EntryPoint, pairs: list[tuple[str, str]]) -> None:
        """10,000 unknown or repeated attributes are a 400 with a message (decode_body may still accept them)."""
        refused_after_decoding(entry, entry(body_of(*pairs)))

    @pytest.mark.parametrize("field", ["FirstName", "Notes", "Phone"])
    @pytest.mark.parametrize("number", [b"1" + b"0" * 400, b"1e400", b"-1e400"], ids=["10**400", "1e400", "-1e400"])
    def test_V8_huge_numbers_are_refused(self, entry: EntryPoint, field: str, number: bytes) -> None:
        """A JSON number like 10**400 or 1e400 as a value is a 400, whatever field it is for (R-V8)."""
        body = b'[{"Attribute":"' + field.encode() + b'","Value":' + number + b"}]"
        refused_after_decoding(entry, entry(body))

    @pytest.mark.parametrize(
        "body",
        [body_of(("Notes", "a" * MIB)), b"x" * (MIB + 1)],
        ids=["json", "not-json"],
    )
    def test_V8_a_body_over_one_mib_is_413(self, entry: EntryPoint, body: bytes) -> None:
        """A body over 1 MiB is refused with 413, whatever it holds (R-V8)."""
        assert len(body) > MIB
        refused(entry(body), status=413)

    @pytest.mark.parametrize(
        "body",
        [
            b'\xff[{"Attribute":"FirstName","Value":"Ana"}]',
            b'[{"Attribute":"FirstName","Value":"A\xffna"}]',
            b'[{"Attribute":"First\xfeName","Value":"Ana"}]',
            b'[{"Attribute":"FirstName","Value":"\xc0\xaf"}]',
        ],
        ids=["before-json", "in-value", "in-name", "overlong"],
    )
    def test_V8_malformed_utf8_is_refused(self, entry: EntryPoint, body: bytes) -> None:
        """Bytes that are not UTF-8, anywhere in the body, are a 400 (R-V8)."""
        refused(entry(body))

    @pytest.mark.parametrize(
        "body",
        ['[{"Attribute":"FirstName","Value":"\ud800"}]', '[{"Attribute":"\udfff","Value":"Ana"}]'],
        ids=["in-value", "in-name"],
    )
    def test_V8_a_text_body_with_a_lone_surrogate_is_refused(self, entry: EntryPoint, body: str) -> None:
        """A str body holding a lone surrogate (it has no UTF-8 form) is a 400, not an exception."""
        refused(entry(body))

    def test_V8_a_text_body_over_one_mib_of_utf8_is_413(self, entry: EntryPoint) -> None:
        """A str body whose UTF-8 form is over 1 MiB is a 413, even with fewer than 1 Mi characters."""
        body = body_of(("Notes", "é" * (MIB // 2 + 1))).decode()
        assert len(body) < MIB < len(body.encode())
        refused(entry(body), status=413)


@pytest.mark.parametrize("entry", ENGINE_ENTRY_POINTS.values(), ids=ENGINE_ENTRY_POINTS.keys())
class TestExplicitPythonValues:
    """Python callers can pass what JSON cannot carry; capture and preview still answer a Result."""

    def test_V8_deeply_nested_python_lists_are_refused(self, entry: EntryPoint) -> None:
        """10,000 nested Python lists, as the body or as a value, are a 400."""
        refused(entry(nested(10_000)))
        refused(entry([{"Attribute": "FirstName", "Value": nested(10_000)}]))

    @pytest.mark.parametrize("field", ["FirstName", "Notes", "Phone"])
    @pytest.mark.parametrize("number", [10**400, 1e400, -1e400], ids=["10**400", "1e400", "-1e400"])
    def test_V8_huge_python_numbers_are_refused(self, entry: EntryPoint, field: str, number: float) -> None:
        """10**400 and 1e400 (infinity) as a value are a 400, whatever field it is for (R-V8)."""
        refused(entry([{"Attribute": field, "Value": number}]))
        refused(entry({field: number}))

    def test_V1_nan_is_refused(self, entry: EntryPoint) -> None:
        """NaN is not a JSON number, so as a value it is a 400 (R-V1)."""
        refused(entry({"Notes": float("nan")}))

    def test_V8_a_lone_surrogate_value_is_refused(self, entry: EntryPoint) -> None:
        """A value with a lone surrogate (no UTF-8 form, so no JSON form) is a 400."""
        refused(entry({"FirstName": "\ud800"}))

    def test_V1_objects_that_are_not_attributes_are_refused(self, entry: EntryPoint) -> None:
        """A body of the wrong Python type, or pairs with the wrong shape, is a 400."""
        for body in (None, 42, object(), [None], [{"Attribute": 1, "Value": "x"}], [{"Value": "x"}], {1: "x"}, []):
            refused(entry(body))
