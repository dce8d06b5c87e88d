"""Worker: the loop that takes jobs from the queue, one at a time, until it is stopped.

::

    worker = client.worker("mailer-1", lease=60, wait=20)
    for job in worker.jobs("send-email"):
        with job:                     # completes it, or fails it if the block raises
            send(job.payload["to"])
            job.progress(100)

Each turn claims the next job of the given types with a long poll, so an idle worker
costs one request per ``wait`` seconds and never spins. When the server is away the
claim is retried with the client's retry policy, and then again after a rest, for as
long as it takes: a worker outlives server restarts. A refusal that retrying cannot fix
(a bad token, a bad job type) ends the loop with its SdkError.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.claimed import ClaimedJob
from jobdesk.sdk.claiming import (
    WorkerSettings,
    check_job_types,
    claim_call,
    claim_retryable,
    idle_rest,
)
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.transport import SyncTransport

log = logging.getLogger("jobdesk.sdk")


class Worker:
    """Claims jobs for one thread; make one per thread that works (``client.worker()``)."""

    def __init__(
        self,
        transport: SyncTransport,
        settings: WorkerSettings,
        claimed: Callable[[Job, WorkerSettings], ClaimedJob],
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._claimed = claimed
        self._stopped = threading.Event()
        self._detached = False

    @property
    def settings(self) -> WorkerSettings:
        return self._settings

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """End ``jobs()`` after the job in hand; safe from any thread or a signal handler.

        A claim already waiting is not cut off (its job would be lost until its lease ran
        out): if it brings a job, that job is still handed out, then the loop ends.
        """
        self._stopped.set()

    def _detach(self) -> None:
        """The client closed: end the loop, and hand out nothing more."""
        self._detached = True
        self._stopped.set()

    def jobs(self, *job_types: str) -> Generator[ClaimedJob, None, None]:
        """Claimed jobs of ``job_types``, one at a time, until ``stop()`` or the client
        closes.

        Use each job with ``with job:``, or end it with ``job.complete()`` /
        ``job.fail()``. A job the loop body left open is completed when the next job is
        asked for. A job still open when the loop is left (``break``, an exception, the
        iterator dropped or closed) is left to its lease, as if the worker had died: it
        is requeued when the lease expires. So hold the iterator while working on a job
        (``next(worker.jobs(...))`` alone drops it at once).
        """
        return self._loop(check_job_types(job_types))

    def _loop(self, job_types: list[str]) -> Generator[ClaimedJob, None, None]:
        current: ClaimedJob | None = None
        try:
            while not self._stopped.is_set():
                claimed = self._claim(job_types)
                if claimed is None or self._detached:
                    continue
                current = self._claimed(claimed, self._settings)
                yield current
                current._settle()
                current = None
        finally:
            if current is not None:
                current._abandon()

    def _claim(self, job_types: list[str]) -> Job | None:
        """The next job, or None when the wait ended empty or the claim failed for now."""
        call = claim_call(self._settings, job_types)
        started = time.monotonic()
        try:
            job = self._transport.send(call, pause=self._pause).job
        except SdkError as exc:
            if self._stopped.is_set():
                return None
            if not claim_retryable(exc):
                raise
            log.warning("jobdesk: claiming failed, trying again: %s", exc)
            self._pause(rest_between_rounds(self._transport.policy))
            return None
        except RuntimeError:
            if self._detached:  # the client closed under a claim in another thread
                return None
            raise
        if job is None:
            self._pause(idle_rest(time.monotonic() - started))
        return job

    def _pause(self, seconds: float) -> bool:
        return not self._stopped.wait(seconds)

    def run(self, handler: Callable[[ClaimedJob], Any], *job_types: str) -> None:
        """Call ``handler(job)`` for every claimed job until stopped.

        What the handler returns is the job's result; an exception fails the job, is
        logged, and the loop goes on to the next job.
        """
        for job in self.jobs(*job_types):
            try:
                with job:
                    result = handler(job)
                    if not job.closed:
                        job.complete(result)
            except Exception:
                log.exception("jobdesk: job %s failed", job.job_id)
