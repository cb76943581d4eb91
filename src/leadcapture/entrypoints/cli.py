"""The `leadcapture` command line."""

from __future__ import annotations

from typing import Annotated

import typer

from leadcapture.adapters import DEFAULT_DATABASE_URL

app = typer.Typer(
    name="leadcapture",
    help="Capture sales leads: create-or-update with duplicate matching, LeadSquared-compatible.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DatabaseOption = Annotated[
    str,
    typer.Option("--database", "-d", help="Database URL: sqlite:///path.db or postgresql://user@host:port/db."),
]


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


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
