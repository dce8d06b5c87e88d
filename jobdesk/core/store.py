"""The client's copy of the jobs of one or more servers, keyed by (server, job id).

Every change, whether it came from the WebSocket, a replay, a poll or a snapshot, goes
through ``JobStore.apply``: a job replaces the stored one only if its version is newer,
so duplicates and overlaps are harmless; a full snapshot replaces the server's jobs and
drops the ones that vanished. ``seq`` is the point of the server's event stream the
stored state is known to include; only the caller, who knows whether the events it
applied were contiguous, moves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from jobdesk.core.compact import Compactor
from jobdesk.protocol import JobSummary

log = logging.getLogger(__name__)

JobKey = tuple[str, str]
"""(server name, job id)."""


class EpochChanged(Exception):
    """The server's epoch differs from the stored one: only a full snapshot can follow."""


@dataclass(frozen=True, slots=True)
class StoreChange:
    server: str
    job_id: str
    job: JobSummary | None
    """The new state, or None when the job was removed."""
    previous: JobSummary | None


@dataclass
class ServerJobs:
    """One server's jobs, and what the client knows of its stream."""

    jobs: dict[str, JobSummary] = field(default_factory=dict)
    epoch: str | None = None
    seq: int = 0
    confirmed_at: float | None = None
    """When the server last told us this state is current (``time.time()``)."""
    job_confirmed: dict[str, float] = field(default_factory=dict)
    """Per job, for backends polled one job at a time (seed 002): when each was last
    confirmed; a job not in here was confirmed with the whole server."""


Listener = Callable[[list[StoreChange]], None]


class JobStore:
    def __init__(self) -> None:
        self._servers: dict[str, ServerJobs] = {}
        self._listeners: list[Listener] = []
        self._compactor = Compactor()

    # --- reading -----------------------------------------------------------------------

    def server(self, name: str) -> ServerJobs:
        return self._servers.setdefault(name, ServerJobs())

    def get(self, key: JobKey) -> JobSummary | None:
        view = self._servers.get(key[0])
        return None if view is None else view.jobs.get(key[1])

    def items(self) -> Iterator[tuple[JobKey, JobSummary]]:
        for name, view in self._servers.items():
            for job_id, job in view.jobs.items():
                yield (name, job_id), job

    def __len__(self) -> int:
        return sum(len(view.jobs) for view in self._servers.values())

    def confirmed_at(self, key: JobKey) -> float | None:
        """When this job's state was last confirmed by its server."""
        view = self._servers.get(key[0])
        if view is None or key[1] not in view.jobs:
            return None
        return view.job_confirmed.get(key[1], view.confirmed_at)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each batch of changes; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- the one apply path ------------------------------------------------------------

    def apply(
        self,
        server: str,
        *,
        epoch: str,
        jobs: Iterable[JobSummary] = (),
        removed: Iterable[str] = (),
        seq: int | None = None,
        replace: bool = False,
        now: float | None = None,
    ) -> list[StoreChange]:
        """Apply what a server said, and tell the listeners what changed.

        ``replace``: a full snapshot; jobs not in it are removed, and it may start a new
        epoch. Otherwise the epoch must be the stored one (EpochChanged if not) and each
        job is taken only if its version is newer. ``seq``, when given, becomes the
        stored seq. ``now`` marks the server's state as confirmed at that time.
        """
        view = self.server(server)
        if not replace and epoch != view.epoch:
            raise EpochChanged(f"{server}: epoch {epoch} is not the stored {view.epoch}")
        changes: list[StoreChange] = []
        if replace:
            fresh: dict[str, JobSummary] = {}
            for job in jobs:
                old = view.jobs.get(job.id)
                if old is not None and job == old:
                    fresh[job.id] = old  # unchanged: the stored objects stay
                else:
                    self._compactor.settle(job, old)
                    fresh[job.id] = job
            for job_id, old in view.jobs.items():
                new = fresh.get(job_id)
                if new is not old:
                    changes.append(StoreChange(server, job_id, new, old))
            changes += [
                StoreChange(server, job_id, job, None)
                for job_id, job in fresh.items()
                if job_id not in view.jobs
            ]
            view.jobs = fresh
            view.epoch = epoch
            view.job_confirmed = {}
        else:
            for job in jobs:
                known = view.jobs.get(job.id)
                if known is None or job.version > known.version:
                    self._compactor.settle(job, known)
                    view.jobs[job.id] = job
                    changes.append(StoreChange(server, job.id, job, known))
            for job_id in removed:
                gone = view.jobs.pop(job_id, None)
                view.job_confirmed.pop(job_id, None)
                if gone is not None:
                    changes.append(StoreChange(server, job_id, None, gone))
        if seq is not None:
            view.seq = seq
        if now is not None:
            view.confirmed_at = now
        if changes:
            self._tell(changes)
        return changes

    def confirm(self, server: str, now: float, seq: int | None = None) -> None:
        """The server says our state is current (a heartbeat or pong while live)."""
        view = self.server(server)
        view.confirmed_at = now
        if seq is not None:
            view.seq = seq

    def confirm_jobs(self, server: str, job_ids: Iterable[str], now: float) -> None:
        """These jobs, polled one by one, are current as of ``now``."""
        confirmed = self.server(server).job_confirmed
        for job_id in job_ids:
            confirmed[job_id] = now

    def forget(self, server: str) -> None:
        """Drop a server (its profile was removed), telling listeners its jobs are gone."""
        view = self._servers.pop(server, None)
        if view and view.jobs:
            self._tell([StoreChange(server, i, None, j) for i, j in view.jobs.items()])

    def _tell(self, changes: list[StoreChange]) -> None:
        """A failing listener is logged and skipped: a broken view must not look like a
        network failure to the engine, nor keep the other listeners from hearing."""
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("a job store listener failed")
