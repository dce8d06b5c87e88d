"""The server's SQLite file is checkpointed by its own thread, never inside a commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from jobdesk.server.storage import Storage
from jobdesk.server.tokens import Role, issue_token


def wal_pages(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size // 4096 if wal.exists() else 0


def test_commits_leave_the_log_to_the_checkpointer(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    storage = Storage.open_for_server(db)
    try:
        with storage.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 0
        for n in range(1500):  # far past SQLite's own 1,000-page checkpoint
            issue_token(storage, Role.WORKER, f"worker-{n}")
        assert storage.checkpointer is not None
        assert wal_pages(db) > 1000  # no commit copied the log back
        assert storage.checkpointer.run() == 0  # all of it copied, in one call
    finally:
        storage.close()
    assert storage.checkpointer.run() == 0  # a run after the close does nothing
    reopened = Storage.open(db)
    try:
        assert len(reopened.tokens.all()) == 1500
    finally:
        reopened.close()


def test_a_tool_opening_the_file_keeps_sqlite_checkpointing(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "jobs.db")
    try:
        with storage.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 1000
        assert storage.checkpointer is None
    finally:
        storage.close()
