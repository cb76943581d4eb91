"""R-T2..R-T4: the tracker in a real headless Chromium, on pages of another origin, against a real server.

What the browser did is checked where it lands: in the server's SQLite database (`visitors`, `visits`, the
tables a capture writes) and through `Leads.GetById` with the server's full key.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Response
from tests.browser.sites import Website
from tests.support.api import table_rows
from tests.support.postgres import free_port
from tests.support.server import RunningServer

VISIT: Final = "/v2/WebTracking.svc/Visit"
CAPTURE: Final = "/v2/LeadManagement.svc/Lead.Capture"
WRITTEN_TABLES: Final = ("leads", "activities", "visitors", "visits", "capture_inbox", "idempotency_records")
GUID_V4: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TWO_YEARS_SECONDS: Final = 2 * 365 * 24 * 3600
CHROMIUM_COOKIE_CAP_SECONDS: Final = 400 * 24 * 3600
"""Chromium keeps no cookie longer than 400 days (RFC 6265bis), whatever its max-age asks."""
COOKIE_RECORDER: Final = """
const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
window.cookiesWritten = [];
Object.defineProperty(Document.prototype, "cookie", {
  get() { return cookie.get.call(this); },
  set(value) { window.cookiesWritten.push(value); cookie.set.call(this, value); },
});
"""
"""Keeps every cookie string the page writes, as written (the browser's cookie jar shows only what it kept)."""
NETWORK_ERROR: Final = {"ExceptionType": "NetworkError", "ExceptionMessage": "The form could not reach the server"}
TITLE: Final = "Pricing | Shop"
NEWS: Final = "https://news.example/diwali-offers"

EXAMPLE_WEBSITE: Final = Path(__file__).parents[2] / "examples/website/index.html"
PAGE: Final = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<form data-leadcapture id="signup">
  <input name="EmailAddress" aria-label="Email">
  <input name="FirstName" aria-label="First name">
  <input name="City" aria-label="City">
  <button type="submit">Send</button>
</form>
<script src="{api}/tracker.js" data-key="{key}"{attributes} async></script>
</body>
</html>
"""


def write_page(site: Website, name: str, *, api: str, key: str, attributes: str = "") -> str:
    """A page embedding the tracker (`attributes` added to its tag) with a `signup` form; its address."""
    (site.folder / name).write_text(PAGE.format(title=TITLE, api=api, key=key, attributes=attributes))
    return site.url(name)


def _is_post_to(base_url: str, path: str) -> Callable[[Request | Response], bool]:
    def matches(seen: Request | Response) -> bool:
        request = seen if isinstance(seen, Request) else seen.request
        return request.method == "POST" and request.url.startswith(f"{base_url}{path}?")

    return matches


def open_with_visit(context: BrowserContext, url: str, server: RunningServer) -> tuple[Page, Response]:
    """Open `url` (coming from the news site) in a new tab; the tab and the server's answer to its visit."""
    page = context.new_page()
    with page.expect_response(_is_post_to(server.base_url, VISIT)) as visit:
        page.goto(url, referer=NEWS)
    return page, visit.value


def submit(page: Page, form: str = "signup", **fields: str) -> dict[str, Any]:
    """Fill `fields` (by input name) in form `form`, submit it, and wait for the tracker's event about it."""
    seen = page.evaluate("window.leadcaptureEvents.length")
    for name, value in fields.items():
        page.fill(f"#{form} [name={name}]", value)
    page.click(f"#{form} button")
    page.wait_for_function(f"window.leadcaptureEvents.length > {seen}")
    event: dict[str, Any] = page.evaluate(f"window.leadcaptureEvents[{seen}]")
    return event


def lead_by_id(server: RunningServer, lead_id: str) -> dict[str, str]:
    """The lead as `Leads.GetById` answers it to the server's full key."""
    with server.client() as client:
        (lead,) = client.get("/v2/LeadManagement.svc/Leads.GetById", params={"id": lead_id}).json()
    assert isinstance(lead, dict)
    return lead


def visitor_rows(
    server: RunningServer, visitor_id: str
) -> tuple[bool | None, list[tuple[str, str | None, dict[str, str]]]]:
    """Whether the visitor is converted (None: no such visitor), and its visits: page URL, referrer, source."""
    with sqlite3.connect(server.database_file) as connection:
        visitor = connection.execute("SELECT converted FROM visitors WHERE id = ?", (visitor_id,)).fetchone()
        visits = connection.execute(
            "SELECT page_url, referrer, source FROM visits WHERE visitor_id = ? ORDER BY visited_on", (visitor_id,)
        ).fetchall()
    converted = None if visitor is None else bool(visitor[0])
    return converted, [(url, referrer, json.loads(source)) for url, referrer, source in visits]


def written(server: RunningServer) -> dict[str, int]:
    """How many rows each table a visit or capture writes holds."""
    return {table: table_rows(server, table) for table in WRITTEN_TABLES}


def test_T2_a_page_view_makes_a_visitor_with_its_utm_source(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T2, R-W1, R-W2: the visit carries the page URL with its utm_*, referrer and title, as JSON, once."""
    url = write_page(shop, "pricing.html", api=tracker_server.base_url, key=site_key)
    landing = f"{url}?utm_source=newsletter&utm_campaign=diwali"
    page, visit = open_with_visit(context, landing, tracker_server)
    visitor_id = page.evaluate("window.MXCProspectId")
    assert visit.request.post_data_json == {
        "ProspectId": visitor_id,
        "PageURL": landing,
        "Referrer": NEWS,
        "PageTitle": TITLE,
    }
    assert visit.request.header_value("content-type") == "application/json"
    assert visit.request.url == f"{tracker_server.base_url}{VISIT}?accessKey={site_key}"
    assert visit.status == 200
    assert visit.json() == {"Status": "Success", "Message": {"Id": visitor_id, "IsLead": False}}
    source = {
        "Source": "newsletter",
        "SourceCampaign": "diwali",
        "SourceReferrerURL": NEWS,
        "SourceReferrer": "news.example",
    }
    assert visitor_rows(tracker_server, visitor_id) == (False, [(landing, NEWS, source)])


@pytest.mark.parametrize("random_uuid", ["crypto.randomUUID", "crypto.getRandomValues only"])
def test_T2_the_cookie_and_window_agree_and_the_next_page_view_keeps_the_visitor(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str, random_uuid: str
) -> None:
    """R-T2: MXCProspectId is a first-party, two-year, SameSite=Lax GUID v4 equal to window.MXCProspectId.

    Pages on plain http (not localhost) have no crypto.randomUUID: the id is then made from getRandomValues.
    """
    context.add_init_script(COOKIE_RECORDER)
    if random_uuid == "crypto.getRandomValues only":
        context.add_init_script("delete Crypto.prototype.randomUUID;")
    url = write_page(shop, "cookie.html", api=tracker_server.base_url, key=site_key)
    page, _ = open_with_visit(context, url, tracker_server)
    (cookie,) = context.cookies()
    visitor_id = page.evaluate("window.MXCProspectId")
    assert cookie["name"] == "MXCProspectId"
    assert cookie["value"] == visitor_id
    assert GUID_V4.fullmatch(visitor_id)
    assert (cookie["domain"], cookie["path"], cookie["sameSite"]) == ("127.0.0.1", "/", "Lax")
    assert (cookie["httpOnly"], cookie["secure"]) == (False, False)
    assert page.evaluate("window.cookiesWritten") == [
        f"MXCProspectId={visitor_id}; max-age={TWO_YEARS_SECONDS}; path=/; SameSite=Lax"
    ]
    assert abs(cookie["expires"] - (time.time() + min(TWO_YEARS_SECONDS, CHROMIUM_COOKIE_CAP_SECONDS))) < 60
    with page.expect_response(_is_post_to(tracker_server.base_url, VISIT)) as second:
        page.goto(f"{url}?utm_source=google")
    assert page.evaluate("window.MXCProspectId") == visitor_id
    assert second.value.json() == {"Status": "Success", "Message": {"Id": visitor_id, "IsLead": False}}
    converted, visits = visitor_rows(tracker_server, visitor_id)
    assert converted is False
    assert [visit_url for visit_url, _, _ in visits] == [url, f"{url}?utm_source=google"]


def test_T3_a_submit_converts_the_visitor_with_its_first_touch_source_and_a_second_submit_updates(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T3, R-M6: the form's lead takes the visitor's id and first-touch source; a second submit updates it.

    A blank input is not sent (it would clear the field); a site key's update fills empty fields only (R-K3).
    """
    url = write_page(shop, "convert.html", api=tracker_server.base_url, key=site_key)
    page, _ = open_with_visit(context, f"{url}?utm_source=newsletter&utm_campaign=diwali", tracker_server)
    visitor_id = page.evaluate("window.MXCProspectId")
    with page.expect_request(_is_post_to(tracker_server.base_url, CAPTURE)) as sent:
        created = submit(page, EmailAddress="asha@example.com", FirstName="Asha")
    assert sent.value.post_data_json == [
        {"Attribute": "EmailAddress", "Value": "asha@example.com"},
        {"Attribute": "FirstName", "Value": "Asha"},
        {"Attribute": "ProspectID", "Value": visitor_id},
    ]
    assert sent.value.header_value("content-type") == "application/json"
    assert created["type"] == "leadcapture:success"
    assert created["form"] == "signup"
    assert set(created["detail"]) == {"Id", "RelatedId", "IsCreated"}
    assert (created["detail"]["Id"], created["detail"]["IsCreated"]) == (visitor_id, True)
    assert page.url == f"{url}?utm_source=newsletter&utm_campaign=diwali"
    lead = lead_by_id(tracker_server, visitor_id)
    assert (lead["ProspectID"], lead["EmailAddress"], lead["FirstName"]) == (visitor_id, "asha@example.com", "Asha")
    assert (lead["Source"], lead["SourceCampaign"], lead["SourceReferrer"]) == ("newsletter", "diwali", "news.example")
    assert "City" not in lead
    assert visitor_rows(tracker_server, visitor_id)[0] is True

    updated = submit(page, EmailAddress="asha@example.com", FirstName="Ashley", City="Pune")
    assert updated["type"] == "leadcapture:success"
    assert (updated["detail"]["Id"], updated["detail"]["IsCreated"]) == (visitor_id, False)
    assert updated["detail"]["RelatedId"] != created["detail"]["RelatedId"]
    lead = lead_by_id(tracker_server, visitor_id)
    assert (lead["FirstName"], lead["City"], lead["Source"]) == ("Asha", "Pune", "newsletter")


def test_T3_a_refused_capture_is_an_error_event_with_its_exception(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T3: the server's error envelope reaches the page as leadcapture:error; nothing is written."""
    url = write_page(shop, "refused.html", api=tracker_server.base_url, key=site_key)
    page, _ = open_with_visit(context, url, tracker_server)
    before = written(tracker_server)
    refused = submit(page, EmailAddress="not-an-email", FirstName="Nobody")
    assert refused == {
        "type": "leadcapture:error",
        "form": "signup",
        "detail": {
            "ExceptionType": "MXInvalidInputException",
            "ExceptionMessage": "EmailAddress: not a valid email address",
        },
    }
    assert written(tracker_server) == before


def test_T3_a_server_out_of_reach_is_an_error_event(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T3: when the request fails in the network (here: a `data-api` where nothing listens), the page hears."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    url = write_page(
        shop, "nowhere.html", api=tracker_server.base_url, key=site_key, attributes=f' data-api="{nowhere}/"'
    )
    page = context.new_page()
    with page.expect_event("requestfailed", _is_post_to(nowhere, VISIT)):
        page.goto(url)
    with page.expect_request(_is_post_to(nowhere, CAPTURE)):
        failed = submit(page, EmailAddress="far@example.com")
    assert failed == {"type": "leadcapture:error", "form": "signup", "detail": NETWORK_ERROR}


def test_T3_a_form_added_after_the_page_loaded_is_handled(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T3: forms are found when submitted, so a form a page adds later (a pop-up, say) captures too."""
    url = write_page(shop, "later.html", api=tracker_server.base_url, key=site_key)
    page, _ = open_with_visit(context, url, tracker_server)
    page.evaluate(
        """() => {
        const form = document.createElement("form");
        form.id = "newsletter";
        form.setAttribute("data-leadcapture", "");
        form.innerHTML = '<input name="EmailAddress"><input name="mx_Plain" type="file"><button>Join</button>';
        document.body.append(form);
    }"""
    )
    joined = submit(page, "newsletter", EmailAddress="later@example.com")
    visitor_id = page.evaluate("window.MXCProspectId")
    assert (joined["type"], joined["form"]) == ("leadcapture:success", "newsletter")
    assert (joined["detail"]["Id"], joined["detail"]["IsCreated"]) == (visitor_id, True)
    assert lead_by_id(tracker_server, visitor_id)["EmailAddress"] == "later@example.com"


def test_T3_a_double_click_sends_once_and_a_tag_included_twice_tracks_once(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """R-T2, R-T3: one visit per page view and one capture per submit, however the page or the visitor err."""
    url = write_page(shop, "twice.html", api=tracker_server.base_url, key=site_key)
    tag = f'<script src="{tracker_server.base_url}/tracker.js" data-key="{site_key}" async></script>'
    page_file = shop.folder / "twice.html"
    page_file.write_text(page_file.read_text().replace(tag, tag + tag))
    context.add_init_script(
        "document.addEventListener('leadcapture:success', (event) => {"
        "  window.busyAtEvent = event.target.getAttribute('aria-busy');"
        "});"
    )
    page = context.new_page()
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url.split("?")[0]) if request.method == "POST" else None)
    page.goto(url)
    page.wait_for_load_state("load")  # both async copies of the script have run by now
    page.fill("#signup [name=EmailAddress]", "twice@example.com")
    page.dblclick("#signup button")
    page.wait_for_function("window.leadcaptureEvents.length > 0")
    events = page.evaluate("window.leadcaptureEvents")
    assert [event["type"] for event in events] == ["leadcapture:success"]
    assert posted == [f"{tracker_server.base_url}{VISIT}", f"{tracker_server.base_url}{CAPTURE}"]
    assert page.evaluate("window.busyAtEvent") is None  # the form is free again when its listeners hear


def test_T4_a_page_of_an_origin_the_site_key_does_not_list_writes_nothing(
    context: BrowserContext, tracker_server: RunningServer, stranger: Website, site_key: str
) -> None:
    """R-T4, R-K3: the browser is refused at the preflight; no visit, no lead, and the form hears an error."""
    url = write_page(stranger, "copied.html", api=tracker_server.base_url, key=site_key)
    before = written(tracker_server)
    page = context.new_page()
    with page.expect_event("requestfailed", _is_post_to(tracker_server.base_url, VISIT)):
        page.goto(f"{url}?utm_source=copycat")
    refused = submit(page, EmailAddress="copied@example.com", FirstName="Copy")
    assert refused == {"type": "leadcapture:error", "form": "signup", "detail": NETWORK_ERROR}
    assert written(tracker_server) == before
    with tracker_server.client() as client:
        found = client.get(
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress", params={"emailAddress": "copied@example.com"}
        )
    assert found.json() == []


@pytest.mark.parametrize(
    ("signal", "switched_on"),
    [
        pytest.param(
            "gpc", "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});", id="gpc"
        ),
        pytest.param("dnt", "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});", id="dnt"),
    ],
)
def test_T2_with_a_privacy_signal_no_cookie_no_visit_and_the_form_sends_no_visitor_id(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str, signal: str, switched_on: str
) -> None:
    """R-T2: GPC or DNT on: no cookie, no window.MXCProspectId, no visit; a form still captures, without ProspectID."""
    context.add_init_script(switched_on)
    url = write_page(shop, "private.html", api=tracker_server.base_url, key=site_key)
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    before = written(tracker_server)
    page.goto(f"{url}?utm_source=newsletter")
    email = f"private-{signal}@example.com"
    with page.expect_request(_is_post_to(tracker_server.base_url, CAPTURE)) as capture:
        captured = submit(page, EmailAddress=email)
    assert capture.value.post_data_json == [{"Attribute": "EmailAddress", "Value": email}]
    assert captured["type"] == "leadcapture:success"
    assert captured["detail"]["IsCreated"] is True
    assert context.cookies() == []
    assert page.evaluate("typeof window.MXCProspectId") == "undefined"
    assert not [address for address in sent if VISIT in address]
    after = written(tracker_server)
    assert (after["visitors"], after["visits"]) == (before["visitors"], before["visits"])
    assert after["leads"] == before["leads"] + 1
    lead = lead_by_id(tracker_server, captured["detail"]["Id"])
    assert lead["EmailAddress"] == email
    assert "Source" not in lead


def test_T3_the_example_website_captures_and_shows_its_thank_you(
    context: BrowserContext, tracker_server: RunningServer, shop: Website, site_key: str
) -> None:
    """examples/website/index.html, with this server and key in its embed, works as its README says."""
    example = EXAMPLE_WEBSITE.read_text()
    embed = '<script src="http://127.0.0.1:8080/tracker.js" data-key="SITE_ACCESS_KEY" async></script>'
    assert example.count(embed) == 1
    here = f'<script src="{tracker_server.base_url}/tracker.js" data-key="{site_key}" async></script>'
    (shop.folder / "example.html").write_text(example.replace(embed, here))
    page, _ = open_with_visit(context, shop.url("example.html?utm_source=newsletter"), tracker_server)
    page.wait_for_load_state("load")
    visitor_id = page.evaluate("window.MXCProspectId")
    assert page.text_content("#visitor") == visitor_id
    sent = submit(page, "price-list", FirstName="Ravi", EmailAddress="ravi@example.com")
    assert (sent["type"], sent["detail"]["Id"]) == ("leadcapture:success", visitor_id)
    assert page.text_content("#message") == f"Thank you! The price list is on its way. (Lead {visitor_id})"
    assert page.input_value("#price-list [name=EmailAddress]") == ""
    lead = lead_by_id(tracker_server, visitor_id)
    assert (lead["FirstName"], lead["EmailAddress"], lead["Source"]) == ("Ravi", "ravi@example.com", "newsletter")
    refused = submit(page, "price-list", EmailAddress="ravi@example")
    assert (refused["type"], refused["detail"]["ExceptionType"]) == ("leadcapture:error", "MXInvalidInputException")
    assert page.text_content("#message") == "Sorry, that did not work: EmailAddress: not a valid email address"
