"""Which database failures pass (503 with Retry-After) and which do not (500), from real
SQLite errors; and the log that says each kind once per interval."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from jobdesk.protocol import ErrorCode
from jobdesk.server.ratelog import RateLimitedLog
from jobdesk.server.storage import SeqNotAhead
from jobdesk.server.storage_errors import refusal


def _locked_error(db_path: Path) -> sqlite3.OperationalError:
    """ "database is locked": another connection holds the write lock."""
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        waiter = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError) as caught:
            waiter.execute("BEGIN IMMEDIATE")
        waiter.close()
    finally:
        holder.close()
    return caught.value


def _full_error() -> sqlite3.OperationalError:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (b BLOB)")
    db.execute("PRAGMA max_page_count=3")
    with pytest.raises(sqlite3.OperationalError) as caught:
        db.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    db.close()
    return caught.value


def test_a_busy_database_is_503_storage_unavailable(tmp_path: Path) -> None:
    refused = refusal(_locked_error(tmp_path / "busy.db"), retry_after_s=7)
    assert (refused.error.status_code, refused.error.code) == (503, ErrorCode.STORAGE_UNAVAILABLE)
    assert refused.error.retry_after_s == 7
    assert (refused.kind, refused.known) == ("SQLITE_BUSY", True)


def test_a_full_disk_is_503_storage_full_raw_or_wrapped_by_sqlalchemy() -> None:
    raw = _full_error()
    wrapped = OperationalError("INSERT", {}, raw)
    for exc in (raw, wrapped):
        refused = refusal(exc, retry_after_s=5)
        assert (refused.error.status_code, refused.error.code) == (503, ErrorCode.STORAGE_FULL)
        assert refused.kind == "SQLITE_FULL"


def test_a_busy_error_through_sqlalchemy_is_503(tmp_path: Path) -> None:
    db_path = tmp_path / "wrapped.db"
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{db_path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x)"))
    finally:
        holder.close()
        engine.dispose()
    assert refusal(caught.value, retry_after_s=5).error.status_code == 503


def test_a_constraint_failure_or_a_seq_behind_is_500(tmp_path: Path) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as caught:
        db.execute("INSERT INTO t VALUES (1)")
    unknown = refusal(caught.value, retry_after_s=5)
    assert (unknown.error.status_code, unknown.error.retry_after_s, unknown.known) == (
        500,
        None,
        False,
    )
    behind = refusal(SeqNotAhead(4), retry_after_s=5)
    assert (behind.error.status_code, behind.known) == (500, True)


def test_each_kind_is_logged_once_per_interval_then_with_the_count_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    limited = RateLimitedLog(logging.getLogger("jobdesk.test"), interval_s=60, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="jobdesk.test")
    said = [limited.log("FULL", logging.ERROR, "full %d", n) for n in range(5)]
    said.append(limited.log("BUSY", logging.ERROR, "busy"))
    now[0] = 61.0
    said.append(limited.log("FULL", logging.ERROR, "full %d", 9))
    assert said == [True, False, False, False, False, True, True]
    assert [r.getMessage() for r in caplog.records] == [
        "full 0",
        "busy",
        "full 9 (4 more like it since the last such line)",
    ]
