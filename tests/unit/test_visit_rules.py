"""Web visits decided by the pure core (R-W1..R-W3): sources from the page URL and referrer, lead or visitor."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from tests.support.determinism import START

from leadcapture.core.records import Lead, Visitor, WebVisitData
from leadcapture.core.visits import UTM_FIELDS, VisitedAsVisitor, VisitedLead, decide_visit, visit_source

TRACKING_ID = "d0000000-0000-4000-8000-00000000000d"


def test_W2_utm_parameters_and_referrer_give_the_source() -> None:
    """R-W2: utm_source/medium/campaign/content fill the source fields; the referrer fills its own two."""
    source = visit_source(
        "https://example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=diwali&utm_content=ad-7&x=1",
        "https://www.google.com/search?q=crm",
    )
    assert source == {
        "Source": "google",
        "SourceMedium": "cpc",
        "SourceCampaign": "diwali",
        "SourceContent": "ad-7",
        "SourceReferrerURL": "https://www.google.com/search?q=crm",
        "SourceReferrer": "www.google.com",
    }


def test_W2_a_plain_visit_has_no_source() -> None:
    """R-W2: no utm parameters and no referrer give an empty source."""
    assert visit_source("https://example.com/", None) == {}


@given(values=st.lists(st.text(alphabet="abcdefghij-_0123456789", min_size=1, max_size=12), min_size=4, max_size=4))
def test_W2_every_utm_parameter_lands_in_its_field(values: list[str]) -> None:
    """R-W2: whatever the values, each utm parameter fills exactly its source field."""
    query = urlencode({name: value for (name, _), value in zip(UTM_FIELDS, values, strict=True)})
    source = visit_source(f"https://example.com/?{query}", None)
    assert source == {field: value for (_, field), value in zip(UTM_FIELDS, values, strict=True)}


def test_W1_first_visit_of_an_unknown_id_makes_a_visitor() -> None:
    """R-W1: a visit by an id nobody has makes a new visitor with that one visit."""
    decision = decide_visit(
        tracking_id=TRACKING_ID,
        lead=None,
        visitor=None,
        page_url="https://example.com/?utm_source=newsletter",
        referrer=None,
        now=START,
        visit_id="v1",
    )
    assert isinstance(decision, VisitedAsVisitor)
    assert decision.is_new
    assert decision.visitor.id == TRACKING_ID
    assert [visit.source for visit in decision.visitor.visits] == [{"Source": "newsletter"}]


def test_W2_later_visits_are_appended_so_the_first_stays_the_source() -> None:
    """R-W2, R-M6: a known visitor's visit is appended; the first visit stays first (its source converts)."""
    first = decide_visit(
        tracking_id=TRACKING_ID,
        lead=None,
        visitor=None,
        page_url="https://example.com/?utm_source=google",
        referrer=None,
        now=START,
        visit_id="v1",
    )
    assert isinstance(first, VisitedAsVisitor)
    second = decide_visit(
        tracking_id=TRACKING_ID,
        lead=None,
        visitor=first.visitor,
        page_url="https://example.com/?utm_source=facebook",
        referrer=None,
        now=START,
        visit_id="v2",
    )
    assert isinstance(second, VisitedAsVisitor)
    assert not second.is_new
    assert [visit.id for visit in second.visitor.visits] == ["v1", "v2"]
    assert second.visitor.visits[0].source == {"Source": "google"}


def test_W3_a_visit_by_a_lead_is_a_web_visit_activity_on_it() -> None:
    """R-W3: when the id is a lead's, the visit is posted on the lead with its own event code, not 23."""
    lead = Lead(id=TRACKING_ID, fields={}, created_on=START, modified_on=START)
    decision = decide_visit(
        tracking_id=TRACKING_ID,
        lead=lead,
        visitor=Visitor(id=TRACKING_ID, converted=True),
        page_url="https://example.com/?utm_source=google",
        referrer=None,
        now=START,
        visit_id="v9",
    )
    assert isinstance(decision, VisitedLead)
    assert decision.activity.lead_id == TRACKING_ID
    assert decision.activity.event_code != 23
    assert isinstance(decision.activity.data, WebVisitData)
    assert decision.activity.data.source == {"Source": "google"}
