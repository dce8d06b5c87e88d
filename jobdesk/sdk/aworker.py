"""AsyncWorker: the asyncio shell of the worker loop (``async for job in
worker.jobs(...)``); its core is ``working``, its rules those of ``worker``. Its keeper
is a task: it sends the loop's completions in rounds and renews the leases of all the
jobs held (see ``keeper``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.aclaimed import AsyncClaimedJob
from jobdesk.sdk.claiming import check_job_types
from jobdesk.sdk.tasks import TaskShell
from jobdesk.sdk.working import WorkerBase

log = logging.getLogger("jobdesk.sdk")


class AsyncWorker(WorkerBase):
    """Claims jobs for one task; use it from the thread running its event loop."""

    _shell: TaskShell
    _event_class = asyncio.Event

    def jobs(self, *job_types: str) -> AsyncGenerator[AsyncClaimedJob, None]:
        """Claimed jobs of ``job_types`` until ``stop()`` or the client closes; see
        Worker.jobs for what happens to a job the loop body leaves open."""
        return self._loop(check_job_types(job_types))

    async def _loop(self, job_types: list[str]) -> AsyncGenerator[AsyncClaimedJob, None]:
        current: AsyncClaimedJob | None = None
        keeper = asyncio.get_running_loop().create_task(self._keep(), name="jobdesk-keeper")
        try:
            while (job := await self._next(job_types)) is not None:
                current = self._claimed(job, self._core)
                yield current
                await current._settle()
                current = None
        finally:
            if current is not None:
                await current._abandon()
            self._core.keeper.end()
            await asyncio.wait([keeper])

    async def _keep(self) -> None:
        try:
            await self._shell.run(self._core.keeper.keeping(), pause=self._keeper_pause)
        except RuntimeError:
            if not self._core.detached:  # the client closed under a request: fine
                raise
        finally:
            self._core.keeper.gone()

    async def _keeper_pause(self, seconds: float) -> bool:
        await _rung(self._keeper_bell, seconds)
        return True

    async def _next(self, job_types: list[str]) -> Job | None:
        try:
            return await self._shell.run(self._core.next_job(job_types), pause=self._pause)
        except RuntimeError:
            if self._core.detached:  # the client closed under a claim
                return None
            raise

    async def _pause(self, seconds: float) -> bool:
        await _rung(self._loop_bell, seconds)
        return not self.stopped

    async def run(
        self, handler: Callable[[AsyncClaimedJob], Awaitable[Any]], *job_types: str
    ) -> None:
        """Await ``handler(job)`` for every claimed job until stopped; its return value is
        the result, an exception fails the job, is logged, and the loop goes on."""
        async for job in self.jobs(*job_types):
            try:
                async with job:
                    job._returned = await handler(job)
            except Exception:
                log.exception("jobdesk: job %s failed", job.job_id)


async def _rung(bell: asyncio.Event, seconds: float) -> None:
    """Wait until ``bell`` is set or ``seconds`` pass, then clear it."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await bell.wait()
    bell.clear()
