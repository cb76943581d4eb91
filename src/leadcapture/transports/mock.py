"""`MockTransport`: answers every request with a function of the caller's, for the caller's own tests."""

from __future__ import annotations

from collections.abc import Callable

from leadcapture.transports.base import ApiRequest, ApiResponse, TransportBase


class MockTransport(TransportBase):
    """A transport whose answers come from `handler(request)`; nothing leaves the process.

    >>> from leadcapture.client import LeadCaptureClient
    >>> from leadcapture.transports import MockTransport, json_response
    >>> answer = {"Status": "Success", "Message": {"Id": "lead-1", "RelatedId": "act-1", "IsCreated": True}}
    >>> client = LeadCaptureClient(MockTransport(lambda request: json_response(answer)))
    >>> client.capture({"EmailAddress": "ada@example.com"}).lead_id
    'lead-1'
    """

    def __init__(self, handler: Callable[[ApiRequest], ApiResponse]) -> None:
        """Answer with `handler`."""
        self._handler = handler

    def handle_request(self, request: ApiRequest) -> ApiResponse:
        """The handler's answer to `request`."""
        return self._handler(request)
