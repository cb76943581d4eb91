"""Visits and a conversion of the same visitor, sent at once to a real server, lose nothing (R-W1, R-M6).

A Visit request reads the visitor, appends its visit and saves the visitor; a capture with the visitor's id
converts it. Each round makes a new visitor, then releases several Visit requests and one converting capture
together, so that saves of snapshots read before the conversion, or before another visit, reach the store
after them. Afterwards the visitor is converted, the lead exists, every visit answered as a visitor's is
among the visitor's visits, and every visit of the round, whatever it was answered and however it
interleaved with the conversion, is a web-visit activity of the lead exactly once (adr/0028): each of the
visitor's visits under its own id, and nothing else but the visits answered as a lead's.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
from tests.support.server import RunningServer, start_server

from leadcapture import WebVisitData
from leadcapture.adapters import open_store

CAPTURE = "/v2/LeadManagement.svc/Lead.Capture"
VISIT = "/v2/WebTracking.svc/Visit"
ROUNDS = 12
VISITS_PER_ROUND = 6
OPTIONS = ("--rate-limit", "100000/1s")


def _visit(server: RunningServer, page_url: str, tracking_id: str | None = None) -> dict[str, object]:
    body = {"PageURL": page_url} | ({"ProspectId": tracking_id} if tracking_id else {})
    answer = httpx.post(f"{server.base_url}{VISIT}", params=server.keys, json=body, timeout=60).json()
    assert answer["Status"] == "Success", answer
    message: dict[str, object] = answer["Message"]
    return message


def _convert(server: RunningServer, tracking_id: str, email: str) -> dict[str, object]:
    body = [{"Attribute": "ProspectId", "Value": tracking_id}, {"Attribute": "EmailAddress", "Value": email}]
    answer = httpx.post(f"{server.base_url}{CAPTURE}", params=server.keys, json=body, timeout=60).json()
    assert answer["Status"] == "Success", answer
    message: dict[str, object] = answer["Message"]
    return message


def _race_one_visitor(server: RunningServer, round_number: int) -> tuple[str, dict[str, bool]]:
    """Make a visitor, then visit it and convert it at once; its id and, per page URL, whether it went on a lead."""
    first_page = f"https://example.com/r{round_number}/first?utm_source=race"
    tracking_id = str(_visit(server, first_page)["Id"])
    pages = [f"https://example.com/r{round_number}/v{n}" for n in range(VISITS_PER_ROUND)]
    on_lead: dict[str, bool] = {first_page: False}
    converted: list[dict[str, object]] = []
    start = threading.Barrier(VISITS_PER_ROUND + 1)

    def visit(page: str) -> None:
        start.wait()
        on_lead[page] = bool(_visit(server, page, tracking_id)["IsLead"])

    def convert() -> None:
        start.wait()
        converted.append(_convert(server, tracking_id, f"race{round_number}@example.com"))

    threads = [threading.Thread(target=visit, args=(page,)) for page in pages[: VISITS_PER_ROUND // 2]]
    threads.append(threading.Thread(target=convert))
    threads += [threading.Thread(target=visit, args=(page,)) for page in pages[VISITS_PER_ROUND // 2 :]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(on_lead) == VISITS_PER_ROUND + 1
    assert converted == [{"Id": tracking_id, "RelatedId": converted[0]["RelatedId"], "IsCreated": True}]
    return tracking_id, on_lead


def check_visits_and_conversions_race(tmp_path: Path, database: str | None = None) -> None:
    """Race visits against conversions on a server over `database`, then check the store lost nothing."""
    server = start_server(tmp_path, *OPTIONS, database=database)
    try:
        rounds = [_race_one_visitor(server, number) for number in range(ROUNDS)]
    finally:
        server.stop()
    store = open_store(server.database)
    try:
        for tracking_id, on_lead in rounds:
            visitor = store.visitor(tracking_id)
            assert visitor is not None
            assert visitor.converted, tracking_id
            assert store.get_lead(tracking_id) is not None
            visitor_pages = {visit.page_url for visit in visitor.visits}
            web_visits = [
                (activity.id, activity.data.page_url)
                for activity in store.activities(tracking_id)
                if isinstance(activity.data, WebVisitData)
            ]
            lead_pages = Counter(page for _, page in web_visits)
            assert lead_pages == dict.fromkeys(on_lead, 1), (tracking_id, lead_pages)
            assert {(visit.id, visit.page_url) for visit in visitor.visits} <= set(web_visits), tracking_id
            for page, is_lead in on_lead.items():
                assert is_lead or page in visitor_pages, (tracking_id, page)
            # A visit answered as a lead's was either posted on the lead or saved onto the converted visitor.
            assert visitor_pages | {page for page, is_lead in on_lead.items() if is_lead} == set(on_lead)
    finally:
        store.close()


def test_W1_M6_visits_racing_a_conversion_on_sqlite_are_all_kept(tmp_path: Path) -> None:
    """R-W1, R-M6, R-W3 on a SQLite file: no visit is lost, each is on the lead once, visitors stay converted."""
    check_visits_and_conversions_race(tmp_path)


def test_W1_M6_visits_racing_a_conversion_on_postgres_are_all_kept(tmp_path: Path, postgres_url: str) -> None:
    """R-W1, R-M6, R-W3 on PostgreSQL: no visit is lost, each is on the lead once, visitors stay converted."""
    check_visits_and_conversions_race(tmp_path, postgres_url)
