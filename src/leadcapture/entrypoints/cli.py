"""The `leadcapture` command line."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import typer

from leadcapture.adapters import DEFAULT_DATABASE_URL
from leadcapture.keys import IssuedKey

app = typer.Typer(
    name="leadcapture",
    help="Capture sales leads: create-or-update with duplicate matching, LeadSquared-compatible.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
keys_app = typer.Typer(help="API access keys.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts leads can be linked to with RelatedCompanyId.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")

DatabaseOption = Annotated[
    str,
    typer.Option("--database", "-d", help="Database URL: sqlite:///path.db or postgresql://user@host:port/db."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Create the tables or bring them to the latest schema (stores also do this when they open)."""
    from leadcapture.adapters.migrate import current_revision, upgrade

    upgrade(database)
    typer.echo(f"{database}: schema at revision {current_revision(database)}")


@db_app.command("current")
def db_current(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Print the schema revision the database is at."""
    from leadcapture.adapters.migrate import current_revision

    typer.echo(current_revision(database) or "none")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    as_json: JsonOption = False,
) -> None:
    """Create an access key and print it with its secret; the secret is shown only this once."""
    issued = _create_key(database, name)
    if as_json:
        typer.echo(msgspec.json.encode(issued).decode())
    else:
        typer.echo(f"AccessKey: {issued.access_key}\nSecretKey: {issued.secret_key}")


@keys_app.command("list")
def keys_list(database: DatabaseOption = DEFAULT_DATABASE_URL, as_json: JsonOption = False) -> None:
    """List access keys (never their secrets)."""
    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade

    upgrade(database)
    keys = SQLKeyStore(database).list_keys()
    rows = [
        {
            "AccessKey": key.access_key,
            "Name": key.name,
            "CreatedOn": key.created_on.isoformat(),
            "Revoked": key.revoked_on is not None,
        }
        for key in keys
    ]
    if as_json:
        typer.echo(msgspec.json.encode(rows).decode())
        return
    for row in rows:
        state = "revoked" if row["Revoked"] else "active"
        typer.echo(f"{row['AccessKey']}  {state:7}  {row['Name']}")


@keys_app.command("revoke")
def keys_revoke(
    access_key: Annotated[str, typer.Argument(help="The access key to revoke.")],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Revoke an access key: requests with it are refused from now on."""
    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade

    upgrade(database)
    if not SQLKeyStore(database, cache_seconds=0).revoke_key(access_key, when=datetime.now(UTC)):
        typer.echo(f"no active key {access_key}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {access_key}")


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option("--name", help="The account's name.")],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    as_json: JsonOption = False,
) -> None:
    """Create an account and print its id, for RelatedCompanyId."""
    from leadcapture.adapters import open_store
    from leadcapture.core.records import Account
    from leadcapture.runtime import UUID7Factory

    account = Account(id=UUID7Factory().new_id(), name=name, created_on=datetime.now(UTC))
    store = open_store(database)
    store.add_account(account)
    store.close()
    typer.echo(msgspec.json.encode({"Id": account.id}).decode() if as_json else account.id)


@app.command("serve")
def serve(  # noqa: PLR0913, PLR0917 - one option per setting of the server, as Typer declares them
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    rate_limit: Annotated[str, typer.Option("--rate-limit", help="Requests per key, as N/Ws (25/5s).")] = "25/5s",
    rate_limit_storage: Annotated[
        str,
        typer.Option("--rate-limit-storage", help="memory:// for one process, redis://host:port for several."),
    ] = "memory://",
    config: Annotated[str | None, typer.Option("--config", help="Schema config file (TOML).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    worker: Annotated[
        bool,
        typer.Option("--worker/--no-worker", help="Apply async captures in this process too (R-Q)."),
    ] = True,
) -> None:
    """Serve LeadSquared's Lead.Capture API over HTTP; creates and prints a first key on a new database."""
    import uvicorn

    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade
    from leadcapture.config import load_schema
    from leadcapture.entrypoints.ratelimit import RateLimit
    from leadcapture.entrypoints.serve import SETTINGS_ENV, ServeSettings

    try:
        RateLimit.parse(rate_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate-limit") from exc
    if config is not None:
        load_schema(config).alt(lambda problem: _bad_config(problem.message))
    upgrade(database)
    keys = SQLKeyStore(database)
    if not keys.list_keys():
        issued = _create_key(database, "first key")
        typer.echo("Created a first API key (shown once):")
        typer.echo(f"  AccessKey: {issued.access_key}\n  SecretKey: {issued.secret_key}")
    keys.close()
    settings = ServeSettings(
        database=database,
        rate_limit=rate_limit,
        rate_limit_storage=rate_limit_storage,
        config=config,
        worker=worker,
    )
    os.environ[SETTINGS_ENV] = msgspec.json.encode(settings).decode()
    uvicorn.run(
        "leadcapture.entrypoints.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@app.command("worker")
def worker_command(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Threads applying requests.")] = 1,
    retry_delays: Annotated[
        str,
        typer.Option("--retry-delays", help="Waits before each retry of a system fault (R-Q3), comma-separated."),
    ] = "30s,2m,7m,15m,30m,45m,60m,1.5h,2h,3h",
    keep_finished: Annotated[
        str,
        typer.Option("--keep-finished", help="How long finished requests stay readable before the purge."),
    ] = "7d",
    config: Annotated[str | None, typer.Option("--config", help="Schema config file (TOML), as the server's.")] = None,
) -> None:
    """Apply the async capture inbox (POST /lead/capture) until stopped with Ctrl-C or SIGTERM."""
    import signal
    import threading

    from leadcapture.adapters import open_store
    from leadcapture.adapters.inbox import SQLInbox
    from leadcapture.adapters.sqlite import SQLiteLeadStore
    from leadcapture.config import load_schema
    from leadcapture.core.schema import DEFAULT_SCHEMA
    from leadcapture.entrypoints.serve import configure_logging
    from leadcapture.entrypoints.worker import CaptureWorker, parse_delays, parse_duration, run_workers
    from leadcapture.service import Engine

    try:
        delays, keep = parse_delays(retry_delays), parse_duration(keep_finished)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    schema = DEFAULT_SCHEMA
    if config is not None:
        schema = load_schema(config).alt(lambda problem: _bad_config(problem.message)).unwrap()
    configure_logging()
    store = open_store(database)
    engine = Engine(store=store, schema=schema)
    capture_worker = CaptureWorker(engine, SQLInbox(store), retry_delays=delays, keep_finished=keep)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    database_path = store.path if isinstance(store, SQLiteLeadStore) else None
    typer.echo(f"worker on {database}", err=True)
    run_workers(capture_worker, concurrency=concurrency, stop=stop, database_path=database_path)
    store.close()


def _bad_config(message: str) -> None:
    raise typer.BadParameter(message, param_hint="--config")


def _create_key(database: str, name: str) -> IssuedKey:
    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade
    from leadcapture.keys import issue_key

    upgrade(database)
    stored, issued = issue_key(name, now=datetime.now(UTC))
    store = SQLKeyStore(database)
    store.add_key(stored)
    store.close()
    return issued


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
