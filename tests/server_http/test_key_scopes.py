"""Key scopes (R-K1, R-K2) and site keys (R-K3), over HTTP against a real server and its SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest
from tests.support.api import CAPTURE, assert_envelope, capture_body, leads_by_email, table_rows
from tests.support.server import RunningServer, start_server

LEADS: Final = "/v2/LeadManagement.svc"
VISIT: Final = "/v2/WebTracking.svc/Visit"
SHOP: Final = "https://shop.example"
WRITTEN_TABLES: Final = ("leads", "activities", "visitors", "visits", "capture_inbox", "idempotency_records")
ANY_ID: Final = "01234567-89ab-7def-8123-456789abcdef"
SITE_IP_LIMIT: Final = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose per-IP limit for site keys is small enough to reach in a test."""
    running = start_server(
        tmp_path_factory.mktemp("scopes"),
        "--rate-limit",
        "100000/1s",
        "--site-rate-limit",
        f"{SITE_IP_LIMIT}/60s",
        "--no-worker",
    )
    yield running
    running.stop()


def _written(server: RunningServer) -> dict[str, int]:
    return {table: table_rows(server, table) for table in WRITTEN_TABLES}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadcapture.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_K1_keys_list_shows_scopes_and_a_key_made_without_scope_has_all_four(tmp_path: Path) -> None:
    """R-K1: `keys create` without --scope gives every scope; `--scope capture,read` just those; list shows them."""
    database = f"sqlite:///{tmp_path / 'keys.db'}"
    assert _cli("keys", "create", "--name", "all", "--database", database).returncode == 0
    assert _cli("keys", "create", "--name", "forms", "--scope", "Capture, read", "--database", database).returncode == 0
    site = _cli(
        "keys", "create", "--name", "shop", "--site", "--origin", "HTTPS://Shop.Example/", "--database", database
    )
    assert site.returncode == 0, site.stderr
    assert site.stdout.startswith("AccessKey: lcs")
    assert "SecretKey" not in site.stdout
    listed = json.loads(_cli("keys", "list", "--json", "--database", database).stdout)
    assert [(row["Name"], row["Scopes"], row["Site"], row["Origins"]) for row in listed] == [
        ("all", ["activity", "capture", "read", "visit"], False, []),
        ("forms", ["capture", "read"], False, []),
        ("shop", ["capture", "visit"], True, [SHOP]),
    ]
    text = _cli("keys", "list", "--database", database).stdout.splitlines()
    assert "activity,capture,read,visit" in text[0]
    assert "capture,read" in text[1]
    assert f"(site {SHOP})" in text[2]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--scope", "capture,write"), "scopes are capture, activity, read, visit; not write"),
        (("--site",), "a site key needs at least one --origin"),
        (("--site", "--origin", SHOP, "--scope", "capture,read"), "a site key's scopes are capture and visit at most"),
        (("--origin", SHOP), "--origin is for site keys: add --site"),
        (("--site", "--origin", "shop.example"), "an origin is scheme://host[:port]"),
    ],
    ids=["unknown-scope", "site-without-origin", "site-with-read", "origin-without-site", "origin-without-scheme"],
)
def test_K1_keys_create_refuses_what_a_key_cannot_be(tmp_path: Path, options: tuple[str, ...], message: str) -> None:
    """R-K1, R-K3: an unknown scope, a site key without origins or with a read scope: usage error, no key."""
    database = f"sqlite:///{tmp_path / 'keys.db'}"
    made = _cli("keys", "create", "--name", "bad", *options, "--database", database)
    assert made.returncode == 2
    assert message in " ".join(made.stderr.replace("│", " ").split())
    assert json.loads(_cli("keys", "list", "--json", "--database", database).stdout) == []


