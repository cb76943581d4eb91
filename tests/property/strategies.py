"""Strategies and a small test bench for the property tests: few identities, so that captures collide often.

A generated `Scenario` is plain data: a schema choice, some visitors, the captures that build the store
(`seeds`), and the captures under test (`steps`). `Bench.build(scenario)` turns it into a real
`InMemoryLeadStore` driven by `Engine`, with a hand-moved clock and counter-based GUIDs, so every run of a
scenario gives the very same leads, ids and times.

Identities come from a pool of four: emails `user{i}@example.com` in any casing, phones `90000000{i:02d}`
written in several ways (all the same Indian number), and, in the custom schema, a unique text field
`mx_Ref` with values `R0`..`R3`. A `ProspectId` names a lead or visitor of the built store by position, or a
GUID nobody has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from leadcapture import (
    DEFAULT_SCHEMA,
    Account,
    CaptureRequest,
    Engine,
    InMemoryLeadStore,
    Lead,
    Schema,
    UpdateBehavior,
    Visit,
    Visitor,
    schema_from_toml,
)

POOL: Final = 4
EMAILS: Final = tuple(f"user{i}@example.com" for i in range(POOL))
PHONES: Final = tuple(f"90000000{i:02d}" for i in range(POOL))
REFS: Final = tuple(f"R{i}" for i in range(POOL))
START: Final = datetime(2026, 1, 1, tzinfo=UTC)
UNKNOWN_PREFIX: Final = "ffffffff-ffff-4fff-8fff-"
"""GUIDs with this prefix belong to nobody: the bench's own ids start with zeros."""

CUSTOM_SCHEMA: Final = schema_from_toml(
    b'[fields.Phone]\nis_unique = false\n\n[fields.mx_Ref]\ndata_type = "Text"\nis_unique = true\n',
).unwrap()
"""Phone is not unique (several leads may share it, R-M8) and `mx_Ref` is a custom unique field (R-U1)."""
SCHEMAS: Final[dict[str, Schema]] = {"default": DEFAULT_SCHEMA, "custom": CUSTOM_SCHEMA}

BEHAVIORS: Final[tuple[UpdateBehavior | None, ...]] = (None, *UpdateBehavior)

PHONE_FORMS: Final[tuple[Callable[[str], str], ...]] = (
    lambda n: n,
    lambda n: f"+91 {n}",
    lambda n: f"+91-{n}",
    lambda n: f"+91{n}",
    lambda n: f"0{n}",
    lambda n: f"{n[:5]} {n[5:]}",
    lambda n: f"({n[:3]}) {n[3:6]}-{n[6:]}",
    lambda n: f" {n} ",
)
"""Ways to write one national number that all normalise to `+91-<n>` (R-N2)."""


class FixedClock:
    """A clock that stands still until `tick` moves it one second forward."""

    def __init__(self, start: datetime = START) -> None:
        """A clock reading `start`."""
        self.current = start

    def now(self) -> datetime:
        """The current reading."""
        return self.current

    def tick(self) -> None:
        """Move one second forward."""
        self.current += timedelta(seconds=1)


class CountingIds:
    """GUID-shaped ids from a counter: `00000000-0000-4000-8000-000000000001`, then ...02, and so on."""

    def __init__(self, start: int = 1) -> None:
        """Ids counting from `start`."""
        self.next_number = start

    def new_id(self) -> str:
        """The next id."""
        number = self.next_number
        self.next_number += 1
        return f"00000000-0000-4000-8000-{number:012x}"

    def fork(self) -> CountingIds:
        """A factory that gives the very ids this one would give next (to make a preview match a capture)."""
        return CountingIds(self.next_number)


@dataclass(frozen=True)
class Prospect:
    """Which `ProspectId` a capture carries: the n-th lead or visitor of the store, or a GUID nobody has."""

    kind: str
    """`lead`, `visitor` or `unknown`."""
    index: int
    upper: bool = False
    """Write the GUID in upper case (it is matched case-insensitively)."""


@dataclass(frozen=True)
class Capture:
    """One generated Lead.Capture call, as data; the ProspectId is resolved against the store when sent."""

    values: tuple[tuple[str, str], ...]
    """(schema name, submitted value) pairs, in body order."""
    behavior: UpdateBehavior | None = None
    prospect: Prospect | None = None
    search_by: str | None = None
    company: str | None = None
    """`known` (the bench's account), `unknown` (a GUID nobody has) or None."""
    shout: bool = False
    """Send the attribute names in upper case (names match case-insensitively, R-V2)."""

    def value(self, name: str) -> str | None:
        """The submitted value of a field, if the capture names it."""
        return next((v for n, v in self.values if n == name), None)


