"""The `leadcapture` command line."""

from __future__ import annotations

import csv
import enum
import functools
import gc
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NamedTuple

import msgspec
import typer
from returns.result import Failure

from leadcapture.adapters import DEFAULT_DATABASE_URL
from leadcapture.keys import ApiKey, IssuedKey

if TYPE_CHECKING:
    from leadcapture.client import LeadCaptureClient
    from leadcapture.entrypoints.importer import ImportSummary, RowApplier, RowReader, RowReport
    from leadcapture.service import Engine

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


class LogFormatChoice(enum.StrEnum):
    """How `serve` writes its log lines."""

    TEXT = "text"
    JSON = "json"


LogFormatOption = Annotated[
    LogFormatChoice,
    typer.Option("--log-format", help="text: one line per record; json: one JSON object per line."),
]


IMPORT_MEMORY_MAP_BYTES: Final = 0
"""`import` and `preview` read a SQLite file without a memory map, so that their resident memory stays bounded."""


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
def keys_create(  # noqa: PLR0913, PLR0917 - one option per property of the key, as Typer declares them
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    as_json: JsonOption = False,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Comma-separated: capture, activity, read, visit (default: all four)."),
    ] = None,
    site: Annotated[
        bool, typer.Option("--site", help="A public key for web pages: no secret, capture and visit only.")
    ] = False,
    origins: Annotated[
        list[str] | None,
        typer.Option("--origin", help="With --site: an origin whose pages may use the key; repeatable."),
    ] = None,
) -> None:
    """Create an access key and print it with its secret (shown only this once); a site key has no secret."""
    from leadcapture.keys import ALL_SCOPES, SITE_SCOPES, issue_key, issue_site_key, parse_scopes

    try:
        scopes = parse_scopes(scope) if scope is not None else (SITE_SCOPES if site else ALL_SCOPES)
        now = datetime.now(UTC)
        if site:
            stored, issued = issue_site_key(name, now=now, origins=tuple(origins or ()), scopes=scopes)
        elif origins:
            raise ValueError("--origin is for site keys: add --site")
        else:
            stored, issued = issue_key(name, now=now, scopes=scopes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    _store_key(database, stored)
    if as_json:
        typer.echo(msgspec.json.encode(issued).decode())
    elif issued.secret_key is None:
        typer.echo(f"AccessKey: {issued.access_key}")
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
            "Scopes": sorted(key.scopes),
            "Site": key.site,
            "Origins": list(key.origins),
        }
        for key in keys
    ]
    if as_json:
        typer.echo(msgspec.json.encode(rows).decode())
        return
    for key in keys:
        state = "revoked" if key.revoked_on is not None else "active"
        kind = f"site {' '.join(key.origins)}" if key.site else "secret"
        typer.echo(f"{key.access_key}  {state:7}  {','.join(sorted(key.scopes)):28}  {key.name}  ({kind})")


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


BehaviorOption = Annotated[
    str | None,
    typer.Option("--behavior", help="LeadUpdateBehavior: UpdateOnlyEmptyFields, DoNotUpdate, ... (default: update)."),
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Send through the HTTP API at this base URL instead of writing to --database."),
]
AccessKeyOption = Annotated[
    str | None, typer.Option("--access-key", envvar="LEADCAPTURE_ACCESS_KEY", help="Access key, with --url.")
]
SecretKeyOption = Annotated[
    str | None, typer.Option("--secret-key", envvar="LEADCAPTURE_SECRET_KEY", help="Secret key, with --url.")
]
ConfigOption = Annotated[str | None, typer.Option("--config", help="Schema config file (TOML), with --database.")]
ImportFileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="CSV (with a header) or JSONL file.")
]
MapOption = Annotated[
    list[str] | None,
    typer.Option("--map", help='Column=Attribute, e.g. "E-mail=EmailAddress"; repeatable.'),
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write one JSON line per row: row, outcome, rule, lead, changes, error.")
]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", min=1, help="Rows read, decided and written together.")]
FormatOption = Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the file suffix).")]
ProgressOption = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a live progress bar.")]


class Target(NamedTuple):
    """Where captures go: the database (read with the schema of `config`), or the HTTP API at `url`."""

    database: str
    url: str | None
    access_key: str | None
    secret_key: str | None
    config: str | None


