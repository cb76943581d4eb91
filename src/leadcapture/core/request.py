"""Decoding and validating a Lead.Capture body into a `CaptureRequest` (R-V1..R-V6).

Checks run in the order the errors are answered: the body's structure (R-V1), unknown attribute names,
all listed (R-V2), repeated attributes (R-V3), then every value at once (R-V4, R-V5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.names import (
    PROSPECT_ID,
    PSEUDO_ATTRIBUTES,
    READ_ONLY_ATTRIBUTES,
    RELATED_COMPANY_ID,
    SEARCH_BY,
    DataType,
    ExceptionType,
    UpdateBehavior,
)
from leadcapture.core.problems import FieldError, Problem, invalid_input, unknown_attributes
from leadcapture.core.records import AttributeValue, SubmittedAttribute
from leadcapture.core.schema import Schema
from leadcapture.core.values import ContactNormalizer, Invalid, as_text, normalize_value

_T = TypeVar("_T")

MAX_BODY_BYTES: Final = 1024 * 1024
"""Bodies over 1 MiB are refused (R-V8)."""


class RawAttribute(msgspec.Struct, frozen=True, rename="pascal", gc=False):
    """One `{"Attribute": name, "Value": value}` element of a Lead.Capture body (R-V1)."""

    attribute: str
    value: AttributeValue


_BODY_DECODER: Final = msgspec.json.Decoder(list[RawAttribute])


class CaptureRequest(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A validated capture: canonical field names mapped to stored values (`""` clears a field)."""

    values: dict[str, str]
    prospect_id: str | None = None
    search_by: str | None = None
    related_company_id: str | None = None
    read_only: tuple[str, ...] = ()
    """System fields the request named; they are never set (R-B6)."""
    submitted: tuple[SubmittedAttribute, ...] = ()


def decode_body(body: bytes | str) -> Result[list[RawAttribute], Problem]:
    """Decode a JSON body into its attributes; anything but a non-empty array of pairs is R-V1.

    The size limit counts UTF-8 bytes, whatever form the body came in (R-V8).
    """
    return _as_result(_decode_body(body))


def _decode_body(body: bytes | str) -> list[RawAttribute] | Problem:
    try:
        data = body.encode() if isinstance(body, str) else body
    except UnicodeEncodeError:
        return invalid_input("Invalid request body: not valid UTF-8", rule="R-V8")
    if len(data) > MAX_BODY_BYTES:
        return Problem(
            exception_type=ExceptionType.INVALID_INPUT,
            message="Request body is larger than 1 MiB",
            status=413,
            rule="R-V8",
        )
    try:
        attributes = _BODY_DECODER.decode(data)
    except UnicodeDecodeError:
        return invalid_input("Invalid request body: not valid UTF-8", rule="R-V8")
    except msgspec.DecodeError as exc:
        return invalid_input(f"Invalid request body: {exc}", rule="R-V1")
    return _non_empty(attributes)


def coerce_attributes(attributes: object) -> Result[list[RawAttribute], Problem]:
    """Accept what Python callers pass: JSON text, a list of `{"Attribute","Value"}` dicts, or a mapping.

    A plain mapping `{"EmailAddress": "a@b.co"}` is read as name-value pairs in its own order.
    """
    return _as_result(read_attributes(attributes))


def read_attributes(attributes: object) -> list[RawAttribute] | Problem:
    """`coerce_attributes` as a plain union: the attributes, or the problem with them.

    The engine calls this once per capture, so it makes no `Result` container on the way.
    """
    if isinstance(attributes, (bytes, bytearray, memoryview, str)):
        return _decode_body(bytes(attributes) if not isinstance(attributes, str) else attributes)
    if isinstance(attributes, Mapping):
        plain = _text_pairs(attributes)
        if plain is not None:
            return _non_empty(plain)
        pairs: Any = [{"Attribute": name, "Value": value} for name, value in attributes.items()]
    elif isinstance(attributes, Sequence):
        pairs = [_as_pair(item) for item in attributes]
    else:
        return invalid_input("Attributes must be a JSON array of {Attribute, Value} objects", rule="R-V1")
    try:
        converted = msgspec.convert(pairs, list[RawAttribute], strict=True)
    except msgspec.ValidationError as exc:
        return invalid_input(f"Invalid request body: {exc}", rule="R-V1")
    return _non_empty(converted)