@dataclass(frozen=True)
class Scenario:
    """A store to build (schema, visitors, seed captures) and the captures under test."""

    schema_name: str
    visitors: int
    seeds: tuple[Capture, ...]
    steps: tuple[Capture, ...] = ()

    @property
    def schema(self) -> Schema:
        """The schema the scenario runs with."""
        return SCHEMAS[self.schema_name]


@dataclass
class Bench:
    """A real store and engine with a pinned clock and ids, plus the visitors and account the store holds."""

    schema: Schema
    store: InMemoryLeadStore = field(default_factory=InMemoryLeadStore)
    clock: FixedClock = field(default_factory=FixedClock)
    ids: CountingIds = field(default_factory=CountingIds)
    visitor_ids: list[str] = field(default_factory=list)
    account_id: str = ""

    @classmethod
    def build(cls, scenario: Scenario) -> Bench:
        """The store after the scenario's visitors, its account and its seed captures (failures ignored)."""
        bench = cls(schema=scenario.schema)
        bench.account_id = bench.ids.new_id()
        bench.store.add_account(Account(id=bench.account_id, name="Acme", created_on=START))
        for n in range(scenario.visitors):
            visitor_id = bench.ids.new_id()
            visit = Visit(
                id=bench.ids.new_id(),
                visited_on=START,
                page_url=f"https://example.com/?utm_source=visit{n}&utm_medium=web",
                source={"Source": f"visit{n}", "SourceMedium": "web"},
            )
            bench.store.save_visitor(Visitor(id=visitor_id, visits=(visit,)))
            bench.visitor_ids.append(visitor_id)
        for seed in scenario.seeds:
            bench.tick()
            bench.engine().capture(bench.attributes(seed), seed.behavior)
        bench.tick()
        return bench

    def tick(self) -> None:
        """Let a second pass, so that consecutive captures have distinct times."""
        self.clock.tick()

    def engine(self, ids: CountingIds | None = None) -> Engine:
        """An engine over the bench's store; `ids` defaults to the bench's own counter."""
        return Engine(store=self.store, schema=self.schema, clock=self.clock, ids=ids or self.ids)

    def prospect_id(self, prospect: Prospect) -> str:
        """The GUID a `Prospect` stands for in the current store."""
        leads = self.store.leads()
        if prospect.kind == "lead" and leads:
            guid = leads[prospect.index % len(leads)].id
        elif prospect.kind == "visitor" and self.visitor_ids:
            guid = self.visitor_ids[prospect.index % len(self.visitor_ids)]
        else:
            guid = f"{UNKNOWN_PREFIX}{prospect.index:012x}"
        return guid.upper() if prospect.upper else guid

    def attributes(self, capture: Capture, *, search_by: bool = True) -> list[dict[str, object]]:
        """The Lead.Capture body of a capture, as `{"Attribute", "Value"}` dicts."""
        pairs: list[tuple[str, object]] = list(capture.values)
        if capture.prospect is not None:
            pairs.insert(capture.prospect.index % (len(pairs) + 1), ("ProspectId", self.prospect_id(capture.prospect)))
        if search_by and capture.search_by is not None:
            pairs.append(("SearchBy", capture.search_by))
        if capture.company == "known":
            pairs.append(("RelatedCompanyId", self.account_id))
        elif capture.company == "unknown":
            pairs.append(("RelatedCompanyId", f"{UNKNOWN_PREFIX}{0:012x}"))
        return [{"Attribute": name.upper() if capture.shout else name, "Value": value} for name, value in pairs]

    def request(self, capture: Capture) -> CaptureRequest:
        """The validated request a capture becomes (every generated capture is valid)."""
        request, _ = self.engine(self.ids.fork()).validate(self.attributes(capture), capture.behavior).unwrap()
        return request

    def snapshot(self) -> dict[str, tuple[Lead, int]]:
        """Every lead with its number of activities, by id."""
        return {lead.id: (lead, len(self.store.activities(lead.id))) for lead in self.store.leads()}


def recase(text: str, mask: int) -> str:
    """`text` with the letters whose bit is set in `mask` in upper case, the others in lower case."""
    return "".join(ch.upper() if mask >> n & 1 else ch.lower() for n, ch in enumerate(text))


