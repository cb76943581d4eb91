"""The OpenAPI 3.1 document of the HTTP API, generated from the wire types the handlers encode and decode.

The handlers speak LeadSquared's formats by hand (case-insensitive query names, raw bodies decoded by the
engine so that every bad body gets the envelope), so the document is not inferred from their signatures:
it is assembled here from the same msgspec types (`leadcapture.wire.leadsquared`, `RawAttribute`, the
decision union) and checked against the running server by a schemathesis run in the test suite.
`docs/openapi.json` is this document for the default schema; a test keeps the two equal.

It also covers the async capture routes (`/lead/capture`, `/lead/status`, `/lead/capture/metrics`) when the
app serves them, as `leadcapture serve` always does, and the `Idempotency-Key` header the two capture routes
accept, with the `Idempotency-Replayed` header that marks a replayed answer (adr/0019).
"""

from __future__ import annotations

import inspect
from typing import Any, Final

import msgspec

from leadcapture import __version__
from leadcapture.adapters.inbox import ERROR, FAILURE, IN_QUEUE, SUCCESS
from leadcapture.core.names import RELATED_COMPANY_ID, SEARCH_BY, UpdateBehavior
from leadcapture.core.request import RawAttribute
from leadcapture.core.schema import Schema
from leadcapture.service import IDEMPOTENCY_TTL, MAX_IDEMPOTENCY_KEY_LENGTH
from leadcapture.transports.base import ACTIVITY_TYPES_PATH, CREATE_ACTIVITY_PATH, CREATE_ACTIVITY_TYPE_PATH
from leadcapture.wire.activities import (
    ActivityIdPreviewAnswer,
    ActivityPostBody,
    ActivityTypeBody,
    ActivityTypePreviewAnswer,
    ActivityTypeRecord,
    IdAnswer,
)
from leadcapture.wire.lead_queries import LeadsByIdsBody, RecentlyModifiedAnswer, RecentlyModifiedBody, UserAnswer
from leadcapture.wire.lead_writes import AffectedAnswer, BulkRow, CreateAnswer, UpsertAnswer
from leadcapture.wire.leadsquared import (
    ACCEPTED_STATUS,
    TASK_TYPE,
    AcceptedAnswer,
    ActivityPage,
    ActivityQuery,
    CaptureAnswer,
    CaptureErrorAnswer,
    ErrorEnvelope,
    FieldMetadata,
    HealthAnswer,
    InboxMetricsAnswer,
    RequestStatusAnswer,
    SuccessEnvelope,
    VisitAnswer,
    VisitBody,
)

OPENAPI_PATH: Final = "/openapi.json"
_REF: Final = "#/components/schemas/{name}"
_CAPTURE_PATH: Final = "/v2/LeadManagement.svc/Lead.Capture"
_ASYNC_CAPTURE_PATH: Final = "/lead/capture"
_STATUS_PATH: Final = "/lead/status"
_METRICS_PATH: Final = "/lead/capture/metrics"
_TTL_HOURS: Final = int(IDEMPOTENCY_TTL.total_seconds()) // 3600
_KEYS: Final[list[dict[str, list[str]]]] = [
    {"AccessKeyHeader": [], "SecretKeyHeader": []},
    {"AccessKeyQuery": [], "SecretKeyQuery": []},
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(name=name)}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


