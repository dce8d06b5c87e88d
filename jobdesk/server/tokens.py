"""Bearer tokens with roles. The server stores only a token's SHA-256.

Tokens are 32 random bytes, so a plain hash is enough (no slow KDF is needed against
guessing); the token is printed once when created and never stored. A token's name is
who the server says did something (a worker's jobs are owned by it), so names are
unique; a revoked token stops working at once (``token_watch.py``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Collection
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from jobdesk.protocol import ErrorCode, Job, now_timestamp
from jobdesk.server.errors import ApiError
from jobdesk.server.ratelog import RateLimitedLog
from jobdesk.server.storage import Storage
from jobdesk.server.storage_errors import refusal
from jobdesk.server.token_store import TokenRecord

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
    token_hash: str = ""
    """Which token it authenticated with: a revocation finds its sockets by it."""

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
    """A new token, stored by its hash; DuplicateName when the name is taken."""
    if not name.strip():
        raise ValueError("a token needs a non-empty name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    storage.tokens.add(TokenRecord(hash_token(token), name.strip(), role.value, now_timestamp()))
    return token


def create_token(db_path: Path | str, role: str, name: str) -> str:
    """Create a token in the database at ``db_path`` (created if missing); returns it once."""
    with closing(Storage.open(db_path)) as storage:
        return issue_token(storage, parse_role(role), name)


def list_tokens(db_path: Path | str) -> list[TokenRecord]:
    with closing(Storage.open(db_path)) as storage:
        return storage.tokens.all()


def revoke_token(db_path: Path | str, name_or_id: str) -> list[TokenRecord]:
    """Delete the token(s) named so, or the one with this id; a running server refuses
    them within a second. Returns what was revoked (empty: nothing matched)."""
    with closing(Storage.open(db_path)) as storage:
        return storage.tokens.remove(name_or_id)


class TokenVerifier:
    """Looks tokens up in the database, caching hits so each request costs no query.

    Misses are not cached: a token created with ``jobdesk token create`` while the server
    runs works at once. Hits whose token is no longer in the table are dropped by the
    token watch (``retain``); the time limit only bounds what a watch that cannot read
    the database would leave cached.
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
            record = self._storage.tokens.find(digest)
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
        principal = Principal(record.name, Role(record.role), digest)
        self._cache[digest] = (time.monotonic() + self._ttl_s, principal)
        return principal

    def retain(self, valid: Collection[str]) -> None:
        """Forget every cached token not in ``valid``: a lookup that raced a revocation
        is dropped on the next watch, not only the revocation's own."""
        for digest in [d for d in self._cache if d not in valid]:
            del self._cache[digest]
