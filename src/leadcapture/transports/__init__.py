"""Transports for `LeadCaptureClient`: over HTTP (`HTTPTransport`), in-process (`LocalTransport`), or a test
double (`MockTransport`). Write your own by implementing `Transport` (see docs/client.md)."""

from typing import TYPE_CHECKING, Any

from leadcapture.transports.base import ApiRequest, ApiResponse, NoAnswer, Transport, TransportBase, json_response
from leadcapture.transports.local import LocalTransport
from leadcapture.transports.mock import MockTransport

if TYPE_CHECKING:
    from leadcapture.transports.http import HTTPTransport

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "HTTPTransport",
    "LocalTransport",
    "MockTransport",
    "NoAnswer",
    "Transport",
    "TransportBase",
    "json_response",
]


def __getattr__(name: str) -> Any:
    """`HTTPTransport` imports httpx only when asked for, so the other transports need no client extra."""
    if name == "HTTPTransport":
        from leadcapture.transports.http import HTTPTransport

        return HTTPTransport
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
