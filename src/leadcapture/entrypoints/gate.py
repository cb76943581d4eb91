"""The gate every keyed route passes: keys (R-H3), their scopes and site keys' origins (R-K), rate limits (R-H4)."""

from __future__ import annotations

import time
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Request

from leadcapture.core.names import ExceptionType
from leadcapture.core.problems import Problem
from leadcapture.entrypoints.cors import allow_origin
from leadcapture.entrypoints.logs import note_key
from leadcapture.entrypoints.ratelimit import RateLimit, RateLimiter
from leadcapture.entrypoints.web import (
    ApiError,
    header_of,
    query_of,
)
from leadcapture.keys import ApiKey, parse_origin, secret_matches
from leadcapture.keys import Scope as KeyScope
from leadcapture.ports import KeyStore

SITE_RATE_LIMIT: Final = RateLimit(amount=30, seconds=60)
"""Requests per client IP address with a site key (R-K3), besides the key's own limit."""
BULK_RATE_LIMIT: Final = RateLimit(amount=5, seconds=5)
"""Bulk calls per key (R-L7), besides the key's own limit."""
INVALID_ACCESS: Final = Problem(
    exception_type=ExceptionType.INVALID_ACCESS,
    message="Invalid Access Details provided.",
    status=401,
    rule="R-H3",
)


_RECENT_KEY_SECONDS: Final = 1.0
_RECENT_KEYS_KEPT: Final = 10_000


class Access(msgspec.Struct, frozen=True, kw_only=True):
    """What a route asks of the key that calls it (R-K2): the scopes it needs, and whether a site key may call."""

    needs: frozenset[KeyScope]
    site_keys: bool = False
    """Whether a site key (R-K3) may call the route: only captures and visits, never a read."""
    bulk: bool = False
    """Whether the route is a bulk call, which also counts against the keys' lower bulk limit (R-L7)."""


CAPTURE_ACCESS: Final = Access(needs=frozenset({KeyScope.CAPTURE, KeyScope.ACTIVITY}), site_keys=True)
"""Lead.Capture: it writes a lead and posts an activity (a site key needs only `capture`)."""
ASYNC_CAPTURE_ACCESS: Final = Access(needs=frozenset({KeyScope.CAPTURE, KeyScope.ACTIVITY}))
READ_ACCESS: Final = Access(needs=frozenset({KeyScope.READ}))
VISIT_ACCESS: Final = Access(needs=frozenset({KeyScope.VISIT}), site_keys=True)
_SITE_KEYS_NEVER: Final = ("dryrun", "explain")
"""Query parameters that would show a site key's caller what is stored (R-K3)."""


def unauthorized(message: str, rule: str = "R-K2") -> ApiError:
    return ApiError(Problem(exception_type=ExceptionType.UNAUTHORIZED, message=message, status=403, rule=rule))


