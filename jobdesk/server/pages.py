"""One page of a list of jobs, and the cursor to the next (docs/server.md, "Paging").

- A snapshot page: the live state's jobs in id order after the cursor. A job that is
  there from the first page to the last is on exactly one page; one created, changed
  or removed meanwhile has a seq above the first page's, so a client that reads
  ``?since=<the first page's seq>`` afterwards ends with exactly the server's state.
- A resync page: the changes after ``since`` in seq order (each job once, newest state;
  removals as ids). Its ``seq`` is the seq it brings the client to: the last change it
  covers while it was cut, the server's seq once it is the last.

A page holds at most ``limit`` jobs and looks at no more than ``SCAN_FACTOR`` times as
many, so a filter that matches few jobs costs more pages, never a longer one: a page
may even be empty and still have a next cursor. Each page is taken in one step on the
event loop (no await), so it is one consistent state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from jobdesk.server.state import JobQuery, JobRecord, ServerState

SCAN_FACTOR: Final = 4
"""A page looks at no more than this many jobs per job it may return."""
_ID: Final = "id:"
_SEQ: Final = "seq:"


@dataclass(frozen=True, slots=True)
class Page:
    records: list[JobRecord]
    removed: list[str]
    seq: int
    """A snapshot page: the server's seq when it was taken. A resync page: the seq the
    client is at once it has applied this page and the ones before it."""
    next_cursor: str | None
    """Ask for the next page with this; None: the list is complete."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: after a job id (a snapshot) or after a seq (a resync)."""

    after_id: str | None = None
    after_seq: int | None = None


def parse_cursor(text: str | None) -> Cursor:
    """A ``nextCursor`` as the client sent it back (None: the first page), its form
    already checked against the parameter's pattern (``api.common``)."""
    if text is None:
        return Cursor()
    if text.startswith(_SEQ):
        return Cursor(after_seq=int(text[len(_SEQ) :]))
    return Cursor(after_id=text[len(_ID) :])


def snapshot_page(state: ServerState, query: JobQuery, after: str | None, limit: int) -> Page:
    records: list[JobRecord] = []
    budget = limit * SCAN_FACTOR
    last = after
    for job_id in state.by_id.after(after):
        if len(records) == limit or budget == 0:
            return Page(records, [], state.seq, f"{_ID}{last}")
        budget -= 1
        last = job_id
        record = state.jobs[job_id]
        if query.accepts(record.job):
            records.append(record)
    return Page(records, [], state.seq, None)


def since_page(state: ServerState, query: JobQuery, since: int, limit: int) -> Page:
    """The changes after ``since`` (already checked against the kept history)."""
    records: list[JobRecord] = []
    removed: list[str] = []
    budget = limit * SCAN_FACTOR
    reached = since
    for seq, job_id in state.feed.after(since):
        if len(records) + len(removed) == limit or budget == 0:
            return Page(records, removed, reached, f"{_SEQ}{reached}")
        budget -= 1
        reached = seq
        record = state.jobs.get(job_id)
        if record is None:
            removed.append(job_id)
        elif query.accepts(record.job):
            records.append(record)
    return Page(records, removed, state.seq, None)