_REQUEST_ID: Final = {
    "X-Request-Id": {
        "description": "The fault's id, also in the body's message and in the server's log beside the details.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    },
}
"""The header of every 500: the one way a caller can point the operator at the log line of its fault."""


def _errors(schema_name: str, statuses: dict[str, str]) -> dict[str, Any]:
    return {status: _error(schema_name, status, description) for status, description in statuses.items()}


def _error(schema_name: str, status: str, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": _json_content(_ref(schema_name))}
    if status == "500":
        response["headers"] = _REQUEST_ID
    return response


_COMMON_ERRORS: Final = {
    "401": "The access key or secret key is missing or wrong (R-H3).",
    "429": "The caller went over its rate limit; `Retry-After` says when to try again (R-H4).",
    "500": (
        "A server fault; its request id, in the `X-Request-Id` header and in the message, is also in the server's"
        " log with the details."
    ),
}
_RETRY_AFTER: Final = {
    "Retry-After": {"description": "Seconds until a call is allowed again.", "schema": {"type": "integer"}}
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _lookup(summary: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": [parameter],
            "responses": {
                "200": {
                    "description": "The matching leads, each a flat object of string values; `[]` when none.",
                    "content": _json_content({"type": "array", "items": _ref("FlatLead")}),
                },
                **_errors("ErrorEnvelope", _COMMON_ERRORS),
            },
        },
    }


def _with_retry_after(operation: dict[str, Any]) -> dict[str, Any]:
    for method in operation.values():
        method["responses"]["429"]["headers"] = _RETRY_AFTER
    return operation


_IDEMPOTENCY_KEY: Final = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        f"Not in LeadSquared. A retry with the same key and the same body (and `LeadUpdateBehavior`) by the same"
        f" access key within {_TTL_HOURS} hours is not applied again: it replays the first answer, status and"
        " body, marked with `Idempotency-Replayed: true`. The same key with another body is a 400 naming the key;"
        f" a key that is empty, longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters or not visible ASCII is a 400."
        " Keys of one route and"
        " access key are their own: another access key, or the other capture route, may use the same key."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH, "pattern": "^[!-~]+$"},
}
_REPLAYED: Final = {
    "Idempotency-Replayed": {
        "description": "`true` when this answer is the replay of an earlier request with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def _replayable(responses: dict[str, Any], statuses: tuple[str, ...]) -> dict[str, Any]:
    """Mark the answers that a request with an `Idempotency-Key` may get as a replay."""
    for status in statuses:
        responses[status]["headers"] = _REPLAYED
    return responses


def _capture_body(description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": _ref("RawAttribute")},
                "example": [
                    {"Attribute": "EmailAddress", "Value": "ann@example.com"},
                    {"Attribute": "FirstName", "Value": "Ann"},
                ],
            },
        },
    }


_DRY_RUN: Final = {
    "name": "dryRun",
    "in": "query",
    "required": False,
    "description": "`true`: answer what the call would, plus `Preview` (its decision), and write nothing (R-L10).",
    "schema": {"type": "string", "enum": ["true", "false"]},
}
_LEAD_ID: Final = {
    "name": "leadId",
    "in": "query",
    "required": True,
    "description": "The lead's (or, for Lead.Convert, the visitor's) id; the name in any casing.",
    "schema": {"type": "string", "format": "uuid"},
}
_WRITE_ERRORS: Final = {
    "400": "Bad input (R-V, R-H6), a missing or malformed `leadId`, or what the call refuses (R-L1..R-L4).",
    "409": "Another lead already holds a unique value of this request (R-U2).",
    "413": "The body is larger than 1 MiB (R-V8).",
    **_COMMON_ERRORS,
    "503": "The lead kept changing under concurrent writes; the request may be sent again (R-M10).",
}


def _lead_write(summary: str, answer: str, *, lead_id: bool = False) -> dict[str, Any]:
    """A lead-management write (R-L1..R-L4): the attribute body, `dryRun`, `Idempotency-Key`, the answer."""
    errors = dict(_WRITE_ERRORS)
    if lead_id:
        errors["404"] = "No lead with this `leadId` (Lead.Update, R-L2)."
    return _with_retry_after(
        {
            "post": {
                "summary": summary,
                "parameters": [*([_LEAD_ID] if lead_id else []), _DRY_RUN, _IDEMPOTENCY_KEY],
                "requestBody": _capture_body("The lead's attributes as name-value pairs."),
                "responses": _replayable(
                    {
                        "200": {
                            "description": "Done (or, in a dry run, what would be done).",
                            "content": _json_content(_ref(answer)),
                        },
                        **_errors("CaptureErrorAnswer", errors),
                    },
                    ("200", "400", "404", "409") if lead_id else ("200", "400", "409"),
                ),
            },
        },
    )


def _bulk_write(summary: str, most: int) -> dict[str, Any]:
    """A bulk write (R-L7): an array of attribute arrays, one answer per row."""
    return _with_retry_after(
        {
            "post": {
                "summary": summary,
                "parameters": [_DRY_RUN],
                "requestBody": {
                    "required": True,
                    "content": _json_content(
                        {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": most,
                            "items": {"type": "array", "items": _ref("RawAttribute")},
                        }
                    ),
                },
                "responses": {
                    "200": {
                        "description": "One answer per row, in order; a failed row carries its exception.",
                        "content": _json_content({"type": "array", "items": _ref("BulkRow")}),
                    },
                    **_errors(
                        "ErrorEnvelope", {"400": f"Not an array of 1 to {most} attribute arrays.", **_COMMON_ERRORS}
                    ),
                },
            },
        },
    )