def _text_pairs(attributes: Mapping[Any, Any]) -> list[RawAttribute] | None:
    """A mapping of plain strings to plain strings as `msgspec.convert` reads it; else `None`.

    A batch row is usually all text; any other mapping goes through `msgspec.convert`, which checks it.
    """
    pairs = [
        RawAttribute(name, value) for name, value in attributes.items() if type(name) is str and type(value) is str
    ]
    return pairs if len(pairs) == len(attributes) else None


def _as_pair(item: object) -> object:
    if isinstance(item, (RawAttribute, SubmittedAttribute)):
        return {"Attribute": item.attribute, "Value": item.value}
    return item


def _non_empty(attributes: list[RawAttribute]) -> list[RawAttribute] | Problem:
    if not attributes:
        return invalid_input("Request body must be a non-empty array of attributes", rule="R-V1")
    return attributes


def _as_result(checked: _T | Problem) -> Result[_T, Problem]:
    return Failure(checked) if isinstance(checked, Problem) else Success(checked)


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PSEUDO: Final = {name.casefold(): name for name in (*PSEUDO_ATTRIBUTES, *READ_ONLY_ATTRIBUTES)}
_SEARCH_BY_INVALID: Final = "Invalid SearchBy value provided"
_CONTACT_TYPES: Final = (DataType.EMAIL, DataType.PHONE)


def validate_request(
    attributes: Sequence[RawAttribute],
    schema: Schema,
    contacts: ContactNormalizer,
) -> Result[CaptureRequest, Problem]:
    """Resolve names (R-V2, R-V3) and check every value (R-V4, R-V5), reporting all field errors at once."""
    return _as_result(check_request(attributes, schema, contacts))


def check_request(
    attributes: Sequence[RawAttribute],
    schema: Schema,
    contacts: ContactNormalizer,
) -> CaptureRequest | Problem:
    """`validate_request` as a plain union: the request, or the problem with it (no `Result` container).

    One pass over the attributes resolves the names and checks the values; the problems are then answered
    in precedence order: unknown names (R-V2), repeated names (R-V3), then the values (R-V4, R-V5).
    """
    values: dict[str, str] = {}
    specials: dict[str, str] = {}
    read_only: list[str] = []
    errors: list[FieldError] = []
    unknown: list[str] = []
    submitted: list[SubmittedAttribute] = []
    exact, resolve, text_limit = schema.fields_by_name.get, schema.resolve, schema.text_limits.get
    country_code = schema.default_country_code
    email = DataType.EMAIL
    submit = submitted.append
    for raw in attributes:
        value = raw.value
        # Most attributes are a text field named as the schema spells it, with a plain-ASCII value that
        # fits: kept trimmed, as `normalize_value` would keep it. Everything else takes the general way.
        limit = text_limit(raw.attribute)
        if limit is not None and type(value) is str:
            stripped = value.strip()
            if len(stripped) <= limit and stripped.isascii() and "\x00" not in stripped:
                submit(SubmittedAttribute(attribute=raw.attribute, value=value))
                values[raw.attribute] = stripped
                continue
        # Most requests spell names as the schema does; resolve() folds case. A FieldSpec is never falsy.
        spec = exact(raw.attribute) or resolve(raw.attribute)
        if spec is None:
            pseudo = _PSEUDO.get(raw.attribute.casefold())
            if pseudo is None:
                unknown.append(raw.attribute)
                continue
            submit(SubmittedAttribute(attribute=pseudo, value=value))
            _check_pseudo(pseudo, value, schema, specials=specials, read_only=read_only, errors=errors)
            continue
        name = spec.schema_name
        submit(SubmittedAttribute(attribute=name, value=value))
        data_type = spec.data_type
        if data_type in _CONTACT_TYPES and type(value) is str:
            # A plain-ASCII email or phone straight to the normaliser; anything else (and any value it
            # refuses, for the reason) goes through `normalize_value`, which gives the same answer.
            stripped = value.strip()
            if stripped and stripped.isascii() and "\x00" not in stripped:
                contact = contacts.email(stripped) if data_type is email else contacts.phone(stripped, country_code)
                if contact is not None and (spec.max_length is None or len(contact) <= spec.max_length):
                    values[name] = contact
                    continue
        checked = normalize_value(spec, value, contacts=contacts, default_country_code=country_code)
        if isinstance(checked, str):
            values[name] = checked
        else:
            errors.append(FieldError(field=name, reason=f"{name}: {checked.reason}"))
    return _request_or_problem(
        values, specials, read_only=read_only, errors=errors, unknown=unknown, submitted=submitted
    )


