"""ClaimedJob: the thread shell of a claimed job (see ``holding`` for its core)."""

from __future__ import annotations

import logging

from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.holding import ClaimedCore
from jobdesk.sdk.reporter import JobReporter

log = logging.getLogger("jobdesk.sdk")


class ClaimedJob(ClaimedCore, JobReporter):
    __doc__ = ClaimedCore.__doc__

    def heartbeat(self) -> None:
        """Renew the lease now (the worker does so for all its jobs every lease/3 s).

        Raises ``Cancelled`` or ``LeaseLost`` when the job is no longer this worker's.
        """
        self._run(self._beating())

    def _settle(self) -> None:
        try:
            self._run(self._settling())
        finally:
            self._shutdown()

    def _abandon(self) -> None:
        """The worker loop was left with the job open: stop reporting, and leave the job
        to its lease, as if this worker had died (it is then requeued)."""
        try:
            self.close()
        except SdkError as exc:
            log.warning("jobdesk: job %s left open: %s", self.job_id, exc)
