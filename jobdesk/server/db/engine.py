"""Opening the database: SQLite in WAL mode, migrated to the current schema at start.

pysqlite's own transaction handling does not begin a transaction for SELECTs, so the
connect hooks below take it over: every ``engine.begin()`` is a real ``BEGIN``, which
gives reads one consistent snapshot and writes one atomic commit.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.pool import NullPool

from jobdesk.server.db import schema

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_hooks(engine: Engine, max_bytes: int | None, checkpoint_by_hand: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives the process being killed;
        # only a power loss may drop the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        if checkpoint_by_hand:  # the server's: see db/checkpoint.py
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        if max_bytes is not None:
            # SQLite then answers SQLITE_FULL past this size, as it does on a full disk.
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_IMMEDIATE = "jobdesk_begin_immediate"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads and then writes, holding SQLite's write lock from its
    start (``BEGIN IMMEDIATE``). A deferred one whose snapshot another connection wrote
    past cannot take the lock later: SQLite answers "database is locked" at once, with no
    wait (seen: ``jobdesk token create`` beside a running server). Taken at the start,
    the lock is waited for as ``busy_timeout`` says. On PostgreSQL a plain transaction."""
    with engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def open_engine(
    db_path: Path, max_bytes: int | None = None, *, checkpoint_by_hand: bool = False
) -> Engine:
    """Create the engine for ``db_path``, creating and migrating the database as needed.

    ``max_bytes``: the file grows no larger (a write beyond answers "database or disk is
    full"; SQLite keeps a file already larger at its size). ``checkpoint_by_hand``: no
    automatic WAL checkpoints; the caller runs a ``Checkpointer`` (db/checkpoint.py)."""
    db_path = db_path.expanduser()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}", future=True)
    _sqlite_hooks(engine, max_bytes, checkpoint_by_hand)
    prepare(engine)
    return engine


MIGRATION_LOCK = 0x6A6F6264  # "jobd"
"""The PostgreSQL advisory lock replicas starting at once take around their migration."""


def prepare(engine: Engine) -> None:
    """Migrate the schema to the newest revision and fix the epoch, in one transaction;
    on PostgreSQL under an advisory lock, so replicas starting at once take turns (the
    first migrates, the others find the schema current)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        migrate(connection)
        _ensure_meta(connection)


def migrate(connection: Connection) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _ensure_meta(connection: Connection) -> None:
    """Fix the epoch when the database is created; it never changes afterwards."""
    present = set(connection.execute(select(schema.meta.c.key)).scalars())
    rows = [
        {"key": key, "value": value}
        for key, value in (
            ("epoch", str(uuid.uuid4())),
            ("seq", "0"),
            ("history_floor", "0"),
        )
        if key not in present
    ]
    if rows:
        connection.execute(schema.meta.insert(), rows)


def open_postgres_engine(url: str) -> Engine:
    """The synchronous engine of a PostgreSQL database (``postgresql://...``), migrated:
    migrations, tokens, the history and the start-up load use it; the writer and the
    feed use their own async connections (``pg/``)."""
    # No pool: a connection is closed when given back, so one still in a thread's hands
    # when the server stops (a token check) is closed by that thread, never left to the
    # garbage collector; these reads are seldom enough for a connection each.
    engine = create_engine(sqlalchemy_url(url), future=True, poolclass=NullPool)
    prepare(engine)
    return engine


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def sqlalchemy_url(url: str) -> str:
    """The URL SQLAlchemy takes for psycopg 3 (libpq's own form is ``postgresql://``)."""
    _, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}"


def libpq_url(url: str) -> str:
    _, _, rest = url.partition("://")
    return f"postgresql://{rest}"
