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
    # "--" covers Punycode ("xn--") and the library's ban on a label with dashes in its 3rd and 4th places.
    return len(local) <= _MAX_LOCAL and "--" not in folded and folded.rpartition(".")[2] not in _SPECIAL_USE_TLDS


def email_by_library(value: str) -> str | None:
    """The library's verdict on an address (syntax only, no DNS); the stored form is the trimmed input."""
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return value


_PHONE_WRITTEN = re.compile(r"(\+?)([0-9]+(?:[ -][0-9]+)*)")
"""ASCII digits in groups split by single spaces or dashes, optionally after a plus: `+91 98765 43210`."""
_PHONE_BRACKETED = re.compile(
    r"\(\+([0-9]{1,3})\) ?([0-9]+(?:[ -][0-9]+)*)"  # (+91) 98765 43210
    r"|\+([0-9]{1,3}) ?\(0\) ?([0-9]+(?:[ -][0-9]+)*)",  # +91 (0) 98765 43210
)
"""The country code in brackets, `(+91) 98765 43210`, or a bracketed trunk zero after it, `+91 (0) 98765 43210`."""
_LITERAL_PREFIX = re.compile(r"[0-9]+")


class _PhoneFastPath:
    """National numbers of the default country written in the common, unambiguous shapes.

    The number must fit the country's general pattern and lengths and must not start with its national
    (or international) dialling prefix. It may be written in groups split by single spaces or dashes,
    after `+CC` or the bare country code, or after a literal national prefix (`0` in India): the library
    drops such separators and prefixes and reads the rest as the national number, as this does.
    """

    __slots__ = ("cc_text", "country_code", "idd", "lengths", "national_prefix", "pattern", "plus", "prefix")

    def __init__(self, country_code: int) -> None:
        region = phonenumbers.region_code_for_country_code(country_code)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region != "ZZ" else None
        self.country_code = country_code
        self.cc_text = str(country_code)
        self.pattern: re.Pattern[str] | None = None
        self.lengths: frozenset[int] = frozenset()
        self.prefix: re.Pattern[str] | None = None
        self.idd: re.Pattern[str] | None = None
        self.national_prefix = ""
        self.plus = False
        if metadata is None or metadata.general_desc is None:
            return
        general = metadata.general_desc
        self.pattern = re.compile(str(general.national_number_pattern))
        local_only = frozenset(general.possible_length_local_only or ())
        self.lengths = frozenset(general.possible_length or ()) - local_only
        prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
        self.prefix = re.compile(str(prefix)) if prefix else None
        if metadata.international_prefix:
            self.idd = re.compile(str(metadata.international_prefix))
        if prefix and _LITERAL_PREFIX.fullmatch(prefix) and not metadata.national_prefix_transform_rule:
            self.national_prefix = str(prefix)
        # After a plus the library takes the shortest known country code the digits start with.
        codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
        text = self.cc_text
        self.plus = country_code in codes and not any(int(text[:i]) in codes for i in range(1, len(text)))

    def national(self, digits: str) -> str | None:
        """The stored form when `digits` is a plain national number the library keeps as it is."""
        if (
            self.pattern is None
            or len(digits) not in self.lengths
            or (self.prefix is not None and self.prefix.match(digits))
            or not self.pattern.fullmatch(digits)
        ):
            return None
        return f"+{self.country_code}-{digits}"

    def normalize(self, value: str) -> str | None:
        """The stored form, or `None` when the library must decide (it may still accept the value)."""
        if value.isdigit() and value.isascii():
            plus, digits = False, value
        else:
            written = _PHONE_WRITTEN.fullmatch(value)
            if written is not None:
                plus, digits = bool(written[1]), written[2].replace(" ", "").replace("-", "")
            else:
                # The library drops the brackets and reads the digits after the plus as it reads `+91 ...`.
                bracketed = _PHONE_BRACKETED.fullmatch(value)
                if bracketed is None:
                    return None
                code, trunk = (bracketed[1], "") if bracketed[1] else (bracketed[3], "0")
                rest = bracketed[2] or bracketed[4]
                plus, digits = True, code + trunk + rest.replace(" ", "").replace("-", "")
        if plus:
            if not (self.plus and digits.startswith(self.cc_text)):
                return None
            # After the country code the library also drops a national prefix when what follows then fits.
            national = digits[len(self.cc_text) :]
            stored = self.national(national)
            if stored is None and self.national_prefix and national.startswith(self.national_prefix):
                stored = self.national(national[len(self.national_prefix) :])
            return stored
        if self.pattern is None or (self.idd is not None and self.idd.match(digits)):
            return None
        # A number that fits as written is kept whole; otherwise the library first tries the country code
        # without its plus, then the national prefix, and keeps the rest when that fits.
        stored = self.national(digits)
        if stored is None and digits.startswith(self.cc_text):
            stored = None if self.pattern.fullmatch(digits) else self.national(digits[len(self.cc_text) :])
        elif stored is None and self.national_prefix and digits.startswith(self.national_prefix):
            stored = self.national(digits[len(self.national_prefix) :])
        return stored


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
