"""`LeadCaptureClient`: captures, previews and look-ups through a transport of the caller's choice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import msgspec

from leadcapture.client.errors import ConnectionFailed, UnexpectedAnswer, error_for
from leadcapture.client.limiter import CallLimiter, CallRate
from leadcapture.core.decision import CaptureDecision, Convert, Create, Update
from leadcapture.core.names import Outcome, UpdateBehavior
from leadcapture.core.policies import (
    LEAD_CAPTURE,
    CapturePolicy,
    ConvertPolicy,
    CreateOrUpdatePolicy,
    CreatePolicy,
    MatchPolicy,
    UpdateByIdPolicy,
)
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
    NoAnswer,
    Transport,
)
from leadcapture.wire.activities import ActivityTypeRecord, IdAnswer
from leadcapture.wire.lead_queries import RecentlyModifiedAnswer
from leadcapture.wire.lead_writes import BulkRow

FlatLead = dict[str, str]
"""A lead as LeadSquared's look-ups answer it: string values by schema name, `ProspectID` first (R-H5)."""


class ModifiedLeads(msgspec.Struct, frozen=True, kw_only=True):
    """A page of Leads.RecentlyModified: how many leads changed in the range, and this page's leads."""

    record_count: int
    leads: list[FlatLead]


Attributes = Mapping[str, object] | Sequence[Mapping[str, object]] | bytes | str
"""A capture's attributes: `{name: value}`, LeadSquared's `[{"Attribute","Value"}]` list, or its JSON body."""


class ClientReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """What a capture answers (R-H1): the lead, its Lead Capture activity, created or not, and the decision.

    The names are those of the engine's `CaptureReceipt`. `leadcapture serve` and `LocalTransport` send
    the applied decision when asked (`explain=true`, which the client always asks), so `outcome` and
    `decision` are those `Engine.capture` returns; a LeadSquared host answers only the first three, and
    they stay None (adr/0036).
    """

    lead_id: str
    activity_id: str
    is_created: bool
    outcome: Outcome | None = None
    decision: Create | Update | Convert | None = None


class _Message(msgspec.Struct, rename="pascal"):
    id: str
    related_id: str
    is_created: bool


class _Answer(msgspec.Struct, rename="pascal"):
    status: str = ""
    message: _Message | None = None
    exception_type: str = ""
    exception_message: str = ""


class _CaptureAnswer(_Answer):
    decision: Create | Update | Convert | None = None


class _PreviewAnswer(_Answer):
    preview: CaptureDecision | None = None


class _WriteAnswer(msgspec.Struct, rename="pascal"):
    """The answer of a lead-management write: its `Message` differs per call (R-L1..R-L4)."""

    status: str = ""
    message: dict[str, Any] | None = None
    exception_type: str = ""
    exception_message: str = ""
    preview: CaptureDecision | None = None


class LeadWrite(msgspec.Struct, frozen=True, kw_only=True):
    """What a lead-management write did: the lead it wrote, and whether it created it."""

    lead_id: str
    is_created: bool


