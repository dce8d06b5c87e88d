"""The history of a server's jobs as the monitor and ``jobdesk history`` read it, Qt-free.

A server keeps only its live set in memory (active jobs, recently finished ones); every
job stays in its database, readable with ``GET /api/history`` a page at a time, newest
created first. This module is what is the same for every reader of it:

- ``HistoryFilter``: what to ask for (status, job type, owner, text, created from/to).
- ``moment_bound``: a time as an operator types it (``2026-12-01``, ``2026-12-01 14:30``,
  local time unless it names a zone) made the wire's UTC form; a date alone as the
  upper bound means the end of that day, so "to 2026-12-01" includes the first.
- ``HistoryRows``: the pages read so far, at most ``cap`` rows. "Load older" appends the
  next page at the bottom; past the cap the newest rows (the top) are let go, so memory
  stays bounded however far back the operator pages, and the rows being read (the
  bottom) stay where they are. ``dropped`` counts what was let go, for the view to say.
  ``refresh`` puts a newer state of a row's job in its place (a job still in the live
  set goes on changing after its page was read), where it is, so no row moves.
- ``duration_text``: how long a job ran, for the table and the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from jobdesk.protocol import JobSummary, format_timestamp, parse_timestamp

MAX_ROWS: Final = 5000
"""Rows the History view keeps at most (each a job summary, about 1 kB)."""


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What ``GET /api/history`` is asked for; None (or empty) is "any"."""

    status: str | None = None
    """Any status word the server accepts (queued, running, failed, error, ...)."""
    job_type: str | None = None
    owner: str | None = None
    text: str | None = None
    """Text anywhere in the job, in any case."""
    created_from: str | None = None
    """Wire timestamp (UTC): created at or after."""
    created_to: str | None = None
    """Wire timestamp (UTC): created before."""

    def describe(self) -> str:
        """``failed · type render · "disk"``: the filter in a few words ("" for none)."""
        parts = [
            self.status or "",
            f"type {self.job_type}" if self.job_type else "",
            f"owner {self.owner}" if self.owner else "",
            f'"{self.text}"' if self.text else "",
            f"from {self.created_from}" if self.created_from else "",
            f"to {self.created_to}" if self.created_to else "",
        ]
        return " · ".join(p for p in parts if p)


MOMENT_FORMS: Final = "YYYY-MM-DD, YYYY-MM-DD HH:MM, or ISO 8601 with a zone"


def moment_bound(text: str, *, end: bool = False, zone: tzinfo | None = None) -> str | None:
    """The wire timestamp for a time the operator typed; None for blank text.

    Without a zone the time is local (``zone``, default the machine's). A date alone is
    that day's first moment, or with ``end`` (an exclusive upper bound) the next day's,
    so the whole day is included. ValueError names the forms accepted.
    """
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if len(text) == 10:  # a date alone, not a compact date-time
            start = datetime.combine(day + timedelta(days=1 if end else 0), time())
            return format_timestamp(_localised(start, zone))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{text!r} is not a date or time ({MOMENT_FORMS})") from None
    if moment.tzinfo is None:
        moment = _localised(moment, zone)
    return format_timestamp(moment)


def _localised(naive: datetime, zone: tzinfo | None) -> datetime:
    return naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()


def run_seconds(job: JobSummary) -> float | None:
    """How long a finished job took: from its start (or, never started, its creation) to
    its end; None while it has not finished, or when a time cannot be read."""
    if job.finished_at is None:
        return None
    try:
        begun = parse_timestamp(job.started_at or job.created_at)
        ended = parse_timestamp(job.finished_at)
    except ValueError:
        return None
    return max(0.0, (ended - begun).total_seconds())


def duration_text(seconds: float | None) -> str:
    """``0.4 s``, ``12 s``, ``3 min 05 s``, ``2 h 14 min``, ``3 d 4 h``; "" for None."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@dataclass(frozen=True, slots=True)
class RowsChange:
    """What one change did to the rows, for a view to apply it as it happened."""

    reset: bool = False
    """Everything was replaced (a new search)."""
    dropped: int = 0
    """Rows let go from the top (the newest) to stay within the cap."""
    added: int = 0
    """Rows appended at the bottom (older ones), after the drop."""
    updated: tuple[int, ...] = ()
    """Rows whose job was replaced by a newer state of it, in place."""


RowsListener = Callable[[RowsChange], None]


class HistoryRows:
    """The history rows read so far, newest first, at most ``cap`` of them."""

    def __init__(self, cap: int = MAX_ROWS) -> None:
        if cap < 1:
            raise ValueError("the cap must be at least one row")
        self.cap = cap
        self.jobs: list[JobSummary] = []
        self.dropped = 0
        """Rows let go from the top since the last reset: the view says so."""
        self._ids: set[str] = set()
        self._listeners: list[RowsListener] = []

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[JobSummary]:
        return iter(self.jobs)

    def subscribe(self, listener: RowsListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def reset(self, jobs: Iterable[JobSummary] = ()) -> None:
        """Start over with ``jobs`` (a new search's first page)."""
        self.jobs = []
        self._ids = set()
        self.dropped = 0
        fresh = self._fresh(jobs)
        overflow = max(0, len(fresh) - self.cap)
        self.jobs = fresh[overflow:]
        self._ids = {job.id for job in self.jobs}
        self.dropped = overflow
        self._tell(RowsChange(reset=True))

    def extend(self, jobs: Iterable[JobSummary]) -> RowsChange:
        """Append an older page; past the cap, let the newest rows go. A job already
        shown (a page boundary moved by a job created meanwhile) is not shown twice."""
        fresh = self._fresh(jobs)
        if len(fresh) > self.cap:
            self.dropped += len(fresh) - self.cap
            fresh = fresh[-self.cap :]
        drop = max(0, len(self.jobs) + len(fresh) - self.cap)
        for job in self.jobs[:drop]:
            self._ids.discard(job.id)
        del self.jobs[:drop]
        self.dropped += drop
        self.jobs.extend(fresh)
        self._ids.update(job.id for job in fresh)
        change = RowsChange(dropped=drop, added=len(fresh))
        if drop or fresh:
            self._tell(change)
        return change

    def refresh(self, jobs: Iterable[JobSummary]) -> tuple[int, ...]:
        """Newer states of jobs shown (a higher ``version``) take their rows' places;
        the rows changed. A job not shown is not added: the rows are the search's."""
        newer = {job.id: job for job in jobs if job.id in self._ids}
        updated = []
        for row, shown in enumerate(self.jobs):
            if not newer:
                break
            fresher = newer.pop(shown.id, None)
            if fresher is not None and fresher.version > shown.version:
                self.jobs[row] = fresher
                updated.append(row)
        if updated:
            self._tell(RowsChange(updated=tuple(updated)))
        return tuple(updated)

    def row_of(self, job_id: str) -> int | None:
        if job_id not in self._ids:
            return None
        return next(i for i, job in enumerate(self.jobs) if job.id == job_id)

    @property
    def capped(self) -> bool:
        """Some rows were let go to stay within the cap."""
        return self.dropped > 0

    def _fresh(self, jobs: Iterable[JobSummary]) -> list[JobSummary]:
        seen = set(self._ids)
        fresh = []
        for job in jobs:
            if job.id not in seen:
                seen.add(job.id)
                fresh.append(job)
        return fresh

    def _tell(self, change: RowsChange) -> None:
        for listener in list(self._listeners):
            listener(change)
