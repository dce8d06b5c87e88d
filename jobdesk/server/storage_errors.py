"""What a refused database operation answers: a passing refusal is 503 with Retry-After.

SQLite gives the reason in its primary result code. A full disk (or the configured
``max_db_bytes``) is SQLITE_FULL; a write lock held by another connection for longer
than ``busy_timeout`` is SQLITE_BUSY or SQLITE_LOCKED; a failed read or write of the
disk is SQLITE_IOERR. Each may pass (space is freed, the lock released, the disk comes
back) and changed nothing, since the transaction was rolled back: the client is told to
try again later, and the SDK does. A seq that does not move forward (another process
wrote the file) does not pass by waiting, nor does anything unknown: 500.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import psycopg

from jobdesk.protocol import ErrorCode
from jobdesk.server.batches import Conflict
from jobdesk.server.errors import ApiError
from jobdesk.server.storage import SeqNotAhead

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_IOERR = 10
SQLITE_FULL = 13
SQLITE_PROTOCOL = 15

_PASSING = {
    SQLITE_FULL: (ErrorCode.STORAGE_FULL, "the server's storage is full"),
    SQLITE_BUSY: (ErrorCode.STORAGE_UNAVAILABLE, "the database is busy"),
    SQLITE_LOCKED: (ErrorCode.STORAGE_UNAVAILABLE, "the database is busy"),
    SQLITE_PROTOCOL: (ErrorCode.STORAGE_UNAVAILABLE, "the database is busy"),
    SQLITE_IOERR: (ErrorCode.STORAGE_UNAVAILABLE, "the database could not read or write"),
}


@dataclass(frozen=True)
class Refusal:
    kind: str
    """What the log is rate-limited by: the SQLite result name, or the exception's type."""
    error: ApiError
    """What the client is answered."""
    known: bool
    """False for an unexpected failure, whose traceback is worth logging."""


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The driver's error, raised as it is or wrapped by SQLAlchemy (``orig``)."""
    for candidate in (exc, getattr(exc, "orig", None)):
        if isinstance(candidate, sqlite3.Error):
            return candidate
    return None


def refusal(exc: BaseException, retry_after_s: int) -> Refusal:
    """The answer and the log kind for a database operation that raised ``exc``."""
    if isinstance(exc, SeqNotAhead):
        error = ApiError(ErrorCode.UNKNOWN_ERROR, "the database was changed by another process")
        return Refusal("SEQ_NOT_AHEAD", error, known=True)
    if isinstance(exc, Conflict):
        error = ApiError(
            ErrorCode.STORAGE_UNAVAILABLE,
            "other replicas kept changing the same jobs; try again",
            retry_after_s=retry_after_s,
        )
        return Refusal("CONFLICT", error, known=True)
    if isinstance(exc, psycopg.OperationalError) or isinstance(
        getattr(exc, "orig", None), psycopg.OperationalError
    ):
        error = ApiError(
            ErrorCode.STORAGE_UNAVAILABLE,
            "the database is unreachable",
            retry_after_s=retry_after_s,
        )
        return Refusal("POSTGRES_UNAVAILABLE", error, known=True)
    driver = _sqlite_error(exc)
    if driver is not None and (passing := _PASSING.get(driver.sqlite_errorcode & 0xFF)):
        code, what = passing
        error = ApiError(
            code,
            f"{what} ({driver}); nothing was changed, retry in {retry_after_s} s",
            retry_after_s=retry_after_s,
        )
        return Refusal(driver.sqlite_errorname, error, known=True)
    error = ApiError(ErrorCode.UNKNOWN_ERROR, "the database refused the write")
    return Refusal(type(exc).__name__, error, known=False)