class Gate:
    """Checks a request's keys (R-H3), their scopes and origins (R-K), and its caller's rate limits (R-H4)."""

    def __init__(
        self,
        keys: KeyStore,
        limiter: RateLimiter,
        site_limiter: RateLimiter | None = None,
        bulk_limiter: RateLimiter | None = None,
    ) -> None:
        """Authenticate against `keys`; limit each key with `limiter`, and also each site visitor's IP with
        `site_limiter` and each key's bulk calls with `bulk_limiter`."""
        self._keys = keys
        self._limiter = limiter
        self._site_limiter = site_limiter or RateLimiter(SITE_RATE_LIMIT, storage_uri="memory://", namespace="site-ip")
        self._bulk_limiter = bulk_limiter or RateLimiter(BULK_RATE_LIMIT, storage_uri="memory://", namespace="bulk")
        self._recent: dict[str, tuple[float, ApiKey]] = {}

    async def _find_key(self, access_key: str) -> ApiKey | None:
        """The key, from a one-second memory of keys just found, else from the key store (off the event loop).

        The key store has its own short cache, but reaching it costs a hop to a worker thread per request.
        """
        now = time.monotonic()
        recent = self._recent.get(access_key)
        if recent is not None and now - recent[0] < _RECENT_KEY_SECONDS:
            return recent[1]
        key = await anyio.to_thread.run_sync(self._keys.find_key, access_key)
        if key is not None:
            if len(self._recent) > _RECENT_KEYS_KEPT:
                self._recent.clear()
            self._recent[access_key] = (now, key)
        return key

    async def site_key_allows(self, access_key: str, origin: str) -> bool:
        """Whether `access_key` is a live site key listing `origin` (a CORS preflight's question)."""
        key = await self._find_key(access_key)
        return key is not None and key.site and key.revoked_on is None and _origin_listed(key, origin)

    async def admit(self, request: Request[Any, Any, Any], access: Access) -> ApiKey:
        """The caller's key; raises ApiError 401 for bad keys, 403 beyond the key's reach, 429 over a limit."""
        query = query_of(request)
        access_key = query.get("accesskey") or header_of(request, b"x-lsq-accesskey")
        secret = query.get("secretkey") or header_of(request, b"x-lsq-secretkey")
        if not access_key:
            raise ApiError(INVALID_ACCESS)
        key = await self._find_key(access_key)
        if key is None or key.revoked_on is not None:
            raise ApiError(INVALID_ACCESS)
        if key.site:
            self._admit_site_key(request, key, access, query, secret=secret)
            await self._count(self._site_limiter, f"ip:{request.client.host if request.client else '-'}")
        else:
            if not secret or not secret_matches(key, secret):
                raise ApiError(INVALID_ACCESS)
            missing = access.needs - key.scopes
            if missing:
                raise unauthorized(f"The key lacks the {_scope_names(missing)} this API needs")
        note_key(key.name)
        await self._count(self._limiter, key.access_key)
        if access.bulk:
            await self._count(self._bulk_limiter, key.access_key)
        return key

    def _admit_site_key(
        self, request: Request[Any, Any, Any], key: ApiKey, access: Access, query: dict[str, str], *, secret: str | None
    ) -> None:
        """R-K3: no secret, only captures and visits from a listed origin, never a dry run or an explanation."""
        if secret:
            raise unauthorized("A site key is public and takes no secret key; call with a secret key instead", "R-K3")
        if not access.site_keys:
            raise unauthorized("A site key may only capture leads and record visits", "R-K3")
        refused = [name for name in _SITE_KEYS_NEVER if query.get(name, "").casefold() == "true"]
        if refused:
            raise unauthorized("A site key gets no dry runs or explanations", "R-K3")
        origin = header_of(request, b"origin")
        if origin is None or not _origin_listed(key, origin):
            raise unauthorized(f"Origin {origin or '(none)'} is not allowed for this site key", "R-K3")
        missing = access.needs - {KeyScope.ACTIVITY} - key.scopes
        if missing:
            raise unauthorized(f"The key lacks the {_scope_names(missing)} this API needs")
        allow_origin(origin)

    async def _count(self, limiter: RateLimiter, caller: str) -> None:
        """Count one request of `caller` on `limiter`; raises ApiError 429 with Retry-After over its limit."""
        if limiter.in_process:
            retry_after = limiter.hit(caller)
        else:  # a round trip to Redis: off the event loop
            retry_after = await anyio.to_thread.run_sync(limiter.hit, caller)
        if retry_after is not None:
            limit = limiter.limit
            problem = Problem(
                exception_type=ExceptionType.RATE_LIMITED,
                message=f"API calls exceeded the limit of {limit.amount} in {limit.seconds} second(s)",
                status=429,
                rule="R-H4",
            )
            raise ApiError(problem, headers={"Retry-After": str(retry_after)})


def _origin_listed(key: ApiKey, origin: str) -> bool:
    try:
        return parse_origin(origin) in key.origins
    except ValueError:
        return False


def _scope_names(scopes: frozenset[KeyScope]) -> str:
    names = " and ".join(f"'{scope}'" for scope in sorted(scopes))
    return f"{names} scope{'s' if len(scopes) > 1 else ''}"


async def admit(request: Request[Any, Any, Any], access: Access) -> ApiKey:
    gate: Gate = request.app.state.gate
    return await gate.admit(request, access)
