"""Pieces every seed mapping needs: a Job's summary, progress scales, stable times.

A seed job often lacks what the canonical Job requires (a creation time, a name), and
``ForeignJobs`` gives a new version whenever the canonical form differs; so a value the
adapter makes up must be made up once per job and then kept, or every poll would look
like news.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from jobdesk.protocol import Job, JobSummary, LogEntry
from jobdesk.protocol.models import LogLevel
from jobdesk.protocol.status import Status, parse_status
from jobdesk.protocol.timestamps import format_timestamp, parse_timestamp

log = logging.getLogger(__name__)
_SUMMARY_FIELDS = JobSummary.__struct_fields__
_LEVELS: dict[str, LogLevel] = {
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
}


def summary_of(job: Job) -> JobSummary:
    """The summary the store keeps of a whole job."""
    return JobSummary(**{name: getattr(job, name) for name in _SUMMARY_FIELDS})


def percent(value: Any, scale: float) -> float:
    """A progress reading on the seed's scale (1 for a fraction, 100 for percent) as
    0-100, clamped; anything that is not a number is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return 0.0
    return min(100.0, max(0.0, float(value) * 100.0 / scale))


_UNKNOWN_WORDS: set[str] = set()
"""Status words already logged, so a poll every few seconds does not repeat the warning."""


def status_of(word: Any) -> Status | None:
    """The canonical status for any seed's word; None (logged once) for one no seed uses."""
    try:
        return parse_status(str(word))
    except ValueError:
        if str(word) not in _UNKNOWN_WORDS:
            _UNKNOWN_WORDS.add(str(word))
            log.warning("jobs with status %r, which no seed uses, are left out", word)
        return None


def timestamp(value: Any) -> str | None:
    """A wire timestamp in the canonical spelling, or None when absent or unreadable
    (epoch milliseconds, as JavaScript backends send, are read too)."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_timestamp(datetime.fromtimestamp(value / 1000.0, UTC))
        if isinstance(value, str) and value:
            return format_timestamp(parse_timestamp(value))
    except (ValueError, OverflowError, OSError):
        pass
    return None


def log_entries(raw: Any, fallback_time: str) -> list[LogEntry]:
    """Messages as log lines; ``{level, text}`` or ``{type, message}`` both read."""
    entries: list[LogEntry] = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict):
            continue
        level = _LEVELS.get(str(item.get("level", item.get("type", "info"))).lower(), "info")
        text = item.get("text", item.get("message", ""))
        when = timestamp(item.get("timestamp")) or fallback_time
        entries.append(LogEntry(level=level, text=str(text), timestamp=when))
    return entries


class FirstSeen:
    """When the adapter first saw each job, for the times its backend does not give."""

    def __init__(self, wall: Callable[[], float]) -> None:
        self._wall = wall
        self._at: dict[str, str] = {}

    def of(self, job_id: str) -> str:
        if job_id not in self._at:
            self._at[job_id] = format_timestamp(datetime.fromtimestamp(self._wall(), UTC))
        return self._at[job_id]

    def keep(self, job_ids: Iterable[str]) -> None:
        """Forget the jobs not in ``job_ids`` (the backend dropped them)."""
        wanted = set(job_ids)
        self._at = {job_id: at for job_id, at in self._at.items() if job_id in wanted}

    def now(self) -> str:
        return format_timestamp(datetime.fromtimestamp(self._wall(), UTC))
