"""Seed 004's payloads to the canonical job: what the Socket.IO adapter knows of each job.

Seed 004 never sends a whole job: ``job:progress`` (JobProgressData) says status,
progress and a message, ``job:completed`` (JobCompletedData) a result, ``job:error``
(JobErrorData) an error, and the polling fallback's ``GET /api/jobs/{id}`` (seed 002's
shape) status, message, progress and maybe an error. So each job is the sum of what was
heard about it (``Seen``), and every payload merges into it.

Pushes and the (re)connect fetch race each other (an event may overtake the answer of a
fetch sent before it), so every payload carries its ``timestamp`` and one older than
the job's last is ignored: the job never steps back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from jobdesk.protocol import Job, JobSummary, LogEntry, Status
from jobdesk.protocol.models import LogLevel
from jobdesk.protocol.status import parse_status
from jobdesk.protocol.timestamps import format_timestamp, now_timestamp, parse_timestamp

MAX_LOG: Final = 200
"""Messages kept per job for the detail panel (the seed keeps none: this is what the
monitor heard)."""


@dataclass
class Seen:
    """One job as the adapter has heard of it so far."""

    id: str
    owner: str = ""
    status: Status = Status.QUEUED
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    result: Any = None
    created_at: str = ""
    updated_at: str = ""
    finished_at: str | None = None
    log: list[LogEntry] = field(default_factory=list)
    _moment: datetime | None = None

    def summary(self) -> JobSummary:
        return JobSummary(
            id=self.id,
            name=self.id,
            status=self.status,
            progress=self.progress,
            message=self.message,
            owner=self.owner,
            error=self.error,
            created_at=self.created_at,
            updated_at=self.updated_at,
            finished_at=self.finished_at,
        )

    def job(self) -> Job:
        return Job(
            id=self.id,
            name=self.id,
            status=self.status,
            progress=self.progress,
            message=self.message,
            owner=self.owner,
            error=self.error,
            created_at=self.created_at,
            updated_at=self.updated_at,
            finished_at=self.finished_at,
            messages=list(self.log),
            result=self.result,
        )

    def merge(self, data: Mapping[str, Any], *, final: Status | None = None) -> bool:
        """One payload (an event's or the REST answer); False when it is older than what
        is known (then nothing changes). ``final``: the status the event itself means
        (``job:completed``, ``job:error``) when its ``status`` word is missing or odd."""
        stamp, moment = _stamp(data.get("timestamp"))
        if moment is not None and self._moment is not None and moment < self._moment:
            return False
        if moment is not None:
            self._moment = moment
        self.status = _status(data.get("status"), final or self.status)
        if isinstance(progress := data.get("progress"), int | float):
            self.progress = min(100.0, max(0.0, float(progress)))
        elif self.status is Status.COMPLETED:
            self.progress = 100.0
        if isinstance(message := data.get("message"), str) and message != self.message:
            self.message = message
            self._note("info", message, stamp)
        if isinstance(error := data.get("error"), str):
            if error != self.error:
                self._note("error", error, stamp)
            self.error = error
        elif self.status.is_active:
            self.error = None
        if "result" in data:
            self.result = data["result"]
        elif "documentId" in data:  # seed 002's only result
            self.result = {"documentId": data["documentId"]}
        self.created_at = self.created_at or stamp
        self.updated_at = stamp
        self.finished_at = (self.finished_at or stamp) if self.status.is_terminal else None
        return True

    def _note(self, level: LogLevel, text: str, stamp: str) -> None:
        self.log.append(LogEntry(level=level, text=text, timestamp=stamp))
        del self.log[:-MAX_LOG]


def _stamp(value: object) -> tuple[str, datetime | None]:
    """The payload's time in the wire format, and as a moment to order by; a missing or
    unreadable one is "now" and orders after nothing (it is always applied)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = parse_timestamp(value)
            return format_timestamp(moment), moment
    return now_timestamp(), None


def _status(word: object, fallback: Status) -> Status:
    if isinstance(word, str):
        with contextlib.suppress(ValueError):
            return parse_status(word)
    return fallback


def job_id_of(data: object, key: str) -> str | None:
    """The job an event is about, or None for a payload that names none."""
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, str | int) and str(value):
            return str(value)
    return None
