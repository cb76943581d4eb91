"""What a Visit answers when a capture converts its visitor between the Visit's read and its write (R-W1, R-W3).

A Visit reads the visitor, decides, and saves; here a capture with the visitor's id is made to land exactly
in between, on the same real SQLite file, so the interleaving a race test only hits by chance happens
every time. The Visit's page is then on the new lead, so it answers `IsLead: true` (R-W3, adr/0028).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from litestar.testing import TestClient

from leadcapture import Engine, Outcome, Visitor, WebVisitData
from leadcapture.adapters.keystore import SQLKeyStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.entrypoints.http import create_app
from leadcapture.keys import issue_key

VISIT = "/v2/WebTracking.svc/Visit"


class ConvertedBeforeTheSave(SQLiteLeadStore):
    """A SQLite store where, once armed, a capture converts the visitor just before a Visit saves it."""

    armed = False

    def save_visitor(self, visitor: Visitor) -> bool:
        """Convert the visitor with a capture of its id first (once), then save the Visit's snapshot."""
        if self.armed:
            self.armed = False
            receipt = Engine(store=self).capture({"ProspectId": visitor.id, "EmailAddress": "late@example.com"})
            assert receipt.unwrap().outcome == Outcome.CONVERTED
        return super().save_visitor(visitor)


def test_W3_a_visit_saved_after_its_visitor_converted_answers_as_a_lead_visit(sqlite_path: Path) -> None:
    """The Visit read an unconverted visitor, but its save found the lead: the page is on it, IsLead true."""
    store = ConvertedBeforeTheSave(sqlite_path)
    keys = SQLKeyStore(f"sqlite:///{sqlite_path}")
    stored_key, issued = issue_key("visits", now=datetime.now(UTC))
    keys.add_key(stored_key)
    credentials = {"accessKey": issued.access_key, "secretKey": issued.secret_key}
    app = create_app(engine=Engine(store=store), keys=keys, group_commit=False)
    try:
        with TestClient(app) as client:
            first = client.post(VISIT, params=credentials, json={"PageURL": "https://example.com/first"}).json()
            tracking_id = first["Message"]["Id"]
            assert first["Message"]["IsLead"] is False
            store.armed = True
            body = {"ProspectId": tracking_id, "PageURL": "https://example.com/late"}
            late = client.post(VISIT, params=credentials, json=body).json()
            after = client.post(VISIT, params=credentials, json=body | {"PageURL": "https://example.com/after"})
        assert late == {"Status": "Success", "Message": {"Id": tracking_id, "IsLead": True}}
        assert after.json() == {"Status": "Success", "Message": {"Id": tracking_id, "IsLead": True}}
        pages = [a.data.page_url for a in store.activities(tracking_id) if isinstance(a.data, WebVisitData)]
        assert pages == ["https://example.com/after", "https://example.com/late", "https://example.com/first"]
    finally:
        keys.close()
        store.close()
