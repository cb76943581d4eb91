"""`LocalTransport`: LeadSquared's API answered in-process by an `Engine`, with no server and no sockets.

It answers exactly what `leadcapture serve` answers for the same request and data (the transport contract
suite in `tests/client` holds the two to that), but needs no keys: whoever holds the engine may use it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from returns.result import Failure, Success

from leadcapture.activities import activity_types_answer, create_activity_type_answer, post_activity_answer
from leadcapture.core.names import EMAIL, PHONE, DataType, ExceptionType
from leadcapture.core.problems import Problem
from leadcapture.core.schema import FieldSpec
from leadcapture.core.values import match_key
from leadcapture.lead_writes import LeadCall, bulk_write, lead_write
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.queries import leads_by_ids_answer, quick_search_answer, recently_modified_answer, user_answer
from leadcapture.service import Engine, answer_for
from leadcapture.transports.base import (
    ACTIVITY_TYPES_PATH,
    BULK_CREATE_OR_UPDATE_PATH,
    BULK_CREATE_PATH,
    BY_IDS_PATH,
    CAPTURE_PATH,
    CONVERT_PATH,
    CREATE_ACTIVITY_PATH,
    CREATE_ACTIVITY_TYPE_PATH,
    CREATE_OR_UPDATE_PATH,
    CREATE_PATH,
    GET_BY_EMAIL_PATH,
    GET_BY_ID_PATH,
    GET_BY_PHONE_PATH,
    METADATA_PATH,
    QUICK_SEARCH_PATH,
    RECENTLY_MODIFIED_PATH,
    UPDATE_PATH,
    USER_PATH,
    ApiRequest,
    ApiResponse,
    TransportBase,
    json_response,
)
from leadcapture.wire.leadsquared import capture_answer, error_envelope, flat_lead, preview_body, success_envelope


def _error(problem: Problem) -> ApiResponse:
    return json_response(error_envelope(problem), problem.status)


class LocalTransport(TransportBase):
    """Hands every request to `engine` in this process.

    >>> from leadcapture import Engine, InMemoryLeadStore
    >>> from leadcapture.client import LeadCaptureClient
    >>> client = LeadCaptureClient(LocalTransport(Engine(store=InMemoryLeadStore())))
    >>> client.capture({"EmailAddress": "ada@example.com"}).is_created
    True
    """

    def __init__(self, engine: Engine) -> None:
        """Answer with `engine`; closing the transport leaves the engine's store open."""
        self.engine = engine
        self._routes: dict[tuple[str, str], Callable[[ApiRequest], ApiResponse]] = {
            ("POST", CAPTURE_PATH): self._capture,
            ("GET", GET_BY_ID_PATH): self._get_by_id,
            ("GET", GET_BY_EMAIL_PATH): self._get_by_email,
            ("GET", GET_BY_PHONE_PATH): self._get_by_phone,
            ("GET", METADATA_PATH): self._metadata,
            ("GET", QUICK_SEARCH_PATH): self._quick_search,
            ("POST", BY_IDS_PATH): self._by_ids,
            ("POST", RECENTLY_MODIFIED_PATH): self._recently_modified,
            ("GET", USER_PATH): self._user,
            ("POST", CREATE_PATH): functools.partial(self._write, LeadCall.CREATE),
            ("POST", UPDATE_PATH): functools.partial(self._write, LeadCall.UPDATE),
            ("POST", CREATE_OR_UPDATE_PATH): functools.partial(self._write, LeadCall.CREATE_OR_UPDATE),
            ("POST", CONVERT_PATH): functools.partial(self._write, LeadCall.CONVERT),
            ("POST", BULK_CREATE_PATH): functools.partial(self._bulk, LeadCall.CREATE),
            ("POST", BULK_CREATE_OR_UPDATE_PATH): functools.partial(self._bulk, LeadCall.CREATE_OR_UPDATE),
            ("POST", CREATE_ACTIVITY_PATH): self._create_activity,
            ("POST", CREATE_ACTIVITY_TYPE_PATH): self._create_activity_type,
            ("GET", ACTIVITY_TYPES_PATH): self._activity_types,
        }

    def handle_request(self, request: ApiRequest) -> ApiResponse:
        """The engine's answer, in LeadSquared's wire format; an unknown path is a 404 envelope."""
        route = self._routes.get((request.method.upper(), request.path))
        if route is None:
            return _error(
                Problem(
                    exception_type=ExceptionType.NOT_FOUND,
                    message="The API could not be found. Please check the API signature.",
                    status=404,
                    rule="R-H2",
                ),
            )
        return route(request)

    def _capture(self, request: ApiRequest) -> ApiResponse:
        behavior = request.query_value("LeadUpdateBehavior")
        if (request.query_value("dryRun") or "").casefold() == "true":
            return self._preview(request.body, behavior)
        captured = self.engine.capture(request.body, behavior)
        if isinstance(captured, Success):
            explain = (request.query_value("explain") or "").casefold() == "true"
            return json_response(capture_answer(captured.unwrap(), explain=explain))
        return _error(captured.failure())

    def _preview(self, body: bytes, behavior: str | None) -> ApiResponse:
        preview = self.engine.preview(body, behavior)
        if isinstance(preview, Failure):
            problem = preview.failure()
            return json_response(preview_body(error_envelope(problem), None), problem.status)
        decision = preview.unwrap()
        answer = answer_for(decision)
        if isinstance(answer, Success):
            return json_response(preview_body(success_envelope(answer.unwrap()), decision))
        problem = answer.failure()
        return json_response(preview_body(error_envelope(problem), decision), problem.status)

    def _get_by_id(self, request: ApiRequest) -> ApiResponse:
        lead_id = (request.query_value("id") or "").strip().lower()
        lead = self.engine.store.get_lead(lead_id) if lead_id else None
        return json_response([flat_lead(lead)] if lead is not None else [])

    def _get_by_email(self, request: ApiRequest) -> ApiResponse:
        key = match_key(DataType.EMAIL, (request.query_value("emailaddress") or "").strip())
        return json_response([flat_lead(lead) for lead in self.engine.store.find_leads(EMAIL, key)])

    def _get_by_phone(self, request: ApiRequest) -> ApiResponse:
        raw = (request.query_value("phone") or "").strip()
        stored = STANDARD_NORMALIZER.phone(raw, self.engine.schema.default_country_code) if raw else None
        if stored is None:
            return json_response([])
        leads = self.engine.store.find_leads(PHONE, match_key(DataType.PHONE, stored))
        return json_response([flat_lead(lead) for lead in leads])

    def _quick_search(self, request: ApiRequest) -> ApiResponse:
        return json_response(quick_search_answer(self.engine.store, request.query_value("key") or ""))

    def _by_ids(self, request: ApiRequest) -> ApiResponse:
        answer = leads_by_ids_answer(self.engine.store, request.body)
        return json_response(answer.unwrap()) if isinstance(answer, Success) else _error(answer.failure())

    def _recently_modified(self, request: ApiRequest) -> ApiResponse:
        answer = recently_modified_answer(self.engine.store, request.body)
        return json_response(answer.unwrap()) if isinstance(answer, Success) else _error(answer.failure())

    def _write(self, call: LeadCall, request: ApiRequest) -> ApiResponse:
        query = {name.casefold(): value for name, value in request.query}
        status, answer = lead_write(self.engine, call, request.body, query)
        return json_response(answer, status)

    def _bulk(self, call: LeadCall, request: ApiRequest) -> ApiResponse:
        dry_run = (request.query_value("dryRun") or "").casefold() == "true"
        status, answer = bulk_write(self.engine, call, request.body, dry_run=dry_run)
        return json_response(answer, status)

    def _user(self, _: ApiRequest) -> ApiResponse:
        # No key reaches an engine in this process: its caller is the process itself, with every right.
        return json_response(user_answer(name="local", identity="local", administrator=True, host="localhost"))

    def _create_activity(self, request: ApiRequest) -> ApiResponse:
        answer = post_activity_answer(self.engine, request.body, dry_run=_dry_run(request))
        return json_response(answer.body, answer.status)

    def _create_activity_type(self, request: ApiRequest) -> ApiResponse:
        answer = create_activity_type_answer(self.engine, request.body, dry_run=_dry_run(request))
        return json_response(answer.body, answer.status)

    def _activity_types(self, _: ApiRequest) -> ApiResponse:
        return json_response(activity_types_answer(self.engine.store))

    def _metadata(self, _: ApiRequest) -> ApiResponse:
        return json_response([_field_metadata(spec) for spec in self.engine.schema.fields])


def _dry_run(request: ApiRequest) -> bool:
    return (request.query_value("dryRun") or "").casefold() == "true"


def _field_metadata(spec: FieldSpec) -> dict[str, Any]:
    return {
        "SchemaName": spec.schema_name,
        "DisplayName": spec.display_name,
        "DataType": spec.data_type.value,
        "IsMandatory": spec.is_mandatory,
        "MaxLength": spec.max_length,
        "IsUnique": spec.is_unique,
        "IsSourceField": spec.is_source_field,
        "Options": list(spec.options),
    }
