"""Bearer tokens with roles. The server stores only a token's SHA-256.

Tokens are 32 random bytes, so a plain hash is enough (no slow KDF is needed against
guessing); the token is printed once when created and never stored.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from jobdesk.protocol import ErrorCode, Job, now_timestamp
from jobdesk.server.errors import ApiError
from jobdesk.server.ratelog import RateLimitedLog
from jobdesk.server.storage import Storage
from jobdesk.server.storage_errors import refusal

TOKEN_PREFIX = "jd_"
log = logging.getLogger(__name__)


class Role(StrEnum):
    OPERATOR = "operator"
    """Reads everything and acts on any job."""
    WORKER = "worker"
    """Creates jobs and updates its own (and unowned queued ones, which it then owns)."""
    VIEWER = "viewer"
    """Reads only."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role

    def require_writer(self) -> None:
        if self.role is Role.VIEWER:
            raise ApiError(ErrorCode.FORBIDDEN, f"{self.name} is a viewer and cannot change jobs")

    def require_operator(self, action: str) -> None:
        if self.role is not Role.OPERATOR:
            raise ApiError(ErrorCode.FORBIDDEN, f"only operators may {action}")

    def check_may_update(self, job: Job) -> None:
        """A worker touches its own jobs, or claims an unowned one; operators touch any."""
        self.require_writer()
        if self.role is Role.WORKER and job.owner not in ("", self.name):
            raise ApiError(
                ErrorCode.FORBIDDEN, f"job {job.id} belongs to {job.owner!r}, not {self.name!r}"
            )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(word: str) -> Role:
    try:
        return Role(word)
    except ValueError:
        raise ValueError(
            f"unknown role {word!r}; choose one of {', '.join(r.value for r in Role)}"
        ) from None


def issue_token(storage: Storage, role: Role, name: str) -> str:
    if not name.strip():
        raise ValueError("a token needs a non-empty name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    storage.add_token(hash_token(token), name.strip(), role.value, now_timestamp())
    return token


def create_token(db_path: Path, role: str, name: str) -> str:
    """Create a token in the database at ``db_path`` (created if missing); returns it once."""
    storage = Storage.open(db_path)
    try:
        return issue_token(storage, parse_role(role), name)
    finally:
        storage.close()


class TokenVerifier:
    """Looks tokens up in the database, caching hits so each request costs no query.

    Misses are not cached: a token created with ``jobdesk token create`` while the server
    runs works at once.
    """

    def __init__(self, storage: Storage, ttl_s: float = 60.0, retry_after_s: int = 5) -> None:
        self._storage = storage
        self._ttl_s = ttl_s
        self._retry_after_s = retry_after_s
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._failures = RateLimitedLog(log)

    def cached(self, token: str) -> Principal | None:
        hit = self._cache.get(hash_token(token))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def lookup(self, token: str) -> Principal | None:
        """Blocking: run it in a thread when the cache misses."""
        digest = hash_token(token)
        try:
            record = self._storage.find_token(digest)
        except (SQLAlchemyError, sqlite3.Error) as exc:  # busy past busy_timeout, I/O error
            refused = refusal(exc, self._retry_after_s)
            level = logging.WARNING if refused.known else logging.ERROR
            exc_info = None if refused.known else exc
            self._failures.log(
                refused.kind, level, "token lookup failed: %s", exc, exc_info=exc_info
            )
            raise refused.error from exc
        if record is None:
            return None
        principal = Principal(record.name, Role(record.role))
        self._cache[digest] = (time.monotonic() + self._ttl_s, principal)
        return principal