_TARGET_OPTIONS: Final = tuple(
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=option, default=default)
    for name, option, default in (
        ("database", DatabaseOption, DEFAULT_DATABASE_URL),
        ("url", UrlOption, None),
        ("access_key", AccessKeyOption, None),
        ("secret_key", SecretKeyOption, None),
        ("config", ConfigOption, None),
    )
)
"""The options that make a `Target`, in `Target`'s order, as Typer reads them from a signature."""


def with_target_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command`, whose `target: Target` parameter the command line gives as the `_TARGET_OPTIONS`.

    Typer builds a command's options from its signature, so the signature shown to Typer has the target
    options where `target` stood; the commands that send captures declare them once, here.
    """
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command, eval_str=True).parameters.values():
        if parameter.name == "target":
            parameters.extend(_TARGET_OPTIONS)
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def run(**options: Any) -> None:
        command(target=Target(*(options.pop(option.name) for option in _TARGET_OPTIONS)), **options)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined] # read by inspect.signature
    return run


@app.command("capture")
@with_target_options
def capture(
    file: Annotated[
        Path | None,
        typer.Argument(help='JSON file: {"Name": value, ...} or LeadSquared\'s [{"Attribute","Value"}] list.'),
    ] = None,
    pairs: Annotated[list[str] | None, typer.Option("--set", help="Attribute=Value; repeatable.")] = None,
    behavior: BehaviorOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the decision; write nothing.")] = False,
    *,
    target: Target,
) -> None:
    """Capture one lead and print the receipt as JSON; with --dry-run print the decision instead."""
    from leadcapture.client import ApiError, LeadCaptureError

    attributes = _attributes(file, pairs or [])
    with _client(target) as client:
        try:
            answer: object = client.preview(attributes, behavior) if dry_run else client.capture(attributes, behavior)
        except ApiError as exc:
            envelope = {"Status": "Error", "ExceptionType": exc.exception_type, "ExceptionMessage": exc.message}
            typer.echo(msgspec.json.encode(envelope).decode(), err=True)
            raise typer.Exit(1) from exc
        except LeadCaptureError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(msgspec.json.format(msgspec.json.encode(answer)).decode())


@app.command("import")
@with_target_options
def import_file(  # noqa: PLR0913 - one option per setting, as Typer declares them
    file: ImportFileArgument,
    *,
    mapping: MapOption = None,
    behavior: BehaviorOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what the import would do; write nothing.")] = False,
    report: ReportOption = None,
    batch_size: BatchSizeOption = 1000,
    target: Target,
    file_format: FormatOption = None,
    progress: ProgressOption = True,
) -> None:
    """Capture every row of a file in order, with a progress bar and a summary; exit 1 if any row failed."""
    _run_import(
        file,
        mapping=mapping or [],
        behavior=behavior,
        dry_run=dry_run,
        report=report,
        batch_size=batch_size,
        target=target,
        file_format=file_format,
        progress=progress,
    )


@app.command("preview")
@with_target_options
def preview_file(  # noqa: PLR0913 - one option per setting, as Typer declares them
    file: ImportFileArgument,
    *,
    mapping: MapOption = None,
    behavior: BehaviorOption = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Where the per-row report goes (default: FILE.preview.jsonl beside FILE)."),
    ] = None,
    batch_size: BatchSizeOption = 1000,
    target: Target,
    file_format: FormatOption = None,
    progress: ProgressOption = True,
) -> None:
    """What importing a file would do, row by row, writing nothing: `import --dry-run` with the report on."""
    _run_import(
        file,
        mapping=mapping or [],
        behavior=behavior,
        dry_run=True,
        report=report if report is not None else file.with_name(file.stem + ".preview.jsonl"),
        batch_size=batch_size,
        target=target,
        file_format=file_format,
        progress=progress,
    )


@app.command("serve")
def serve(  # noqa: PLR0913, PLR0917 - one option per setting of the server, as Typer declares them
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    rate_limit: Annotated[str, typer.Option("--rate-limit", help="Requests per key, as N/Ws (25/5s).")] = "25/5s",
    site_rate_limit: Annotated[
        str, typer.Option("--site-rate-limit", help="Requests per client IP with a site key, as N/Ws (30/60s).")
    ] = "30/60s",
    bulk_rate_limit: Annotated[
        str, typer.Option("--bulk-rate-limit", help="Bulk calls per key, as N/Ws (5/5s), besides --rate-limit.")
    ] = "5/5s",
    rate_limit_storage: Annotated[
        str,
        typer.Option("--rate-limit-storage", help="memory:// for one process, redis://host:port for several."),
    ] = "memory://",
    config: Annotated[str | None, typer.Option("--config", help="Schema config file (TOML).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    group_commit: Annotated[
        bool,
        typer.Option(help="Commit captures that arrive together in one transaction (one fsync for many)."),
    ] = True,
    baseline_route: Annotated[bool, typer.Option(hidden=True, help="Add POST /bench/baseline (benchmarks).")] = False,
    worker: Annotated[
        bool,
        typer.Option("--worker/--no-worker", help="Apply async captures in this process too (R-Q)."),
    ] = True,
    public_url: Annotated[
        str | None,
        typer.Option("--public-url", help="The address clients reach this server at: https://leads.example.com."),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", exists=True, dir_okay=False, help="Serve HTTPS with this PEM certificate chain."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", exists=True, dir_okay=False, help="The certificate's PEM private key.")
    ] = None,
    log_format: LogFormatOption = LogFormatChoice.TEXT,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve the Prometheus metrics on this port instead of /metrics."),
    ] = None,
    shutdown_timeout: Annotated[
        int,
        typer.Option("--shutdown-timeout", min=0, help="Seconds a stopping server lets requests in flight finish."),
    ] = 25,
) -> None:
    """Serve LeadSquared's Lead.Capture API over HTTP; creates and prints a first key on a new database.

    SIGTERM (or Ctrl-C) stops it gracefully: no new connections, the requests in flight answered and
    committed within --shutdown-timeout seconds, the async worker's current round finished.
    """
    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade
    from leadcapture.config import load_schema
    from leadcapture.entrypoints.authentication import public_host
    from leadcapture.entrypoints.ratelimit import RateLimit
    from leadcapture.entrypoints.serve import ServeSettings, run_server
    from leadcapture.extras import require_extras_for

    limits = (
        ("--rate-limit", rate_limit),
        ("--site-rate-limit", site_rate_limit),
        ("--bulk-rate-limit", bulk_rate_limit),
    )
    for option, limit in limits:
        try:
            RateLimit.parse(limit)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=option) from exc
    # Checked here, in the one process: a server worker process would only log a traceback.
    require_extras_for(database=database, rate_limit_storage=rate_limit_storage)
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key, or neither", param_hint="--tls-cert")
    if public_url is not None:
        try:
            public_host(public_url)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--public-url") from exc
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
        site_rate_limit=site_rate_limit,
        bulk_rate_limit=bulk_rate_limit,
        rate_limit_storage=rate_limit_storage,
        config=config,
        group_commit=group_commit,
        baseline_route=baseline_route,
        worker=worker,
        public_url=public_url,
        log_format=log_format.value,
        metrics_route=metrics_port is None,
        metrics_port=metrics_port,
        metrics_host=host,
        shutdown_seconds=shutdown_timeout,
    )
    tls = (str(tls_cert), str(tls_key)) if tls_cert is not None and tls_key is not None else None
    run_server(settings, host=host, port=port, workers=workers, tls=tls)


@app.command("worker")
def worker_command(  # noqa: PLR0913, PLR0917 - one option per setting of the worker, as Typer declares them
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
    log_format: LogFormatOption = LogFormatChoice.TEXT,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve the worker's Prometheus metrics on this port."),
    ] = None,
    metrics_host: Annotated[str, typer.Option("--metrics-host", help="Address the metrics port listens on.")] = (
        "127.0.0.1"
    ),
) -> None:
    """Apply the async capture inbox (POST /lead/capture) until stopped with Ctrl-C or SIGTERM.

    On SIGTERM the worker finishes the round it is in (one transaction) and exits.
    """
    import signal
    import threading

    from leadcapture.adapters import open_store
    from leadcapture.adapters.inbox import SQLInbox
    from leadcapture.adapters.sqlite import SQLiteLeadStore
    from leadcapture.config import load_schema
    from leadcapture.core.schema import DEFAULT_SCHEMA
    from leadcapture.entrypoints.logs import configure_logging
    from leadcapture.entrypoints.worker import CaptureWorker, parse_delays, parse_duration, run_workers
    from leadcapture.service import Engine

    try:
        delays, keep = parse_delays(retry_delays), parse_duration(keep_finished)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    schema = DEFAULT_SCHEMA
    if config is not None:
        schema = load_schema(config).alt(lambda problem: _bad_config(problem.message)).unwrap()
    configure_logging(log_format.value)
    store = open_store(database)
    engine = Engine(store=store, schema=schema)
    inbox = SQLInbox(store)
    metrics, stop_metrics = None, None
    if metrics_port is not None:  # counted only when someone can read them
        from leadcapture.entrypoints.metrics import ServerMetrics, serve_metrics

        metrics = ServerMetrics(inbox=inbox, now=engine.now)
        metrics.watch_connections(store)
        stop_metrics = serve_metrics(metrics.scraped, metrics_host, metrics_port)
    capture_worker = CaptureWorker(engine, inbox, retry_delays=delays, keep_finished=keep, metrics=metrics)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    database_path = store.path if isinstance(store, SQLiteLeadStore) else None
    typer.echo(f"worker on {database}", err=True)
    run_workers(capture_worker, concurrency=concurrency, stop=stop, database_path=database_path)
    if stop_metrics is not None:
        stop_metrics()
    store.close()


def _bad_config(message: str) -> None:
    raise typer.BadParameter(message, param_hint="--config")


def _create_key(database: str, name: str) -> IssuedKey:
    from leadcapture.keys import issue_key

    stored, issued = issue_key(name, now=datetime.now(UTC))
    _store_key(database, stored)
    return issued


def _store_key(database: str, key: ApiKey) -> None:
    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.adapters.migrate import upgrade

    upgrade(database)
    store = SQLKeyStore(database)
    store.add_key(key)
    store.close()


def _attributes(file: Path | None, pairs: list[str]) -> dict[str, Any] | list[Any]:
    """The capture's attributes: the JSON file's, then each `--set Attribute=Value` pair."""
    loaded: Any = {}
    if file is not None:
        try:
            loaded = msgspec.json.decode(file.read_bytes())
        except (OSError, msgspec.DecodeError) as exc:
            raise typer.BadParameter(f"{file}: {exc}", param_hint="FILE") from exc
    sets = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"expected Attribute=Value, not {pair!r}", param_hint="--set")
        sets[name.strip()] = value
    if isinstance(loaded, list):
        return [*loaded, *({"Attribute": name, "Value": value} for name, value in sets.items())]
    if not isinstance(loaded, dict):
        raise typer.BadParameter("the JSON file must hold an object or a list", param_hint="FILE")
    return {**loaded, **sets}


@contextmanager
def _client(target: Target) -> Iterator[LeadCaptureClient]:
    """A client through HTTP when the target has a URL, else in-process over its database."""
    from leadcapture.client import LeadCaptureClient
    from leadcapture.transports import HTTPTransport, LocalTransport

    if target.url is not None:
        if not target.access_key or not target.secret_key:
            raise typer.BadParameter("--url needs --access-key and --secret-key", param_hint="--url")
        with LeadCaptureClient(HTTPTransport(target.url, target.access_key, target.secret_key)) as client:
            yield client
        return
    with _engine(target.database, target.config) as engine, LeadCaptureClient(LocalTransport(engine)) as client:
        yield client


@contextmanager
def _engine(database: str, config: str | None, *, memory_map_bytes: int | None = None) -> Iterator[Engine]:
    """An engine over the database, with the schema of `config` if given; the store is closed at the end."""
    from leadcapture.adapters import open_store
    from leadcapture.config import load_schema
    from leadcapture.core.schema import DEFAULT_SCHEMA
    from leadcapture.service import Engine

    schema = DEFAULT_SCHEMA
    if config is not None:
        loaded = load_schema(config)
        if isinstance(loaded, Failure):
            _bad_config(loaded.failure().message)
        schema = loaded.unwrap()
    store = open_store(database, memory_map_bytes=memory_map_bytes)
    try:
        yield Engine(store=store, schema=schema)
    finally:
        store.close()


@contextmanager
def _applier(target: Target, behavior: str | None, *, dry_run: bool) -> Iterator[RowApplier]:
    from leadcapture.entrypoints.importer import ClientApplier, DatabaseApplier

    if target.url is not None:
        with _client(target) as client:
            yield ClientApplier(client, behavior=behavior, dry_run=dry_run)
        return
    # An import reads the whole database file over its run; through a memory map those pages would count in
    # the process's resident memory, so it reads through SQLite's bounded page cache instead (adr/0034).
    with _engine(target.database, target.config, memory_map_bytes=IMPORT_MEMORY_MAP_BYTES) as engine:
        yield DatabaseApplier(engine, behavior=behavior, dry_run=dry_run)


def _run_import(  # noqa: PLR0913 - the import command's settings, passed on by name
    file: Path,
    *,
    mapping: list[str],
    behavior: str | None,
    dry_run: bool,
    report: Path | None,
    batch_size: int,
    target: Target,
    file_format: str | None,
    progress: bool,
) -> None:
    """Import (or preview) `file`, showing progress on stderr and the summary on stdout."""
    from leadcapture.entrypoints.importer import RowReader, parse_mapping, run_import

    try:
        reader = RowReader(file, file_format=file_format, mapping=parse_mapping(mapping))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    started = time.monotonic()
    bar: AbstractContextManager[object] = nullcontext()
    advance = None
    if progress:
        bar, advance = _progress_bar(reader, "Previewing" if dry_run else "Importing", started)
    with (
        _fewer_collections(),
        _applier(target, behavior, dry_run=dry_run) as applier,
        report.open("wb") if report is not None else nullcontext() as out,
        bar,
    ):
        try:
            summary = run_import(reader, applier, batch_size=batch_size, report=out, on_batch=advance)
        except (UnicodeDecodeError, csv.Error) as exc:
            typer.echo(f"{file}: cannot read it as {reader.file_format} in UTF-8: {exc}", err=True)
            raise typer.Exit(1) from exc
    _print_summary(summary, dry_run=dry_run, report=report, seconds=time.monotonic() - started)
    if summary.failed:
        raise typer.Exit(1)


def _progress_bar(
    reader: RowReader,
    description: str,
    started: float,
) -> tuple[AbstractContextManager[object], Callable[[list[RowReport]], None]]:
    """A progress bar on stderr over the file's characters, and what advances it after each batch."""
    # Imported here: without a bar (`--no-progress`) the command does not load rich's progress machinery.
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = bar.add_task(description, total=reader.total_size or 1, rows=0, rate=0.0)
    done = [0]

    def advance(lines: list[RowReport]) -> None:
        done[0] += len(lines)
        rate = done[0] / max(time.monotonic() - started, 1e-9)
        bar.update(task, completed=reader.position, rows=done[0], rate=rate)

    return bar, advance


IMPORT_GC_THRESHOLD: Final = 10_000
"""Allocations between young-generation collections during an import (CPython's default is 700)."""


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while rows are imported, as it was before afterwards.

    An import allocates thousands of objects per batch, and a dry run also keeps an image of every lead it
    would make (adr/0058): at the default threshold the collector runs every few rows and keeps walking
    the survivors, about a tenth of a 100,000-row dry run. The rows make almost no reference cycles (their
    memory goes back as soon as the batch is done), so collecting less often holds little more memory.
    """
    before = gc.get_threshold()
    gc.set_threshold(IMPORT_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


_DATA_QUALITY_NAMES: Final = {
    "R-J1": "blocked identifier",
    "R-J2": "canonical Gmail address",
    "R-P1": "field update policy",
}


def _print_summary(summary: ImportSummary, *, dry_run: bool, report: Path | None, seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    verb = "would be" if dry_run else "were"
    outcomes = Table("Outcome", "Rows", title=f"{summary.rows:,} rows ({'dry run' if dry_run else 'imported'})")
    for outcome, count in sorted(summary.by_outcome.items()):
        outcomes.add_row(outcome, f"{count:,}")
    rules = Table("Rule", "Rows", title="By deciding rule")
    for rule, count in sorted(summary.by_rule.items()):
        rules.add_row(rule, f"{count:,}")
    console.print(outcomes)
    if summary.by_rule:
        console.print(rules)
    if summary.by_data_quality:
        # What a schema config's data-quality rules did to this file: preview it before turning them on.
        quality = Table("Rule", "Rows", title="Rows changed by data-quality rules")
        for rule, count in sorted(summary.by_data_quality.items()):
            quality.add_row(f"{rule} {_DATA_QUALITY_NAMES[rule]}", f"{count:,}")
        console.print(quality)
    console.print(f"Failed rows: {summary.failed:,} ({verb} refused)")
    console.print(f"Time: {seconds:.1f} s, {summary.rows / max(seconds, 1e-9):,.0f} rows/s")
    if report is not None:
        console.print(f"Report: {report}")


def main() -> None:
    """Run the command line; a feature whose extra is not installed is one line on stderr, not a traceback."""
    from leadcapture.extras import MissingExtraError, missing_extra

    try:
        app()
    except MissingExtraError as exc:
        typer.echo(f"leadcapture: {exc}", err=True)
        raise SystemExit(1) from None
    except ModuleNotFoundError as exc:
        missing = missing_extra(exc)
        if missing is None:
            raise
        typer.echo(f"leadcapture: {missing}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
