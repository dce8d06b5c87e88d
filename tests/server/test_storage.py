"""The database: created and migrated at start, with an epoch fixed at creation, on a
SQLite file and on a PostgreSQL database alike."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text

from jobdesk.protocol import Job, Priority, Status, parse_timestamp
from jobdesk.server.changes import encode_job
from jobdesk.server.db.engine import MIGRATIONS, sqlalchemy_url
from jobdesk.server.storage import Storage
from jobdesk.server.token_store import DuplicateName
from jobdesk.server.tokens import Role, issue_token
from tests.postgres import PostgresServer, fresh_database
from tests.stores import Database

pytestmark = pytest.mark.stores("sqlite", "postgres")

HEAD = "0005"


@pytest.fixture
def other_location(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Path | str]:
    """A second fresh database of the same store."""
    if store == "sqlite":
        yield tmp_path / "other.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with fresh_database(server) as url:
        yield url


def bare_engine(database: Database) -> Engine:
    """An engine on the test's database that migrates nothing by itself."""
    if database.url is None:
        return create_engine(f"sqlite:///{database.path}")
    return create_engine(sqlalchemy_url(database.url))


def migrate_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_a_new_database_gets_an_epoch_that_never_changes(
    database: Database, other_location: Path | str
) -> None:
    first = database.open()
    epoch = first.load().epoch
    first.close()
    again, other = database.open(), Storage.open(other_location)
    try:
        assert again.load().epoch == epoch
        assert other.load().epoch != epoch
    finally:
        again.close()
        other.close()


def test_the_schema_is_migrated_to_the_newest_revision(database: Database) -> None:
    with closing(database.open()) as storage:
        with storage.engine.connect() as conn:
            revision = conn.execute(text("select version_num from alembic_version")).scalar_one()
        tables = set(inspect(storage.engine).get_table_names())
    assert revision == HEAD
    assert {"meta", "jobs", "events", "tokens", "idempotency"} <= tables


@pytest.mark.stores("sqlite")  # a PRAGMA: PostgreSQL has no journal mode to choose
def test_a_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    Storage.open(tmp_path / "m.db").close()
    with closing(sqlite3.connect(tmp_path / "m.db")) as db:
        (mode,) = db.execute("pragma journal_mode").fetchone()
    assert mode == "wal"


def test_has_tokens_tells_a_fresh_server_from_a_set_up_one(database: Database) -> None:
    storage = database.open()
    try:
        assert not storage.tokens.any()
        issue_token(storage, Role.VIEWER, "v")
        assert storage.tokens.any()
    finally:
        storage.close()


