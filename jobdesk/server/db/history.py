"""Reading the history: every job the database keeps, filtered and paged from an index.

The server holds only the live set in memory; what retention moved out of it is read
here, newest created first, a page at a time, so neither the server's memory nor one
answer grows with the history. Queries are SQLAlchemy Core, so both stores run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, Connection, Select, String, and_, cast, func, or_, select

from jobdesk.protocol import Status
from jobdesk.server.db import schema

CURSOR_PATTERN: Final = r"^h:[0-9T:.+Z-]{0,40}\|.{1,64}$"
"""A history page's nextCursor: after which (created, id) its next page starts."""


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Every given filter must match; ``text`` is looked for in the job's JSON (its name,
    id, log, error, metadata), without regard to case."""

    status: Status | None = None
    job_type: str | None = None
    owner: str | None = None
    text: str | None = None
    created_from: str | None = None
    """Created at or after this UTC timestamp (the jobs' own ``createdAt`` form)."""
    created_to: str | None = None
    """Created before this one."""
    limit: int = 100
    cursor: str | None = None


def parse_cursor(text: str) -> tuple[str, str]:
    created, _, job_id = text[2:].partition("|")
    return created, job_id


def cursor_after(created: str, job_id: str) -> str:
    return f"h:{created}|{job_id}"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json_text(dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.convert_from(schema.jobs.c.data, "UTF8")
    return cast(schema.jobs.c.data, String)


def history_select(query: HistoryQuery, dialect: str) -> Select[bytes, str, str]:
    """One page's rows (``limit`` + 1 of them, to tell whether another page follows)."""
    jobs = schema.jobs.c
    where: list[ColumnElement[bool]] = []
    if query.status is not None:
        where.append(jobs.status == query.status.value)
    if query.job_type is not None:
        where.append(jobs.job_type == query.job_type)
    if query.owner is not None:
        where.append(jobs.owner == query.owner)
    if query.created_from is not None:
        where.append(jobs.created_at >= query.created_from)
    if query.created_to is not None:
        where.append(jobs.created_at < query.created_to)
    if query.text:
        where.append(_json_text(dialect).ilike(f"%{_escaped(query.text)}%", escape="\\"))
    if query.cursor is not None:
        created, job_id = parse_cursor(query.cursor)
        where.append(
            or_(jobs.created_at < created, and_(jobs.created_at == created, jobs.id < job_id))
        )
    return (
        select(jobs.data, jobs.created_at, jobs.id)
        .where(*where)
        .order_by(jobs.created_at.desc(), jobs.id.desc())
        .limit(query.limit + 1)
    )


def read_history(conn: Connection, query: HistoryQuery) -> tuple[list[bytes], str | None]:
    """A page of jobs as their rows' JSON, and the cursor of the next page (None: last)."""
    rows = conn.execute(history_select(query, conn.dialect.name)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = cursor_after(rows[-1][1], rows[-1][2]) if more and rows else None
    return [bytes(row[0]) for row in rows], cursor


def read_job(conn: Connection, job_id: str) -> bytes | None:
    """One job's JSON, live or in the history (None: the database has no such job)."""
    row = conn.execute(select(schema.jobs.c.data).where(schema.jobs.c.id == job_id)).first()
    return None if row is None else bytes(row[0])
