"""Errors as values: what went wrong with a capture, in LeadSquared's terms.

A `Problem` is never raised. It travels in a `returns` `Failure`, and the HTTP layer turns it into the
error envelope `{"Status":"Error","ExceptionType":...,"ExceptionMessage":...}` (R-H2).
"""

from __future__ import annotations

from typing import Final

import msgspec

from leadcapture.core.names import ExceptionType


class FieldError(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One field's value failed its check (R-V4, R-V5)."""

    field: str
    reason: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A capture that cannot go ahead, with the HTTP status and envelope it answers."""

    exception_type: ExceptionType
    message: str
    status: int
    rule: str
    field_errors: tuple[FieldError, ...] = ()


def invalid_input(message: str, *, rule: str, field_errors: tuple[FieldError, ...] = ()) -> Problem:
    """A 400 `MXInvalidInputException` (R-V1, R-V3..R-V6, R-A3)."""
    return Problem(
        exception_type=ExceptionType.INVALID_INPUT,
        message=message,
        status=400,
        rule=rule,
        field_errors=field_errors,
    )


UNKNOWN_ATTRIBUTES_LISTED: Final = 50
"""An answer names at most this many unknown attributes, then counts the rest (adr/0031)."""


def unknown_attributes(names: list[str]) -> Problem:
    """A 400 `MXUnknownAttributeException` naming the unknown attributes (R-V2), each once, the first 50 in full."""
    distinct = list(dict.fromkeys(names))
    listed = ",".join(_printable(name) for name in distinct[:UNKNOWN_ATTRIBUTES_LISTED])
    rest = len(distinct) - UNKNOWN_ATTRIBUTES_LISTED
    return Problem(
        exception_type=ExceptionType.UNKNOWN_ATTRIBUTE,
        message=f"Attribute(s) does not exist - {listed}" + (f" and {rest} more" if rest > 0 else ""),
        status=400,
        rule="R-V2",
    )


def _printable(text: str) -> str:
    """`text` as it can be sent in a JSON answer: lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode()


def mandatory_missing(names: list[str]) -> Problem:
    """A 400 `MXMandatoryAttributeMissingException` (R-V7)."""
    return Problem(
        exception_type=ExceptionType.MANDATORY_MISSING,
        message="Mandatory attribute(s) missing - " + ",".join(names),
        status=400,
        rule="R-V7",
    )


_DUPLICATE_NOUNS = {"EmailAddress": "Email", "Phone": "Phone Number"}


def duplicate_entry(schema_name: str, display_name: str) -> Problem:
    """A 409 `MXDuplicateEntryException` for a unique value another lead holds (R-U2)."""
    noun = _DUPLICATE_NOUNS.get(schema_name, display_name)
    return Problem(
        exception_type=ExceptionType.DUPLICATE_ENTRY,
        message=f"A Lead with same {noun} already exists.",
        status=409,
        rule="R-U2",
    )