ENDPOINTS: Final = [
    # (scopes of the key, method, path, body, the scopes the answer names as missing)
    (
        "read,visit",
        "POST",
        f"{LEADS}/Lead.Capture",
        capture_body(EmailAddress="k2@example.com"),
        "'activity' and 'capture' scopes",
    ),
    ("capture,read", "POST", f"{LEADS}/Lead.Capture", capture_body(EmailAddress="k2@example.com"), "'activity' scope"),
    ("activity,read", "POST", "/lead/capture", capture_body(EmailAddress="k2@example.com"), "'capture' scope"),
    ("capture,activity,visit", "GET", f"{LEADS}/Leads.GetById?id={ANY_ID}", b"", "'read' scope"),
    ("capture,activity,visit", "GET", f"{LEADS}/Leads.GetByEmailaddress?emailaddress=a@b.co", b"", "'read' scope"),
    ("capture,activity,visit", "GET", f"{LEADS}/RetrieveLeadByPhoneNumber?phone=9000000001", b"", "'read' scope"),
    ("capture,activity,visit", "GET", f"{LEADS}/LeadsMetaData.Get", b"", "'read' scope"),
    ("capture,activity,visit", "POST", f"/v2/ProspectActivity.svc/Retrieve?leadId={ANY_ID}", b"", "'read' scope"),
    ("capture,activity,visit", "GET", f"/lead/status?RequestId={ANY_ID}", b"", "'read' scope"),
    ("capture,activity,visit", "GET", "/lead/capture/metrics", b"", "'read' scope"),
    ("capture,activity,read", "POST", VISIT, json.dumps({"PageURL": "https://a.example/"}).encode(), "'visit' scope"),
]


@pytest.mark.parametrize(
    ("scopes", "method", "path", "body", "missing"),
    ENDPOINTS,
    ids=[f"{e[1]} {e[2].split('?')[0]} with {e[0]}" for e in ENDPOINTS],
)
def test_K2_a_call_outside_the_keys_scopes_is_403_naming_the_scope_and_writes_nothing(
    server: RunningServer, scopes: str, method: str, path: str, body: bytes, missing: str
) -> None:
    """R-K2: every endpoint checks the scopes it needs; beyond them a 403 MXUnAuthorizedAccessException, no write."""
    keys = server.issue_key(f"scoped {scopes}", "--scope", scopes)
    before = _written(server)
    with server.client(keys) as client:
        answer = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 403
    assert_envelope(answer, "MXUnAuthorizedAccessException")
    assert answer.json()["ExceptionMessage"] == f"The key lacks the {missing} this API needs"
    assert _written(server) == before


def test_K2_a_key_with_the_scopes_a_call_needs_makes_it(server: RunningServer) -> None:
    """R-K2: capture+activity captures, read reads, visit records visits; each key only what its scopes allow."""
    writer = server.issue_key("writer", "--scope", "capture,activity")
    reader = server.issue_key("reader", "--scope", "read")
    tracker = server.issue_key("tracker", "--scope", "visit")
    with server.client(writer) as client:
        assert client.post(CAPTURE, content=capture_body(EmailAddress="scoped@example.com")).status_code == 200
    with server.client(reader) as client:
        assert [lead["EmailAddress"] for lead in leads_by_email(client, "scoped@example.com")] == ["scoped@example.com"]
    with server.client(tracker) as client:
        assert client.post(VISIT, json={"PageURL": "https://a.example/"}).status_code == 200


@pytest.fixture(scope="module")
def site_key(server: RunningServer) -> dict[str, str]:
    """A site key for pages of https://shop.example."""
    return server.issue_key("shop", "--site", "--origin", SHOP)


def _from_page(
    server: RunningServer,
    site_key: dict[str, str],
    path: str,
    body: bytes,
    *,
    origin: str | None = SHOP,
    params: dict[str, str] | None = None,
    client_ip: str = "198.51.100.7",
) -> httpx.Response:
    """A POST as a browser on `origin` sends it with the site key (the client's IP as a proxy on 127.0.0.1 says)."""
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client_ip}
    if origin is not None:
        headers["Origin"] = origin
    return httpx.post(
        f"{server.base_url}{path}", params={**site_key, **(params or {})}, content=body, headers=headers, timeout=30
    )


