"""leadcapture: capture sales leads with create-or-update duplicate matching, LeadSquared-compatible.

The decision engine is pure (`leadcapture.core`); `Engine` drives it over a store; `InMemoryLeadStore` is
the reference store. `LeadCaptureClient` sends captures through a `Transport`: `HTTPTransport`, `LocalTransport` or
`MockTransport`.
"""

import typing

from leadcapture.adapters.memory import InMemoryLeadStore
from leadcapture.client import (
    ApiError,
    CallRate,
    ClientReceipt,
    ConnectionFailed,
    DuplicateEntry,
    InvalidAccessDetails,
    InvalidInput,
    LeadCaptureClient,
    LeadCaptureError,
    MandatoryAttributeMissing,
    RateLimited,
    UnauthorizedAccess,
    UnknownAttribute,
)
from leadcapture.core.decide import NewIds, decide_capture
from leadcapture.core.decision import (
    CaptureDecision,
    CaptureReceipt,
    Convert,
    Create,
    Explanation,
    FieldLeftAlone,
    IdentifierLookup,
    Reject,
    Update,
)
from leadcapture.core.match import CandidateQuery, Candidates, candidate_query, resolve_match
from leadcapture.core.names import DataType, EmailMatch, ExceptionType, Outcome, UpdateBehavior, UpdatePolicy
from leadcapture.core.policies import (
    CapturePolicy,
    ConvertPolicy,
    CreateOrUpdatePolicy,
    CreatePolicy,
    MatchPolicy,
    UpdateByIdPolicy,
)
from leadcapture.core.problems import FieldError, Problem
from leadcapture.core.quality import canonical_email
from leadcapture.core.records import (
    Account,
    Activity,
    CaptureActivityData,
    FieldChange,
    IndexEntry,
    Lead,
    SubmittedAttribute,
    Visit,
    Visitor,
    WebVisitData,
)
from leadcapture.core.report import DryRunReport, data_quality_rules, summarize
from leadcapture.core.request import (
    CaptureRequest,
    RawAttribute,
    decode_body,
    parse_behavior,
    validate_request,
)
from leadcapture.core.schema import DEFAULT_SCHEMA, FieldSpec, Schema, schema_from_toml
from leadcapture.core.update import plan_update
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.ports import Clock, IdFactory, LeadStore, StoreConflict
from leadcapture.runtime import SystemClock, UUID7Factory
from leadcapture.service import Engine
from leadcapture.transports import ApiRequest, ApiResponse, LocalTransport, MockTransport, Transport

if typing.TYPE_CHECKING:
    from leadcapture.transports.http import HTTPTransport

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SCHEMA",
    "STANDARD_NORMALIZER",
    "Account",
    "Activity",
    "ApiError",
    "ApiRequest",
    "ApiResponse",
    "CallRate",
    "CandidateQuery",
    "Candidates",
    "CaptureActivityData",
    "CaptureDecision",
    "CapturePolicy",
    "CaptureReceipt",
    "CaptureRequest",
    "ClientReceipt",
    "Clock",
    "ConnectionFailed",
    "Convert",
    "ConvertPolicy",
    "Create",
    "CreateOrUpdatePolicy",
    "CreatePolicy",
    "DataType",
    "DryRunReport",
    "DuplicateEntry",
    "EmailMatch",
    "Engine",
    "ExceptionType",
    "Explanation",
    "FieldChange",
    "FieldError",
    "FieldLeftAlone",
    "FieldSpec",
    "HTTPTransport",
    "IdFactory",
    "IdentifierLookup",
    "InMemoryLeadStore",
    "IndexEntry",
    "InvalidAccessDetails",
    "InvalidInput",
    "Lead",
    "LeadCaptureClient",
    "LeadCaptureError",
    "LeadStore",
    "LocalTransport",
    "MandatoryAttributeMissing",
    "MatchPolicy",
    "MockTransport",
    "NewIds",
    "Outcome",
    "Problem",
    "RateLimited",
    "RawAttribute",
    "Reject",
    "Schema",
    "StoreConflict",
    "SubmittedAttribute",
    "SystemClock",
    "Transport",
    "UUID7Factory",
    "UnauthorizedAccess",
    "UnknownAttribute",
    "Update",
    "UpdateBehavior",
    "UpdateByIdPolicy",
    "UpdatePolicy",
    "Visit",
    "Visitor",
    "WebVisitData",
    "__version__",
    "candidate_query",
    "canonical_email",
    "data_quality_rules",
    "decide_capture",
    "decode_body",
    "load_schema",
    "parse_behavior",
    "plan_update",
    "resolve_match",
    "schema_from_toml",
    "summarize",
    "validate_request",
]

from leadcapture.config import load_schema


def __getattr__(name: str) -> typing.Any:
    """`HTTPTransport` imports httpx only when asked for, so the package needs no client extra."""
    if name == "HTTPTransport":
        from leadcapture.transports.http import HTTPTransport

        return HTTPTransport
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
