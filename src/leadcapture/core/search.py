"""Finding leads by text (Leads.GetByQuickSearch, R-L5) and by modification time (Leads.RecentlyModified, R-L6).

These are the rules every store follows, as pure functions: the in-memory store applies them directly and
the SQL stores translate them to SQL; property tests hold the stores to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final

import msgspec

from leadcapture.core.names import EMAIL, MOBILE, PHONE

QUICK_SEARCH_TEXT_FIELDS: Final = ("FirstName", "LastName", EMAIL, PHONE, MOBILE, "Company")
"""The fields whose text a quick search looks in."""
QUICK_SEARCH_PHONE_FIELDS: Final = (PHONE, MOBILE)
"""The fields whose digits a quick search made of digits also looks in."""
QUICK_SEARCH_LIMIT: Final = 100
"""At most this many leads answer a quick search, the most recently modified first."""
LEADS_BY_IDS_LIMIT: Final = 10_000
"""The most ids one Leads/Retrieve/ByIds may ask for."""

_PHONE_PUNCTUATION: Final = re.compile(r"[\s+\-().]")
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class QuickSearch(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A quick search as every store runs it: the text in lower case, and its digits when it is a number."""

    text: str
    """The text, its ASCII letters in lower case; a field matches when it contains it (ASCII case ignored)."""
    digits: str | None
    """The text without phone punctuation when what is left is digits; a phone field matches when its digits do."""


def ascii_lower(text: str) -> str:
    """`text` with its ASCII letters in lower case: what SQLite's `lower` does, and what every store compares."""
    return text.translate(_ASCII_LOWER)


def phone_digits(stored: str) -> str:
    """The digits of a stored phone value (`+91-9000000007` gives `919000000007`)."""
    return stored.replace("+", "").replace("-", "")


def quick_search(key: str) -> QuickSearch | None:
    """The search for `key`, or None when it has nothing to look for (blank: the answer is `[]`)."""
    text = key.strip()
    if not text:
        return None
    digits = _PHONE_PUNCTUATION.sub("", text)
    return QuickSearch(text=ascii_lower(text), digits=digits if digits.isdecimal() and digits.isascii() else None)


def quick_search_matches(search: QuickSearch, fields: Mapping[str, str]) -> bool:
    """Whether a lead with `fields` answers `search` (R-L5)."""
    for name in QUICK_SEARCH_TEXT_FIELDS:
        value = fields.get(name)
        if value and search.text in ascii_lower(value):
            return True
    if search.digits is None:
        return False
    return any(search.digits in phone_digits(fields.get(name) or "") for name in QUICK_SEARCH_PHONE_FIELDS)


class ModifiedWindow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A page of the leads modified from `start` until before `end`, oldest change first, ties by id (R-L6)."""

    start: datetime
    end: datetime
    """Excluded: a `ToDate` of `10:00:00` is an `end` of `10:00:01`, so that the whole second is in."""
    offset: int
    """Leads to skip: (PageIndex - 1) * PageSize."""
    limit: int
    """PageSize."""


def modified_within(window: ModifiedWindow, modified_on: datetime) -> bool:
    """Whether a lead modified at `modified_on` is in the window's time range."""
    return window.start <= modified_on < window.end
