"""API access keys: an access key names the caller, a secret proves it (R-H3), scopes bound it (R-K1).

Secrets are 256-bit random tokens, so a single SHA-256 is enough to store them safely (a slow password
hash protects guessable secrets, and these are not guessable); they are compared in constant time.

A site key (R-K3) is the public kind a web page embeds: it has no secret, only the `capture` and `visit`
scopes, and is good only on requests from the origins it lists.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

import msgspec


class Scope(enum.StrEnum):
    """What a key may do (R-K1)."""

    CAPTURE = "capture"
    """Capture, Create, Update, CreateOrUpdate, Convert, the bulk calls and async capture."""
    ACTIVITY = "activity"
    """Activity writes and activity types (Lead.Capture needs it too: it posts an activity)."""
    READ = "read"
    """Every look-up, the metadata, activity retrieval, async status and the inbox's figures."""
    VISIT = "visit"
    """WebTracking visits."""


ALL_SCOPES: Final = frozenset(Scope)
"""A key made without `--scope` has every scope, as keys made before scopes existed do."""
SITE_SCOPES: Final = frozenset({Scope.CAPTURE, Scope.VISIT})
"""The most a site key may have."""


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A stored access key: its name, the hash of its secret, its scopes, and whether it was revoked."""

    access_key: str
    name: str
    secret_hash: str
    """Empty for a site key, which has no secret."""
    created_on: datetime
    revoked_on: datetime | None = None
    scopes: frozenset[Scope] = ALL_SCOPES
    site: bool = False
    """A public key for web pages (R-K3): no secret, valid only from `origins`."""
    origins: tuple[str, ...] = ()
    """For a site key, the origins (`https://shop.example`) whose pages may use it."""


class IssuedKey(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    """A new key as shown once to its owner: `{"AccessKey": ..., "SecretKey": ...}` (a site key has no secret)."""

    access_key: str
    secret_key: str | None = None


def hash_secret(secret: str) -> str:
    """The stored form of a secret key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(name: str, *, now: datetime, scopes: frozenset[Scope] = ALL_SCOPES) -> tuple[ApiKey, IssuedKey]:
    """A new access key and secret with `scopes`: the stored record, and what to show the owner once."""
    if not scopes:
        msg = "a key needs at least one scope"
        raise ValueError(msg)
    access_key = "lc" + secrets.token_hex(16)
    secret = secrets.token_hex(32)
    stored = ApiKey(access_key=access_key, name=name, secret_hash=hash_secret(secret), created_on=now, scopes=scopes)
    return stored, IssuedKey(access_key=access_key, secret_key=secret)


def issue_site_key(
    name: str, *, now: datetime, origins: tuple[str, ...], scopes: frozenset[Scope] = SITE_SCOPES
) -> tuple[ApiKey, IssuedKey]:
    """A new site key (R-K3) for pages of `origins`: no secret, at most the `capture` and `visit` scopes."""
    if not origins:
        msg = "a site key needs at least one --origin"
        raise ValueError(msg)
    if not scopes or not scopes <= SITE_SCOPES:
        msg = f"a site key's scopes are capture and visit at most, not {', '.join(sorted(scopes - SITE_SCOPES))}"
        raise ValueError(msg)
    access_key = "lcs" + secrets.token_hex(16)
    stored = ApiKey(
        access_key=access_key,
        name=name,
        secret_hash="",
        created_on=now,
        scopes=scopes,
        site=True,
        origins=tuple(dict.fromkeys(parse_origin(origin) for origin in origins)),
    )
    return stored, IssuedKey(access_key=access_key)


_HOST: Final = re.compile(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]")


def parse_origin(text: str) -> str:
    """An origin in the form browsers send it (`https://shop.example:8443`): scheme, host and port only."""
    parts = urlsplit(text.strip().rstrip("/").lower())
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or not _HOST.fullmatch(host) or parts.path or parts.query:
        msg = f"an origin is scheme://host[:port], like https://shop.example, not {text!r}"
        raise ValueError(msg)
    return f"{parts.scheme}://{parts.netloc}"


def parse_scopes(text: str) -> frozenset[Scope]:
    """Scopes written as `capture,read` (any case, spaces allowed)."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in Scope.__members__.values()]
    if unknown or not names:
        msg = f"scopes are {', '.join(Scope)}; not {', '.join(unknown) or 'none'}"
        raise ValueError(msg)
    return frozenset(Scope(name) for name in names)


def secret_matches(key: ApiKey, secret: str) -> bool:
    """Whether `secret` is this key's secret; constant time, and never for a revoked key or a site key."""
    matches = hmac.compare_digest(key.secret_hash, hash_secret(secret))
    return matches and key.revoked_on is None and not key.site
