"""``watch --json``: one JSON object per line for every job change, for scripts and tests.

A line has exactly id, name, status (canonical word), progress (0-100), message,
updatedAt and seq: enough to follow jobs, small enough to read in a terminal, and
stable, so ``jq`` filters and tests keep working as the Job model grows. The snapshot's
jobs come first (with the snapshot's seq), then each change as it happens. Removals
(old finished jobs dropped by retention) print nothing: a line always describes a job.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

import msgspec

from jobdesk.cli.watch_state import StateReporter
from jobdesk.client.store import Change, JobStore
from jobdesk.client.watcher import WatchState
from jobdesk.protocol import Job


class JobLine(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    status: str
    progress: float
    message: str
    updated_at: str
    seq: int


def job_line(job: Job, seq: int) -> JobLine:
    return JobLine(
        id=job.id,
        name=job.name,
        status=job.status.value,
        progress=job.progress,
        message=job.message,
        updated_at=job.updated_at,
        seq=seq,
    )


class JsonLinesView:
    """A WatchListener printing changes to ``out``, connection states to ``err``."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._states = StateReporter(err)
        self._encoder = msgspec.json.Encoder()

    def connection(self, state: WatchState, detail: str) -> None:
        self._states.report(state, detail)

    def changed(self, store: JobStore, changes: Sequence[Change]) -> None:
        lines = [
            self._encoder.encode(job_line(change.job, change.seq)).decode()
            for change in changes
            if change.job is not None
        ]
        if lines:
            # Flushed at once: a reader on a pipe sees each change as it happens.
            self._out.write("".join(line + "\n" for line in lines))
            self._out.flush()
