"""Repairs a database whose stored seq fell behind its own rows, at start.

Before one server per file was enforced (``lock.py``), a second server's idle sweep
could write its stale ``meta.seq`` over the first one's; every write after a restart
then reused a seq already in ``events`` and failed. The rows themselves are right: the
seq is taken back from the highest one they carry.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from jobdesk.server.db import schema

log = logging.getLogger("jobdesk.server.db")


def repair_seq(engine: Engine, db_path: Path) -> None:
    """Move ``meta.seq`` up to max(events.seq, jobs.seq) when it is below, saying so."""
    with engine.begin() as conn:
        stored = int(
            conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).scalar_one()
        )
        highest = max(
            conn.execute(select(func.max(schema.events.c.seq))).scalar() or 0,
            conn.execute(select(func.max(schema.jobs.c.seq))).scalar() or 0,
        )
        if highest <= stored:
            return
        conn.execute(
            update(schema.meta).where(schema.meta.c.key == "seq").values(value=str(highest))
        )
    log.warning(
        "repaired %s: its stored seq was %d, below its newest change %d (written by a "
        "second server on the same file); seq is now %d",
        db_path,
        stored,
        highest,
        highest,
    )
