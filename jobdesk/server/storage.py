"""Synchronous database access, run off the event loop by the writer and at start-up.

The database is the durable copy; the server keeps its committed state in memory
(see ``state.py``) and writes each batch of changes here in one transaction before any
client hears of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Insert,
    Integer,
    Update,
    bindparam,
    cast,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobdesk.protocol import Job
from jobdesk.server.changes import Change
from jobdesk.server.db import schema
from jobdesk.server.db.checkpoint import Checkpointer
from jobdesk.server.db.columns import COLUMNS, job_row
from jobdesk.server.db.engine import open_engine, open_postgres_engine
from jobdesk.server.db.history import HistoryQuery, read_history, read_job
from jobdesk.server.db.lock import ServerLock
from jobdesk.server.db.repair import repair_seq
from jobdesk.server.idempotency import Remembered
from jobdesk.server.token_store import TokenStore

_decode_job = msgspec.json.Decoder(Job).decode


def _build_upsert() -> Insert:
    stmt = sqlite_insert(schema.jobs)
    return stmt.on_conflict_do_update(
        index_elements=[schema.jobs.c.id],
        set_={name: stmt.excluded[name] for name in COLUMNS[1:]},
    )


# Built once: constructing statements per commit cost more than SQLite's own work.
_UPSERT_JOBS = _build_upsert()
_INSERT_EVENTS = schema.events.insert()
_SET_META = (
    update(schema.meta)
    .where(schema.meta.c.key == bindparam("meta_key"))
    .values(value=bindparam("meta_value"))
)
_ADVANCE_SEQ = (
    update(schema.meta)
    .where(
        schema.meta.c.key == bindparam("meta_key"),
        cast(schema.meta.c.value, Integer) < bindparam("new_seq", type_=Integer),
    )
    .values(value=bindparam("meta_value"))
)
"""Moves the stored seq only forwards: no row changes when it is already there or past."""


class SeqNotAhead(Exception):
    """The stored seq is not below a batch's new one: another process wrote the file
    (this server's memory is behind it), so the batch must not be written over it."""

    def __init__(self, seq: int) -> None:
        super().__init__(
            f"the database's stored seq is not below this batch's seq {seq}: another "
            "process has written to the file; the batch is refused (restart the server)"
        )


class _Compiled:
    """A Core statement compiled once for the engine's dialect, run with the driver's own
    ``executemany`` on rows given as tuples in ``order``: SQLAlchemy's per-row parameter
    handling cost as much as SQLite's own work. The tables' columns are plain strings,
    integers and bytes, which a driver takes as they are, so no type processing is
    skipped that would change a value."""

    def __init__(self, statement: Insert | Update, dialect: Dialect, order: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._order = tuple(order)
        positions = compiled.positiontup
        self._named = positions is None
        """A driver taking named parameters gets dicts."""
        self._pick = (
            None
            if positions is None or tuple(positions) == self._order
            else (itemgetter(*[self._order.index(name) for name in positions]))
        )
        """A driver taking them in another order gets them rearranged."""

    def run(self, conn: Connection, rows: list[tuple[Any, ...]]) -> int:
        """Run the statement for every row; returns how many rows it changed."""
        params: Iterable[Any] = rows
        if self._named:
            params = [dict(zip(self._order, row, strict=True)) for row in rows]
        elif self._pick is not None:
            params = [self._pick(row) for row in rows]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
            rowcount: int = cursor.rowcount
            return rowcount
        finally:
            cursor.close()


@dataclass
class StoredState:
    epoch: str
    seq: int
    history_floor: int
    jobs: list[tuple[Job, int]] = field(default_factory=list)
    removals: list[tuple[int, str]] = field(default_factory=list)
    remembered: list[tuple[str, Remembered]] = field(default_factory=list)


class Storage:
    def __init__(self, engine: Engine, lock: ServerLock | None = None) -> None:
        self._engine = engine
        self._lock = lock
        self.checkpointer: Checkpointer | None = None
        """The server's SQLite file: WAL checkpoints it runs in a thread (db/checkpoint.py)."""
        dialect = engine.dialect
        if dialect.name != "sqlite":
            return  # a replicated store writes its batches itself (``pg/batch.py``)
        self._upsert_jobs = _Compiled(_UPSERT_JOBS, dialect, COLUMNS)
        self._insert_events = _Compiled(
            _INSERT_EVENTS, dialect, ("seq", "job_id", "kind", "version")
        )
        self._set_meta = _Compiled(_SET_META, dialect, ("meta_value", "meta_key"))
        self._advance_seq = _Compiled(_ADVANCE_SEQ, dialect, ("meta_value", "meta_key", "new_seq"))
        self._insert_answers = _Compiled(
            schema.idempotency.insert(), dialect, ("key", "status", "body", "created_s")
        )

    @classmethod
    def open(cls, location: Path | str) -> Storage:
        """The database for a tool that writes a row of its own (``jobdesk token``): a
        SQLite file, or a PostgreSQL URL."""
        if isinstance(location, str):
            return cls.open_postgres(location)
        return cls(open_engine(location))

    @classmethod
    def open_for_server(cls, db_path: Path, max_bytes: int | None = None) -> Storage:
        """The database for the one server it may have: locked until ``close``
        (DatabaseInUse if another holds it), its stored seq repaired if it fell behind."""
        db_path = db_path.expanduser()
        lock = ServerLock.acquire(db_path)
        try:
            engine = open_engine(db_path, max_bytes, checkpoint_by_hand=True)
            repair_seq(engine, db_path)
        except BaseException:
            lock.release()
            raise
        storage = cls(engine, lock)
        storage.checkpointer = Checkpointer(db_path)
        return storage

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        self._engine.dispose()
        if self._lock is not None:
            self._lock.release()

    @classmethod
    def open_postgres(cls, url: str) -> Storage:
        """A PostgreSQL database, migrated (replicas starting at once take turns)."""
        return cls(open_postgres_engine(url))

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def tokens(self) -> TokenStore:
        return TokenStore(self._engine)

    def load(self, remembered_after_s: float = 0.0) -> StoredState:
        """Read everything the server keeps in memory, in one consistent transaction:
        the idempotency answers given after ``remembered_after_s`` (older ones are out
        of their window)."""
        with self._snapshot() as conn:
            values = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
            floor = int(values["history_floor"])
            state = StoredState(epoch=values["epoch"], seq=int(values["seq"]), history_floor=floor)
            live = select(schema.jobs.c.data, schema.jobs.c.seq).where(schema.jobs.c.live)
            for data, seq in conn.execute(live):
                state.jobs.append((_decode_job(data), seq))
            removed = select(schema.events.c.seq, schema.events.c.job_id).where(
                schema.events.c.kind == "removed", schema.events.c.seq > floor
            )
            state.removals = [(s, j) for s, j in conn.execute(removed.order_by("seq"))]
            t = schema.idempotency.c
            kept = select(t.key, t.created_s, t.status, t.body).where(
                t.created_s >= remembered_after_s
            )
            state.remembered = [
                (key, Remembered(created, status, body))
                for key, created, status, body in conn.execute(kept)
            ]
        return state

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A transaction whose statements all see the database as it was at its first.

        SQLite's read transaction is one; PostgreSQL's default (READ COMMITTED) takes a
        new snapshot for each statement, so a replica starting while others commit read
        the seq, then jobs changed after it: its feed then held seqs beyond its own, and
        applying the next change from the others failed and stopped its writer."""
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def history(self, query: HistoryQuery) -> tuple[list[bytes], str | None]:
        """A page of the history (run in a thread: it may read many rows)."""
        with self._engine.connect() as conn:
            return read_history(conn, query)

    def stored_job(self, job_id: str) -> bytes | None:
        """A job no longer live, as the history keeps it."""
        with self._engine.connect() as conn:
            return read_job(conn, job_id)

    def prune_history(self, finished_before_s: float, chunk: int = 1000) -> int:
        """Delete up to ``chunk`` history jobs finished before the time; returns how many."""
        jobs = schema.jobs
        old = (
            select(jobs.c.id)
            .where(~jobs.c.live, jobs.c.finished_s < finished_before_s)
            .limit(chunk)
            .scalar_subquery()
        )
        with self._engine.begin() as conn:
            return conn.execute(delete(jobs).where(jobs.c.id.in_(old))).rowcount

    def commit(
        self,
        changes: list[Change],
        seq: int,
        history_floor: int | None,
        remembered: Sequence[tuple[str, Remembered]] = (),
        forget_before_s: float | None = None,
    ) -> None:
        """Write a batch: final job rows, one event row per change, the new seq, and the
        idempotency keys it answered (older ones forgotten).

        A batch with changes first moves the stored seq forward to ``seq``, and raises
        SeqNotAhead (nothing written) when the stored one is not below it; one without
        changes leaves the seq alone, so a sweep of an idle server writes no seq."""
        latest: dict[str, Change] = {}
        for change in changes:
            latest[change.job_id] = change
        upserts = [job_row(c.job, c.seq, c.data) for c in latest.values() if c.job is not None]
        removed = [c.job_id for c in latest.values() if c.job is None]
        event_rows = [
            (c.seq, c.job_id, "update", c.job.version)
            if c.job is not None
            else (c.seq, c.job_id, "removed", 0)
            for c in changes
        ]
        meta: list[tuple[str, str]] = []
        with self._engine.begin() as conn:
            if changes and self._advance_seq.run(conn, [(str(seq), "seq", seq)]) != 1:
                raise SeqNotAhead(seq)
            if upserts:
                self._upsert_jobs.run(conn, upserts)
            if removed:  # out of the live set, into the history
                leave = schema.jobs.c.id.in_(removed)
                conn.execute(update(schema.jobs).where(leave).values(live=False, due_s=None))
            if event_rows:
                self._insert_events.run(conn, event_rows)
            if history_floor is not None:
                conn.execute(delete(schema.events).where(schema.events.c.seq <= history_floor))
                meta.append((str(history_floor), "history_floor"))
            if meta:
                self._set_meta.run(conn, meta)
            if remembered:
                self._insert_answers.run(
                    conn, [(k, r.status, r.body, r.created_s) for k, r in remembered]
                )
            if forget_before_s is not None:
                old = schema.idempotency.c.created_s < forget_before_s
                conn.execute(delete(schema.idempotency).where(old))
