"""Email and phone normalisation backed by email-validator and phonenumbers, with precompiled fast paths.

The libraries are thorough but slow on a capture's hot path (tens of microseconds per value), so each has a
strict precompiled check in front that accepts only the common, unambiguous shapes and gives the same
answer the library would; anything unusual falls through to the library. Property tests hold the fast paths
to the libraries' answers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import email_validator
import phonenumbers

from leadcapture.core.values import ContactNormalizer

_EMAIL_FAST = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
)
_SPECIAL_USE_TLDS: Final = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_MAX_LOCAL: Final = 64
_MAX_ADDRESS: Final = 254


def email_fast_path(value: str) -> bool:
    """Whether `value` is a plain ASCII address the library is certain to accept."""
    if len(value) > _MAX_ADDRESS or not _EMAIL_FAST.fullmatch(value):
        return False
    local, _, domain = value.rpartition("@")
    folded = domain.lower()
    return len(local) <= _MAX_LOCAL and "xn--" not in folded and folded.rpartition(".")[2] not in _SPECIAL_USE_TLDS


def email_by_library(value: str) -> str | None:
    """The library's verdict on an address (syntax only, no DNS); the stored form is the trimmed input."""
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return value


class _PhoneFastPath:
    """Digits-only national numbers of the default country that parse unambiguously."""

    __slots__ = ("country_code", "lengths", "pattern", "prefix")

    def __init__(self, country_code: int) -> None:
        region = phonenumbers.region_code_for_country_code(country_code)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region != "ZZ" else None
        self.country_code = country_code
        if metadata is None or metadata.general_desc is None:
            self.pattern: re.Pattern[str] | None = None
            self.lengths: frozenset[int] = frozenset()
            self.prefix: re.Pattern[str] | None = None
            return
        self.pattern = re.compile(str(metadata.general_desc.national_number_pattern))
        self.lengths = frozenset(metadata.general_desc.possible_length or ())
        prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
        self.prefix = re.compile(str(prefix)) if prefix else None

    def normalize(self, value: str) -> str | None:
        if (
            self.pattern is None
            or not value.isdigit()
            or not value.isascii()
            or len(value) not in self.lengths
            or (self.prefix is not None and self.prefix.match(value))
            or not self.pattern.fullmatch(value)
        ):
            return None
        return f"+{self.country_code}-{value}"


@lru_cache(maxsize=32)
def _phone_fast_path(country_code: int) -> _PhoneFastPath:
    return _PhoneFastPath(country_code)


def phone_by_library(value: str, default_country_code: int) -> str | None:
    """Parse with phonenumbers; a number that is not possible for its country is invalid."""
    region = phonenumbers.region_code_for_country_code(default_country_code)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return f"+{number.country_code}-{phonenumbers.national_significant_number(number)}"


class StandardNormalizer:
    """The `ContactNormalizer` leadcapture uses: fast paths first, then the libraries."""

    def email(self, value: str) -> str | None:
        """The stored form of an email address (trimmed as given, R-N1), or `None` if invalid."""
        if email_fast_path(value):
            return value
        return email_by_library(value)

    def phone(self, value: str, default_country_code: int) -> str | None:
        """The `+CC-NATIONAL` form of a phone number (R-N2), or `None` if it cannot be one."""
        fast = _phone_fast_path(default_country_code).normalize(value)
        if fast is not None:
            return fast
        return phone_by_library(value, default_country_code)


STANDARD_NORMALIZER: Final[ContactNormalizer] = StandardNormalizer()
"""The shared, stateless normaliser."""