def _update_behavior() -> dict[str, Any]:
    return _query(
        "LeadUpdateBehavior",
        "How an existing lead is updated (R-B); absent: every field is updated.",
        {"type": "string", "enum": [behavior.value for behavior in UpdateBehavior]},
    )


def _async_paths() -> dict[str, Any]:
    """The async capture routes (R-Q1, R-Q2, R-Q6), served with an inbox (`leadcapture serve` always has one)."""
    accept_errors = {
        "400": (
            "The body's structure is broken (not JSON, not a non-empty array of `{Attribute, Value}`), the"
            " `LeadUpdateBehavior` is unknown, or the `Idempotency-Key` is malformed or was already used with"
            " another body. Attribute names and values are checked when the request is applied (R-Q2)."
        ),
        "401": _COMMON_ERRORS["401"],
        "413": "The body is larger than 1 MiB (R-V8).",
        "429": _COMMON_ERRORS["429"],
        "500": _COMMON_ERRORS["500"],
        "503": "Requests with the same `Idempotency-Key` kept racing; the request may be sent again.",
    }
    return {
        _ASYNC_CAPTURE_PATH: _with_retry_after(
            {
                "post": {
                    "summary": "Accept a Lead.Capture request for later: answered once it is durably stored (R-Q1).",
                    "parameters": [_update_behavior(), _IDEMPOTENCY_KEY],
                    "requestBody": _capture_body("The body of `Lead.Capture`."),
                    "responses": _replayable(
                        {
                            "200": {
                                "description": (
                                    f"Stored: `Status` is always {ACCEPTED_STATUS!r}; `RequestID` is the id to ask"
                                    f" `{_STATUS_PATH}` with. A replay answers the first RequestID."
                                ),
                                "content": _json_content(_ref("AcceptedAnswer")),
                                "links": {
                                    "RequestStatus": {
                                        "operationId": "asyncCaptureStatus",
                                        "parameters": {"RequestId": "$response.body#/RequestID"},
                                        "description": "Where the accepted request stands.",
                                    },
                                },
                            },
                            **_errors("ErrorEnvelope", accept_errors),
                        },
                        ("200",),
                    ),
                },
            },
        ),
        _STATUS_PATH: _with_retry_after(
            {
                "get": {
                    "operationId": "asyncCaptureStatus",
                    "summary": "Where an accepted request stands: In-Queue, Success, FAILURE or ERROR (R-Q2).",
                    "parameters": [
                        _query(
                            "RequestId",
                            "The `RequestID` that `/lead/capture` answered (parameter name in any casing).",
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": (
                                "The request's status and, once it was applied, the answer `Lead.Capture` gave."
                            ),
                            "content": _json_content(_ref("RequestStatusAnswer")),
                        },
                        **_errors(
                            "ErrorEnvelope",
                            {
                                "401": _COMMON_ERRORS["401"],
                                "404": (
                                    "No request with this id was sent with this access key (or it finished more"
                                    " than the retention period ago and was purged)."
                                ),
                                "429": _COMMON_ERRORS["429"],
                                "500": _COMMON_ERRORS["500"],
                            },
                        ),
                    },
                },
            },
        ),
        _METRICS_PATH: _with_retry_after(
            {
                "get": {
                    "summary": "The inbox's backlog: pending requests, the oldest one's wait, done per minute (R-Q6).",
                    "responses": {
                        "200": {"description": "The figures.", "content": _json_content(_ref("InboxMetricsAnswer"))},
                        **_errors("ErrorEnvelope", _COMMON_ERRORS),
                    },
                },
            },
        ),
    }


