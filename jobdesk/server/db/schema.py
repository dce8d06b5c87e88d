"""The database schema (SQLAlchemy Core), the single source Alembic migrates to.

A job row holds the whole Job as msgspec JSON plus the columns queries filter on; the
events table holds one row per change, in ``seq`` order, written in the same transaction
as the job row it describes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
    true,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)
"""Server-wide values: ``epoch`` (fixed at creation), ``seq`` and ``history_floor``."""

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("job_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("live", Boolean, nullable=False, server_default=true()),
    Column("priority", Integer, nullable=False, server_default="1"),
    Column("created_at", String(40), nullable=False, server_default=""),
    Column("due_s", Float, nullable=True),
    Column("finished_s", Float, nullable=True),
    Index("ix_jobs_seq", "seq"),
    Index("ix_jobs_status", "status"),
    Index(
        "ix_jobs_claim",
        "job_type",
        "priority",
        "created_at",
        "id",
        postgresql_where=text("due_s IS NOT NULL"),
        sqlite_where=text("due_s IS NOT NULL"),
    ),
    Index("ix_jobs_live", "id", postgresql_where=text("live"), sqlite_where=text("live")),
    Index("ix_jobs_created", "created_at", "id"),
    Index("ix_jobs_finished", "finished_s"),
)
"""Every job the database keeps: the live set (``live``: what the servers hold in memory)
and the history (finished jobs retention moved out of it). ``version`` fences writes
from several replicas; ``priority``, ``created_at`` and ``due_s`` (set only while
waiting) are the claim order (``columns.py``)."""

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("job_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_events_kind_seq", "kind", "seq"),
)
"""``kind`` is ``update`` or ``removed``; events at or below ``history_floor`` are pruned."""

tokens = Table(
    "tokens",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ux_tokens_name", "name", unique=True),
)
"""Only a token's SHA-256 is stored: the token itself is shown once, when created. Names
are unique: the name is who the server says did something."""

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("status", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_s", Float, nullable=False),
    Index("ix_idempotency_created", "created_s"),
)
"""An answered write's scoped key (a SHA-256; ``:N`` for a batch's N-th entry) and the
answer a retry gets; pruned when older than the idempotency window."""
