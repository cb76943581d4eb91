"""leadcapture: capture sales leads with create-or-update duplicate matching, LeadSquared-compatible.

The decision engine is pure (`leadcapture.core`); `Engine` drives it over a store; `InMemoryLeadStore` is
the reference store.
"""

from leadcapture.adapters.memory import InMemoryLeadStore
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
from leadcapture.core.names import DataType, ExceptionType, Outcome, UpdateBehavior
from leadcapture.core.problems import FieldError, Problem
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
from leadcapture.core.report import DryRunReport, summarize
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

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SCHEMA",
    "STANDARD_NORMALIZER",
    "Account",
    "Activity",
    "CandidateQuery",
    "Candidates",
    "CaptureActivityData",
    "CaptureDecision",
    "CaptureReceipt",
    "CaptureRequest",
    "Clock",
    "Convert",
    "Create",
    "DataType",
    "DryRunReport",
    "Engine",
    "ExceptionType",
    "Explanation",
    "FieldChange",
    "FieldError",
    "FieldLeftAlone",
    "FieldSpec",
    "IdFactory",
    "IdentifierLookup",
    "InMemoryLeadStore",
    "IndexEntry",
    "Lead",
    "LeadStore",
    "NewIds",
    "Outcome",
    "Problem",
    "RawAttribute",
    "Reject",
    "Schema",
    "StoreConflict",
    "SubmittedAttribute",
    "SystemClock",
    "UUID7Factory",
    "Update",
    "UpdateBehavior",
    "Visit",
    "Visitor",
    "WebVisitData",
    "__version__",
    "candidate_query",
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