def test_K3_a_site_key_captures_and_records_visits_from_a_listed_origin_with_cors(
    server: RunningServer, site_key: dict[str, str]
) -> None:
    """R-K3: from a listed origin a site key captures and posts visits; the answers name that origin for CORS."""
    captured = _from_page(
        server, site_key, CAPTURE, capture_body(EmailAddress="page@example.com"), client_ip="198.51.100.1"
    )
    visited = _from_page(
        server, site_key, VISIT, json.dumps({"PageURL": f"{SHOP}/?utm_source=ad"}).encode(), client_ip="198.51.100.1"
    )
    assert captured.status_code == 200, captured.text
    assert visited.status_code == 200, visited.text
    for answer in (captured, visited):
        assert answer.headers["access-control-allow-origin"] == SHOP
        assert answer.headers["vary"] == "Origin"
    with server.client() as client:
        assert [lead["EmailAddress"] for lead in leads_by_email(client, "page@example.com")] == ["page@example.com"]


@pytest.mark.parametrize("path", [CAPTURE, VISIT])
def test_K3_a_preflight_is_answered_for_a_listed_origin_only(
    server: RunningServer, site_key: dict[str, str], path: str
) -> None:
    """R-K3: the CORS preflight of a listed origin gets 204 and the CORS headers; any other origin a 403 without."""

    def preflight(origin: str) -> httpx.Response:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        return httpx.options(f"{server.base_url}{path}", params=site_key, headers=headers, timeout=30)

    allowed = preflight(SHOP)
    assert allowed.status_code == 204
    assert {
        name: allowed.headers[name]
        for name in (
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
            "vary",
        )
    } == {
        "access-control-allow-origin": SHOP,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "Content-Type",
        "access-control-max-age": "600",
        "vary": "Origin",
    }
    refused = preflight("https://evil.example")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert_envelope(refused, "MXUnAuthorizedAccessException")


REFUSALS: Final = [
    # (what, path, query, origin, message)
    (
        "unlisted origin",
        CAPTURE,
        {},
        "https://evil.example",
        "Origin https://evil.example is not allowed for this site key",
    ),
    (
        "a lookalike origin",
        CAPTURE,
        {},
        "https://shop.example.evil.example",
        "Origin https://shop.example.evil.example is not allowed for this site key",
    ),
    ("no origin", CAPTURE, {}, None, "Origin (none) is not allowed for this site key"),
    (
        "with a secret",
        CAPTURE,
        {"secretKey": "0" * 64},
        SHOP,
        "A site key is public and takes no secret key; call with a secret key instead",
    ),
    ("a dry run", CAPTURE, {"dryRun": "true"}, SHOP, "A site key gets no dry runs or explanations"),
    ("an explanation", CAPTURE, {"explain": "true"}, SHOP, "A site key gets no dry runs or explanations"),
    ("async capture", "/lead/capture", {}, SHOP, "A site key may only capture leads and record visits"),
    (
        "a visit from an unlisted origin",
        VISIT,
        {},
        "https://evil.example",
        "Origin https://evil.example is not allowed for this site key",
    ),
]


@pytest.mark.parametrize(
    ("what", "path", "query", "origin", "message"), REFUSALS, ids=[refusal[0] for refusal in REFUSALS]
)
def test_K3_a_site_key_beyond_its_reach_is_refused_and_writes_nothing(
    server: RunningServer,
    site_key: dict[str, str],
    what: str,
    path: str,
    query: dict[str, str],
    origin: str | None,
    message: str,
) -> None:
    """R-K3: an unlisted origin, a secret, a dry run, an explanation or async capture: 403, nothing written, no CORS."""
    body = (
        capture_body(EmailAddress=f"refused-{what.replace(' ', '-')}@example.com")
        if path != VISIT
        else json.dumps({"PageURL": "https://evil.example/"}).encode()
    )
    before = _written(server)
    answer = _from_page(server, site_key, path, body, origin=origin, params=query, client_ip="198.51.100.2")
    assert answer.status_code == 403, answer.text
    assert_envelope(answer, "MXUnAuthorizedAccessException")
    assert answer.json()["ExceptionMessage"] == message
    assert "access-control-allow-origin" not in answer.headers
    assert _written(server) == before


