"""The look-ups of R-L5 and R-L6 (quick search, by ids, recently modified), on every store alike.

The rules are the pure functions of `leadcapture.core.search`; every store must answer exactly what they
say of its leads, the in-memory reference and the SQL stores alike.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conformance.test_lead_store_contract import engine_for
from tests.support.determinism import START

from leadcapture import Engine, Lead, LeadStore
from leadcapture.core.search import (
    QUICK_SEARCH_LIMIT,
    ModifiedWindow,
    QuickSearch,
    quick_search,
    quick_search_matches,
)

PEOPLE = [
    {"FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": "ada@example.com", "Phone": "9000000001"},
    {"FirstName": "ADAM", "LastName": "Smith", "Company": "Acme_Corp", "Mobile": "+44 7700 900123"},
    {"FirstName": "Zoë", "LastName": "Ÿates", "Company": "100% Juice", "EmailAddress": "zoe@juice.example"},
    {"FirstName": "Ravi", "Company": "back\\slash ltd", "Phone": "+1 (415) 555-0100"},
    {"LastName": "Adaire", "JobTitle": "Ada in the title is not searched", "City": "Ada"},
    {"EmailAddress": "NoName@Example.COM", "Phone": "9100000002"},
]
"""Leads whose fields test case, non-ASCII letters, LIKE's wildcards, and phones written several ways."""


def _capture_people(store: LeadStore) -> tuple[Engine, list[Lead]]:
    engine = engine_for(store)
    leads = []
    for person in PEOPLE:
        receipt = engine.capture(person).unwrap()
        lead = store.get_lead(receipt.lead_id)
        assert lead is not None
        leads.append(lead)
    return engine, leads


def _expected(search: QuickSearch, leads: list[Lead], limit: int = QUICK_SEARCH_LIMIT) -> list[str]:
    found = [lead for lead in leads if quick_search_matches(search, lead.fields)]
    found.sort(key=lambda lead: (lead.modified_on, lead.id), reverse=True)
    return [lead.id for lead in found[:limit]]


def _search(store: LeadStore, key: str, limit: int = QUICK_SEARCH_LIMIT) -> list[str]:
    search = quick_search(key)
    assert search is not None
    return [lead.id for lead in store.quick_search(search, limit)]


def test_L5_quick_search_finds_text_in_the_six_fields_ignoring_ascii_case(store: LeadStore) -> None:
    """R-L5: FirstName, LastName, EmailAddress, Phone, Mobile and Company, case-insensitively; nothing else."""
    _, leads = _capture_people(store)
    ada, adam, _, _, adaire, noname = (lead.id for lead in leads)
    assert _search(store, "ada") == [adaire, adam, ada]  # FirstName, FirstName, LastName; City is not searched
    assert _search(store, "EXAMPLE.com") == [noname, ada]
    assert _search(store, "acme_CORP") == [adam]
    assert _search(store, "nobody") == []


def test_L5_like_wildcards_and_backslashes_are_literal(store: LeadStore) -> None:
    """R-L5: `%`, `_` and `\\` in the text are searched for as themselves."""
    _, leads = _capture_people(store)
    assert _search(store, "100%") == [leads[2].id]
    assert _search(store, "e_c") == [leads[1].id]
    assert _search(store, "k\\s") == [leads[3].id]
    assert _search(store, "%") == [leads[2].id]


def test_L5_phone_digits_are_compared_as_digits(store: LeadStore) -> None:
    """R-L5: a number finds phones and mobiles by their digits, however either is written."""
    _, leads = _capture_people(store)
    assert _search(store, "415 555 0100") == [leads[3].id]
    assert _search(store, "(415) 555-01") == [leads[3].id]
    assert _search(store, "7700900123") == [leads[1].id]
    assert _search(store, "+91 90000-00001") == [leads[0].id]
    assert _search(store, "00000") == [leads[5].id, leads[0].id]


def test_L5_non_ascii_letters_are_compared_as_written(store: LeadStore) -> None:
    """R-L5: case is ignored for ASCII letters; other letters match as written (adr/0049)."""
    _, leads = _capture_people(store)
    assert _search(store, "Zoë") == _search(store, "zoë") == [leads[2].id]
    assert _search(store, "ÿates") == []
    assert _search(store, "Ÿates") == [leads[2].id]


def test_L5_the_most_recently_modified_come_first_up_to_the_limit(store: LeadStore) -> None:
    """R-L5: at most the limit, the most recently modified first: an update moves a lead to the front."""
    engine, leads = _capture_people(store)
    engine.capture({"EmailAddress": "ada@example.com", "City": "London"}).unwrap()
    assert _search(store, "ada", limit=2) == [leads[0].id, leads[4].id]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_L5_every_store_answers_what_the_rule_says(store: LeadStore, data: st.DataObject) -> None:
    """R-L5 property: for any text (pieces of the leads' values or not), the store answers the rule's leads."""
    leads = store_leads(store)
    pieces = [
        value[start:end] for lead in leads for value in lead.fields.values() for start, end in ((0, 3), (1, 5), (2, 9))
    ]
    key = data.draw(st.one_of(st.sampled_from(pieces or ["a"]), st.text(alphabet="aAdD0159 +-%_\\ëË", max_size=6)))
    limit = data.draw(st.integers(min_value=1, max_value=QUICK_SEARCH_LIMIT))
    search = quick_search(key)
    if search is None:
        assert key.strip() == ""
        return
    assert [lead.id for lead in store.quick_search(search, limit)] == _expected(search, leads, limit)


def store_leads(store: LeadStore) -> list[Lead]:
    """The people's leads as the store holds them, captured once per store (the property's examples share them)."""
    captured: list[Lead] | None = getattr(store, "_people_for_the_property", None)
    if captured is None:
        captured = _capture_people(store)[1]
        store._people_for_the_property = captured
    return captured


def test_L6_leads_by_ids_answers_the_found_leads_in_the_order_asked(store: LeadStore) -> None:
    """R-L6: ids in any case, in the order asked, each lead once; ids of no lead are left out."""
    _, leads = _capture_people(store)
    asked = [leads[3].id.upper(), "00000000-0000-0000-0000-00000000dead", leads[0].id, leads[3].id]
    assert [lead.id for lead in store.leads_by_ids(asked)] == [leads[3].id, leads[0].id]
    assert store.leads_by_ids([]) == ()


def test_L6_recently_modified_pages_the_window_oldest_change_first(store: LeadStore) -> None:
    """R-L6: leads modified in [start, end) counted, then paged oldest change first; an update moves a lead."""
    engine, leads = _capture_people(store)
    engine.capture({"EmailAddress": "ada@example.com", "City": "London"}).unwrap()
    everything = ModifiedWindow(start=START, end=START + timedelta(days=1), offset=0, limit=100)
    count, page = store.modified_leads(everything)
    order = [lead.id for lead in leads[1:]] + [leads[0].id]
    assert (count, [lead.id for lead in page]) == (6, order)
    second_page = ModifiedWindow(start=START, end=START + timedelta(days=1), offset=2, limit=2)
    assert [lead.id for lead in store.modified_leads(second_page)[1]] == order[2:4]
    updated = store.get_lead(leads[0].id)
    assert updated is not None
    only_then = ModifiedWindow(
        start=updated.modified_on, end=updated.modified_on + timedelta(microseconds=1), offset=0, limit=10
    )
    assert store.modified_leads(only_then) == (1, (updated,))
    before = ModifiedWindow(start=START - timedelta(days=1), end=START, offset=0, limit=10)
    assert store.modified_leads(before) == (0, ())
