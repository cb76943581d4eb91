"""The precompiled fast paths in `leadcapture.normalize` give the libraries' answers (R-N1, R-N2).

A fast path may decline a value (the library then decides), but a value it accepts must be stored exactly as
email-validator or phonenumbers would store it. The strategies aim at the edges of the fast paths' patterns:
unicode, dots, hyphens, Punycode labels, special-use top-level domains, long local parts and domains, and
national numbers that start with a trunk prefix, an international prefix or the country code itself.
"""

from __future__ import annotations

from typing import Final

import email_validator
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcapture import STANDARD_NORMALIZER
from leadcapture.normalize import _phone_fast_path, email_by_library, email_fast_path, phone_by_library

MANY: Final = settings(max_examples=settings.default.max_examples * 4)
"""These checks are cheap: run four times the profile's examples."""
COUNTRY_CODES: Final = (91, 1, 44, 49, 61)

ASCII_LOCAL: Final = "abcxyzABCXYZ0189._%+-"
UNICODE_CHARS: Final = "éüßıİKﬀ½٣９한中ё"
"""Letters and digits whose case folding or NFKC form is not what it looks like (Kelvin sign, ligature ...)."""
local_parts: Final = st.one_of(
    st.text(alphabet=ASCII_LOCAL, min_size=1, max_size=12),
    st.text(alphabet=ASCII_LOCAL + UNICODE_CHARS, min_size=1, max_size=12),
    st.text(alphabet="ab.", min_size=60, max_size=70),
    st.sampled_from(['"quoted local"', "a..b", ".a", "a.", "-", "+", "_"]),
)
labels: Final = st.one_of(
    st.text(alphabet="abz09-", min_size=1, max_size=10),
    st.text(alphabet="abAB09-", min_size=60, max_size=65),
    st.builds("{}--{}".format, st.text(alphabet="abxnXN0", min_size=2, max_size=2), st.text(alphabet="a0", max_size=5)),
    st.sampled_from(["xn--bcher-kva", "XN--BCHER-KVA", "bücher", "例え", "a_b", "-a", "a-", "ab--cd"]),
)
tlds: Final = st.one_of(
    st.sampled_from(["com", "org", "co", "in", "io", "museum", "COM", "x", "123", "c0m", "рф", "xn--p1ai"]),
    st.builds(
        lambda tld, case: case(tld),
        st.sampled_from(sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES)),
        st.sampled_from([str.lower, str.upper, str.title]),
    ),
    st.text(alphabet="az", min_size=60, max_size=66),
)
domains: Final = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=1, max_size=5),
    tlds,
)
email_like: Final = st.one_of(
    st.builds("{}@{}".format, local_parts, domains),
    st.emails(),
    st.text(),
    st.text(alphabet="ab@.-", max_size=12),
    st.builds("{}@[{}]".format, local_parts, st.sampled_from(["127.0.0.1", "IPv6:::1"])),
)

digit_strings: Final = st.one_of(
    st.text(alphabet="0123456789", min_size=5, max_size=15),
    st.builds(
        "{}{}".format,
        st.sampled_from(["0", "00", "011", "0011", "1", "1800", "91", "44", "49", "61", "180020", "1831", "1832"]),
        st.text(alphabet="0123456789", min_size=3, max_size=12),
    ).filter(lambda d: 5 <= len(d) <= 15),
)
phone_like: Final = st.one_of(
    digit_strings,
    st.builds("+{}{}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("+{}0{}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("(+{}) {}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("(+{}){}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("+{} (0) {}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("+{}(0){}".format, st.sampled_from(COUNTRY_CODES), digit_strings),
    st.builds("+{} ({}) {}".format, st.sampled_from(COUNTRY_CODES), st.sampled_from(["0", "00", "1"]), digit_strings),
    st.text(alphabet="0123456789 +-().", max_size=20),
    st.text(alphabet="0123456789٣９xX#*", max_size=16),
    st.text(),
)


@MANY
@given(email_like)
def test_N1_email_fast_path_accepts_only_what_the_library_accepts_unchanged(value: str) -> None:
    """An address the email fast path accepts is valid for email-validator and stored as given."""
    if email_fast_path(value):
        assert email_by_library(value) == value


@MANY
@given(email_like)
def test_N1_standard_normalizer_email_equals_the_library(value: str) -> None:
    """STANDARD_NORMALIZER.email answers exactly what email-validator does, fast path or not."""
    assert STANDARD_NORMALIZER.email(value) == email_by_library(value)


@MANY
@given(st.one_of(digit_strings, phone_like), st.sampled_from(COUNTRY_CODES))
def test_N2_phone_fast_path_agrees_with_phonenumbers(digits: str, country_code: int) -> None:
    """A value the phone fast path accepts (digits, `+CC`, `(+CC)`, `+CC (0)`) normalises as phonenumbers does."""
    fast = _phone_fast_path(country_code).normalize(digits)
    if fast is not None:
        assert fast == phone_by_library(digits, country_code)


@MANY
@given(phone_like, st.sampled_from(COUNTRY_CODES))
def test_N2_standard_normalizer_phone_equals_the_library(value: str, country_code: int) -> None:
    """STANDARD_NORMALIZER.phone answers exactly what phonenumbers does, fast path or not."""
    assert STANDARD_NORMALIZER.phone(value, country_code) == phone_by_library(value, country_code)
