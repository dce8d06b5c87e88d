"""Synchronous database access, run off the event loop by the writer and at start-up.

The database is the durable copy; the server keeps its committed state in memory
(see ``state.py``) and writes each batch of changes here in one transaction before any
client hears of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from sqlalchemy import Engine, Insert, bindparam, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobdesk.protocol import Job
from jobdesk.server.changes import Change
from jobdesk.server.db import schema
from jobdesk.server.db.engine import open_engine

_encode = msgspec.json.Encoder().encode
_decode_job = msgspec.json.Decoder(Job).decode


def _build_upsert() -> Insert:
    stmt = sqlite_insert(schema.jobs)
    return stmt.on_conflict_do_update(
        index_elements=[schema.jobs.c.id],
        set_={name: stmt.excluded[name] for name in ("seq", "status", "owner", "job_type", "data")},
    )


# Built once: constructing statements per commit cost more than SQLite's own work.
_UPSERT_JOBS = _build_upsert()
_INSERT_EVENTS = schema.events.insert()
_SET_META = (
    update(schema.meta)
    .where(schema.meta.c.key == bindparam("meta_key"))
    .values(value=bindparam("meta_value"))
)


@dataclass
class StoredState:
    epoch: str
    seq: int
    history_floor: int
    jobs: list[tuple[Job, int]] = field(default_factory=list)
    removals: list[tuple[int, str]] = field(default_factory=list)
    remembered: dict[str, tuple[float, Job]] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str


class Storage:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, db_path: Path) -> Storage:
        return cls(open_engine(db_path))

    def close(self) -> None:
        self._engine.dispose()

    def load(self) -> StoredState:
        """Read everything the server keeps in memory, in one consistent transaction."""
        with self._engine.begin() as conn:
            values = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
            floor = int(values["history_floor"])
            state = StoredState(epoch=values["epoch"], seq=int(values["seq"]), history_floor=floor)
            for data, seq in conn.execute(select(schema.jobs.c.data, schema.jobs.c.seq)):
                state.jobs.append((_decode_job(data), seq))
            removed = select(schema.events.c.seq, schema.events.c.job_id).where(
                schema.events.c.kind == "removed", schema.events.c.seq > floor
            )
            state.removals = [(s, j) for s, j in conn.execute(removed.order_by("seq"))]
            t = schema.idempotency.c
            state.remembered = {
                key: (created, _decode_job(job))
                for key, job, created in conn.execute(select(t.key, t.job, t.created_s))
            }
        return state

    def commit(
        self,
        changes: list[Change],
        seq: int,
        history_floor: int | None,
        remembered: Sequence[tuple[str, float, Job]] = (),
        forget_before_s: float | None = None,
    ) -> None:
        """Write a batch: final job rows, one event row per change, the new seq, and the
        idempotency keys it answered (older ones forgotten)."""
        latest: dict[str, Change] = {}
        for change in changes:
            latest[change.job_id] = change
        upserts = [
            {
                "id": c.job_id,
                "seq": c.seq,
                "status": c.job.status.value,
                "owner": c.job.owner,
                "job_type": c.job.job_type,
                "data": _encode(c.job),
            }
            for c in latest.values()
            if c.job is not None
        ]
        removed = [c.job_id for c in latest.values() if c.job is None]
        event_rows = [
            {
                "seq": c.seq,
                "job_id": c.job_id,
                "kind": "removed" if c.job is None else "update",
                "version": 0 if c.job is None else c.job.version,
            }
            for c in changes
        ]
        meta = [{"meta_key": "seq", "meta_value": str(seq)}]
        with self._engine.begin() as conn:
            if upserts:
                conn.execute(_UPSERT_JOBS, upserts)
            if removed:
                conn.execute(delete(schema.jobs).where(schema.jobs.c.id.in_(removed)))
            if event_rows:
                conn.execute(_INSERT_EVENTS, event_rows)
            if history_floor is not None:
                conn.execute(delete(schema.events).where(schema.events.c.seq <= history_floor))
                meta.append({"meta_key": "history_floor", "meta_value": str(history_floor)})
            conn.execute(_SET_META, meta)
            if remembered:
                rows = [{"key": k, "job": _encode(j), "created_s": t} for k, t, j in remembered]
                conn.execute(schema.idempotency.insert(), rows)
            if forget_before_s is not None:
                old = schema.idempotency.c.created_s < forget_before_s
                conn.execute(delete(schema.idempotency).where(old))

    # --- tokens ------------------------------------------------------------------------

    def find_token(self, token_hash: str) -> TokenRecord | None:
        with self._engine.begin() as conn:
            row = conn.execute(
                select(schema.tokens.c.name, schema.tokens.c.role).where(
                    schema.tokens.c.hash == token_hash
                )
            ).first()
        return None if row is None else TokenRecord(name=row[0], role=row[1])

    def has_tokens(self) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(select(schema.tokens.c.hash).limit(1)).first() is not None

    def add_token(self, token_hash: str, name: str, role: str, created_at: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                schema.tokens.insert(),
                {"hash": token_hash, "name": name, "role": role, "created_at": created_at},
            )
