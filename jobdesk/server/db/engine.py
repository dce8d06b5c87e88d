"""Opening the database: SQLite in WAL mode, migrated to the current schema at start.

pysqlite's own transaction handling does not begin a transaction for SELECTs, so the
connect hooks below take it over: every ``engine.begin()`` is a real ``BEGIN``, which
gives reads one consistent snapshot and writes one atomic commit.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select

from jobdesk.server.db import schema

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_hooks(engine: Engine, max_bytes: int | None) -> None:
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
        if max_bytes is not None:
            # SQLite then answers SQLITE_FULL past this size, as it does on a full disk.
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def open_engine(db_path: Path, max_bytes: int | None = None) -> Engine:
    """Create the engine for ``db_path``, creating and migrating the database as needed.

    ``max_bytes``: the file grows no larger (a write beyond answers "database or disk is
    full"; SQLite keeps a file already larger at its size)."""
    db_path = db_path.expanduser()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}", future=True)
    _sqlite_hooks(engine, max_bytes)
    migrate(engine)
    _ensure_meta(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _ensure_meta(engine: Engine) -> None:
    """Fix the epoch when the database is created; it never changes afterwards."""
    with engine.begin() as connection:
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
