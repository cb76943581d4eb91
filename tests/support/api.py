"""What tests send to a running server and read back from it over HTTP."""

from __future__ import annotations

import json

import httpx


def capture_body(**fields: str) -> bytes:
    """A Lead.Capture body (LeadSquared's attribute list) from attribute names and values."""
    return json.dumps([{"Attribute": name, "Value": value} for name, value in fields.items()]).encode()


def activity_count(client: httpx.Client, email: str) -> int:
    """How many activities the one lead with `email` has, read through the API."""
    leads = client.get("/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"EmailAddress": email}).json()
    assert len(leads) == 1, leads
    found = client.post("/v2/ProspectActivity.svc/Retrieve", params={"leadId": leads[0]["ProspectID"]})
    return int(found.json()["RecordCount"])
