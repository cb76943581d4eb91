"""`leadcapture serve --config` applies the data-quality rules to Lead.Capture over HTTP (R-J3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.api import capture, capture_body, leads_by_email
from tests.support.server import RunningServer, start_server

CONFIG = """
email_match = "canonical"

[blocked_identifiers]
preset = "common"

[fields.OwnerId]
update = "never"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server over a new SQLite file, with every data-quality rule turned on by its schema config."""
    folder = tmp_path_factory.mktemp("quality")
    config = folder / "schema.toml"
    config.write_text(CONFIG)
    running = start_server(folder, "--rate-limit", "100000/1s", "--config", str(config))
    yield running
    running.stop()


def test_J1_two_captures_with_a_junk_email_create_two_leads_found_by_it(server: RunningServer) -> None:
    """Each junk capture is IsCreated with its own id; a look-up by the junk address finds both."""
    answers = [capture(server, capture_body(EmailAddress="test@test.com", FirstName=name)) for name in ("A", "B")]
    assert [answer.status_code for answer in answers] == [200, 200]
    messages = [answer.json()["Message"] for answer in answers]
    assert [message["IsCreated"] for message in messages] == [True, True]
    assert messages[0]["Id"] != messages[1]["Id"]
    with server.client() as client:
        found = {lead["ProspectID"] for lead in leads_by_email(client, "test@test.com")}
    assert found == {message["Id"] for message in messages}


def test_J2_P1_a_dry_run_explains_the_mailbox_match_and_the_kept_owner(server: RunningServer) -> None:
    """dryRun=true shows the R-J2 match and the R-P1 policy; the real capture then does exactly that."""
    created = capture(server, capture_body(EmailAddress="Kari.Nord@gmail.com", OwnerId="alice"))
    assert created.json()["Message"]["IsCreated"] is True
    body = capture_body(EmailAddress="karinord+web@googlemail.com", OwnerId="bob")
    preview = capture(server, body, dryRun="true").json()["Preview"]
    assert preview["type"] == "Update"
    assert preview["explanation"]["notes"] == [
        "EmailAddress karinord+web@googlemail.com found Kari.Nord@gmail.com: the same Gmail mailbox (R-J2)",
    ]
    assert {left["field"]: left["reason"] for left in preview["explanation"]["unchanged"]} == {
        "EmailAddress": "the same Gmail mailbox as the stored address (R-J2)",
        "OwnerId": "update policy never (R-P1)",
    }
    updated = capture(server, body).json()["Message"]
    assert (updated["Id"], updated["IsCreated"]) == (created.json()["Message"]["Id"], False)
    with server.client() as client:
        (lead,) = leads_by_email(client, "Kari.Nord@gmail.com")
    assert (lead["EmailAddress"], lead["OwnerId"]) == ("Kari.Nord@gmail.com", "alice")


def test_J1_without_a_config_the_server_matches_junk_as_leadsquared(tmp_path: Path) -> None:
    """The same two captures on a server without a config: the second updates the first lead."""
    plain = start_server(tmp_path, "--rate-limit", "100000/1s")
    try:
        answers = [capture(plain, capture_body(EmailAddress="test@test.com", FirstName=n)) for n in ("A", "B")]
    finally:
        plain.stop()
    assert [answer.json()["Message"]["IsCreated"] for answer in answers] == [True, False]
    assert answers[0].json()["Message"]["Id"] == answers[1].json()["Message"]["Id"]
