"""A plain install: the wheel, installed with its own dependencies only into an empty virtual environment.

`pip install leadcapture` must serve on SQLite, issue keys, capture, import and preview, with no extra; a
command that needs a missing extra (PostgreSQL, Redis) says which one in one line. The wheel is built and
installed from uv's cache, which `make install` filled (nothing is fetched), at the versions of uv.lock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest
from tests.support.postgres import free_port

ROOT: Final = Path(__file__).resolve().parents[2]
PROJECT_VENV_VARIABLES: Final = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")


def _uv() -> str:
    """The uv that `make install` puts in .tools/, else one on the PATH."""
    pinned = ROOT / ".tools" / "bin" / "uv"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("uv")
    if found is None:
        msg = "uv not found: `make install` installs it into .tools/"
        raise RuntimeError(msg)
    return found


def _offline_environment() -> dict[str, str]:
    """This process's environment, with uv kept off the network and away from the project's .venv."""
    environment = {key: value for key, value in os.environ.items() if key not in PROJECT_VENV_VARIABLES}
    return {**environment, "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def _run(
    *command: str | Path, cwd: Path | None = None, project_environment: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `command` offline; `project_environment` is where `uv sync` installs instead of the project's .venv."""
    environment = _offline_environment()
    if project_environment is not None:
        environment["UV_PROJECT_ENVIRONMENT"] = str(project_environment)
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=environment,
        timeout=300,
    )
    if done.returncode != 0:
        # The command and what it said, not only its exit status, so that a failed setup explains itself.
        msg = f"{' '.join(str(part) for part in command)} failed ({done.returncode}): {done.stderr.strip()}"
        raise RuntimeError(msg)
    return done


@pytest.fixture(scope="module")
def plain_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of an empty virtual environment into which only the wheel (and what it needs) went."""
    folder = tmp_path_factory.mktemp("plain-install")
    uv = _uv()
    _run(uv, "build", "--wheel", "--quiet", "--out-dir", folder / "dist", ROOT)
    (wheel,) = (folder / "dist").glob("leadcapture-*.whl")
    # The base dependencies at uv.lock's versions and hashes (no extra, no dev tool), installed by `uv sync`
    # from the lock's own URLs, which uv's cache holds (an index look-up, as `uv pip sync` makes, would need
    # the network); then the wheel, whose own requirements must then be met: one they named beyond the base
    # set would need the network and fail.
    venv = folder / "venv"
    python = venv / "bin" / "python"
    _run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    _run(uv, "sync", "--quiet", "--frozen", "--no-dev", "--no-install-project", cwd=ROOT, project_environment=venv)
    _run(uv, "pip", "install", "--quiet", "--python", python, wheel)
    return venv / "bin"


def _leadcapture(plain_bin: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`leadcapture ARGS` from the plain install, not raising on a failure."""
    return subprocess.run(
        [str(plain_bin / "leadcapture"), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


@pytest.fixture
def served(plain_bin: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`leadcapture serve` of the plain install on a new SQLite file: its base URL and the key it printed."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(plain_bin / "leadcapture"), "serve", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, log)
        banner = log.read_text()
        keys = {
            "accessKey": banner.split("AccessKey: ")[1].split()[0],
            "secretKey": banner.split("SecretKey: ")[1].split()[0],
        }
        yield base_url, keys
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            msg = f"leadcapture serve exited with {process.returncode}: {log.read_text()}"
            raise RuntimeError(msg)
        time.sleep(0.2)
    msg = f"leadcapture serve did not answer /health within 60 s: {log.read_text()}"
    raise RuntimeError(msg)


def test_the_plain_install_has_no_extra_and_no_dev_tool(plain_bin: Path) -> None:
    """Only the wheel's own dependencies went in: no PostgreSQL driver, no Redis client, no test tools."""
    modules = ("psycopg", "psycopg_pool", "redis", "pytest", "hypothesis")
    probe = f"import importlib.util as u; print([m for m in {modules!r} if u.find_spec(m)])"
    found = subprocess.run([str(plain_bin / "python"), "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_serve_on_sqlite_answers_health_and_captures(served: tuple[str, dict[str, str]]) -> None:
    """`leadcapture serve` from a plain install, on the default ./leadcapture.db, is healthy and captures."""
    base_url, keys = served
    assert httpx.get(f"{base_url}/health", timeout=10).json() == {"Status": "Success"}
    answer = httpx.post(
        f"{base_url}/v2/LeadManagement.svc/Lead.Capture",
        params=keys,
        json=[{"Attribute": "EmailAddress", "Value": "plain@example.com"}],
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["Message"]["IsCreated"] is True


def test_keys_capture_import_and_preview_work_without_extras(plain_bin: Path, tmp_path: Path) -> None:
    """keys, capture, preview and import of the plain install, on a SQLite file."""
    database = f"sqlite:///{tmp_path / 'leads.db'}"
    created = _leadcapture(plain_bin, "keys", "create", "--name", "form", "--database", database, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    listed = _leadcapture(plain_bin, "keys", "list", "--json", "--database", database, cwd=tmp_path)
    assert [row["Name"] for row in json.loads(listed.stdout)] == ["form"]
    captured = _leadcapture(
        plain_bin, "capture", "--set", "EmailAddress=one@example.com", "--database", database, cwd=tmp_path
    )
    assert captured.returncode == 0, captured.stderr
    rows = tmp_path / "leads.csv"
    rows.write_text("EmailAddress,FirstName\none@example.com,Una\ntwo@example.com,Tomas\n")
    previewed = _leadcapture(plain_bin, "preview", str(rows), "--no-progress", "--database", database, cwd=tmp_path)
    assert previewed.returncode == 0, previewed.stderr
    imported = _leadcapture(plain_bin, "import", str(rows), "--no-progress", "--database", database, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    report = [json.loads(line) for line in (tmp_path / "leads.preview.jsonl").read_text().splitlines()]
    assert [row["outcome"] for row in report] == ["Updated", "Created"]


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("serve", "--database", "postgresql://leads@127.0.0.1:9/leads"), "postgres"),
        (("db", "upgrade", "--database", "postgresql://leads@127.0.0.1:9/leads"), "postgres"),
        (("keys", "list", "--database", "postgresql://leads@127.0.0.1:9/leads"), "postgres"),
        (("import", "leads.csv", "--database", "postgresql://leads@127.0.0.1:9/leads"), "postgres"),
        (("serve", "--rate-limit-storage", "redis://127.0.0.1:9"), "redis"),
    ],
    ids=["serve-postgres", "db-upgrade-postgres", "keys-postgres", "import-postgres", "serve-redis"],
)
def test_a_command_needing_a_missing_extra_says_which_in_one_line(
    plain_bin: Path, tmp_path: Path, args: tuple[str, ...], extra: str
) -> None:
    """A PostgreSQL database or Redis storage without its extra: exit 1 and one line naming it, no traceback."""
    (tmp_path / "leads.csv").write_text("EmailAddress\none@example.com\n")
    ran = _leadcapture(plain_bin, *args, cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [
        f"leadcapture: {'PostgreSQL databases' if extra == 'postgres' else 'Redis rate-limit storage'} need the "
        f"{extra} extra: pip install 'leadcapture[{extra}]'"
    ]
