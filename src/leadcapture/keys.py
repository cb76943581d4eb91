"""API access keys: an access key names the caller, a secret proves it (R-H3).

Secrets are 256-bit random tokens, so a single SHA-256 is enough to store them safely (a slow password
hash protects guessable secrets, and these are not guessable); they are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import msgspec


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A stored access key: its name, the hash of its secret, and whether it was revoked."""

    access_key: str
    name: str
    secret_hash: str
    created_on: datetime
    revoked_on: datetime | None = None


class IssuedKey(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    """A new key as shown once to its owner: `{"AccessKey": ..., "SecretKey": ...}`."""

    access_key: str
    secret_key: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(name: str, *, now: datetime) -> tuple[ApiKey, IssuedKey]:
    """A new access key and secret: the stored record, and what to show the owner once."""
    access_key = "lc" + secrets.token_hex(16)
    secret = secrets.token_hex(32)
    stored = ApiKey(access_key=access_key, name=name, secret_hash=hash_secret(secret), created_on=now)
    return stored, IssuedKey(access_key=access_key, secret_key=secret)


def secret_matches(key: ApiKey, secret: str) -> bool:
    """Whether `secret` is this key's secret; constant time, and never for a revoked key."""
    matches = hmac.compare_digest(key.secret_hash, hash_secret(secret))
    return matches and key.revoked_on is None
