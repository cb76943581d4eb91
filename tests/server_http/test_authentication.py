"""R-L9 over HTTP and HTTPS: `Authentication.svc/UserByAccessKey.Get`, `serve --public-url`, `--tls-cert/--tls-key`."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Final

import httpx
import pytest
from tests.support.api import CAPTURE, assert_envelope, capture_body
from tests.support.server import RunningServer, start_server

from leadcapture.client import LeadCaptureClient
from leadcapture.transports import HTTPTransport

USER: Final = "/v2/Authentication.svc/UserByAccessKey.Get"


@pytest.fixture
def server_options() -> tuple[str, ...]:
    """The default rate limits: the tests here make few requests."""
    return ("--no-worker",)


@pytest.fixture
def server(server_on_each_database: RunningServer) -> RunningServer:
    """Every test here runs on SQLite and on PostgreSQL."""
    return server_on_each_database


def test_L9_the_keys_user_and_the_host_the_client_called(server: RunningServer) -> None:
    """R-L9: the key's user, a fixed id per key, and `api` = the host this request reached."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        by_headers = client.get(USER, headers=server.header_keys)
        by_query = client.get(USER, params={"accesskey": server.access_key, "SECRETKEY": server.secret_key})
    assert by_headers.status_code == 200, by_headers.text
    host = server.base_url.removeprefix("http://")
    assert by_headers.json() == {
        "Id": by_headers.json()["Id"],
        "FirstName": "first key",
        "LastName": "",
        "EmailAddress": "",
        "Role": "Administrator",
        "Timezone": "UTC",
        "LSQCommonServiceURLs": {"api": host, "app": host},
    }
    assert uuid.UUID(by_headers.json()["Id"])
    assert by_query.json() == by_headers.json()
    with LeadCaptureClient(HTTPTransport(server.base_url, server.access_key, server.secret_key)) as client:
        assert client.user() == by_headers.json()


def test_L9_a_scoped_key_is_an_api_user_and_a_site_key_is_refused(server: RunningServer) -> None:
    """R-L9 with R-K: any secret key may ask who it is (a scoped one is an API user); a site key may not."""
    reader = server.issue_key("reader", "--scope", "read")
    site = server.issue_key("shop", "--site", "--origin", "https://shop.example")
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        scoped = client.get(USER, params=reader)
        public = client.get(USER, params=site, headers={"Origin": "https://shop.example"})
        wrong = client.get(USER, params={**server.keys, "secretKey": "0" * 64})
    assert (scoped.json()["FirstName"], scoped.json()["Role"]) == ("reader", "API")
    assert scoped.json()["Id"] != ""
    assert public.status_code == 403
    assert_envelope(public, "MXUnAuthorizedAccessException")
    assert wrong.status_code == 401


def test_L9_public_url_names_the_host_clients_call_next(tmp_path: Path) -> None:
    """R-L9: behind a proxy, `--public-url` is the `api` host whatever Host the request came with."""
    server = start_server(tmp_path, "--no-worker", "--public-url", "https://leads.example.com/")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            user = client.get(USER, params=server.keys).json()
    finally:
        server.stop()
    assert user["LSQCommonServiceURLs"] == {"api": "leads.example.com", "app": "leads.example.com"}


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_L9_the_server_serves_tls_itself_and_clients_follow_the_api_host(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    """R-L9: with --tls-cert/--tls-key a client calls `https://{api}/v2/...` as LeadSquared's clients do."""
    server = start_server(tmp_path, "--no-worker", tls=certificate)
    try:
        with server.client() as client:
            user = client.get(USER).json()
        api = user["LSQCommonServiceURLs"]["api"]
        with httpx.Client(base_url=f"https://{api}", verify=server.verify, timeout=30) as client:
            captured = client.post(
                CAPTURE,
                params=server.keys,
                content=capture_body(EmailAddress="tls@example.com"),
                headers={"Content-Type": "application/json"},
            )
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url.replace('https', 'http')}/health", timeout=5)
    finally:
        server.stop()
    assert api == server.base_url.removeprefix("https://")
    assert captured.status_code == 200, captured.text
    assert captured.json()["Message"]["IsCreated"] is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--tls-cert", "{cert}"), "give both --tls-cert and --tls-key, or neither"),
        (("--public-url", "ftp://leads.example.com"), "--public-url must look like https://leads.example.com"),
    ],
    ids=["cert-without-key", "public-url-not-http"],
)
def test_L9_serve_refuses_half_a_tls_setting_and_a_public_url_that_is_no_web_address(
    tmp_path: Path, certificate: tuple[Path, Path], options: tuple[str, ...], message: str
) -> None:
    """`serve` stops at once, with a usage error, on a certificate without its key or a non-web public URL."""
    args = [option.format(cert=certificate[0]) for option in options]
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadcapture.entrypoints.cli",
            "serve",
            "--database",
            f"sqlite:///{tmp_path / 'x.db'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2
    assert message in " ".join(ran.stderr.replace("│", " ").split())