class BulkResult(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a bulk call (R-L7): the lead it wrote, or the error it met (`exception_type` set)."""

    row_number: int
    lead_id: str | None
    created: bool
    updated: bool
    exception_type: str | None = None
    exception_message: str | None = None


_ANSWER: Final = msgspec.json.Decoder(_Answer)
_WRITE: Final = msgspec.json.Decoder(_WriteAnswer)
_BULK: Final = msgspec.json.Decoder(list[BulkRow])
_CAPTURE: Final = msgspec.json.Decoder(_CaptureAnswer)
_PREVIEW: Final = msgspec.json.Decoder(_PreviewAnswer)
_LEADS: Final = msgspec.json.Decoder(list[FlatLead])
_METADATA: Final = msgspec.json.Decoder(list[dict[str, Any]])
_MODIFIED: Final = msgspec.json.Decoder(RecentlyModifiedAnswer)
_USER: Final = msgspec.json.Decoder(dict[str, Any])
_ID: Final = msgspec.json.Decoder(IdAnswer)
_ACTIVITY_TYPES: Final = msgspec.json.Decoder(list[ActivityTypeRecord])
_JSON: Final = (("Content-Type", "application/json"),)
_encode = msgspec.json.Encoder().encode
_OK: Final = 200
_T = TypeVar("_T")


class LeadCaptureClient:
    """Captures leads through `transport`; errors the API answers are raised as `ApiError` subclasses.

    `rate` keeps this client under at most `rate.amount` calls in any `rate.seconds` seconds, waiting
    before a call rather than being refused by the server.

    >>> from leadcapture import Engine, InMemoryLeadStore
    >>> from leadcapture.transports import LocalTransport
    >>> with LeadCaptureClient(LocalTransport(Engine(store=InMemoryLeadStore()))) as client:
    ...     first = client.capture({"EmailAddress": "ada@example.com", "FirstName": "Ada"})
    ...     client.preview({"EmailAddress": "ADA@example.com", "FirstName": "Ada L."}).explanation.outcome
    <Outcome.UPDATED: 'Updated'>
    """

    def __init__(self, transport: Transport, *, rate: CallRate | None = None) -> None:
        """A client sending through `transport`; closing the client closes the transport."""
        self.transport = transport
        self._limiter = CallLimiter(rate) if rate is not None else None

    def capture(
        self,
        attributes: Attributes,
        behavior: str | UpdateBehavior | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ClientReceipt:
        """Create or update a lead (Lead.Capture); `idempotency_key` is sent as the `Idempotency-Key` header."""
        headers = (("Idempotency-Key", idempotency_key),) if idempotency_key is not None else ()
        response = self._send(
            ApiRequest(
                method="POST",
                path=CAPTURE_PATH,
                query=(*_behavior_query(behavior), ("explain", "true")),
                headers=(("Content-Type", "application/json"), *headers),
                body=encode_attributes(attributes),
            ),
        )
        answer = _decode(_CAPTURE, response)
        if response.status == _OK and answer.message is not None:
            message, decision = answer.message, answer.decision
            if decision is not None and decision.lead.id != message.id:
                raise UnexpectedAnswer(response.status, response.body)  # a decision about another lead
            return ClientReceipt(
                lead_id=message.id,
                activity_id=message.related_id,
                is_created=message.is_created,
                outcome=decision.explanation.outcome if decision is not None else None,
                decision=decision,
            )
        raise _failure(answer, response)

    def preview(
        self,
        attributes: Attributes,
        behavior: str | UpdateBehavior | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> CaptureDecision:
        """What `capture` would decide with the current data, writing nothing (`dryRun=true`, R-D1, R-D2).

        A refused capture (a duplicate unique value) is a `Reject` decision; a request that cannot be
        decided at all (bad input) raises its `ApiError`. Another `policy` previews the lead-management
        call it stands for (`CreatePolicy()` is Lead.Create, `UpdateByIdPolicy(lead_id=...)` Lead.Update...,
        R-L10), with the same answers as `Engine.preview(..., policy=...)`.
        """
        if not isinstance(policy, CapturePolicy):
            written = self._write(policy, attributes, dry_run=True)
            if written.preview is not None:
                return written.preview
            raise UnexpectedAnswer(_OK, b"a dry run answered no Preview")
        response = self._send(
            ApiRequest(
                method="POST",
                path=CAPTURE_PATH,
                query=(*_behavior_query(behavior), ("dryRun", "true")),
                headers=(("Content-Type", "application/json"),),
                body=encode_attributes(attributes),
            ),
        )
        answer = _decode(_PREVIEW, response)
        if answer.preview is not None:
            return answer.preview
        raise _failure(answer, response)

    def get_lead(self, lead_id: str) -> FlatLead | None:
        """The lead with this id (Leads.GetById), or None."""
        leads = self._leads(GET_BY_ID_PATH, "id", lead_id)
        return leads[0] if leads else None

    def leads_by_email(self, email: str) -> list[FlatLead]:
        """The leads with this email address, compared case-insensitively (Leads.GetByEmailaddress)."""
        return self._leads(GET_BY_EMAIL_PATH, "emailaddress", email)

    def leads_by_phone(self, phone: str) -> list[FlatLead]:
        """The leads with this phone number, compared on E.164 (RetrieveLeadByPhoneNumber)."""
        return self._leads(GET_BY_PHONE_PATH, "phone", phone)

    def create(self, attributes: Attributes, *, idempotency_key: str | None = None) -> str:
        """Create a lead that matches no other (Lead.Create, R-L1); its id. No activity is posted."""
        message = self._write(CreatePolicy(), attributes, idempotency_key=idempotency_key).message or {}
        return str(message["Id"])

    def update(self, lead_id: str, attributes: Attributes, *, idempotency_key: str | None = None) -> None:
        """Set the given fields on the lead `lead_id` (Lead.Update, R-L2); no such lead raises InvalidInput."""
        self._write(UpdateByIdPolicy(lead_id=lead_id), attributes, idempotency_key=idempotency_key)

    def create_or_update(self, attributes: Attributes, *, idempotency_key: str | None = None) -> LeadWrite:
        """Update the lead found by SearchBy's field, else EmailAddress then Phone; or create one (R-L3)."""
        message = self._write(CreateOrUpdatePolicy(), attributes, idempotency_key=idempotency_key).message or {}
        return LeadWrite(lead_id=str(message["Id"]), is_created=bool(message["IsCreated"]))

    def convert(self, visitor_id: str, attributes: Attributes, *, idempotency_key: str | None = None) -> None:
        """Turn the visitor `visitor_id` into a lead with that id (Lead.Convert, R-L4)."""
        self._write(ConvertPolicy(visitor_id=visitor_id), attributes, idempotency_key=idempotency_key)

    def bulk_create(self, rows: Sequence[Attributes]) -> list[BulkResult]:
        """Create up to 50 leads in order (Lead/Bulk/Create, R-L7); one result per row."""
        return self._bulk(BULK_CREATE_PATH, rows)

    def bulk_create_or_update(self, rows: Sequence[Attributes]) -> list[BulkResult]:
        """Create or update up to 25 leads in order (Lead/Bulk/CreateOrUpdate, R-L7); one result per row."""
        return self._bulk(BULK_CREATE_OR_UPDATE_PATH, rows)

    def _write(
        self,
        policy: MatchPolicy,
        attributes: Attributes,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> _WriteAnswer:
        """Send the lead-management call `policy` stands for; its answer, or raise its error."""
        path, query = _write_call(policy)
        if dry_run:
            query = (*query, ("dryRun", "true"))
        headers = (("Idempotency-Key", idempotency_key),) if idempotency_key is not None else ()
        response = self._send(
            ApiRequest(
                method="POST",
                path=path,
                query=query,
                headers=(*_JSON, *headers),
                body=encode_attributes(attributes),
            ),
        )
        answer = _decode(_WRITE, response)
        if answer.preview is not None or (response.status == _OK and answer.message is not None):
            return answer
        raise _failure(answer, response)

    def _bulk(self, path: str, rows: Sequence[Attributes]) -> list[BulkResult]:
        body = b"[" + b",".join(encode_attributes(row) for row in rows) + b"]"
        response = self._send(ApiRequest(method="POST", path=path, headers=_JSON, body=body))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return [
            BulkResult(
                row_number=row.row_number,
                lead_id=row.lead_id,
                created=row.lead_created,
                updated=row.lead_updated,
                exception_type=row.exception_type,
                exception_message=row.exception_message,
            )
            for row in _decode(_BULK, response)
        ]

    def quick_search(self, text: str) -> list[FlatLead]:
        """Leads whose name, email, phone, mobile or company holds `text`, newest first (Leads.GetByQuickSearch)."""
        return self._leads(QUICK_SEARCH_PATH, "key", text)

    def leads_by_ids(self, lead_ids: Sequence[str]) -> list[FlatLead]:
        """The leads with these ids, in the order asked (Leads/Retrieve/ByIds, at most 10,000 ids)."""
        body = _encode({"SearchParameters": {"LeadIds": list(lead_ids)}})
        response = self._send(ApiRequest(method="POST", path=BY_IDS_PATH, headers=_JSON, body=body))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_LEADS, response)

    def recently_modified(
        self, start: datetime, end: datetime, *, page_index: int = 1, page_size: int = 100
    ) -> ModifiedLeads:
        """The leads modified from `start` to `end` (UTC, whole seconds, both included): count and one page."""
        parameter = {"FromDate": _utc_text(start), "ToDate": _utc_text(end)}
        body = _encode({"Parameter": parameter, "Paging": {"PageIndex": page_index, "PageSize": page_size}})
        response = self._send(ApiRequest(method="POST", path=RECENTLY_MODIFIED_PATH, headers=_JSON, body=body))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        page = _decode(_MODIFIED, response)
        leads = [{pair.attribute: pair.value for pair in lead.lead_property_list} for lead in page.leads]
        return ModifiedLeads(record_count=page.record_count, leads=leads)

    def user(self) -> dict[str, Any]:
        """The key's user and, in `LSQCommonServiceURLs.api`, the host to call next (UserByAccessKey.Get)."""
        response = self._send(ApiRequest(method="GET", path=USER_PATH))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_USER, response)

    def post_activity(  # noqa: PLR0913 - the parts of an activity, all keyword-only
        self,
        event: int,
        *,
        lead_id: str | None = None,
        email: str | None = None,
        note: str | None = None,
        occurred_on: datetime | None = None,
        fields: Mapping[str, object] | None = None,
        lead: Mapping[str, object] | None = None,
    ) -> str:
        """Post an activity of event code `event` on a lead; its id (ProspectActivity.svc/Create, R-L8).

        The lead is `lead_id`, else the one with `email`; when no lead has the email, one is captured from
        the email and `lead` (FirstName, LastName, Phone). `occurred_on` defaults to now; `fields` are the
        activity's own `{SchemaName: Value}` data.
        """
        body: dict[str, object] = {"ActivityEvent": event}
        if lead_id is not None:
            body["RelatedProspectId"] = lead_id
        if email is not None:
            body["EmailAddress"] = email
        if note is not None:
            body["ActivityNote"] = note
        if occurred_on is not None:
            body["ActivityDateTime"] = _utc_text(occurred_on)
        if fields:
            body["Fields"] = [{"SchemaName": name, "Value": value} for name, value in fields.items()]
        body.update(lead or {})
        return str(self._made(CREATE_ACTIVITY_PATH, body))

    def create_activity_type(self, name: str, *, score: int = 0, direction: int = 0) -> int:
        """Register a custom activity type; its event code, from 201 up (ProspectActivity.svc/CreateType, R-L8).

        `direction` is 0 for inbound, 1 for outbound.
        """
        made = self._made(
            CREATE_ACTIVITY_TYPE_PATH, {"ActivityEventName": name, "Score": score, "Direction": direction}
        )
        if not isinstance(made, int):
            raise UnexpectedAnswer(_OK, str(made).encode())
        return made

    def activity_types(self) -> list[ActivityTypeRecord]:
        """Every activity type, by event code, Web Visit (1) and Lead Capture (23) included (ActivityTypes.Get)."""
        response = self._send(ApiRequest(method="GET", path=ACTIVITY_TYPES_PATH))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_ACTIVITY_TYPES, response)

    def _made(self, path: str, body: object) -> str | int:
        """POST `body` to `path`; the `Message.Id` of the success answer."""
        response = self._send(ApiRequest(method="POST", path=path, headers=_JSON, body=_encode(body)))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_ID, response).message.id

    def metadata(self) -> list[dict[str, Any]]:
        """The lead schema, one object per field (LeadsMetaData.Get)."""
        response = self._send(ApiRequest(method="GET", path=METADATA_PATH))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_METADATA, response)

    def close(self) -> None:
        """Close the transport."""
        self.transport.close()

    def __enter__(self) -> Self:
        """The client itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the transport."""
        self.close()

    def _leads(self, path: str, parameter: str, value: str) -> list[FlatLead]:
        response = self._send(ApiRequest(method="GET", path=path, query=((parameter, value),)))
        if response.status != _OK:
            raise _failure(_decode(_ANSWER, response), response)
        return _decode(_LEADS, response)

    def _send(self, request: ApiRequest) -> ApiResponse:
        if self._limiter is not None:
            self._limiter.wait()
        try:
            return self.transport.handle_request(request)
        except NoAnswer as exc:
            raise ConnectionFailed(str(exc)) from exc