def test_tokens_sharing_a_name_from_before_are_kept_and_named_in_a_warning(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Names became unique in revision 0003; a database with duplicates must still start."""
    engine = bare_engine(database)
    migrate_to(engine, "0002")
    with engine.begin() as connection:
        for digest in ("a" * 64, "b" * 64):
            connection.execute(
                text("INSERT INTO tokens VALUES (:h, 'worker-1', 'worker', 'then')"), {"h": digest}
            )
    engine.dispose()
    with caplog.at_level(logging.WARNING):
        storage = database.open()
    try:
        assert len(storage.tokens.all()) == 2
        assert any("worker-1" in r.getMessage() for r in caplog.records)
        with pytest.raises(DuplicateName):
            issue_token(storage, Role.WORKER, "worker-1")
    finally:
        storage.close()


T0 = "2026-11-22T10:00:00.000Z"
OLD_JOBS = [
    Job(id="job_queued", name="q", job_type="mail", status=Status.QUEUED, priority=Priority.HIGH,
        version=1, created_at="2026-11-22T09:00:00.000Z", updated_at=T0),
    Job(id="job_retrying", name="r", job_type="mail", status=Status.RETRYING,
        priority=Priority.LOW, version=4, created_at="2026-11-22T09:01:00.000Z", updated_at=T0,
        retry_at="2026-11-22T10:05:00.000Z"),
    Job(id="job_running", name="u", job_type="mail", status=Status.RUNNING, owner="w1",
        version=2, created_at="2026-11-22T09:02:00.000Z", updated_at=T0, started_at=T0),
    Job(id="job_done", name="d", job_type="mail", status=Status.COMPLETED, owner="w1",
        version=3, created_at="2026-11-22T09:03:00.000Z", updated_at=T0, started_at=T0,
        finished_at="2026-11-22T10:00:30.000Z"),
]  # fmt: skip


def seconds(text: str) -> float:
    return parse_timestamp(text).timestamp()


def test_jobs_of_a_revision_0004_database_get_their_columns_from_the_json(
    database: Database,
) -> None:
    """Revision 0005 adds the columns claims, the live set and the history read by, and
    fills them from each job's JSON: a database migrated to 0004 with jobs written the
    0004 way (id, seq, status, owner, job_type, data) comes out claimable and in order."""
    engine = bare_engine(database)
    migrate_to(engine, "0004")
    with engine.begin() as connection:
        for seq, job in enumerate(OLD_JOBS, start=1):
            connection.execute(
                text(
                    "INSERT INTO jobs (id, seq, status, owner, job_type, data) "
                    "VALUES (:id, :seq, :status, :owner, :type, :data)"
                ),
                {"id": job.id, "seq": seq, "status": job.status.value, "owner": job.owner,
                 "type": job.job_type, "data": encode_job(job)},
            )  # fmt: skip
    engine.dispose()

    with closing(database.open()) as storage:
        with storage.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, version, priority, created_at, due_s, finished_s, live "
                    "FROM jobs ORDER BY id"
                )
            ).all()
        loaded = storage.load()
    columns = {row[0]: tuple(row[1:]) for row in rows}
    assert columns == {
        "job_done": (
            3,
            1,
            "2026-11-22T09:03:00.000Z",
            None,
            seconds("2026-11-22T10:00:30.000Z"),
            True,
        ),
        "job_queued": (1, 0, "2026-11-22T09:00:00.000Z", 0.0, None, True),
        "job_retrying": (
            4,
            2,
            "2026-11-22T09:01:00.000Z",
            seconds("2026-11-22T10:05:00.000Z"),
            None,
            True,
        ),
        "job_running": (2, 1, "2026-11-22T09:02:00.000Z", None, None, True),
    }
    assert sorted((job.id, seq) for job, seq in loaded.jobs) == [
        ("job_done", 4), ("job_queued", 1), ("job_retrying", 2), ("job_running", 3)
    ]  # fmt: skip
    assert {job.id: job for job, _ in loaded.jobs} == {job.id: job for job in OLD_JOBS}


@pytest.mark.stores("postgres")  # one server per SQLite file: only replicas start at once
def test_replicas_migrating_an_empty_database_at_once_take_turns(pg_url: str) -> None:
    """Three replicas starting together on an empty database: one migrates under the
    advisory lock, the others wait and find the schema current; one epoch for all."""
    start = threading.Barrier(3)
    opened: list[Storage] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def open_one() -> None:
        start.wait()
        try:
            storage = Storage.open_postgres(pg_url)
        except BaseException as exc:
            with lock:
                failures.append(exc)
            return
        with lock:
            opened.append(storage)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert failures == []
        assert len(opened) == 3
        epochs = {storage.load().epoch for storage in opened}
        assert len(epochs) == 1
        with opened[0].engine.connect() as conn:
            meta = conn.execute(text("SELECT key, value FROM meta ORDER BY key")).all()
            revisions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        for storage in opened:
            storage.close()
    assert [key for key, _ in meta] == ["epoch", "history_floor", "seq"]
    assert revisions == [(HEAD,)]


def test_the_load_sees_one_moment_while_another_writer_commits(database: Database) -> None:
    """A replica starting while others commit: a job committed between the load's read of
    the seq and its read of the jobs must not come in with a seq beyond the loaded one
    (its feed would then be ahead of the changes it follows)."""
    with closing(database.open()) as storage:
        seq = storage.load().seq
        other = bare_engine(database)
        wrote: list[bool] = []

        def commit_one_more(conn: object, cursor: object, statement: str, *_: object) -> None:
            if "FROM jobs" in statement and not wrote:
                wrote.append(True)
                job = Job(
                    id="job_late", name="late", job_type="t", status=Status.QUEUED,
                    created_at="2026-12-04T02:00:00.000Z", updated_at="2026-12-04T02:00:00.000Z",
                )  # fmt: skip
                with other.begin() as writer:
                    writer.execute(
                        text(
                            "INSERT INTO jobs (id, seq, status, owner, job_type, data, version, "
                            "live, priority, created_at, due_s) VALUES (:id, :seq, 'queued', "
                            "'', 't', :data, 1, :live, 1, :created, 0)"
                        ),
                        {"id": job.id, "seq": seq + 1, "data": encode_job(job), "live": True,
                         "created": job.created_at},
                    )  # fmt: skip
                    writer.execute(
                        text("UPDATE meta SET value = :seq WHERE key = 'seq'"),
                        {"seq": str(seq + 1)},
                    )

        event.listen(storage.engine, "before_cursor_execute", commit_one_more)
        try:
            loaded = storage.load()
        finally:
            event.remove(storage.engine, "before_cursor_execute", commit_one_more)
            other.dispose()
        assert wrote == [True]
        assert all(job_seq <= loaded.seq for _, job_seq in loaded.jobs)
        assert storage.load().seq == seq + 1  # the next load sees it
