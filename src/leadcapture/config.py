"""Reading the schema config file: the one place the schema touches the file system."""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Result

from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.schema import Schema, schema_from_toml


def load_schema(path: str | Path) -> Result[Schema, Problem]:
    """Read a TOML schema config file; a missing file or a typo is a Problem naming it."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        return Failure(invalid_input(f"Cannot read schema config {path}: {exc.strerror}", rule="config"))
    return schema_from_toml(text)
