"""A transaction that reads before it writes takes SQLite's write lock at its start:
one writer elsewhere makes it wait, never fail with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from jobdesk.server.storage import Storage
from jobdesk.server.tokens import Role, issue_token, list_tokens


def test_a_token_created_while_another_connection_writes_waits_its_turn(
    tmp_path: Path,
) -> None:
    db = tmp_path / "jobs.db"
    Storage.open(db).close()
    locked, release = threading.Event(), threading.Event()

    def another_writer() -> None:  # as a running server's batch would
        with closing(sqlite3.connect(db, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE meta SET value = value WHERE key = 'seq'")
            locked.set()
            release.wait(30)
            conn.execute("COMMIT")

    writer = threading.Thread(target=another_writer)
    writer.start()
    assert locked.wait(30)
    # the creation starts while the other holds the lock, which it lets go meanwhile
    threading.Timer(0.3, release.set).start()
    with closing(Storage.open(db)) as storage:
        issue_token(storage, Role.WORKER, "mailer")
    writer.join(30)
    assert [record.name for record in list_tokens(db)] == ["mailer"]
