"""R-T1: `GET /tracker.js` from a real `leadcapture serve`: no key, small, JavaScript, cached and revalidated."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

import httpx
import pytest
from tests.support.server import RunningServer

SCRIPT_FILE: Final = Path(__file__).parents[2] / "src/leadcapture/entrypoints/static/tracker.js"
SIX_KILOBYTES: Final = 6 * 1024


@pytest.fixture
def server(tracker_server: RunningServer) -> RunningServer:
    """The browser tests' server."""
    return tracker_server


def test_T1_the_script_is_served_without_a_key_as_cacheable_javascript(server: RunningServer) -> None:
    """R-T1: the file's exact bytes, JavaScript in UTF-8, public for five minutes, its ETag the bytes' hash."""
    script = SCRIPT_FILE.read_bytes()
    answer = httpx.get(f"{server.base_url}/tracker.js")
    assert answer.status_code == 200
    assert answer.content == script
    assert answer.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.headers["ETag"] == f'"{hashlib.sha256(script).hexdigest()[:32]}"'


def test_T1_the_script_is_at_most_six_kilobytes_before_any_minifying() -> None:
    """R-T1 asks for 6 KB minified; the file as written, comments and indentation included, already fits."""
    assert len(SCRIPT_FILE.read_bytes()) <= SIX_KILOBYTES


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"older", {etag}', "*"])
def test_T1_a_browser_holding_the_current_script_gets_304_without_a_body(
    server: RunningServer, if_none_match: str
) -> None:
    """R-T1: If-None-Match naming the current ETag (weakly compared, in a list, or `*`) is answered 304."""
    etag = httpx.get(f"{server.base_url}/tracker.js").headers["ETag"]
    answer = httpx.get(f"{server.base_url}/tracker.js", headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert answer.status_code == 304
    assert answer.content == b""
    assert answer.headers["ETag"] == etag
    assert answer.headers["Cache-Control"] == "public, max-age=300"


def test_T1_a_browser_holding_another_version_gets_the_script(server: RunningServer) -> None:
    """R-T1: an ETag of another version of the script is answered with the whole current script."""
    answer = httpx.get(f"{server.base_url}/tracker.js", headers={"If-None-Match": '"0123456789abcdef"'})
    assert answer.status_code == 200
    assert answer.content == SCRIPT_FILE.read_bytes()


def test_T1_the_script_is_not_in_the_openapi_document(server: RunningServer) -> None:
    """The OpenAPI document describes the API; the tracker script is a static file beside it."""
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    assert "/v2/LeadManagement.svc/Lead.Capture" in document["paths"]
    assert "/tracker.js" not in document["paths"]