def encode_attributes(attributes: Attributes) -> bytes:
    """The Lead.Capture JSON body for `attributes`; a body given as bytes or text is sent as it is."""
    if isinstance(attributes, bytes):
        return attributes
    if isinstance(attributes, str):
        return attributes.encode()
    if isinstance(attributes, Mapping):
        return _encode([{"Attribute": name, "Value": value} for name, value in attributes.items()])
    return _encode(list(attributes))


def _behavior_query(behavior: str | UpdateBehavior | None) -> tuple[tuple[str, str], ...]:
    return (("LeadUpdateBehavior", str(behavior)),) if behavior is not None else ()


def _decode(decoder: msgspec.json.Decoder[_T], response: ApiResponse) -> _T:
    try:
        return decoder.decode(response.body)
    except msgspec.DecodeError as exc:
        raise UnexpectedAnswer(response.status, response.body) from exc


def _failure(answer: _Answer | _WriteAnswer, response: ApiResponse) -> Exception:
    """The exception an error answer stands for."""
    if not answer.exception_type:
        return UnexpectedAnswer(response.status, response.body)
    retry_after = response.headers.get("retry-after")
    return error_for(
        answer.exception_type,
        answer.exception_message,
        response.status,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )


def _utc_text(moment: datetime) -> str:
    """A time as LeadSquared writes dates in bodies: UTC, `yyyy-mm-dd hh:mm:ss` (naive times are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _write_call(policy: MatchPolicy) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path and query of the lead-management call a policy stands for."""
    match policy:
        case CreatePolicy():
            return CREATE_PATH, ()
        case UpdateByIdPolicy(lead_id=lead_id):
            return UPDATE_PATH, (("leadId", lead_id),)
        case CreateOrUpdatePolicy():
            return CREATE_OR_UPDATE_PATH, ()
        case ConvertPolicy(visitor_id=visitor_id):
            return CONVERT_PATH, (("leadId", visitor_id),)
        case CapturePolicy():
            return CAPTURE_PATH, ()