def openapi_document(schema: Schema, *, async_capture: bool = True) -> dict[str, Any]:
    """The OpenAPI document of the app serving leads of `schema` (its field names are the known attributes).

    `async_capture`: whether the app serves the async capture routes (it does when given an inbox).
    """
    (_, components) = msgspec.json.schema_components(
        [
            RawAttribute,
            CaptureAnswer,
            CaptureErrorAnswer,
            ErrorEnvelope,
            FieldMetadata,
            ActivityQuery,
            ActivityPage,
            VisitBody,
            VisitAnswer,
            HealthAnswer,
            LeadsByIdsBody,
            RecentlyModifiedBody,
            RecentlyModifiedAnswer,
            UserAnswer,
            CreateAnswer,
            AffectedAnswer,
            UpsertAnswer,
            BulkRow,
            ActivityPostBody,
            ActivityTypeBody,
            ActivityTypeRecord,
            IdAnswer,
            ActivityIdPreviewAnswer,
            ActivityTypePreviewAnswer,
            *([SuccessEnvelope, AcceptedAnswer, RequestStatusAnswer, InboxMetricsAnswer] if async_capture else []),
        ],
        ref_template=_REF,
    )
    _version_independent(components)
    attribute = components["RawAttribute"]
    attribute["properties"]["Attribute"] = {
        "type": "string",
        "description": "A field's schema name (compared case-insensitively), SearchBy or RelatedCompanyId.",
        "enum": [spec.schema_name for spec in schema.fields] + [SEARCH_BY, RELATED_COMPANY_ID],
    }
    components["FlatLead"] = {
        "title": "FlatLead",
        "description": "A lead as the look-ups answer it: `ProspectID`, its fields, `CreatedOn`, `ModifiedOn`.",
        "type": "object",
        "properties": {"ProspectID": {"type": "string"}},
        "required": ["ProspectID"],
        "additionalProperties": {"type": "string"},
    }
    if async_capture:
        _describe_async_components(components)
    capture_errors = {
        "400": (
            "Bad input: the body, an attribute name or value, or a query value (R-V, R-H6); or an"
            " `Idempotency-Key` that is malformed or was already used with another body."
        ),
        "401": _COMMON_ERRORS["401"],
        "409": "Another lead already holds a unique value of this request (R-U2).",
        "413": "The body is larger than 1 MiB (R-V8).",
        "429": _COMMON_ERRORS["429"],
        "500": _COMMON_ERRORS["500"],
        "503": (
            "The lead kept changing under concurrent captures, or requests with the same `Idempotency-Key` kept"
            " racing; the request may be sent again (R-M10)."
        ),
    }
    paths: dict[str, Any] = {
        _CAPTURE_PATH: _with_retry_after(
            {
                "post": {
                    "summary": "Create or update a lead (with dryRun=true: preview what would happen, write nothing).",
                    "parameters": [
                        _update_behavior(),
                        _query(
                            "dryRun",
                            (
                                "`true`: answer the real call's status and body plus `Preview`; nothing is written"
                                " and any `Idempotency-Key` is ignored."
                            ),
                            {"type": "boolean"},
                        ),
                        _query(
                            "explain",
                            (
                                "`true`: a successful answer also carries `Decision`, the decision the capture"
                                " applied with its explanation (a leadcapture extension; adr/0036)."
                            ),
                            {"type": "boolean"},
                        ),
                        _IDEMPOTENCY_KEY,
                    ],
                    "requestBody": _capture_body("The lead's attributes as name-value pairs."),
                    "responses": _replayable(
                        {
                            "200": {
                                "description": "The lead was created or updated (`IsCreated` says which).",
                                "content": _json_content(_ref("CaptureAnswer")),
                            },
                            **_errors("CaptureErrorAnswer", capture_errors),
                        },
                        ("200", "400", "409"),
                    ),
                },
            },
        ),
        "/v2/LeadManagement.svc/Leads.GetById": _with_retry_after(
            _lookup("The lead with this id.", _query("id", "The lead's ProspectId.")),
        ),
        "/v2/LeadManagement.svc/Leads.GetByEmailaddress": _with_retry_after(
            _lookup("The leads with this email address.", _query("emailaddress", "Compared case-insensitively.")),
        ),
        "/v2/LeadManagement.svc/RetrieveLeadByPhoneNumber": _with_retry_after(
            _lookup("The leads with this phone number.", _query("phone", "Compared on its E.164 form.")),
        ),
        "/v2/LeadManagement.svc/Leads.GetByQuickSearch": _with_retry_after(
            _lookup(
                "Leads whose FirstName, LastName, EmailAddress, Phone, Mobile or Company holds the text (R-L5): ASCII"
                " case ignored, a number also found among phone digits; the most recently modified first, at most"
                " 100.",
                _query("key", "The text to look for; blank answers `[]`."),
            ),
        ),
        "/v2/LeadManagement.svc/Leads/Retrieve/ByIds": _with_retry_after(
            {
                "post": {
                    "summary": "The leads with these ids (at most 10,000), in the order asked; unknown ids left out.",
                    "requestBody": {"required": True, "content": _json_content(_ref("LeadsByIdsBody"))},
                    "responses": {
                        "200": {
                            "description": "The found leads, each a flat object of string values.",
                            "content": _json_content({"type": "array", "items": _ref("FlatLead")}),
                        },
                        **_errors(
                            "ErrorEnvelope",
                            {"400": "The body is not a list of at most 10,000 GUIDs (R-L6).", **_COMMON_ERRORS},
                        ),
                    },
                },
            },
        ),
        "/v2/LeadManagement.svc/Leads.RecentlyModified": _with_retry_after(
            {
                "post": {
                    "summary": (
                        "How many leads were modified between FromDate and ToDate (UTC, both included), and one page"
                        " of them, oldest change first (R-L6)."
                    ),
                    "requestBody": {"required": True, "content": _json_content(_ref("RecentlyModifiedBody"))},
                    "responses": {
                        "200": {
                            "description": "The count and the page.",
                            "content": _json_content(_ref("RecentlyModifiedAnswer")),
                        },
                        **_errors(
                            "ErrorEnvelope",
                            {
                                "400": "A date not written yyyy-mm-dd hh:mm:ss, FromDate after ToDate, or a page out of"
                                " range (PageIndex from 1, PageSize from 1 to 5000).",
                                **_COMMON_ERRORS,
                            },
                        ),
                    },
                },
            },
        ),
        "/v2/LeadManagement.svc/Lead.Create": _lead_write(
            "Create a lead from the attributes; never matches another (R-L1). No activity is posted.", "CreateAnswer"
        ),
        "/v2/LeadManagement.svc/Lead.Update": _lead_write(
            "Set the given fields on the lead `leadId` (R-L2). `postUpdatedLead` is accepted.",
            "AffectedAnswer",
            lead_id=True,
        ),
        "/v2/LeadManagement.svc/Lead.CreateOrUpdate": _lead_write(
            "Update the lead found by the SearchBy field, else by EmailAddress then Phone; or create one (R-L3).",
            "UpsertAnswer",
        ),
        "/v2/LeadManagement.svc/Lead.Convert": _lead_write(
            "Turn the visitor `leadId` into a lead with that id and its first-touch source (R-L4).",
            "AffectedAnswer",
            lead_id=True,
        ),
        "/v2/LeadManagement.svc/Lead/Bulk/Create": _bulk_write(
            "Create up to 50 leads in order; rows never match (R-L7). Bulk calls have their own rate limit.", 50
        ),
        "/v2/LeadManagement.svc/Lead/Bulk/CreateOrUpdate": _bulk_write(
            "Create or update up to 25 leads in order, SearchBy per row; a row sees the rows before it (R-L7).", 25
        ),
        "/v2/Authentication.svc/UserByAccessKey.Get": _with_retry_after(
            {
                "get": {
                    "summary": (
                        "The calling key's user, and in `LSQCommonServiceURLs.api` the host to call next as"
                        " `https://{api}/v2/...` (R-L9): the server's `--public-url`, else the host this request"
                        " reached."
                    ),
                    "responses": {
                        "200": {"description": "The key's user.", "content": _json_content(_ref("UserAnswer"))},
                        **_errors("ErrorEnvelope", _COMMON_ERRORS),
                    },
                },
            },
        ),
        "/v2/LeadManagement.svc/LeadsMetaData.Get": _with_retry_after(
            {
                "get": {
                    "summary": "The lead schema: every field with its type and flags.",
                    "responses": {
                        "200": {
                            "description": "The fields.",
                            "content": _json_content({"type": "array", "items": _ref("FieldMetadata")}),
                        },
                        **_errors("ErrorEnvelope", _COMMON_ERRORS),
                    },
                },
            },
        ),
        "/v2/ProspectActivity.svc/Retrieve": _with_retry_after(
            {
                "post": {
                    "summary": "A lead's activities, newest first, optionally of one event code, paged.",
                    "parameters": [_query("leadId", "The lead's ProspectId.")],
                    "requestBody": {"required": False, "content": _json_content(_ref("ActivityQuery"))},
                    "responses": {
                        "200": {"description": "A page of activities.", "content": _json_content(_ref("ActivityPage"))},
                        **_errors("ErrorEnvelope", {"400": "The body is not a valid query.", **_COMMON_ERRORS}),
                    },
                },
            },
        ),
        **_activity_paths(),
        "/v2/WebTracking.svc/Visit": _with_retry_after(
            {
                "post": {
                    "summary": "Record a page view on a lead, or on an anonymous visitor (R-W1..R-W3).",
                    "requestBody": {"required": True, "content": _json_content(_ref("VisitBody"))},
                    "responses": {
                        "200": {
                            "description": "Where the visit was recorded.",
                            "content": _json_content(_ref("VisitAnswer")),
                        },
                        **_errors("ErrorEnvelope", {"400": "The body is not a valid visit.", **_COMMON_ERRORS}),
                    },
                },
            },
        ),
        "/health": {
            "get": {
                "summary": "200 once the database answers.",
                "security": [],
                "responses": {
                    "200": {"description": "The server is ready.", "content": _json_content(_ref("HealthAnswer"))},
                    **_errors("ErrorEnvelope", {"500": _COMMON_ERRORS["500"]}),
                },
            },
        },
        **(_async_paths() if async_capture else {}),
    }
    _add_key_reach(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "leadcapture",
            "version": __version__,
            "description": "LeadSquared-compatible lead capture: create-or-update with duplicate matching.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "AccessKeyHeader": {"type": "apiKey", "in": "header", "name": "x-LSQ-AccessKey"},
                "SecretKeyHeader": {"type": "apiKey", "in": "header", "name": "x-LSQ-SecretKey"},
                "AccessKeyQuery": {"type": "apiKey", "in": "query", "name": "accessKey"},
                "SecretKeyQuery": {"type": "apiKey", "in": "query", "name": "secretKey"},
            },
        },
        "security": _KEYS,
    }


