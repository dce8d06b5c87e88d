"""The database file: created and migrated at start, with an epoch fixed at creation."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from jobdesk.server.db.engine import MIGRATIONS
from jobdesk.server.storage import Storage
from jobdesk.server.token_store import DuplicateName
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
    assert revision == "0005"
    assert {"meta", "jobs", "events", "tokens", "idempotency"} <= tables
    assert mode == "wal"


def test_has_tokens_tells_a_fresh_server_from_a_set_up_one(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "t.db")
    try:
        assert not storage.tokens.any()
        issue_token(storage, Role.VIEWER, "v")
        assert storage.tokens.any()
    finally:
        storage.close()


def test_tokens_sharing_a_name_from_before_are_kept_and_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Names became unique in revision 0003; a database with duplicates must still start."""
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        for digest in ("a" * 64, "b" * 64):
            connection.execute(
                text("INSERT INTO tokens VALUES (:h, 'worker-1', 'worker', 'then')"), {"h": digest}
            )
    engine.dispose()
    with caplog.at_level(logging.WARNING):
        storage = Storage.open(path)
    try:
        assert len(storage.tokens.all()) == 2
        assert any("worker-1" in r.getMessage() for r in caplog.records)
        with pytest.raises(DuplicateName):
            issue_token(storage, Role.WORKER, "worker-1")
    finally:
        storage.close()
