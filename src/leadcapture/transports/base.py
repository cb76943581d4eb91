"""The transport contract: one LeadSquared request in, one LeadSquared response out.

A transport moves a request in LeadSquared's wire format (method, path, query, headers, JSON body) to
wherever captures are handled, and brings the answer back. It knows nothing of receipts, decisions or
errors: `LeadCaptureClient` builds the requests and reads the answers, so every transport (over HTTP,
in-process, a test double, a user's own) gives the client the very same answers.
"""

from __future__ import annotations

from types import TracebackType
from typing import Final, Protocol, Self, runtime_checkable

import msgspec

CAPTURE_PATH: Final = "/v2/LeadManagement.svc/Lead.Capture"
"""`POST`: create or update a lead; `dryRun=true` previews instead (R-H5, R-D1)."""
GET_BY_ID_PATH: Final = "/v2/LeadManagement.svc/Leads.GetById"
"""`GET ?id=`: the lead with this id, as a one-element array or `[]` (R-H5)."""
GET_BY_EMAIL_PATH: Final = "/v2/LeadManagement.svc/Leads.GetByEmailaddress"
"""`GET ?emailaddress=`: the leads with this email address (R-H5)."""
GET_BY_PHONE_PATH: Final = "/v2/LeadManagement.svc/RetrieveLeadByPhoneNumber"
"""`GET ?phone=`: the leads with this phone number (R-H5)."""
METADATA_PATH: Final = "/v2/LeadManagement.svc/LeadsMetaData.Get"
"""`GET`: the lead schema, one object per field (R-H5)."""
CREATE_PATH: Final = "/v2/LeadManagement.svc/Lead.Create"
"""`POST`: create a lead that matches no other (R-L1)."""
UPDATE_PATH: Final = "/v2/LeadManagement.svc/Lead.Update"
"""`POST ?leadId=`: set the given fields on that lead (R-L2)."""
CREATE_OR_UPDATE_PATH: Final = "/v2/LeadManagement.svc/Lead.CreateOrUpdate"
"""`POST`: update the lead found by SearchBy, else EmailAddress then Phone; or create one (R-L3)."""
CONVERT_PATH: Final = "/v2/LeadManagement.svc/Lead.Convert"
"""`POST ?leadId=`: turn that visitor into a lead with its id (R-L4)."""
BULK_CREATE_PATH: Final = "/v2/LeadManagement.svc/Lead/Bulk/Create"
"""`POST` an array of attribute arrays: up to 50 leads created in order (R-L7)."""
BULK_CREATE_OR_UPDATE_PATH: Final = "/v2/LeadManagement.svc/Lead/Bulk/CreateOrUpdate"
"""`POST` an array of attribute arrays: up to 25 leads created or updated in order (R-L7)."""
QUICK_SEARCH_PATH: Final = "/v2/LeadManagement.svc/Leads.GetByQuickSearch"
"""`GET ?key=`: the leads whose name, email, phone, mobile or company holds the text (R-L5)."""
BY_IDS_PATH: Final = "/v2/LeadManagement.svc/Leads/Retrieve/ByIds"
"""`POST {"SearchParameters":{"LeadIds":[...]}}`: the leads with these ids, in the order asked (R-L6)."""
USER_PATH: Final = "/v2/Authentication.svc/UserByAccessKey.Get"
"""`GET`: the calling key's user and the host to call next (R-L9)."""
RECENTLY_MODIFIED_PATH: Final = "/v2/LeadManagement.svc/Leads.RecentlyModified"
"""`POST {"Parameter":{"FromDate","ToDate"},"Paging":{...}}`: the leads modified in a range, paged (R-L6)."""

CREATE_ACTIVITY_PATH: Final = "/v2/ProspectActivity.svc/Create"
"""`POST {"RelatedProspectId"|"EmailAddress","ActivityEvent",...}`: post an activity on a lead (R-L8)."""
CREATE_ACTIVITY_TYPE_PATH: Final = "/v2/ProspectActivity.svc/CreateType"
"""`POST {"ActivityEventName","Score","Direction"}`: register a custom activity type, codes from 201 (R-L8)."""
ACTIVITY_TYPES_PATH: Final = "/v2/ProspectActivity.svc/ActivityTypes.Get"
"""`GET`: every activity type, the built-in Web Visit (1) and Lead Capture (23) included (R-L8)."""


class ApiRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One call of LeadSquared's API, without the host and without the access keys."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def query_value(self, name: str) -> str | None:
        """The value of query parameter `name`, compared case-insensitively as LeadSquared does."""
        wanted = name.casefold()
        return next((value for key, value in self.query if key.casefold() == wanted), None)

    def header(self, name: str) -> str | None:
        """The value of header `name`, compared case-insensitively."""
        wanted = name.casefold()
        return next((value for key, value in self.headers if key.casefold() == wanted), None)


class ApiResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to an `ApiRequest`: status, headers (names in lower case) and JSON body."""

    status: int
    headers: dict[str, str] = {}
    body: bytes = b""


class NoAnswer(Exception):  # noqa: N818 - says what happened, as the client's ConnectionFailed does
    """Raised by a transport when no answer came (after the retries it makes); the client raises ConnectionFailed."""


@runtime_checkable
class Transport(Protocol):
    """Carries requests to a Lead.Capture implementation: `handle_request` once per call, `close` at the end."""

    def handle_request(self, request: ApiRequest) -> ApiResponse:
        """Send `request` and return the answer, whatever its status; raise `NoAnswer` only if none came."""
        ...

    def close(self) -> None:
        """Release what the transport holds (connections, files)."""
        ...


class TransportBase:
    """Optional base for transports: `with transport:` closes it at the end; `close` does nothing by default."""

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Self:
        """The transport itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the transport."""
        self.close()


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> ApiResponse:
    """A JSON answer, as a `MockTransport` handler or a custom transport builds one."""
    return ApiResponse(
        status=status,
        headers={"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}},
        body=msgspec.json.encode(body),
    )
