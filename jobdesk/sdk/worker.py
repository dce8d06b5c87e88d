"""Worker: the thread shell of the loop that takes jobs from the queue (its core is
``working``), until it is stopped.

::

    worker = client.worker("mailer-1", lease=60, wait=20)
    for job in worker.jobs("send-email"):
        with job:                     # completes it, or fails it if the block raises
            send(job.payload["to"])
            job.progress(100)

Each turn hands out the next job held, claiming with a long poll when none is, so an
idle worker costs one request per ``wait`` seconds and never spins. The loop's
completions go to the worker's keeper thread, which sends those of a round in one
request claiming the next jobs, and renews the leases of all the jobs held (see
``keeper``). When the server is away the claim is retried with the client's retry
policy, and then again after a rest, for as long as it takes: a worker outlives server
restarts. A refusal that retrying cannot fix (a bad token, a bad job type) ends the loop
with its SdkError.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.claimed import ClaimedJob
from jobdesk.sdk.claiming import check_job_types
from jobdesk.sdk.threads import ThreadShell
from jobdesk.sdk.working import WorkerBase

log = logging.getLogger("jobdesk.sdk")


class Worker(WorkerBase):
    """Claims jobs for one thread; make one per thread that works (``client.worker()``)."""

    _shell: ThreadShell
    _event_class = threading.Event

    def jobs(self, *job_types: str) -> Generator[ClaimedJob, None, None]:
        """Claimed jobs of ``job_types``, one at a time, until ``stop()`` or the client
        closes.

        Use each job with ``with job:``, or end it with ``job.complete()`` /
        ``job.fail()``. A job the loop body left open is completed when the next job is
        asked for. A job still open when the loop is left (``break``, an exception, the
        iterator dropped or closed) is left to its lease, as if the worker had died: it
        is requeued when the lease expires; so are the jobs claimed ahead of it. So hold
        the iterator while working on a job (``next(worker.jobs(...))`` alone drops it at
        once).
        """
        return self._loop(check_job_types(job_types))

    def _loop(self, job_types: list[str]) -> Generator[ClaimedJob, None, None]:
        current: ClaimedJob | None = None
        keeper = threading.Thread(target=self._keep, name="jobdesk-keeper", daemon=True)
        try:
            keeper.start()
            while (job := self._next(job_types)) is not None:
                current = self._claimed(job, self._core)
                yield current
                current._settle()
                current = None
        finally:
            if current is not None:
                current._abandon()
            self._core.keeper.end()
            if keeper is not threading.current_thread():
                keeper.join()

    def _keep(self) -> None:
        try:
            self._shell.run(self._core.keeper.keeping(), pause=self._keeper_pause)
        except RuntimeError:
            if not self._core.detached:  # the client closed under a request: fine
                raise
        finally:
            self._core.keeper.gone()

    def _keeper_pause(self, seconds: float) -> bool:
        self._keeper_bell.wait(seconds)
        self._keeper_bell.clear()
        return True

    def _next(self, job_types: list[str]) -> Job | None:
        try:
            return self._shell.run(self._core.next_job(job_types), pause=self._pause)
        except RuntimeError:
            if self._core.detached:  # the client closed under a claim in another thread
                return None
            raise

    def _pause(self, seconds: float) -> bool:
        self._loop_bell.wait(seconds)
        self._loop_bell.clear()
        return not self.stopped

    def run(self, handler: Callable[[ClaimedJob], Any], *job_types: str) -> None:
        """Call ``handler(job)`` for every claimed job until stopped.

        What the handler returns is the job's result; an exception fails the job, is
        logged, and the loop goes on to the next job.
        """
        for job in self.jobs(*job_types):
            try:
                with job:
                    job._returned = handler(job)
            except Exception:
                log.exception("jobdesk: job %s failed", job.job_id)
