"""A real headless Chromium (Debian's `chromium`, driven by Playwright), a real `leadcapture serve`, and web
pages served from other origins on 127.0.0.1, as a website embedding the tracker would be.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Final

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from tests.browser.sites import Website, website
from tests.support.server import RunningServer, start_server

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

EVENT_RECORDER: Final = """
window.leadcaptureEvents = [];
for (const type of ["leadcapture:success", "leadcapture:error"]) {
  document.addEventListener(type, (event) => {
    window.leadcaptureEvents.push({type: event.type, form: event.target.id, detail: event.detail});
  });
}
"""
"""Runs before every page's own scripts: keeps each tracker event with the id of its form and its detail."""


def create_site_key(server: RunningServer, name: str, *origins: str) -> str:
    """A site key for `origins`, made by `leadcapture keys create --site` on the server's database."""
    origin_options = [option for origin in origins for option in ("--origin", origin)]
    command = ["keys", "create", "--database", server.database, "--name", name, "--site", *origin_options]
    made = subprocess.run(
        [sys.executable, "-m", "leadcapture.entrypoints.cli", *command],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    access = re.fullmatch(r"AccessKey: (\S+)\n", made.stdout)
    assert access is not None, made.stdout
    return access.group(1)


@pytest.fixture(scope="package")
def tracker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the browser tests, with limits high enough not to get in their way."""
    running = start_server(
        tmp_path_factory.mktemp("tracker-server"), "--rate-limit", "100000/1s", "--site-rate-limit", "100000/1s"
    )
    yield running
    running.stop()


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Website]:
    """The website whose origin the site key lists."""
    with website(tmp_path_factory.mktemp("shop")) as running:
        yield running


@pytest.fixture(scope="package")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Website]:
    """Another website on another origin, which no site key lists."""
    with website(tmp_path_factory.mktemp("stranger")) as running:
        yield running


@pytest.fixture(scope="package")
def site_key(tracker_server: RunningServer, shop: Website) -> str:
    """The shop's site key: good only on requests from the shop's origin."""
    return create_site_key(tracker_server, "shop", shop.origin)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the browser tests, stopped after them (its event loop must not outlive them)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium (never a downloaded browser)."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A new browser profile for one test (no cookies), recording the tracker's events on every page."""
    fresh = browser.new_context()
    fresh.add_init_script(EVENT_RECORDER)
    yield fresh
    fresh.close()
