"""The single look-ups (by id, email, phone), the schema, and a lead's activities, over HTTP (R-H5)."""

from __future__ import annotations

from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post

from leadcapture.core.names import EMAIL, PHONE, DataType
from leadcapture.core.problems import invalid_input
from leadcapture.core.schema import FieldSpec
from leadcapture.core.values import match_key
from leadcapture.entrypoints.gate import (
    READ_ACCESS,
    admit,
)
from leadcapture.entrypoints.web import (
    BASE,
    ApiError,
    engine_of,
    json_answer,
    json_body,
    query_of,
)
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.wire.leadsquared import (
    ActivityPage,
    ActivityQuery,
    ActivityRecord,
    FieldMetadata,
    flat_lead,
)


@get(f"{BASE}/Leads.GetById")
async def get_by_id(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The lead with this id, as a one-element array, or `[]`."""
    await admit(request, READ_ACCESS)
    lead_id = query_of(request).get("id", "").strip().lower()
    lead = await anyio.to_thread.run_sync(engine_of(request).store.get_lead, lead_id) if lead_id else None
    return json_answer([flat_lead(lead)] if lead is not None else [])


@get(f"{BASE}/Leads.GetByEmailaddress")
async def get_by_email(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with this email address, compared case-insensitively (R-N1)."""
    await admit(request, READ_ACCESS)
    email = query_of(request).get("emailaddress", "").strip()
    key = match_key(DataType.EMAIL, email)
    leads = await anyio.to_thread.run_sync(engine_of(request).store.find_leads, EMAIL, key)
    return json_answer([flat_lead(lead) for lead in leads])


@get(f"{BASE}/RetrieveLeadByPhoneNumber")
async def get_by_phone(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with this phone number, compared on E.164 (R-N2)."""
    await admit(request, READ_ACCESS)
    engine = engine_of(request)
    raw = query_of(request).get("phone", "").strip()
    stored = STANDARD_NORMALIZER.phone(raw, engine.schema.default_country_code) if raw else None
    if stored is None:
        return json_answer([])
    leads = await anyio.to_thread.run_sync(engine.store.find_leads, PHONE, match_key(DataType.PHONE, stored))
    return json_answer([flat_lead(lead) for lead in leads])


@get(f"{BASE}/LeadsMetaData.Get")
async def leads_metadata(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The lead schema: every field with its type and flags."""
    await admit(request, READ_ACCESS)
    return json_answer([_field_metadata(spec) for spec in engine_of(request).schema.fields])


_ACTIVITY_QUERY: Final = msgspec.json.Decoder(ActivityQuery)


@post("/v2/ProspectActivity.svc/Retrieve", status_code=200)
async def retrieve_activities(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A lead's activities, newest first, optionally of one event code and paged (R-H5)."""
    await admit(request, READ_ACCESS)
    lead_id = query_of(request).get("leadid", "").strip().lower()
    raw = await json_body(request, rule="R-H5")
    try:
        query = _ACTIVITY_QUERY.decode(raw) if raw.strip() else ActivityQuery()
    except msgspec.DecodeError as exc:
        raise ApiError(invalid_input(f"Invalid request body: {exc}", rule="R-H5")) from exc
    activities = await anyio.to_thread.run_sync(engine_of(request).store.activities, lead_id) if lead_id else ()
    event = query.parameter.activity_event
    chosen = [a for a in activities if event is None or a.event_code == event]
    page = chosen[query.paging.offset : query.paging.offset + query.paging.row_count]
    return json_answer(
        ActivityPage(
            record_count=len(chosen),
            prospect_activities=[
                ActivityRecord(
                    id=activity.id,
                    event_code=activity.event_code,
                    event_name=activity.event_name,
                    created_on=activity.created_on.strftime("%Y-%m-%d %H:%M:%S"),
                    data=msgspec.to_builtins(activity.data),
                )
                for activity in page
            ],
        ),
    )


def _field_metadata(spec: FieldSpec) -> FieldMetadata:
    return FieldMetadata(
        schema_name=spec.schema_name,
        display_name=spec.display_name,
        data_type=spec.data_type.value,
        is_mandatory=spec.is_mandatory,
        max_length=spec.max_length,
        is_unique=spec.is_unique,
        is_source_field=spec.is_source_field,
        options=list(spec.options),
    )


LOOKUP_ROUTES: Final = [get_by_id, get_by_email, get_by_phone, leads_metadata, retrieve_activities]
