"""The OpenAPI 3.1 document of the HTTP API, generated from the wire types the handlers encode and decode.

The handlers speak LeadSquared's formats by hand (case-insensitive query names, raw bodies decoded by the
engine so that every bad body gets the envelope), so the document is not inferred from their signatures:
it is assembled here from the same msgspec types (`leadcapture.wire.leadsquared`, `RawAttribute`, the
decision union) and checked against the running server by a schemathesis run in the test suite.
`docs/openapi.json` is this document for the default schema; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from leadcapture import __version__
from leadcapture.core.names import RELATED_COMPANY_ID, SEARCH_BY, UpdateBehavior
from leadcapture.core.request import RawAttribute
from leadcapture.core.schema import Schema
from leadcapture.wire.leadsquared import (
    ActivityPage,
    ActivityQuery,
    CaptureAnswer,
    CaptureErrorAnswer,
    ErrorEnvelope,
    FieldMetadata,
    HealthAnswer,
    VisitAnswer,
    VisitBody,
)

OPENAPI_PATH: Final = "/openapi.json"
_REF: Final = "#/components/schemas/{name}"
_CAPTURE_PATH: Final = "/v2/LeadManagement.svc/Lead.Capture"
_KEYS: Final[list[dict[str, list[str]]]] = [
    {"AccessKeyHeader": [], "SecretKeyHeader": []},
    {"AccessKeyQuery": [], "SecretKeyQuery": []},
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(name=name)}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(schema_name: str, statuses: dict[str, str]) -> dict[str, Any]:
    return {
        status: {"description": description, "content": _json_content(_ref(schema_name))}
        for status, description in statuses.items()
    }


_COMMON_ERRORS: Final = {
    "401": "The access key or secret key is missing or wrong (R-H3).",
    "429": "The caller went over its rate limit; `Retry-After` says when to try again (R-H4).",
    "500": "A server fault; the message carries a request id that the server's log also has.",
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


def openapi_document(schema: Schema) -> dict[str, Any]:
    """The OpenAPI document of the app serving leads of `schema` (its field names are the known attributes)."""
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
        ],
        ref_template=_REF,
    )
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
    capture_errors = {
        "400": "Bad input: the body, an attribute name or value, or a query value (R-V, R-H6).",
        "401": _COMMON_ERRORS["401"],
        "409": "Another lead already holds a unique value of this request (R-U2).",
        "413": "The body is larger than 1 MiB (R-V8).",
        "429": _COMMON_ERRORS["429"],
        "500": _COMMON_ERRORS["500"],
        "503": "The lead kept changing under concurrent captures; the request may be sent again (R-M10).",
    }
    paths: dict[str, Any] = {
        _CAPTURE_PATH: _with_retry_after(
            {
                "post": {
                    "summary": "Create or update a lead (with dryRun=true: preview what would happen, write nothing).",
                    "parameters": [
                        _query(
                            "LeadUpdateBehavior",
                            "How an existing lead is updated (R-B); absent: every field is updated.",
                            {"type": "string", "enum": [behavior.value for behavior in UpdateBehavior]},
                        ),
                        _query(
                            "dryRun",
                            "`true`: answer the real call's status and body plus `Preview`; nothing is written.",
                            {"type": "boolean"},
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": _ref("RawAttribute")},
                                "example": [
                                    {"Attribute": "EmailAddress", "Value": "ann@example.com"},
                                    {"Attribute": "FirstName", "Value": "Ann"},
                                ],
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The lead was created or updated (`IsCreated` says which).",
                            "content": _json_content(_ref("CaptureAnswer")),
                        },
                        **_errors("CaptureErrorAnswer", capture_errors),
                    },
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
    }
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


def openapi_json(schema: Schema) -> bytes:
    """The document as indented JSON with sorted keys, as committed in `docs/openapi.json`."""
    return msgspec.json.format(msgspec.json.encode(openapi_document(schema), order="sorted"), indent=2) + b"\n"


if __name__ == "__main__":  # `python -m leadcapture.entrypoints.openapi > docs/openapi.json`
    import sys

    from leadcapture.core.schema import DEFAULT_SCHEMA

    sys.stdout.buffer.write(openapi_json(DEFAULT_SCHEMA))