@pytest.mark.parametrize(
    "path",
    [
        f"{LEADS}/Leads.GetById?id={ANY_ID}",
        f"{LEADS}/Leads.GetByEmailaddress?emailaddress=page@example.com",
        f"{LEADS}/LeadsMetaData.Get",
        f"/lead/status?RequestId={ANY_ID}",
    ],
)
def test_K3_a_site_key_never_reads(server: RunningServer, site_key: dict[str, str], path: str) -> None:
    """R-K3: a read with a site key, even from a listed origin, is a 403: it would disclose stored data."""
    answer = httpx.get(f"{server.base_url}{path}", params=site_key, headers={"Origin": SHOP}, timeout=30)
    assert answer.status_code == 403
    assert answer.json()["ExceptionMessage"] == "A site key may only capture leads and record visits"


def test_K3_a_site_key_is_limited_per_client_ip_and_what_goes_over_is_not_written(
    server: RunningServer, site_key: dict[str, str]
) -> None:
    """R-K3: past the per-IP limit a page's captures are 429 with Retry-After, not written; another IP goes on."""
    answers = [
        _from_page(
            server, site_key, CAPTURE, capture_body(EmailAddress=f"burst{n}@example.com"), client_ip="203.0.113.9"
        )
        for n in range(SITE_IP_LIMIT + 2)
    ]
    assert [answer.status_code for answer in answers] == [200] * SITE_IP_LIMIT + [429, 429]
    refused = answers[-1]
    assert_envelope(refused, "MXAPIRateLimitExceededException")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["access-control-allow-origin"] == SHOP  # the page can read why
    with server.client() as client:
        written = [n for n in range(SITE_IP_LIMIT + 2) if leads_by_email(client, f"burst{n}@example.com")]
    assert written == list(range(SITE_IP_LIMIT))
    other = _from_page(
        server, site_key, CAPTURE, capture_body(EmailAddress="elsewhere@example.com"), client_ip="203.0.113.10"
    )
    assert other.status_code == 200


@pytest.mark.parametrize("asked", [None, "DoNotUpdateUniqueFields", "updateonlyemptyfields"])
def test_K3_a_site_key_capture_only_fills_empty_fields(
    server: RunningServer, site_key: dict[str, str], asked: str | None
) -> None:
    """R-K3: a stranger's page capture of a known email fills empty fields and overwrites nothing, whatever it asks."""
    email = f"owner-{asked or 'default'}@example.com".lower()
    with server.client() as client:
        assert client.post(CAPTURE, content=capture_body(EmailAddress=email, FirstName="Ann")).status_code == 200
    params = {"LeadUpdateBehavior": asked} if asked else {}
    answer = _from_page(
        server,
        site_key,
        CAPTURE,
        capture_body(EmailAddress=email, FirstName="Eve", LastName="Lee"),
        params=params,
        client_ip="198.51.100.3",
    )
    assert answer.status_code == 200, answer.text
    with server.client() as client:
        (lead,) = leads_by_email(client, email)
    assert (lead["FirstName"], lead["LastName"]) == ("Ann", "Lee")


def test_K3_a_site_key_asking_do_not_update_changes_nothing(server: RunningServer, site_key: dict[str, str]) -> None:
    """R-K3: DoNotUpdate, stricter than the site default, is honoured."""
    with server.client() as client:
        assert client.post(CAPTURE, content=capture_body(EmailAddress="strict@example.com")).status_code == 200
    answer = _from_page(
        server,
        site_key,
        CAPTURE,
        capture_body(EmailAddress="strict@example.com", LastName="Lee"),
        params={"LeadUpdateBehavior": "DoNotUpdate"},
        client_ip="198.51.100.4",
    )
    assert answer.status_code == 200
    with server.client() as client:
        (lead,) = leads_by_email(client, "strict@example.com")
    assert lead.get("LastName", "") == ""


def test_K3_a_revoked_site_key_is_401(server: RunningServer) -> None:
    """A revoked site key is refused like any revoked key, before its origin is looked at."""
    key = server.issue_key("gone", "--site", "--origin", SHOP)
    revoked = _cli("keys", "revoke", key["accessKey"], "--database", server.database)
    assert revoked.returncode == 0, revoked.stderr
    answer = _from_page(server, key, CAPTURE, capture_body(EmailAddress="gone@example.com"), client_ip="198.51.100.5")
    assert answer.status_code == 401
    assert_envelope(answer, "MXInvalidAccessDetailsException")
