"""AsyncClaimedJob: the asyncio shell of a claimed job (see ``holding`` for its core)."""

from __future__ import annotations

import logging

from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.holding import ClaimedCore

log = logging.getLogger("jobdesk.sdk")


class AsyncClaimedJob(ClaimedCore, AsyncJobReporter):
    __doc__ = ClaimedCore.__doc__

    async def heartbeat(self) -> None:
        """Renew the lease now (the worker does so every lease/3 s); raises JobStopped."""
        await self._run(self._beating())

    async def _settle(self) -> None:
        try:
            await self._run(self._settling())
        finally:
            await self._shutdown()

    async def _abandon(self) -> None:
        """Leave the job to its lease, as if this worker had died (see ClaimedJob)."""
        try:
            await self.close()
        except SdkError as exc:
            log.warning("jobdesk: job %s left open: %s", self.job_id, exc)
