"""The database file: created and migrated at start, with an epoch fixed at creation."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from jobdesk.server.storage import Storage
from jobdesk.server.tokens import Role, issue_token


def test_a_new_database_gets_an_epoch_that_never_changes(tmp_path: Path) -> None:
    first = Storage.open(tmp_path / "s.db")
    epoch = first.load().epoch
    first.close()
    again, other = Storage.open(tmp_path / "s.db"), Storage.open(tmp_path / "other.db")
    try:
        assert again.load().epoch == epoch
        assert other.load().epoch != epoch
    finally:
        again.close()
        other.close()


def test_the_schema_is_migrated_to_the_newest_revision(tmp_path: Path) -> None:
    Storage.open(tmp_path / "m.db").close()
    with closing(sqlite3.connect(tmp_path / "m.db")) as db:
        (revision,) = db.execute("select version_num from alembic_version").fetchone()
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
        (mode,) = db.execute("pragma journal_mode").fetchone()
    assert revision == "0002"
    assert {"meta", "jobs", "events", "tokens", "idempotency"} <= tables
    assert mode == "wal"


def test_has_tokens_tells_a_fresh_server_from_a_set_up_one(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "t.db")
    try:
        assert not storage.has_tokens()
        issue_token(storage, Role.VIEWER, "v")
        assert storage.has_tokens()
    finally:
        storage.close()
