"""``watch --json``: one JSON object per line for every job change, for scripts and tests.

A line has exactly id, name, status (canonical word), progress (0-100), message,
updatedAt and seq: enough to follow jobs, small enough to read in a terminal, and
stable, so ``jq`` filters and tests keep working as the Job model grows. ``seq`` is the
store's seq for the server once the change is applied, so the snapshot's jobs come
first with the snapshot's seq, then each change as it happens. Removals (old finished
jobs dropped by retention) print nothing: a line always describes a job.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

import msgspec

from jobdesk.core.store import JobStore, StoreChange
from jobdesk.protocol import JobSummary


class JobLine(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    status: str
    progress: float
    message: str
    updated_at: str
    seq: int


def job_line(job: JobSummary, seq: int) -> JobLine:
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
    """A store listener printing each changed job to ``out``.

    A failed write (the reader of the pipe went away) goes to ``on_error``, which ends the
    watch: raised, the store would only log it and the watch would go on writing to
    nobody.
    """

    def __init__(
        self,
        store: JobStore,
        on_error: Callable[[OSError], None],
        out: TextIO | None = None,
        shown: Callable[[JobSummary], bool] | None = None,
    ) -> None:
        self._store = store
        self._shown = shown
        """Which jobs get lines (``--status``); None: all."""
        self._on_error = on_error
        self._out = out
        self._encoder = msgspec.json.Encoder()
        self._failed = False

    def changed(self, changes: list[StoreChange]) -> None:
        lines = [
            self._encoder.encode(job_line(change.job, self._store.server(change.server).seq))
            for change in changes
            if change.job is not None and (self._shown is None or self._shown(change.job))
        ]
        if not lines or self._failed:
            return
        out = self._out or sys.stdout
        try:
            # Flushed at once: a reader on a pipe sees each change as it happens.
            out.write("".join(line.decode() + "\n" for line in lines))
            out.flush()
        except OSError as exc:
            self._failed = True
            self._on_error(exc)
