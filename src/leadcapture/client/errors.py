"""What a `LeadCaptureClient` raises. Every error the API answers is an `ApiError` named after its ExceptionType.

LeadCaptureError
├── ConnectionFailed            no answer came (after the transport's retries)
├── UnexpectedAnswer            an answer that is not LeadSquared's format
└── ApiError                    the API answered `{"Status":"Error","ExceptionType":…}` (R-H2)
    ├── InvalidInput                    MXInvalidInputException (400, 413)
    ├── UnknownAttribute                MXUnknownAttributeException
    ├── MandatoryAttributeMissing       MXMandatoryAttributeMissingException
    ├── DuplicateEntry                  MXDuplicateEntryException (409)
    ├── InvalidAccessDetails            MXInvalidAccessDetailsException (401)
    ├── UnauthorizedAccess              MXUnAuthorizedAccessException (403: the key's scopes or origins)
    ├── RateLimited                     MXAPIRateLimitExceededException (429)
    ├── NotFound                        MXNotFoundException (404)
    ├── ServerBusy                      MXServerBusyException (503)
    └── ServerError                     MXInternalServerErrorException (500)
"""

from __future__ import annotations

from typing import Final

from leadcapture.core.names import ExceptionType


class LeadCaptureError(Exception):
    """Anything a client call can fail with."""


class ConnectionFailed(LeadCaptureError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The transport got no answer, after retrying."""


class UnexpectedAnswer(LeadCaptureError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The answer was neither a success nor LeadSquared's error envelope."""

    def __init__(self, status: int, body: bytes) -> None:
        """Keep the status and the start of the body."""
        super().__init__(f"unexpected answer {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class ApiError(LeadCaptureError):
    """The API refused the call; `message` is the server's `ExceptionMessage`, word for word."""

    def __init__(self, exception_type: str, message: str, status: int, *, retry_after: float | None = None) -> None:
        """An error answer with its envelope's type and message and its HTTP status."""
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message
        self.status = status
        self.retry_after = retry_after
        """For a 429, the seconds `Retry-After` asked to wait, when it said."""


class InvalidInput(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """A value or the body's structure is not acceptable (R-V1, R-V3..R-V6, R-V8, R-A3)."""


class UnknownAttribute(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The body names attributes the schema does not have (R-V2)."""


class MandatoryAttributeMissing(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """A new lead would lack a mandatory field (R-V7)."""


class DuplicateEntry(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """A unique value already belongs to another lead (R-U2)."""


class InvalidAccessDetails(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The access key or secret key is wrong or revoked (R-H3)."""


class UnauthorizedAccess(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The key is valid but may not make this call: a scope it lacks, or a site key's limits (R-K2, R-K3)."""


class RateLimited(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """Over the API's rate limit, still after the transport's retries (R-H4)."""


class NotFound(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """No such API path."""


class ServerBusy(ApiError):  # noqa: N818 - named after what the API answered, as LeadSquared names it
    """The server gave up on a capture that kept conflicting (R-M10)."""


class ServerError(ApiError):
    """A fault on the server; the message carries its request id."""


ERRORS_BY_TYPE: Final[dict[str, type[ApiError]]] = {
    ExceptionType.INVALID_INPUT: InvalidInput,
    ExceptionType.UNKNOWN_ATTRIBUTE: UnknownAttribute,
    ExceptionType.MANDATORY_MISSING: MandatoryAttributeMissing,
    ExceptionType.DUPLICATE_ENTRY: DuplicateEntry,
    ExceptionType.INVALID_ACCESS: InvalidAccessDetails,
    ExceptionType.UNAUTHORIZED: UnauthorizedAccess,
    ExceptionType.RATE_LIMITED: RateLimited,
    ExceptionType.NOT_FOUND: NotFound,
    ExceptionType.BUSY: ServerBusy,
    ExceptionType.SERVER_ERROR: ServerError,
}
"""The exception raised for each ExceptionType; an unknown type raises `ApiError` itself."""


def error_for(exception_type: str, message: str, status: int, *, retry_after: float | None = None) -> ApiError:
    """The exception an error envelope stands for."""
    cls = ERRORS_BY_TYPE.get(exception_type, ApiError)
    return cls(exception_type, message, status, retry_after=retry_after)