emails: Final = st.builds(recase, st.sampled_from(EMAILS), st.integers(0, 2**20 - 1) | st.sampled_from([0, 2**20 - 1]))
"""A pool email in random casing (compared case-insensitively, R-N1)."""
phones: Final = st.builds(lambda number, form: form(number), st.sampled_from(PHONES), st.sampled_from(PHONE_FORMS))
"""A pool phone in one of several written forms (compared on E.164, R-N2)."""
behaviors: Final = st.sampled_from(BEHAVIORS)


def _maybe_empty(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly `strategy`, sometimes the empty value that clears a field (R-B1)."""
    return st.one_of(strategy, strategy, strategy, st.just(""))


_OFTEN: Final = st.sampled_from([True, True, True, False])
_SOMETIMES: Final = st.booleans()


@st.composite
def field_values(draw: st.DrawFn, schema: Schema) -> dict[str, str]:
    """Some fields of a capture, at least one: identities often, other fields sometimes, from small pools."""
    pools: list[tuple[str, st.SearchStrategy[bool], st.SearchStrategy[str]]] = [
        ("EmailAddress", _OFTEN, _maybe_empty(emails)),
        ("Phone", _OFTEN, _maybe_empty(phones)),
        ("Mobile", _SOMETIMES, _maybe_empty(phones)),
        ("FirstName", _SOMETIMES, _maybe_empty(st.sampled_from(["Ana", "Bo"]))),
        ("LastName", _SOMETIMES, st.sampled_from(["Rao", "Iyer"])),
        ("City", _SOMETIMES, _maybe_empty(st.sampled_from(["Pune", "Delhi"]))),
        ("Source", _SOMETIMES, _maybe_empty(st.sampled_from(["google", "facebook"]))),
        ("SourceMedium", _SOMETIMES, st.sampled_from(["cpc", "email"])),
        ("CreatedOn", _SOMETIMES, st.just("2020-01-01 00:00:00")),
    ]
    if "mx_Ref" in schema:
        pools.append(("mx_Ref", _SOMETIMES, _maybe_empty(st.sampled_from(REFS))))
    values = {name: draw(value) for name, include, value in pools if draw(include)}
    return values or {"FirstName": "Ana"}


prospects: Final = st.builds(
    Prospect,
    kind=st.sampled_from(["lead", "lead", "visitor", "unknown"]),
    index=st.integers(0, 7),
    upper=st.booleans(),
)


@st.composite
def captures(
    draw: st.DrawFn,
    schema: Schema,
    *,
    behavior: st.SearchStrategy[UpdateBehavior | None] = behaviors,
    prospect: st.SearchStrategy[Prospect | None] | None = None,
    search_by: st.SearchStrategy[str | None] | None = None,
    company: bool = True,
    required: tuple[str, ...] = (),
) -> Capture:
    """A valid capture: pool fields in random order, maybe a ProspectId, SearchBy and RelatedCompanyId.

    `prospect` and `search_by` default to "maybe one"; `required` fields (EmailAddress, Phone) always get a
    non-empty value; `company=False` leaves RelatedCompanyId out.
    """
    values = draw(field_values(schema))
    for name in required:
        if not values.get(name):
            values[name] = draw({"EmailAddress": emails, "Phone": phones}[name])
    pairs = draw(st.permutations(list(values.items())))
    chosen_prospect = draw(prospect if prospect is not None else st.none() | prospects)
    chosen_search = draw(search_by if search_by is not None else st.none() | st.sampled_from(schema.indexed_fields))
    chosen_company = draw(st.sampled_from([None, None, None, "known", "unknown"])) if company else None
    return Capture(
        values=tuple(pairs),
        behavior=draw(behavior),
        prospect=chosen_prospect,
        search_by=chosen_search,
        company=chosen_company,
        shout=draw(st.booleans()),
    )


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    steps: int = 0,
    max_steps: int | None = None,
    min_seeds: int = 0,
    step: Callable[[Schema], st.SearchStrategy[Capture]] = captures,
) -> Scenario:
    """A schema, up to two visitors, up to six seed captures, and `steps` (to `max_steps`) captures under test."""
    schema_name = draw(st.sampled_from(sorted(SCHEMAS)))
    schema = SCHEMAS[schema_name]
    return Scenario(
        schema_name=schema_name,
        visitors=draw(st.integers(0, 2)),
        seeds=tuple(draw(st.lists(captures(schema), min_size=min_seeds, max_size=6))),
        steps=tuple(draw(st.lists(step(schema), min_size=steps, max_size=max_steps or steps))),
    )