def _request_or_problem(  # noqa: PLR0913 - what the pass over the attributes gathered
    values: dict[str, str],
    specials: dict[str, str],
    *,
    read_only: list[str],
    errors: list[FieldError],
    unknown: list[str],
    submitted: list[SubmittedAttribute],
) -> CaptureRequest | Problem:
    """The first problem in precedence order (R-V2, R-V3, then R-V4/R-V5), else the request."""
    if unknown:
        return unknown_attributes(unknown)
    # Every attribute a distinct field's value (the common case) means no name came twice; else count them.
    if len(values) != len(submitted) and len({attribute.attribute for attribute in submitted}) != len(submitted):
        names = [attribute.attribute for attribute in submitted]
        seen: set[str] = set()
        repeated = [name for name in names if name in seen or seen.add(name)]  # type: ignore[func-returns-value]
        listed = ", ".join(dict.fromkeys(repeated))
        return invalid_input(f"Attribute(s) given more than once - {listed}", rule="R-V3")
    if errors:
        message = "; ".join(error.reason for error in errors)
        return invalid_input(message, rule=_rule_of(errors), field_errors=tuple(errors))
    if not specials and not read_only:
        return CaptureRequest(values=values, submitted=tuple(submitted))
    return CaptureRequest(
        values=values,
        prospect_id=specials.get(PROSPECT_ID),
        search_by=specials.get(SEARCH_BY),
        related_company_id=specials.get(RELATED_COMPANY_ID),
        read_only=tuple(read_only),
        submitted=tuple(submitted),
    )


def _check_pseudo(  # noqa: PLR0913 - the attribute and the three collections it may land in
    name: str,
    value: AttributeValue,
    schema: Schema,
    *,
    specials: dict[str, str],
    read_only: list[str],
    errors: list[FieldError],
) -> None:
    """Record a pseudo attribute: a read-only system field (R-B6), or ProspectId, SearchBy, RelatedCompanyId."""
    if name in READ_ONLY_ATTRIBUTES:
        read_only.append(name)
        return
    special = _check_special(name, value, schema)
    if isinstance(special, Invalid):
        errors.append(FieldError(field=name, reason=special.reason))
    elif special:
        specials[name] = special


def _rule_of(errors: list[FieldError]) -> str:
    value_errors = [e for e in errors if e.field not in (PROSPECT_ID, SEARCH_BY, RELATED_COMPANY_ID)]
    if value_errors:
        return "R-V4"
    return "R-A3" if all(e.field == RELATED_COMPANY_ID for e in errors) else "R-V5"


def _check_special(name: str, value: AttributeValue, schema: Schema) -> str | Invalid:
    """ProspectId and RelatedCompanyId must be GUIDs; SearchBy must name a unique field (R-V5, R-A3)."""
    text = as_text(value)
    if not text:
        return ""
    if name == SEARCH_BY:
        spec = schema.resolve(text) if isinstance(value, str) else None
        if spec is None or spec.schema_name not in schema.indexed_fields:
            return Invalid(reason=_SEARCH_BY_INVALID)
        return spec.schema_name
    if not isinstance(value, str) or not _GUID.fullmatch(text):
        return Invalid(reason=f"{name}: not a valid GUID")
    return text.lower()


def parse_behavior(value: str | UpdateBehavior | None) -> Result[UpdateBehavior | None, Problem]:
    """Read `LeadUpdateBehavior` case-insensitively; absent or empty means the default (R-V6)."""
    if value is None or isinstance(value, UpdateBehavior):
        return Success(value)
    text = value.strip()
    if not text:
        return Success(None)
    for behavior in UpdateBehavior:
        if behavior.value.casefold() == text.casefold():
            return Success(behavior)
    allowed = ", ".join(b.value for b in UpdateBehavior)
    return Failure(
        invalid_input(f"Invalid LeadUpdateBehavior value provided: {text} (allowed: {allowed})", rule="R-V6")
    )
