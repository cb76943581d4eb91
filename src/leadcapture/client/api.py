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
from leadcapture.transports.base import (
    ACTIVITY_TYPES_PATH,
    BY_IDS_PATH,
    CAPTURE_PATH,
    CREATE_ACTIVITY_PATH,
    CREATE_ACTIVITY_TYPE_PATH,
    GET_BY_EMAIL_PATH,
    GET_BY_ID_PATH,
    GET_BY_PHONE_PATH,
    METADATA_PATH,
    QUICK_SEARCH_PATH,
    RECENTLY_MODIFIED_PATH,
    ApiRequest,
    ApiResponse,
    NoAnswer,
    Transport,
)
from leadcapture.wire.activities import ActivityTypeRecord, IdAnswer
from leadcapture.wire.lead_queries import RecentlyModifiedAnswer

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


_ANSWER: Final = msgspec.json.Decoder(_Answer)
_CAPTURE: Final = msgspec.json.Decoder(_CaptureAnswer)
_PREVIEW: Final = msgspec.json.Decoder(_PreviewAnswer)
_LEADS: Final = msgspec.json.Decoder(list[FlatLead])
_METADATA: Final = msgspec.json.Decoder(list[dict[str, Any]])
_MODIFIED: Final = msgspec.json.Decoder(RecentlyModifiedAnswer)
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

    def preview(self, attributes: Attributes, behavior: str | UpdateBehavior | None = None) -> CaptureDecision:
        """What `capture` would decide with the current data, writing nothing (`dryRun=true`, R-D1, R-D2).

        A refused capture (a duplicate unique value) is a `Reject` decision; a request that cannot be
        decided at all (bad input) raises its `ApiError`.
        """
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


def _failure(answer: _Answer, response: ApiResponse) -> Exception:
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
