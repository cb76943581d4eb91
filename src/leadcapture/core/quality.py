"""Data quality of identifiers: blocked junk values (R-J1) and canonical Gmail addresses (R-J2).

Forms are full of identifiers nobody owns: `test@test.com`, `noemail@...`, `9999999999`. Matched as
LeadSquared matches them, every such submission lands on one lead, merging unrelated people. A blocked
value is stored as given (though it never replaces a stored identifier) but never searched for and never
held unique, so the capture goes on as if the identifier were absent. Canonical email matching treats the
spellings of one Gmail mailbox as one address.

Both are off unless the schema config turns them on: with no config, leadcapture matches as LeadSquared.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Iterable
from typing import Final

import msgspec

from leadcapture.core.names import DataType, EmailMatch

GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})
"""The domains of one mailbox service, where dots and `+tag` in the local part reach the same mailbox."""

_PHONE_TEXT = re.compile(r"[\d\s().+-]+")


def canonical_email(address: str) -> str:
    """The form a Gmail mailbox is compared in (R-J2): lower case, local part without dots or `+tag`.

    googlemail.com is gmail.com: both domains deliver to one mailbox. Any other domain keeps its address
    (lower case), since only the mail provider knows what its local parts mean.

    >>> canonical_email("John.Doe+news@GoogleMail.com")
    'johndoe@gmail.com'
    >>> canonical_email("john.doe+news@example.com")
    'john.doe+news@example.com'
    """
    folded = address.lower()
    local, at, domain = folded.rpartition("@")
    if not at or domain not in GMAIL_DOMAINS:
        return folded
    mailbox = local.partition("+")[0].replace(".", "")
    # An address that is all dots and tag has no mailbox to compare: it keeps its own spelling.
    return f"{mailbox}@gmail.com" if mailbox else folded


def identifier_key(data_type: DataType, stored: str, email_match: EmailMatch) -> str:
    """The key an identifier is matched and held unique on: `match_key`, or R-J2's canonical email."""
    if data_type is DataType.EMAIL:
        return canonical_email(stored) if email_match is EmailMatch.CANONICAL else stored.lower()
    if data_type is DataType.PHONE:
        return stored.replace("-", "")
    return stored


class BlockedPreset(enum.StrEnum):
    """Named lists of junk identifiers a config can turn on with `preset = "..."` (R-J1)."""

    NONE = "none"
    """Nothing is blocked: LeadSquared's behaviour, and the default."""
    COMMON = "common"
    """The junk most often typed into forms; see `COMMON_BLOCKED_VALUES` and `COMMON_BLOCKED_PATTERNS`."""


COMMON_BLOCKED_VALUES: Final = (
    "test@test.com",
    "na@na.com",
    "test@example.com",
    "no@email.com",
    "email@email.com",
    "abc@abc.com",
    "asdf@asdf.com",
    "1234567890",
)
"""The `common` preset's values, compared case-insensitively; a phone value is compared on its digits."""

COMMON_BLOCKED_PATTERNS: Final = ("noemail@*", "no-email@*", "nomail@*", "none@*")
"""The `common` preset's patterns (shell-style: `*` any text, `?` one character), case-insensitive."""


class BlockedIdentifiers(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Values and patterns that are junk as identifiers (R-J1). Empty blocks nothing.

    `values` and `patterns` are kept case-folded; a value written like a phone number (digits, spaces,
    `+-().`) is kept as its digits and blocks phones whose national or international digits it equals.
    """

    values: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()
    repeated_digit_phones: bool = False
    """Whether phones whose national digits are all one digit (`9999999999`) are blocked."""

    @property
    def active(self) -> bool:
        """Whether anything is blocked at all; when not, no identifier is ever checked."""
        return bool(self.values or self.patterns or self.repeated_digit_phones)


def blocked_identifiers(
    *,
    preset: BlockedPreset = BlockedPreset.NONE,
    values: Iterable[str] = (),
    patterns: Iterable[str] = (),
) -> BlockedIdentifiers:
    """The blocked identifiers of a preset plus a config's own values and patterns.

    >>> rules = blocked_identifiers(preset=BlockedPreset.COMMON, values=["info@acme.example"])
    >>> blocked_because(rules, DataType.EMAIL, "NoEmail@acme.example")
    'pattern noemail@*'
    >>> blocked_because(rules, DataType.PHONE, "+91-7777777777")
    'phone number of one repeated digit'
    """
    common = preset is BlockedPreset.COMMON
    all_values = (*COMMON_BLOCKED_VALUES, *values) if common else tuple(values)
    all_patterns = (*COMMON_BLOCKED_PATTERNS, *patterns) if common else tuple(patterns)
    return BlockedIdentifiers(
        values=frozenset(_value_form(value) for value in all_values if value.strip()),
        patterns=tuple(dict.fromkeys(pattern.strip().casefold() for pattern in all_patterns)),
        repeated_digit_phones=common,
    )


def _value_form(value: str) -> str:
    text = value.strip()
    if _PHONE_TEXT.fullmatch(text) and any(ch.isdigit() for ch in text):
        return "".join(ch for ch in text if ch.isdigit())
    return text.casefold()


def blocked_because(blocked: BlockedIdentifiers, data_type: DataType, stored: str) -> str | None:
    """What blocks a stored identifier value (`value ...`, `pattern ...`, ...), or `None` if nothing does."""
    if data_type is DataType.PHONE:
        # Stored phones are `+CC-NATIONAL` (R-N2): compared on the national digits and on all the digits.
        national = stored.rpartition("-")[2]
        if blocked.repeated_digit_phones and national and national.count(national[0]) == len(national):
            return "phone number of one repeated digit"
        forms: tuple[str, ...] = (national, stored.replace("-", "").lstrip("+"))
    else:
        forms = (stored.casefold(),)
    for form in forms:
        if form in blocked.values:
            return f"value {form}"
    for pattern in blocked.patterns:
        for form in forms:
            if fnmatch.fnmatchcase(form, pattern):
                return f"pattern {pattern}"
    return None


def blocked_note(field: str, value: str, because: str) -> str:
    """The explanation's note for a blocked identifier (R-J1)."""
    return f"{field} {value} is a blocked identifier ({because}): stored, never matched nor held unique (R-J1)"
