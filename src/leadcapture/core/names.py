"""Names the rules speak of: attribute names, behaviours, outcomes, data types and rule ids.

Every wire spelling lives here once, so the rest of the code compares against constants.
"""

from __future__ import annotations

import enum
from typing import Final

PROSPECT_ID: Final = "ProspectId"
"""The request attribute that names a lead or an anonymous visitor (R-M2, R-M6)."""
PROSPECT_ID_FIELD: Final = "ProspectID"
"""LeadSquared's spelling of the lead id in lead objects."""
SEARCH_BY: Final = "SearchBy"
RELATED_COMPANY_ID: Final = "RelatedCompanyId"
EMAIL: Final = "EmailAddress"
PHONE: Final = "Phone"
MOBILE: Final = "Mobile"

CREATED_ON: Final = "CreatedOn"
MODIFIED_ON: Final = "ModifiedOn"

PSEUDO_ATTRIBUTES: Final = (PROSPECT_ID, SEARCH_BY, RELATED_COMPANY_ID)
"""Attributes a request may carry that are not lead fields (R-V2)."""
READ_ONLY_ATTRIBUTES: Final = (CREATED_ON, MODIFIED_ON)
"""System fields a request may name but never sets (R-B6)."""

LEAD_CAPTURE_EVENT_CODE: Final = 23
LEAD_CAPTURE_EVENT_NAME: Final = "Lead Capture"
WEB_VISIT_EVENT_CODE: Final = 1
WEB_VISIT_EVENT_NAME: Final = "Web Visit"


class UpdateBehavior(enum.StrEnum):
    """LeadSquared's `LeadUpdateBehavior` query values (R-V6, R-B). Absent means update every field."""

    DO_NOT_UPDATE = "DoNotUpdate"
    UPDATE_ONLY_EMPTY_FIELDS = "UpdateOnlyEmptyFields"
    DO_NOT_UPDATE_UNIQUE_FIELDS = "DoNotUpdateUniqueFields"


class DataType(enum.StrEnum):
    """The data types a lead field can have."""

    TEXT = "Text"
    NUMBER = "Number"
    EMAIL = "Email"
    PHONE = "Phone"
    WEBSITE = "Website"
    DATE = "Date"
    TIME = "Time"
    SELECT = "Select"
    BOOLEAN = "Boolean"


class Outcome(enum.StrEnum):
    """What a capture did, or would do."""

    CREATED = "Created"
    UPDATED = "Updated"
    CONVERTED = "Converted"
    REJECTED = "Rejected"


class ExceptionType(enum.StrEnum):
    """LeadSquared's error names, as they appear in the error envelope (R-H2, R-H6)."""

    INVALID_INPUT = "MXInvalidInputException"
    UNKNOWN_ATTRIBUTE = "MXUnknownAttributeException"
    MANDATORY_MISSING = "MXMandatoryAttributeMissingException"
    DUPLICATE_ENTRY = "MXDuplicateEntryException"
    INVALID_ACCESS = "MXInvalidAccessDetailsException"
    UNAUTHORIZED = "MXUnAuthorizedAccessException"
    RATE_LIMITED = "MXAPIRateLimitExceededException"
    NOT_FOUND = "MXNotFoundException"
    SERVER_ERROR = "MXInternalServerErrorException"
    BUSY = "MXServerBusyException"


class UpdatePolicy(enum.StrEnum):
    """A field's `update` policy in the schema config (R-P1): when an Updated capture may set it."""

    ALWAYS = "always"
    """LeadSquared's behaviour: the capture's LeadUpdateBehavior alone decides."""
    IF_EMPTY = "if_empty"
    """Only while the lead's value is empty, whatever the behaviour."""
    NEVER = "never"
    """Set when a lead is created, never by an update."""


class EmailMatch(enum.StrEnum):
    """How email identifiers are compared (R-N1, R-J2)."""

    EXACT = "exact"
    """LeadSquared's comparison: the address, case-insensitively."""
    CANONICAL = "canonical"
    """As `exact`, except that Gmail addresses are compared on their mailbox (dots and `+tag` ignored)."""
