"""`HTTPTransport`: LeadSquared's API over HTTP with httpx, against `leadcapture serve` or a LeadSquared host.

Failures that say nothing about the request itself are retried with exponential backoff and jitter
(stamina): a 429 (waiting at least what `Retry-After` asks), a connection error, a 5xx answer that does
not carry an `MX…Exception` envelope (a proxy's 502, a load balancer's 503), and a 503
`MXServerBusyException` (the server gave up deciding under concurrent captures and wrote nothing, R-M10).
Any other `MX…Exception` is the application's verdict on the request and is returned at once, never
retried (adr/0024, adr/0037).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Final

import httpx
import msgspec
import stamina

from leadcapture.core.names import ExceptionType
from leadcapture.transports.base import ApiRequest, ApiResponse, NoAnswer, TransportBase

ACCESS_KEY_HEADER: Final = "x-LSQ-AccessKey"
SECRET_KEY_HEADER: Final = "x-LSQ-SecretKey"  # noqa: S105 - a header name, not a secret
_SERVER_FAULT: Final = 500
_TOO_MANY_REQUESTS: Final = 429


class _RetryableAnswer(Exception):  # noqa: N818 - a signal to the retry loop, never seen by callers
    """An answer worth asking again for: a 429, a 5xx without an MX exception, or a busy server's 503."""

    def __init__(self, response: ApiResponse, retry_after: float | None) -> None:
        super().__init__(response.status)
        self.response = response
        self.retry_after = retry_after


class HTTPTransport(TransportBase):
    """Sends requests to `base_url` (`http://127.0.0.1:8080`, `https://api.leadsquared.com`) with the keys.

    Keys travel in LeadSquared's `x-LSQ-AccessKey`/`x-LSQ-SecretKey` headers (R-H3), never in the URL, so
    they stay out of access logs. `attempts` bounds the tries of one request (1 turns retrying off),
    `retry_timeout` the seconds spent on them; `wait_initial`, `wait_max` and `wait_jitter` shape the
    backoff; `max_retry_after` caps how long a `Retry-After` may make the transport wait.
    """

    def __init__(  # noqa: PLR0913 - every tuning knob is keyword-only with a sensible default
        self,
        base_url: str,
        access_key: str,
        secret_key: str,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        retry_timeout: float = 120.0,
        wait_initial: float = 0.1,
        wait_max: float = 10.0,
        wait_jitter: float = 1.0,
        max_retry_after: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        """A transport to `base_url`; pass `client` to reuse an httpx client (its base URL is ignored)."""
        if attempts < 1:
            message = "attempts must be at least 1"
            raise ValueError(message)
        self._base_url = base_url.rstrip("/")
        self._keys = {ACCESS_KEY_HEADER: access_key, SECRET_KEY_HEADER: secret_key}
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._attempts = attempts
        self._retry_timeout = retry_timeout
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self._wait_jitter = wait_jitter
        self._max_retry_after = max_retry_after

    def handle_request(self, request: ApiRequest) -> ApiResponse:
        """The server's answer, after retrying what is worth retrying; raises `NoAnswer` if none came."""
        try:
            for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self._attempts,
                timeout=self._retry_timeout,
                wait_initial=self._wait_initial,
                wait_max=self._wait_max,
                wait_jitter=self._wait_jitter,
            ):
                with attempt:
                    return self._send_once(request)
        except _RetryableAnswer as last:
            return last.response
        except httpx.TransportError as exc:
            raise NoAnswer(f"{request.method} {request.path}: {exc}") from exc
        raise AssertionError("unreachable: stamina either returns an attempt's answer or raises")  # pragma: no cover

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def _send_once(self, request: ApiRequest) -> ApiResponse:
        answer = self._client.request(
            request.method,
            self._base_url + request.path,
            params=list(request.query),
            headers=[*request.headers, *self._keys.items()],
            content=request.body or None,
        )
        response = ApiResponse(
            status=answer.status_code,
            headers={name.lower(): value for name, value in answer.headers.items()},
            body=answer.content,
        )
        if response.status == _TOO_MANY_REQUESTS:
            raise _RetryableAnswer(response, _retry_after(response.headers.get("retry-after")))
        if response.status >= _SERVER_FAULT and _is_transient_fault(response.body):
            raise _RetryableAnswer(response, _retry_after(response.headers.get("retry-after")))
        return response

    def _backoff(self, exc: Exception) -> bool | float:
        """Whether to retry after `exc`, and how long to wait when the server said so."""
        if isinstance(exc, _RetryableAnswer):
            if exc.retry_after is not None:
                return min(exc.retry_after, self._max_retry_after)
            return True
        return isinstance(exc, httpx.TransportError)


class _Envelope(msgspec.Struct):
    ExceptionType: str = ""


_ENVELOPE: Final = msgspec.json.Decoder(_Envelope)


def _is_transient_fault(body: bytes) -> bool:
    """Whether a 5xx `body` is worth asking again for: no `MX…Exception` envelope, or the server was busy."""
    try:
        exception_type = _ENVELOPE.decode(body).ExceptionType
    except msgspec.DecodeError:
        return True
    return not exception_type.startswith("MX") or exception_type == ExceptionType.BUSY.value


def _retry_after(value: str | None) -> float | None:
    """Seconds a `Retry-After` header asks for: a number of seconds or an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