def _dry_run_answers(real: str, preview: str) -> dict[str, Any]:
    """A write's 200 answer: the real one, or with `dryRun=true` the real one plus `Preview` (R-L10)."""
    return {
        "description": f"{real} With `dryRun=true`: what would be written, in `Preview`, and nothing is.",
        "content": _json_content({"anyOf": [_ref("IdAnswer"), _ref(preview)]}),
    }


def _activity_paths() -> dict[str, Any]:
    """ProspectActivity.svc Create, CreateType and ActivityTypes.Get (R-L8)."""
    dry_run = _query(
        "dryRun",
        (
            "`true`: answer the real call's status and body plus `Preview` (null on an error); nothing is written"
            " and any `Idempotency-Key` is ignored (R-L10)."
        ),
        {"type": "boolean"},
    )
    write_errors = {
        "400": (
            "Bad input (R-V): the body, an attribute name or value, an unknown event code or lead (R-L8), a type"
            " name already taken; or an `Idempotency-Key` that is malformed or was already used with another body."
        ),
        **_COMMON_ERRORS,
        "409": "Capturing the lead of a post by email met a unique value another lead holds (R-U2).",
        "413": "The body is larger than 1 MiB (R-V8).",
        "503": "The lead or the types kept changing under concurrent requests; the request may be sent again.",
    }
    return {
        CREATE_ACTIVITY_PATH: _with_retry_after(
            {
                "post": {
                    "summary": (
                        "Post an activity on a lead, by RelatedProspectId or EmailAddress; when no lead has the"
                        " email, one is captured from EmailAddress, FirstName, LastName and Phone first, which needs"
                        " the key's `capture` scope besides `activity` (R-L8)."
                    ),
                    "parameters": [dry_run, _IDEMPOTENCY_KEY],
                    "requestBody": {"required": True, "content": _json_content(_ref("ActivityPostBody"))},
                    "responses": _replayable(
                        {
                            "200": _dry_run_answers(
                                "The activity was posted; `Message.Id` is its id.", "ActivityIdPreviewAnswer"
                            ),
                            **_errors("ErrorEnvelope", write_errors),
                        },
                        ("200", "400", "409"),
                    ),
                },
            },
        ),
        CREATE_ACTIVITY_TYPE_PATH: _with_retry_after(
            {
                "post": {
                    "summary": "Register a custom activity type; event codes are given from 201 up (R-L8).",
                    "parameters": [dry_run, _IDEMPOTENCY_KEY],
                    "requestBody": {"required": True, "content": _json_content(_ref("ActivityTypeBody"))},
                    "responses": _replayable(
                        {
                            "200": _dry_run_answers(
                                "The type was registered; `Message.Id` is its event code.", "ActivityTypePreviewAnswer"
                            ),
                            **_errors("ErrorEnvelope", {k: v for k, v in write_errors.items() if k != "409"}),
                        },
                        ("200", "400"),
                    ),
                },
            },
        ),
        ACTIVITY_TYPES_PATH: _with_retry_after(
            {
                "get": {
                    "summary": "Every activity type by code: Web Visit (1), Lead Capture (23) and the custom ones.",
                    "responses": {
                        "200": {
                            "description": "The types.",
                            "content": _json_content({"type": "array", "items": _ref("ActivityTypeRecord")}),
                        },
                        **_errors("ErrorEnvelope", _COMMON_ERRORS),
                    },
                },
            },
        ),
    }


