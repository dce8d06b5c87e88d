"""Keeping a monitor's 100,000 jobs small: equal strings shared instead of repeated.

A decoded job owns a fresh copy of every string, though most repeat: a server has a
handful of job types and owners, metadata values such as a queue or project name recur
across thousands of jobs, a finished job's ``finishedAt`` is its ``updatedAt``, and an
update repeats most of the previous state (its name, metadata, timestamps). Sharing
them took a summary from 1,270 to 940 bytes of objects at 3 µs per job
(docs/benchmarks.md). The strings are equal, so nothing a reader sees changes; the
jobs are the decoder's fresh objects, which only the store holds, so setting their
fields is safe.
"""

from __future__ import annotations

from typing import Final

from msgspec.structs import force_setattr

from jobdesk.protocol import JobSummary

SHARED_WITH_PREVIOUS: Final = (
    "name",
    "message",
    "metadata",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "lease_expires_at",
    "retry_at",
)
"""Fields an update usually repeats: the previous state's objects are kept for them, so
the new ones die young instead of aging into the garbage collector's older
generations."""

SHORT_VALUE: Final = 32
"""Metadata strings up to this length are shared (names of queues, projects, formats);
longer ones (paths, descriptions) rarely repeat."""


class Compactor:
    """Shares equal strings between jobs and between a job's successive states.

    The table of shared strings is bounded (``limit`` entries, a few hundred KB at
    most): past it, new values are simply not shared.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._table: dict[str, str] = {}
        self._limit = limit

    def settle(self, job: JobSummary, previous: JobSummary | None) -> None:
        """Make ``job`` share what it can before the store keeps it."""
        force_setattr(job, "job_type", self._shared(job.job_type))
        force_setattr(job, "owner", self._shared(job.owner))
        if previous is None:
            self._share_metadata_values(job)
        else:
            for name in SHARED_WITH_PREVIOUS:
                mine, theirs = getattr(job, name), getattr(previous, name)
                if mine is not theirs and mine == theirs:
                    force_setattr(job, name, theirs)
            if job.metadata is not previous.metadata:
                self._share_metadata_values(job)
        if job.finished_at is not None and job.finished_at == job.updated_at:
            force_setattr(job, "finished_at", job.updated_at)

    def _share_metadata_values(self, job: JobSummary) -> None:
        metadata = job.metadata
        for key, value in metadata.items():
            if type(value) is str and len(value) <= SHORT_VALUE:
                metadata[key] = self._shared(value)  # a value replaced: no resize, safe

    def _shared(self, text: str) -> str:
        found = self._table.get(text)
        if found is not None:
            return found
        if len(self._table) < self._limit:
            self._table[text] = text
        return text
