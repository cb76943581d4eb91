"""The client: `LeadCaptureClient` over a `Transport`, and the exceptions it raises."""

from leadcapture.client.api import Attributes, ClientReceipt, FlatLead, LeadCaptureClient, encode_attributes
from leadcapture.client.errors import (
    ApiError,
    ConnectionFailed,
    DuplicateEntry,
    InvalidAccessDetails,
    InvalidInput,
    LeadCaptureError,
    MandatoryAttributeMissing,
    NotFound,
    RateLimited,
    ServerBusy,
    ServerError,
    UnauthorizedAccess,
    UnexpectedAnswer,
    UnknownAttribute,
)
from leadcapture.client.limiter import CallLimiter, CallRate

__all__ = [
    "ApiError",
    "Attributes",
    "CallLimiter",
    "CallRate",
    "ClientReceipt",
    "ConnectionFailed",
    "DuplicateEntry",
    "FlatLead",
    "InvalidAccessDetails",
    "InvalidInput",
    "LeadCaptureClient",
    "LeadCaptureError",
    "MandatoryAttributeMissing",
    "NotFound",
    "RateLimited",
    "ServerBusy",
    "ServerError",
    "UnauthorizedAccess",
    "UnexpectedAnswer",
    "UnknownAttribute",
    "encode_attributes",
]
