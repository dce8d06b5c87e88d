"""A worker's core: its claims and the jobs it holds, as steps (see ``steps``) that the
thread worker (``worker``) and the asyncio one (``aworker``) take; its completions and
leases are its keeper's (``keeper``).

A worker holds up to ``prefetch`` jobs: the one in hand, the ones claimed ahead of it
(the buffer), and the ones whose completion is on its way. One claim brings as many as
fit; the keeper's completions claim the refill in the same request, so a busy worker
claims without asking. A job the server refuses to renew (cancelled, lease lost) is told
so if in hand, and dropped if still buffered.

``stop()`` ends the loop once the buffer is worked off and the keeper has sent every
completion: no job claimed is left waiting for its lease. Closing the client ends it at
once; jobs still buffered then are left to their leases, as if the worker had died.
Older servers: a claim answered with ``job`` alone, a 404 to the batch, to
complete-many or to complete-and-claim, fall back to one job a claim, a heartbeat a job
and a completion a request.

Its state is shared by the worker's loop, the keeper's thread (or task) and a thread
completing a job, through single deque and dict operations, each atomic: no lock. The
loop and the keeper wake each other with events (the shell's), and look again at the
state after every wake, so a wake that comes early or twice is harmless.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from jobdesk.protocol import Job
from jobdesk.protocol.rest import ClaimRequest
from jobdesk.sdk.claiming import (
    WorkerSettings,
    claim_call,
    claim_request,
    claim_retryable,
    claimed_jobs,
    idle_rest,
)
from jobdesk.sdk.errors import JobStopped, SdkError
from jobdesk.sdk.keeper import Keeper
from jobdesk.sdk.retry import RetryPolicy, rest_between_rounds
from jobdesk.sdk.steps import Sleep, Steps

log = logging.getLogger("jobdesk.sdk")


class InHand(Protocol):
    """A job handed out, as the core sees it: told when its lease is gone."""

    def _told_stopped(self, exc: JobStopped) -> None: ...


class WorkerCore:
    def __init__(
        self,
        settings: WorkerSettings,
        policy: RetryPolicy,
        ring_keeper: Callable[[], None],
        ring_loop: Callable[[], None],
    ) -> None:
        """``ring_keeper`` and ``ring_loop`` cut the keeper's and the loop's Sleep short
        (the shell's events)."""
        self.settings = settings
        self.policy = policy
        self.keeper = Keeper(self, ring_keeper)
        self._ring_loop = ring_loop
        self.stopped = False
        """Claim no more; hand out what is buffered, then end."""
        self.detached = False
        """The client closed: hand out nothing more."""
        self.combined = True
        """Complete and claim in one request (False: the server lacks the endpoint)."""
        self._job_types: list[str] = []
        self._buffer: deque[Job] = deque()
        self._held: dict[str, Job] = {}
        """Every job whose lease this worker renews: the buffered and the handed out."""
        self._in_hand: dict[str, InHand] = {}

    # --- the loop ----------------------------------------------------------------------

    def next_job(self, job_types: list[str]) -> Steps[Job | None]:
        """The next job to hand out, claiming when the buffer is empty; None: the end."""
        self._job_types = job_types
        while not self.detached:
            try:
                return self._buffer.popleft()
            except IndexError:
                pass
            if self.keeper.busy:  # its answer claims the next jobs: wait for it
                yield Sleep(self.settings.heartbeat_every)  # cut short by the answer
                continue
            if self._buffer:  # a round's jobs came in meanwhile (see Keeper.busy)
                continue
            if self.stopped:
                return None
            yield from self._claim()
        return None

    def _claim(self) -> Steps[None]:
        count = max(1, self.settings.prefetch - len(self._buffer))
        started = time.monotonic()
        try:
            answer = yield claim_call(self.settings, self._job_types, count)
        except SdkError as exc:
            if self.stopped:
                return
            if not claim_retryable(exc):
                raise
            log.warning("jobdesk: claiming failed, trying again: %s", exc)
            yield Sleep(rest_between_rounds(self.policy))
            return
        jobs = claimed_jobs(answer)
        self.take(jobs)
        if not jobs:
            yield Sleep(idle_rest(time.monotonic() - started))

    def take(self, jobs: Sequence[Job]) -> None:
        """Jobs claimed for this worker: held, and handed out in claim order."""
        for job in jobs:
            self._held[job.id] = job
            self._buffer.append(job)

    def handed(self, job: Job, in_hand: InHand) -> None:
        self._in_hand[job.id] = in_hand

    def holds(self, job_id: str) -> bool:
        """Whether this worker still renews ``job_id``'s lease."""
        return job_id in self._held

    def release(self, job: Job) -> None:
        """``job`` is over for this worker (ended, closed or left): renew it no more."""
        if self._held.get(job.id) is job:
            self._held.pop(job.id, None)
        self._in_hand.pop(job.id, None)

    def let_go(self, job: Job) -> None:
        """``job`` is out of the loop's hands, its completion with the keeper: still held."""
        self._in_hand.pop(job.id, None)

    def claim_along(self, completing: Sequence[Job]) -> ClaimRequest | None:
        """What the completion of ``completing`` should claim with it: enough to fill the
        prefetch again (a job no longer held, its lease lost, frees no room twice)."""
        if self.stopped or self.detached or not self._job_types:
            return None
        freed = sum(1 for job in completing if self._held.get(job.id) is job)
        count = self.settings.prefetch - (len(self._held) - freed)
        if count < 1:
            return None
        return claim_request(self.settings, self._job_types, count, wait=0.0)

    def held(self) -> list[Job]:
        """Every job whose lease this worker renews."""
        return list(self._held.values())

    def answered(self) -> None:
        """The keeper settled a round: the loop may find jobs, or nothing left to wait for."""
        self._ring_loop()

    def lost(self, job: Job, exc: SdkError) -> None:
        """The server would not renew ``job``: cancelled, its lease lost, or it ended."""
        if self._held.get(job.id) is not job:
            return  # let go of meanwhile
        self._held.pop(job.id, None)
        in_hand = self._in_hand.get(job.id)
        if in_hand is not None:
            if isinstance(exc, JobStopped):
                in_hand._told_stopped(exc)
            log.debug("jobdesk: job %s: lease no longer renewed: %s", job.id, exc)
            return
        try:
            self._buffer.remove(job)
        except ValueError:
            return  # handed out meanwhile: its next report finds out
        log.info("jobdesk: prefetched job %s is no longer ours: %s", job.id, exc)


class WorkerBase:
    """What both worker shells are besides their loop: the core, stopping, the settings."""

    _event_class: Callable[[], Any]
    """The shell's kind of event (``threading.Event``, ``asyncio.Event``)."""

    def __init__(
        self, shell: Any, settings: WorkerSettings, claimed: Callable[[Job, WorkerCore], Any]
    ) -> None:
        self._shell = shell
        self._loop_bell = self._event_class()
        """Cuts the loop's rests short: set by ``stop`` and by the keeper's answers."""
        self._keeper_bell = self._event_class()
        """Cuts the keeper's rest short: set when a completion is handed in."""
        self._core = WorkerCore(settings, shell.policy, self._keeper_bell.set, self._loop_bell.set)
        self._claimed = claimed
        """The client's: makes the claimed job for one handed out, and tracks it."""

    @property
    def settings(self) -> WorkerSettings:
        return self._core.settings

    @property
    def stopped(self) -> bool:
        return self._core.stopped

    def stop(self) -> None:
        """End ``jobs()`` once the jobs it holds are worked off; safe from any thread or a
        signal handler.

        A claim already waiting is not cut off (its job would be lost until its lease ran
        out): if it brings jobs, they are still handed out, then the loop ends.
        """
        self._core.stopped = True
        self._loop_bell.set()

    def _detach(self) -> None:
        """The client closed: end the loop and the keeper, and hand out nothing more."""
        self._core.detached = True
        self._keeper_bell.set()
        self.stop()
