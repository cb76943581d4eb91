"""`parse_database_url` reads plain SQLite URLs without SQLAlchemy, exactly as SQLAlchemy's `make_url` does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from leadcapture.adapters import parse_database_url

_PATHS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


def _by_sqlalchemy(url: str) -> tuple[str, str | None]:
    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database


@given(path=_PATHS)
def test_a_sqlite_url_names_the_database_make_url_names(path: str) -> None:
    """Relative and absolute paths, spaces, non-ASCII and URL marks alike."""
    url = f"sqlite:///{path}"
    assert parse_database_url(url) == _by_sqlalchemy(url)


def test_the_usual_urls_read_as_make_url_reads_them() -> None:
    """The forms the README and the CLI name, and a PostgreSQL URL, which SQLAlchemy reads."""
    for url in (
        "sqlite:///./leadcapture.db",
        "sqlite:////var/lib/leadcapture/leads.db",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite:///leads.db?mode=ro",
        "postgresql://leadcapture@127.0.0.1:5432/leads",
    ):
        assert parse_database_url(url) == _by_sqlalchemy(url), url