_FORBIDDEN: Final = (
    "The key is valid but may not make this call (R-K2, R-K3): it lacks a scope the call needs (the message"
    " names it), or it is a site key used for what site keys may not do (a read, a dry run, an explanation, a"
    " secret key beside it) or from an origin it does not list. Nothing was written."
)
_SITE_KEY_PATHS: Final = (_CAPTURE_PATH, "/v2/WebTracking.svc/Visit")
_SITE_KEY: Final[dict[str, list[str]]] = {"AccessKeyQuery": []}
"""A site key (R-K3): the access key alone, in the query, from a page of a listed origin."""


def _add_key_reach(paths: dict[str, Any]) -> None:
    """Every operation that takes keys may answer 403; the two a page calls also take a site key alone."""
    for path, operations in paths.items():
        for operation in operations.values():
            responses = operation["responses"]
            if "401" in responses:
                responses["403"] = _error("ErrorEnvelope", "403", _FORBIDDEN)
                if path in _SITE_KEY_PATHS:
                    operation["security"] = [*_KEYS, _SITE_KEY]


def _version_independent(node: object) -> None:
    """Give what msgspec and Python render one form, so the committed document does not depend on their versions.

    msgspec releases differ in whether they dedent a docstring's continuation lines (and Python 3.13 dedents
    `__doc__` itself): `inspect.cleandoc` is the form every one of them agrees on. They also list the
    members of a union (`anyOf`) in different orders, which mean the same: the members are sorted, `null` last.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"description", "title"} and isinstance(value, str):
                node[key] = inspect.cleandoc(value)
                continue
            _version_independent(value)
            if key in {"anyOf", "oneOf"} and isinstance(value, list):
                value.sort(key=lambda member: (member == {"type": "null"}, msgspec.json.encode(member, order="sorted")))
    elif isinstance(node, list):
        for item in node:
            _version_independent(item)


def _describe_async_components(components: dict[str, Any]) -> None:
    """Narrow the async answers' plain strings to the values they take, and say what `Message` holds."""
    components["AcceptedAnswer"]["properties"]["Status"]["enum"] = [ACCEPTED_STATUS]
    task = components["TaskStatus"]["properties"]
    task["TaskType"]["enum"] = [TASK_TYPE]
    task["Status"]["enum"] = [IN_QUEUE, SUCCESS, FAILURE, ERROR]
    components["RequestStatusAnswer"]["properties"]["Message"] = {
        "description": (
            "The answer `Lead.Capture` gave when the request was applied: its success envelope (Success) or its"
            " error envelope (FAILURE); `null` while the request is In-Queue and when it ended in ERROR."
        ),
        "anyOf": [_ref("SuccessEnvelope"), _ref("ErrorEnvelope"), {"type": "null"}],
    }


def openapi_json(schema: Schema, *, async_capture: bool = True) -> bytes:
    """The document as indented JSON with sorted keys, as committed in `docs/openapi.json`."""
    document = openapi_document(schema, async_capture=async_capture)
    return msgspec.json.format(msgspec.json.encode(document, order="sorted"), indent=2) + b"\n"


if __name__ == "__main__":  # `python -m leadcapture.entrypoints.openapi > docs/openapi.json`
    import sys

    from leadcapture.core.schema import DEFAULT_SCHEMA

    sys.stdout.buffer.write(openapi_json(DEFAULT_SCHEMA))
