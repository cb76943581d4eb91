"""Checking and normalising one submitted value against its field (R-V4, R-N).

Emails and phones need parsing libraries that the pure core may not import, so they come in through the
`ContactNormalizer` protocol; `leadcapture.normalize.STANDARD_NORMALIZER` is the library-backed one with a
precompiled fast path. Everything else here is the standard library.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Final, Protocol

import msgspec

from leadcapture.core.names import DataType
from leadcapture.core.records import AttributeValue
from leadcapture.core.schema import FieldSpec


class ContactNormalizer(Protocol):
    """Parses emails and phones into their stored forms (R-N1, R-N2); `None` means not valid."""

    def email(self, value: str) -> str | None:
        """The stored form of a trimmed email address, or `None` if its syntax is invalid."""
        ...

    def phone(self, value: str, default_country_code: int) -> str | None:
        """The `+CC-NATIONAL` form of a trimmed phone number, or `None` if it cannot be a phone number."""
        ...


def match_key(data_type: DataType, stored: str) -> str:
    """The form two values are compared in: emails case-insensitively, phones on E.164 (R-N1, R-N2)."""
    if data_type is DataType.EMAIL:
        return stored.lower()
    if data_type is DataType.PHONE:
        return stored.replace("-", "")
    return stored


_MAX_NUMBER_DIGITS: Final = 18
_NUMBER_LIMIT: Final = 10**_MAX_NUMBER_DIGITS
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WEBSITE = re.compile(
    r"(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?::\d{1,5})?(?:[/?#]\S*)?",
)
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_TIME_FORMATS: Final = ("%H:%M:%S", "%H:%M")
_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})


class Invalid(msgspec.Struct, frozen=True, gc=False):
    """Why a value is not valid for its field."""

    reason: str


Checked = str | Invalid
"""A stored value, or why the value is invalid. A plain union, not a `Result`: this runs once per attribute
of every capture, and the `Result` is made once per request, at the boundary (`validate_request`)."""


def as_text(value: AttributeValue) -> str:
    """A submitted value as text, trimmed (R-N3); null is the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip()
    return str(value)


def normalize_value(
    spec: FieldSpec,
    value: AttributeValue,
    *,
    contacts: ContactNormalizer,
    default_country_code: int,
) -> Checked:
    """Check `value` against `spec` and return its stored form; empty values are `""` and always valid."""
    text = value.strip() if isinstance(value, str) else as_text(value)
    if not text:
        return ""
    if "\x00" in text:
        return Invalid(reason="contains a NUL character")
    if not text.isascii() and not _encodable(text):
        return Invalid(reason="not valid UTF-8")
    if (type(value) is int and abs(value) >= _NUMBER_LIMIT) or (type(value) is float and not math.isfinite(value)):
        return Invalid(reason="number out of range")
    checked = text if spec.data_type is DataType.TEXT else _by_type(spec, value, text, contacts, default_country_code)
    max_length = spec.max_length
    if max_length is not None and isinstance(checked, str) and len(checked) > max_length:
        return Invalid(reason=f"longer than {max_length} characters")
    return checked


def _encodable(text: str) -> bool:
    """Whether `text` has a UTF-8 form (a Python str may hold lone surrogates, which JSON bodies cannot)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _by_type(  # noqa: C901, PLR0911 - one arm per data type reads best as a flat dispatch
    spec: FieldSpec,
    value: AttributeValue,
    text: str,
    contacts: ContactNormalizer,
    default_country_code: int,
) -> Checked:
    data_type = spec.data_type
    if data_type is DataType.TEXT:
        return text
    if data_type is DataType.EMAIL:
        email = contacts.email(text) if isinstance(value, str) else None
        return Invalid(reason="not a valid email address") if email is None else email
    if data_type is DataType.PHONE:
        phone = None if isinstance(value, (bool, float)) else contacts.phone(text, default_country_code)
        return Invalid(reason="not a valid phone number") if phone is None else phone
    if data_type is DataType.NUMBER:
        return _number(value, text)
    if data_type is DataType.BOOLEAN:
        folded = text.lower()
        if folded in _TRUE:
            return "1"
        return "0" if folded in _FALSE else Invalid(reason="not a boolean (true/false)")
    if data_type is DataType.SELECT:
        folded = text.casefold()
        for option in spec.options:
            if option.casefold() == folded:
                return option
        return Invalid(reason="not one of the options: " + ", ".join(spec.options))
    if data_type is DataType.WEBSITE:
        return text if _WEBSITE.fullmatch(text) else Invalid(reason="not a valid website address")
    formats = _DATE_FORMATS if data_type is DataType.DATE else _TIME_FORMATS
    return _timestamp(text, formats, data_type)


def _number(value: AttributeValue, text: str) -> Checked:
    if isinstance(value, bool) or not _NUMBER_TEXT.fullmatch(text):
        return Invalid(reason="not a number")
    digits = sum(ch.isdigit() for ch in text.partition("e")[0].partition("E")[0])
    number = float(text)
    if digits > _MAX_NUMBER_DIGITS or not math.isfinite(number) or abs(number) >= 10.0**_MAX_NUMBER_DIGITS:
        return Invalid(reason="number out of range")
    return text


def _timestamp(text: str, formats: tuple[str, ...], data_type: DataType) -> Checked:
    for fmt in formats:
        try:
            datetime.strptime(text, fmt)  # noqa: DTZ007 - parsed for its shape only, never used as a time
        except ValueError:
            continue
        return text
    shapes = " or ".join(
        f.replace("%Y", "YYYY")
        .replace("%m", "MM")
        .replace("%d", "DD")
        .replace("%H", "HH")
        .replace("%M", "MM")
        .replace("%S", "SS")
        for f in formats
    )
    return Invalid(reason=f"not a valid {data_type.value.lower()} ({shapes})")
